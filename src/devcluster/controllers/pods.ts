/**
 * What the workload controllers read from a Pod, as k8s.io/kubernetes/pkg/api/v1/pod does: readiness
 * (the Ready condition), availability after minReadySeconds, whether the pod still counts as active, and
 * controller ownership.
 */
import { isObject, type JsonObject, type KubeObject, type OwnerReference } from "../types.js";

export function statusOf(obj: KubeObject): JsonObject {
  return isObject(obj.status) ? obj.status : {};
}

export function specOf(obj: KubeObject): JsonObject {
  return isObject(obj.spec) ? obj.spec : {};
}

export function podPhase(pod: KubeObject): string {
  return typeof statusOf(pod).phase === "string" ? (statusOf(pod).phase as string) : "Pending";
}

function readyCondition(pod: KubeObject): JsonObject | undefined {
  const conditions = statusOf(pod).conditions;
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find((c) => isObject(c) && c.type === "Ready") as JsonObject | undefined;
}

export function isPodReady(pod: KubeObject): boolean {
  return readyCondition(pod)?.status === "True";
}

/** When the Ready condition last turned True (ms since the epoch), or undefined. */
export function readySince(pod: KubeObject): number | undefined {
  const c = readyCondition(pod);
  if (c?.status !== "True" || typeof c.lastTransitionTime !== "string") return undefined;
  return Date.parse(c.lastTransitionTime);
}

/**
 * The moment a ready pod counts as available: Ready for minReadySeconds (strictly after, as upstream's
 * `LastTransitionTime.Add(minReady).Before(now)`). undefined while not ready.
 */
export function availableAt(pod: KubeObject, minReadySeconds: number): number | undefined {
  if (!isPodReady(pod)) return undefined;
  if (minReadySeconds <= 0) return 0;
  const since = readySince(pod);
  return since === undefined ? 0 : since + minReadySeconds * 1000 + 1;
}

export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  const at = availableAt(pod, minReadySeconds);
  return at !== undefined && at <= now;
}

export function isTerminating(obj: KubeObject): boolean {
  return Boolean(obj.metadata.deletionTimestamp);
}

/** controller.FilterActivePods: neither finished nor being deleted. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase !== "Succeeded" && phase !== "Failed" && !isTerminating(pod);
}

export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return controllerOf(obj)?.uid === owner.metadata.uid;
}

/** metav1.NewControllerRef. */
export function newControllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function restartCount(pod: KubeObject): number {
  const statuses = [statusOf(pod).containerStatuses, statusOf(pod).initContainerStatuses];
  let max = 0;
  for (const list of statuses)
    if (Array.isArray(list))
      for (const c of list)
        if (isObject(c) && typeof c.restartCount === "number") max = Math.max(max, c.restartCount);
  return max;
}
