/**
 * The ReplicaSet controller of kube-controller-manager: keeps spec.replicas active pods (created from the
 * template with generateName `<rs>-` and a controller reference), adopts matching orphans and releases
 * pods that stopped matching, deletes surplus pods in upstream's order (unscheduled, pending, not ready,
 * recently ready, restarted, newest first), and reports replicas, fullyLabeledReplicas, readyReplicas,
 * availableReplicas (minReadySeconds) and observedGeneration. Terminating pods are not replicas.
 */
import { labelSelectorMatches } from "../schemas/selectors.js";
import type { StoredEvent } from "../storage/store.js";
import { nowTimestamp } from "../time-format.js";
import { isObject, type JsonObject, type KubeObject } from "../types.js";
import { Controller, type ControllerKit, PODS, REPLICASETS, splitKey } from "./controller-kit.js";
import {
  availableAt,
  controllerOf,
  isPodActive,
  isPodReady,
  isTerminating,
  newControllerRef,
  podPhase,
  readySince,
  restartCount,
  specOf,
  statusOf,
} from "./pods.js";

/** Upstream's burstReplicas: at most this many pods created or deleted per sync. */
const BURST_REPLICAS = 500;
const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";

function templateOf(rs: KubeObject): JsonObject {
  return isObject(specOf(rs).template) ? (specOf(rs).template as JsonObject) : {};
}

function templateLabels(rs: KubeObject): Record<string, string> {
  const meta = templateOf(rs).metadata;
  return isObject(meta) && isObject(meta.labels) ? (meta.labels as Record<string, string>) : {};
}

/** The pod a ReplicaSet (or Job) creates from its template: controller.GetPodFromTemplate. */
export function podFromTemplate(owner: KubeObject, template: JsonObject): KubeObject {
  const meta = isObject(template.metadata) ? template.metadata : {};
  const metadata: KubeObject["metadata"] = {
    generateName: `${owner.metadata.name}-`,
    namespace: owner.metadata.namespace,
    ownerReferences: [newControllerRef(owner)],
  };
  if (isObject(meta.labels)) metadata.labels = { ...(meta.labels as Record<string, string>) };
  if (isObject(meta.annotations)) metadata.annotations = { ...(meta.annotations as Record<string, string>) };
  if (Array.isArray(meta.finalizers)) metadata.finalizers = [...(meta.finalizers as string[])];
  return { apiVersion: "v1", kind: "Pod", metadata, spec: structuredClone(template.spec ?? {}) };
}

function deletionCost(pod: KubeObject): number {
  const v = Number(pod.metadata.annotations?.[DELETION_COST]);
  return Number.isFinite(v) ? v : 0;
}

/** controller.ActivePodsWithRanks: negative when `a` should be deleted before `b`. */
export function compareForDeletion(a: KubeObject, b: KubeObject, rank: Map<KubeObject, number>): number {
  const nodeA = String(specOf(a).nodeName ?? "");
  const nodeB = String(specOf(b).nodeName ?? "");
  if (nodeA !== nodeB && (nodeA === "" || nodeB === "")) return nodeA === "" ? -1 : 1;
  const phaseA = PHASE_ORDER[podPhase(a)] ?? 0;
  const phaseB = PHASE_ORDER[podPhase(b)] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;
  if (isPodReady(a) !== isPodReady(b)) return isPodReady(a) ? 1 : -1;
  if (deletionCost(a) !== deletionCost(b)) return deletionCost(a) - deletionCost(b);
  const rankA = rank.get(a) ?? 0;
  const rankB = rank.get(b) ?? 0;
  if (rankA !== rankB) return rankB - rankA;
  if (isPodReady(a) && isPodReady(b)) {
    const ra = readySince(a) ?? 0;
    const rb = readySince(b) ?? 0;
    if (ra !== rb) return rb - ra;
  }
  if (restartCount(a) !== restartCount(b)) return restartCount(b) - restartCount(a);
  const ca = Date.parse(a.metadata.creationTimestamp ?? "") || 0;
  const cb = Date.parse(b.metadata.creationTimestamp ?? "") || 0;
  return cb - ca;
}

