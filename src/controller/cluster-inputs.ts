import type { ServerVersion } from "../kube/client.js";
import type { RenderInputs } from "../render/index.js";

/**
 * What the renderer needs to know of the cluster, from the API server's version. The pod lifecycle's
 * `sleep` action (the preStop delay that needs nothing from the image) is on by default from
 * Kubernetes 1.30; an older cluster would refuse the pods, so they get the image's `sleep` instead.
 * Unknown version: the renderer's defaults (current clusters).
 */
export function clusterRenderInputs(version: ServerVersion | undefined): RenderInputs {
  if (!version) return {};
  return { lifecycleSleepAction: version.major > 1 || version.minor >= 30 };
}
