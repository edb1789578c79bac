/**
 * The pure part of the Deployment controller, after k8s.io/kubernetes/pkg/controller/deployment/util:
 * surge and unavailability fenceposts, the pod-template hash, revisions, conditions, and the status a
 * Deployment reports for its ReplicaSets.
 */
import { nowTimestamp } from "../time-format.js";
import { deepEqual, isObject, type JsonObject, type KubeObject } from "../types.js";
import { specOf, statusOf } from "./pods.js";

export const REVISION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
export const HASH_LABEL = "pod-template-hash";
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const NOT_COPIED = new Set([
  LAST_APPLIED,
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  "deprecated.deployment.rollback.to",
]);
/** A deadline this large means "no deadline" (math.MaxInt32). */
const NO_DEADLINE = 2147483647;

export const num = (v: unknown, fallback = 0): number => (typeof v === "number" ? v : fallback);
export const replicasOf = (obj: KubeObject): number => num(specOf(obj).replicas, 1);

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaledValue(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === "number") return value;
  const m = /^(\d+)%$/.exec(String(value ?? "0"));
  if (!m) return 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

function rollingUpdate(d: KubeObject): JsonObject | undefined {
  const strategy = isObject(specOf(d).strategy) ? (specOf(d).strategy as JsonObject) : {};
  if ((strategy.type ?? "RollingUpdate") !== "RollingUpdate") return undefined;
  return isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
}

export function isRollingUpdate(d: KubeObject): boolean {
  return rollingUpdate(d) !== undefined;
}

/** ResolveFenceposts: surge rounds up, unavailability down; both zero would deadlock, so unavailable becomes 1. */
export function resolveFenceposts(d: KubeObject): { surge: number; unavailable: number } {
  const ru = rollingUpdate(d) ?? {};
  const desired = replicasOf(d);
  const surge = scaledValue(ru.maxSurge ?? "25%", desired, true);
  let unavailable = scaledValue(ru.maxUnavailable ?? "25%", desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: KubeObject): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).surge : 0;
}

export function maxUnavailable(d: KubeObject): number {
  const desired = replicasOf(d);
  if (!isRollingUpdate(d) || desired === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, desired);
}

/** JSON with sorted keys, so equal templates hash equally whatever order their fields came in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isObject(value))
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/**
 * controller.ComputeHash: FNV-32a of the template (and the collision count, which changes the hash when
 * two templates collide), written with rand.SafeEncodeString's vowel-free alphabet.
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  let h = 0x811c9dc5;
  const feed = (bytes: Uint8Array) => {
    for (const b of bytes) {
      h ^= b;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  };
  feed(new TextEncoder().encode(canonical(template)));
  if (collisionCount !== undefined) {
    const buf = new Uint8Array(4);
    new DataView(buf.buffer).setUint32(0, collisionCount, true);
    feed(buf);
  }
  return [...String(h >>> 0)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join("");
}

function withoutHash(template: unknown): unknown {
  const t = structuredClone(isObject(template) ? template : {});
  const meta = isObject(t.metadata) ? t.metadata : {};
  if (isObject(meta.labels)) {
    delete meta.labels[HASH_LABEL];
    if (Object.keys(meta.labels).length === 0) delete meta.labels;
  }
  t.metadata = meta;
  return t;
}

/** EqualIgnoreHash: the same pod template but for the pod-template-hash label. */
export function equalIgnoreHash(a: unknown, b: unknown): boolean {
  return deepEqual(withoutHash(a), withoutHash(b));
}

export function revisionOf(rs: KubeObject): number {
  const v = Number(rs.metadata.annotations?.[REVISION] ?? "");
  return Number.isInteger(v) ? v : 0;
}