/** The `diff` pods to delete first; pods sharing a node with more of their siblings go earlier. */
export function podsToDelete(pods: KubeObject[], diff: number): KubeObject[] {
  const perNode = new Map<string, number>();
  for (const p of pods) {
    const node = String(specOf(p).nodeName ?? "");
    if (node) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const rank = new Map(pods.map((p) => [p, perNode.get(String(specOf(p).nodeName ?? "")) ?? 0]));
  return [...pods].sort((a, b) => compareForDeletion(a, b, rank)).slice(0, diff);
}

export class ReplicaSetController extends Controller {
  constructor(kit: ControllerKit) {
    super(kit, "replicaset-controller");
    this.enqueueAll(REPLICASETS);
  }

  protected onEvent(e: StoredEvent): void {
    if (e.storageKey === REPLICASETS) {
      this.queue.add(`${e.object.metadata.namespace}/${e.object.metadata.name}`);
    } else if (e.storageKey === PODS) {
      for (const pod of [e.object, e.previous]) {
        if (!pod) continue;
        const ref = controllerOf(pod);
        if (ref?.kind === "ReplicaSet") this.queue.add(`${pod.metadata.namespace}/${ref.name}`);
      }
      // An orphan may be adopted by any ReplicaSet whose selector matches it.
      if (e.type !== "DELETED" && !controllerOf(e.object)) {
        for (const rs of this.kit.list(REPLICASETS, e.object.metadata.namespace))
          if (labelSelectorMatches(specOf(rs).selector, e.object.metadata.labels ?? {}))
            this.queue.add(`${rs.metadata.namespace}/${rs.metadata.name}`);
      }
    }
  }

  protected reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const rs = this.kit.get(REPLICASETS, namespace, name);
    if (!rs) return;
    const pods = this.claimPods(rs).filter(isPodActive);
    let failure: { reason: string; message: string } | undefined;
    if (!isTerminating(rs)) failure = this.manageReplicas(rs, pods);
    const current = this.kit.get(REPLICASETS, namespace, name);
    if (!current) return;
    const active = this.claimPods(current).filter(isPodActive);
    this.writeStatus(current, active, failure);
  }

  /** ControllerRefManager.ClaimPods: owned pods that still match, plus adopted orphans; releases the rest. */
  private claimPods(rs: KubeObject): KubeObject[] {
    const selector = specOf(rs).selector;
    const out: KubeObject[] = [];
    for (const pod of this.kit.list(PODS, rs.metadata.namespace)) {
      const matches = labelSelectorMatches(selector, pod.metadata.labels ?? {});
      const ref = controllerOf(pod);
      if (ref && ref.uid !== rs.metadata.uid) continue;
      if (ref && matches) out.push(pod);
      else if (ref && !isTerminating(pod)) this.release(pod, rs);
      else if (!ref && matches && !isTerminating(rs) && !isTerminating(pod)) {
        const adopted = this.adopt(pod, rs);
        if (adopted) out.push(adopted);
      }
    }
    return out;
  }

  private adopt(pod: KubeObject, rs: KubeObject): KubeObject | undefined {
    const next = structuredClone(pod) as KubeObject;
    next.metadata.ownerReferences = [...(pod.metadata.ownerReferences ?? []), newControllerRef(rs)];
    return this.kit.tolerate(() => this.kit.update(PODS, next));
  }

  private release(pod: KubeObject, rs: KubeObject): void {
    const next = structuredClone(pod) as KubeObject;
    next.metadata.ownerReferences = (pod.metadata.ownerReferences ?? []).filter(
      (r) => r.uid !== rs.metadata.uid,
    );
    this.kit.tolerate(() => this.kit.update(PODS, next));
  }

  private manageReplicas(
    rs: KubeObject,
    pods: KubeObject[],
  ): { reason: string; message: string } | undefined {
    const want = typeof specOf(rs).replicas === "number" ? (specOf(rs).replicas as number) : 1;
    const diff = pods.length - want;
    if (diff < 0) {
      for (let i = 0; i < Math.min(-diff, BURST_REPLICAS); i++) {
        try {
          this.kit.create(PODS, rs.metadata.namespace, podFromTemplate(rs, templateOf(rs)));
        } catch (e) {
          return { reason: "FailedCreate", message: (e as Error).message };
        }
      }
    } else if (diff > 0) {
      for (const pod of podsToDelete(pods, Math.min(diff, BURST_REPLICAS))) {
        this.kit.tolerate(() => this.kit.delete(PODS, pod));
      }
    }
    return undefined;
  }

  private writeStatus(
    rs: KubeObject,
    pods: KubeObject[],
    failure: { reason: string; message: string } | undefined,
  ): void {
    const minReady =
      typeof specOf(rs).minReadySeconds === "number" ? (specOf(rs).minReadySeconds as number) : 0;
    const now = this.kit.clock();
    const labels = templateLabels(rs);
    let fullyLabeled = 0;
    let ready = 0;
    let available = 0;
    let nextAvailable = Number.POSITIVE_INFINITY;
    for (const pod of pods) {
      const podLabels = pod.metadata.labels ?? {};
      if (Object.entries(labels).every(([k, v]) => podLabels[k] === v)) fullyLabeled++;
      if (!isPodReady(pod)) continue;
      ready++;
      const at = availableAt(pod, minReady) ?? Number.POSITIVE_INFINITY;
      if (at <= now) available++;
      else nextAvailable = Math.min(nextAvailable, at);
    }
    const prev = statusOf(rs);
    const status: JsonObject = { replicas: pods.length };
    if (fullyLabeled) status.fullyLabeledReplicas = fullyLabeled;
    if (ready) status.readyReplicas = ready;
    if (available) status.availableReplicas = available;
    status.observedGeneration = rs.metadata.generation ?? 1;
    const prevConditions = Array.isArray(prev.conditions) ? (prev.conditions as JsonObject[]) : [];
    const prevFailure = prevConditions.find((c) => c.type === "ReplicaFailure");
    const conditions = prevConditions.filter((c) => c.type !== "ReplicaFailure" || failure);
    if (failure && !prevFailure)
      conditions.push({
        type: "ReplicaFailure",
        status: "True",
        lastTransitionTime: nowTimestamp(new Date(now)),
        reason: failure.reason,
        message: failure.message,
      });
    if (conditions.length) status.conditions = conditions;
    this.kit.tolerate(() => this.kit.writeStatus(REPLICASETS, rs, status));
    if (Number.isFinite(nextAvailable))
      this.queue.add(`${rs.metadata.namespace}/${rs.metadata.name}`, nextAvailable - now);
  }
}
