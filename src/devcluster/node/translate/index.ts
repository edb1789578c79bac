/** The translation from a container to a local process, shared by the kubelet and the data-plane harness. */
export {
  isPodLocalHost,
  isWildcardHost,
  type ListenMapping,
  parseHostPort,
  type ServiceResolver,
  translateAddressToken,
} from "./addresses.js";
export {
  type CommandTranslation,
  type ContainerCommand,
  DEFAULT_PATH,
  ExecNotFoundError,
  effectiveArgv,
  type GeneratedFile,
  type LocalProcess,
  localProcess,
  NoCommandError,
  resolveProgram,
  translateArgument,
  translateEnvValue,
} from "./command.js";
export { expandVariables } from "./expand.js";
export { hostFiles } from "./host-files.js";
export { NginxSyntaxError, parseNginxConfig, translateNginxConfig } from "./nginx-config.js";
export { normalizeContainerPath, PathMap, type PathMapping } from "./path-map.js";
