import { KubeConfig } from "@kubernetes/client-node";

export interface KubeConfigOptions {
  /** Path of a kubeconfig file; when unset, $KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string;
  /** Context to use instead of the file's current context. */
  context?: string;
}

/**
 * Loads the connection the way kubectl does: an explicit file, else the default chain that client-node walks
 * ($KUBECONFIG, ~/.kube/config, in-cluster service account).
 */
export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  if (options.kubeconfig) {
    try {
      kc.loadFromFile(options.kubeconfig);
    } catch (err) {
      throw new Error(`cannot load kubeconfig ${options.kubeconfig}: ${(err as Error).message}`);
    }
  } else {
    kc.loadFromDefault();
  }
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      throw new Error(`context "${options.context}" not found in the kubeconfig`);
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new Error("no cluster found: pass --kubeconfig, set KUBECONFIG, or run inside a cluster");
  }
  return kc;
}
