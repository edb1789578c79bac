/**
 * The pod registry's graceful-deletion rule (podStrategy.CheckGracefulDelete): the request's
 * gracePeriodSeconds, else the pod's terminationGracePeriodSeconds; 0 (at once) for a pod no node runs
 * or one that has already ended; a negative period counts as 1.
 */
import { isObject, type KubeObject } from "../types.js";

export function podDeletionGracePeriod(pod: KubeObject, requested: number | undefined): number {
  const spec = isObject(pod.spec) ? pod.spec : {};
  const status = isObject(pod.status) ? pod.status : {};
  let period =
    requested ??
    (typeof spec.terminationGracePeriodSeconds === "number" ? spec.terminationGracePeriodSeconds : 0);
  if (typeof spec.nodeName !== "string" || spec.nodeName === "") period = 0;
  if (status.phase === "Failed" || status.phase === "Succeeded") period = 0;
  return period < 0 ? 1 : period;
}
