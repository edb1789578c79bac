export {
  type ConnectionOptions as KubeConfigOptions,
  loadConnection as loadKubeConfig,
} from "./connection.js";
