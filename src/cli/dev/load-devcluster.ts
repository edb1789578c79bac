import { UsageError } from "../command.js";

export type DevClusterModule = typeof import("../../devcluster/index.js");

/**
 * The embedded Kubernetes API server, loaded on demand: only the development commands (demo,
 * dev-apiserver) and the tests use it, and the operator's image leaves it out.
 */
export async function loadDevCluster(): Promise<DevClusterModule> {
  try {
    return await import("../../devcluster/index.js");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") {
      throw new UsageError(
        "the embedded Kubernetes API server is not part of this installation: it is a development tool that comes with a checkout of the repository (npm ci && npm run demo)",
      );
    }
    throw err;
  }
}