export function copyAnnotations(d: KubeObject, rs: KubeObject): boolean {
  rs.metadata.annotations ??= {};
  const annotations = rs.metadata.annotations;
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (NOT_COPIED.has(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  return changed;
}

/** SetReplicasAnnotations: the Deployment's size when this ReplicaSet was last scaled, for proportional scaling. */
export function setReplicasAnnotations(rs: KubeObject, desired: number, max: number): boolean {
  rs.metadata.annotations ??= {};
  const annotations = rs.metadata.annotations;
  const before = `${annotations[DESIRED_REPLICAS]}/${annotations[MAX_REPLICAS]}`;
  annotations[DESIRED_REPLICAS] = String(desired);
  annotations[MAX_REPLICAS] = String(max);
  return before !== `${annotations[DESIRED_REPLICAS]}/${annotations[MAX_REPLICAS]}`;
}

/** SetNewReplicaSetAnnotations: copied annotations, the new revision, and the revisions it held before (rollbacks). */
export function setNewReplicaSetAnnotations(
  d: KubeObject,
  rs: KubeObject,
  newRevision: number,
  exists: boolean,
): boolean {
  let changed = copyAnnotations(d, rs);
  rs.metadata.annotations ??= {};
  const annotations = rs.metadata.annotations;
  const old = annotations[REVISION];
  const oldRevision = Number(old ?? 0) || 0;
  if (oldRevision < newRevision) {
    annotations[REVISION] = String(newRevision);
    changed = true;
    if (old !== undefined) {
      const history = annotations[REVISION_HISTORY];
      annotations[REVISION_HISTORY] = history ? `${history},${old}` : old;
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

export function hasProgressDeadline(d: KubeObject): boolean {
  const v = specOf(d).progressDeadlineSeconds;
  return typeof v === "number" && v !== NO_DEADLINE;
}

export interface Condition extends JsonObject {
  type: string;
  status: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export function conditionsOf(status: JsonObject): Condition[] {
  return Array.isArray(status.conditions) ? (status.conditions as Condition[]) : [];
}

export function getCondition(status: JsonObject, type: string): Condition | undefined {
  return conditionsOf(status).find((c) => c.type === type);
}

export function newCondition(
  type: string,
  status: string,
  reason: string,
  message: string,
  now: number,
): Condition {
  const t = nowTimestamp(new Date(now));
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function removeCondition(status: JsonObject, type: string): void {
  const rest = conditionsOf(status).filter((c) => c.type !== type);
  if (rest.length) status.conditions = rest;
  else delete status.conditions;
}

/** SetDeploymentCondition: no change for the same status and reason; the transition time survives a reason change. */
export function setCondition(status: JsonObject, condition: Condition): void {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  if (current && current.status === condition.status)
    condition.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...conditionsOf(status).filter((c) => c.type !== condition.type), condition];
}

export const sum = (list: KubeObject[], f: (rs: KubeObject) => number) =>
  list.reduce((a, rs) => a + f(rs), 0);
export const actualReplicas = (rs: KubeObject) => num(statusOf(rs).replicas);
export const availableReplicas = (rs: KubeObject) => num(statusOf(rs).availableReplicas);
export const readyReplicas = (rs: KubeObject) => num(statusOf(rs).readyReplicas);

/** calculateStatus: counts from the ReplicaSets, then the Available condition against maxUnavailable. */
export function calculateStatus(
  all: KubeObject[],
  newRS: KubeObject | undefined,
  d: KubeObject,
  now: number,
): JsonObject {
  const available = sum(all, availableReplicas);
  const total = sum(all, replicasOf);
  const status: JsonObject = {
    observedGeneration: d.metadata.generation ?? 1,
    replicas: sum(all, actualReplicas),
    updatedReplicas: newRS ? actualReplicas(newRS) : 0,
    readyReplicas: sum(all, readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  const prev = statusOf(d);
  if (prev.collisionCount !== undefined) status.collisionCount = prev.collisionCount;
  if (conditionsOf(prev).length) status.conditions = structuredClone(conditionsOf(prev));
  if (available >= replicasOf(d) - maxUnavailable(d))
    setCondition(
      status,
      newCondition(
        "Available",
        "True",
        "MinimumReplicasAvailable",
        "Deployment has minimum availability.",
        now,
      ),
    );
  else
    setCondition(
      status,
      newCondition(
        "Available",
        "False",
        "MinimumReplicasUnavailable",
        "Deployment does not have minimum availability.",
        now,
      ),
    );
  return status;
}

/** Drops the zero counts Go's omitempty leaves out, so the stored status reads as a real cluster's. */
export function omitEmpty(status: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(status)) if (v !== 0 && v !== undefined) out[k] = v;
  return out;
}

export function deploymentComplete(d: KubeObject, status: JsonObject): boolean {
  const want = replicasOf(d);
  return (
    num(status.updatedReplicas) === want &&
    num(status.replicas) === want &&
    num(status.availableReplicas) === want &&
    num(status.observedGeneration) >= (d.metadata.generation ?? 1)
  );
}

/** DeploymentProgressing: more updated, ready or available replicas, or fewer old ones, than last reported. */
export function deploymentProgressing(d: KubeObject, next: JsonObject): boolean {
  const old = statusOf(d);
  const oldOld = num(old.replicas) - num(old.updatedReplicas);
  const newOld = num(next.replicas) - num(next.updatedReplicas);
  return (
    num(next.updatedReplicas) > num(old.updatedReplicas) ||
    newOld < oldOld ||
    num(next.readyReplicas) > num(old.readyReplicas) ||
    num(next.availableReplicas) > num(old.availableReplicas)
  );
}

export function deploymentTimedOut(d: KubeObject, next: JsonObject, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(next, "Progressing");
  if (!c) return false;
  if (c.reason === "NewReplicaSetAvailable") return false;
  if (c.reason === "ProgressDeadlineExceeded") return true;
  return Date.parse(c.lastUpdateTime) + num(specOf(d).progressDeadlineSeconds) * 1000 < now;
}

/** getReplicaSetFraction / GetProportion: an active ReplicaSet's share of a scaling of its Deployment. */
export function proportion(rs: KubeObject, d: KubeObject, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  let fraction: number;
  if (replicasOf(d) === 0) fraction = -replicasOf(rs);
  else {
    const maxNow = replicasOf(d) + maxSurge(d);
    let before = Number(rs.metadata.annotations?.[MAX_REPLICAS] ?? "");
    if (!Number.isInteger(before) || before === 0) before = num(statusOf(d).replicas);
    fraction = Math.round((replicasOf(rs) * maxNow) / (before || 1)) - replicasOf(rs);
  }
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}
