/**
 * kube-scheduler, reduced to what one or a few local nodes need: every new Pod for the default scheduler
 * is bound to a Ready, schedulable node (the one with the fewest pods), with the PodScheduled condition;
 * a pod that cannot be placed stays Pending with PodScheduled=False, reason Unschedulable and the real
 * message, and is tried again when nodes or claims change. A pod whose PersistentVolumeClaims are not
 * Bound waits for them, as the volume binding plugin makes it wait.
 */
import type { StoredEvent } from "../storage/store.js";
import { nowTimestamp } from "../time-format.js";
import { isObject, type JsonObject, type KubeObject } from "../types.js";
import {
  Controller,
  type ControllerKit,
  NODES,
  objectKeyOf,
  PODS,
  PVCS,
  splitKey,
} from "./controller-kit.js";
import { isTerminating, podPhase, specOf, statusOf } from "./pods.js";

const RETRY_MS = 5000;
const NOT_HELPFUL = (n: number) =>
  `preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`;

function wantsScheduling(pod: KubeObject): boolean {
  const spec = specOf(pod);
  return (
    !spec.nodeName &&
    (spec.schedulerName ?? "default-scheduler") === "default-scheduler" &&
    !isTerminating(pod) &&
    podPhase(pod) === "Pending"
  );
}

function nodeProblem(node: KubeObject): string | undefined {
  if (specOf(node).unschedulable === true) return "node(s) were unschedulable";
  const conditions = Array.isArray(statusOf(node).conditions)
    ? (statusOf(node).conditions as JsonObject[])
    : [];
  const ready = conditions.find((c) => c.type === "Ready");
  if (ready?.status !== "True")
    return `node(s) had untolerated taint {node.kubernetes.io/${ready?.status === "False" ? "not-ready" : "unreachable"}: }`;
  return undefined;
}

export class Scheduler extends Controller {
  constructor(kit: ControllerKit) {
    super(kit, "default-scheduler");
    this.requeuePending();
  }

  private requeuePending(namespace?: string): void {
    for (const pod of this.kit.list(PODS, namespace))
      if (wantsScheduling(pod)) this.queue.add(objectKeyOf(pod));
  }

  protected onEvent(e: StoredEvent): void {
    if (e.storageKey === PODS) {
      if (e.type !== "DELETED" && wantsScheduling(e.object)) this.queue.add(objectKeyOf(e.object));
    } else if (e.storageKey === NODES) this.requeuePending();
    else if (e.storageKey === PVCS) this.requeuePending(e.object.metadata.namespace);
  }

  protected reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const pod = this.kit.get(PODS, namespace, name);
    if (!pod || !wantsScheduling(pod)) return;
    const nodes = this.kit.list(NODES);
    const unbound = this.claimProblem(pod);
    if (unbound) {
      this.unschedulable(
        pod,
        `0/${nodes.length} nodes are available: ${unbound}. ${NOT_HELPFUL(nodes.length)}`,
      );
      return;
    }
    if (nodes.length === 0) {
      this.unschedulable(pod, "no nodes available to schedule pods");
      return;
    }
    const fit = nodes.filter((n) => !nodeProblem(n));
    if (fit.length === 0) {
      const reasons = new Map<string, number>();
      for (const n of nodes) {
        const why = nodeProblem(n)!;
        reasons.set(why, (reasons.get(why) ?? 0) + 1);
      }
      const detail = [...reasons]
        .map(([why, count]) => `${count} ${why}`)
        .sort()
        .join(", ");
      this.unschedulable(
        pod,
        `0/${nodes.length} nodes are available: ${detail}. ${NOT_HELPFUL(nodes.length)}`,
      );
      return;
    }
    const load = new Map<string, number>();
    for (const p of this.kit.list(PODS)) {
      const n = specOf(p).nodeName;
      if (typeof n === "string") load.set(n, (load.get(n) ?? 0) + 1);
    }
    const node = fit.reduce((best, n) =>
      (load.get(n.metadata.name!) ?? 0) < (load.get(best.metadata.name!) ?? 0) ? n : best,
    );
    this.bind(pod, node.metadata.name!);
  }

  /** The volume binding plugin's verdict: a claim that is missing or not yet Bound. */
  private claimProblem(pod: KubeObject): string | undefined {
    const volumes = Array.isArray(specOf(pod).volumes) ? (specOf(pod).volumes as JsonObject[]) : [];
    let unbound = false;
    for (const v of volumes) {
      const claim = isObject(v.persistentVolumeClaim) ? v.persistentVolumeClaim.claimName : undefined;
      if (typeof claim !== "string") continue;
      const pvc = this.kit.get(PVCS, pod.metadata.namespace, claim);
      if (!pvc) return `persistentvolumeclaim "${claim}" not found`;
      if (isTerminating(pvc)) return `persistentvolumeclaim "${claim}" is being deleted`;
      if (statusOf(pvc).phase !== "Bound") unbound = true;
    }
    return unbound ? "pod has unbound immediate PersistentVolumeClaims" : undefined;
  }

  private setScheduledCondition(pod: KubeObject, condition: JsonObject): KubeObject | undefined {
    const status = structuredClone(statusOf(pod));
    const conditions = Array.isArray(status.conditions) ? (status.conditions as JsonObject[]) : [];
    const prev = conditions.find((c) => c.type === "PodScheduled");
    if (
      prev &&
      prev.status === condition.status &&
      prev.reason === condition.reason &&
      prev.message === condition.message
    )
      return pod;
    const next: JsonObject = {
      type: "PodScheduled",
      status: condition.status,
      lastProbeTime: null,
      lastTransitionTime:
        prev && prev.status === condition.status
          ? prev.lastTransitionTime
          : nowTimestamp(new Date(this.kit.clock())),
    };
    if (condition.reason) next.reason = condition.reason;
    if (condition.message) next.message = condition.message;
    status.conditions = [...conditions.filter((c) => c.type !== "PodScheduled"), next];
    status.phase ??= "Pending";
    return this.kit.tolerate(() => this.kit.writeStatus(PODS, pod, status));
  }

  private unschedulable(pod: KubeObject, message: string): void {
    const before = (
      Array.isArray(statusOf(pod).conditions) ? (statusOf(pod).conditions as JsonObject[]) : []
    ).find((c) => c.type === "PodScheduled");
    this.setScheduledCondition(pod, { status: "False", reason: "Unschedulable", message });
    if (before?.message !== message) this.kit.event(pod, "Warning", "FailedScheduling", message);
    this.queue.add(objectKeyOf(pod), RETRY_MS);
  }

  /** The binding subresource's effect: spec.nodeName, then PodScheduled=True. */
  private bind(pod: KubeObject, nodeName: string): void {
    const next = structuredClone(pod) as KubeObject;
    (next.spec as JsonObject).nodeName = nodeName;
    const bound = this.kit.tolerate(() => this.kit.update(PODS, next));
    if (!bound) return;
    this.setScheduledCondition(bound, { status: "True" });
    this.kit.event(
      bound,
      "Normal",
      "Scheduled",
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`,
    );
  }
}
