/**
 * kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status), the status library Flux's health checks and
 * `kubectl wait`-like tools use, for a custom resource: its Compute() rules, in order.
 *   1. metadata.deletionTimestamp set: Terminating.
 *   2. status.observedGeneration present and != metadata.generation: InProgress (LatestGenerationNotObserved).
 *   3. condition Reconciling=True: InProgress; condition Stalled=True: Failed.
 *   4. (kind-specific rules: built-in kinds only, none for a CRD.)
 *   5. condition Ready: True is Current, False or Unknown is InProgress.
 *   6. otherwise: Current, which includes an object without any status yet.
 */

export type KStatus = "InProgress" | "Failed" | "Current" | "Terminating";

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface Resource {
  kind: string;
  metadata: { generation?: number; deletionTimestamp?: string };
  status?: { observedGeneration?: number; conditions?: Condition[] };
}

export function kstatusCompute(obj: Resource): { status: KStatus; message: string } {
  if (obj.metadata.deletionTimestamp)
    return { status: "Terminating", message: "Resource scheduled for deletion" };
  const generation = obj.metadata.generation;
  const observed = obj.status?.observedGeneration;
  if (generation !== undefined && observed !== undefined && observed !== generation) {
    return {
      status: "InProgress",
      message: `${obj.kind} generation is ${generation}, but latest observed generation is ${observed}`,
    };
  }
  const conditions = obj.status?.conditions ?? [];
  for (const c of conditions) {
    if (c.type === "Reconciling" && c.status === "True")
      return { status: "InProgress", message: c.message ?? "" };
    if (c.type === "Stalled" && c.status === "True") return { status: "Failed", message: c.message ?? "" };
  }
  const ready = conditions.find((c) => c.type === "Ready");
  if (ready?.status === "True") return { status: "Current", message: "Resource is Ready" };
  if (ready?.status === "False" || ready?.status === "Unknown") {
    return { status: "InProgress", message: ready.message ?? "" };
  }
  return { status: "Current", message: "Resource is current" };
}
