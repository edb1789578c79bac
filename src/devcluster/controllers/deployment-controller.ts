/**
 * The Deployment controller of kube-controller-manager (pkg/controller/deployment): owns ReplicaSets named
 * `<deployment>-<pod-template-hash>`, rolls them with the RollingUpdate (maxSurge, maxUnavailable) or
 * Recreate strategy, scales proportionally while paused or between rollouts, prunes the revision history,
 * and reports status and the Available/Progressing conditions with upstream's reasons and messages,
 * including ProgressDeadlineExceeded once no progress was made for progressDeadlineSeconds.
 */
import { labelSelectorMatches } from "../schemas/selectors.js";
import type { StoredEvent } from "../storage/store.js";
import { deepEqual, isObject, type JsonObject, type KubeObject } from "../types.js";
import {
  Controller,
  type ControllerKit,
  DEPLOYMENTS,
  PODS,
  REPLICASETS,
  splitKey,
} from "./controller-kit.js";
import {
  actualReplicas,
  calculateStatus,
  computeHash,
  DESIRED_REPLICAS,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  equalIgnoreHash,
  getCondition,
  HASH_LABEL,
  hasProgressDeadline,
  isRollingUpdate,
  maxSurge,
  maxUnavailable,
  newCondition,
  num,
  omitEmpty,
  proportion,
  REVISION,
  removeCondition,
  replicasOf,
  revisionOf,
  availableReplicas as rsAvailable,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  sum,
} from "./deployment-util.js";
import { controllerOf, isTerminating, newControllerRef, podPhase, specOf, statusOf } from "./pods.js";

const created = (o: KubeObject) => Date.parse(o.metadata.creationTimestamp ?? "") || 0;
const byCreation = (a: KubeObject, b: KubeObject) =>
  created(a) - created(b) || (a.metadata.name! < b.metadata.name! ? -1 : 1);

export class DeploymentController extends Controller {
  constructor(kit: ControllerKit) {
    super(kit, "deployment-controller");
    this.enqueueAll(DEPLOYMENTS);
  }

  protected onEvent(e: StoredEvent): void {
    const ns = e.object.metadata.namespace;
    if (e.storageKey === DEPLOYMENTS) this.queue.add(`${ns}/${e.object.metadata.name}`);
    else if (e.storageKey === REPLICASETS) {
      const ref = controllerOf(e.object);
      if (ref?.kind === "Deployment") this.queue.add(`${ns}/${ref.name}`);
      else if (!ref) for (const d of this.matching(e.object)) this.queue.add(`${ns}/${d.metadata.name}`);
    } else if (e.storageKey === PODS && e.type === "DELETED") {
      // Recreate waits for the old pods to be gone, not only scaled down.
      const ref = controllerOf(e.object);
      const rs = ref?.kind === "ReplicaSet" ? this.kit.get(REPLICASETS, ns, ref.name) : undefined;
      const owner = rs && controllerOf(rs);
      if (owner?.kind === "Deployment") this.queue.add(`${ns}/${owner.name}`);
    }
  }

  private matching(rs: KubeObject): KubeObject[] {
    return this.kit
      .list(DEPLOYMENTS, rs.metadata.namespace)
      .filter((d) => labelSelectorMatches(specOf(d).selector, rs.metadata.labels ?? {}));
  }

  protected reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const stored = this.kit.get(DEPLOYMENTS, namespace, name);
    if (!stored) return;
    const d = structuredClone(stored) as KubeObject;
    d.status = isObject(d.status) ? d.status : {};
    const rsList = this.claimReplicaSets(d);
    if (isTerminating(d)) {
      this.syncStatusOnly(d, rsList);
      return;
    }
    this.checkPausedConditions(d);
    if (specOf(d).paused === true) {
      this.sync(d, rsList);
      return;
    }
    if (this.isScalingEvent(d, rsList)) {
      this.sync(d, rsList);
      return;
    }
    if (isRollingUpdate(d)) this.rolloutRolling(d, rsList);
    else this.rolloutRecreate(d, rsList);
  }

  /** getReplicaSetsForDeployment: owned ReplicaSets that match, adopting orphans and releasing the rest. */
  private claimReplicaSets(d: KubeObject): KubeObject[] {
    const out: KubeObject[] = [];
    for (const rs of this.kit.list(REPLICASETS, d.metadata.namespace)) {
      const ref = controllerOf(rs);
      if (ref && ref.uid !== d.metadata.uid) continue;
      const matches = labelSelectorMatches(specOf(d).selector, rs.metadata.labels ?? {});
      if (ref && matches) out.push(rs);
      else if (ref) {
        const next = structuredClone(rs) as KubeObject;
        next.metadata.ownerReferences = (rs.metadata.ownerReferences ?? []).filter(
          (r) => r.uid !== d.metadata.uid,
        );
        this.kit.tolerate(() => this.kit.update(REPLICASETS, next));
      } else if (matches && !isTerminating(d) && !isTerminating(rs)) {
        const next = structuredClone(rs) as KubeObject;
        next.metadata.ownerReferences = [...(rs.metadata.ownerReferences ?? []), newControllerRef(d)];
        const adopted = this.kit.tolerate(() => this.kit.update(REPLICASETS, next));
        if (adopted) out.push(adopted);
      }
    }
    return out;
  }

  private now(): number {
    return this.kit.clock();
  }

  private key(d: KubeObject): string {
    return `${d.metadata.namespace}/${d.metadata.name}`;
  }

  /** Writes `d.status` onto the stored Deployment (our in-memory copy may be behind by our own writes). */
  private saveStatus(d: KubeObject): void {
    const latest = this.kit.get(DEPLOYMENTS, d.metadata.namespace, d.metadata.name!);
    if (!latest || latest.metadata.uid !== d.metadata.uid) return;
    this.kit.tolerate(() => this.kit.writeStatus(DEPLOYMENTS, latest, d.status as JsonObject));
  }

  /** SetDeploymentRevision: the revision annotation is metadata, written through the main resource. */
  private saveRevision(d: KubeObject, revision: string): void {
    if (d.metadata.annotations?.[REVISION] === revision) return;
    d.metadata.annotations = { ...d.metadata.annotations, [REVISION]: revision };
    const latest = this.kit.get(DEPLOYMENTS, d.metadata.namespace, d.metadata.name!);
    if (!latest || latest.metadata.uid !== d.metadata.uid) return;
    const next = structuredClone(latest) as KubeObject;
    next.metadata.annotations = { ...next.metadata.annotations, [REVISION]: revision };
    this.kit.tolerate(() => this.kit.update(DEPLOYMENTS, next));
  }

  private checkPausedConditions(d: KubeObject): void {
    if (!hasProgressDeadline(d)) return;
    const status = d.status as JsonObject;
    const cond = getCondition(status, "Progressing");
    if (cond?.reason === "ProgressDeadlineExceeded") return;
    const pausedCond = cond?.reason === "DeploymentPaused";
    const paused = specOf(d).paused === true;
    if (paused && !pausedCond)
      setCondition(
        status,
        newCondition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", this.now()),
      );
    else if (!paused && pausedCond)
      setCondition(
        status,
        newCondition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed", this.now()),
      );
    else return;
    this.saveStatus(d);
  }

  /** FindNewReplicaSet (oldest first among equal templates) and the rest. */
  private split(
    d: KubeObject,
    rsList: KubeObject[],
  ): { newRS: KubeObject | undefined; oldRSs: KubeObject[] } {
    const sorted = [...rsList].sort(byCreation);
    const newRS = sorted.find((rs) => equalIgnoreHash(specOf(rs).template, specOf(d).template));
    return { newRS, oldRSs: sorted.filter((rs) => rs !== newRS) };
  }

  /** getAllReplicaSetsAndSyncRevision. */
  private replicaSetsAndRevision(
    d: KubeObject,
    rsList: KubeObject[],
    create: boolean,
  ): { newRS: KubeObject | undefined; oldRSs: KubeObject[] } {
    const { newRS: existing, oldRSs } = this.split(d, rsList);
    const maxOld = Math.max(0, ...oldRSs.map(revisionOf));
    const newRevision = maxOld + 1;
    if (existing) {
      const copy = structuredClone(existing) as KubeObject;
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReady = num(specOf(d).minReadySeconds);
      if (annotationsChanged || num(specOf(copy).minReadySeconds) !== minReady) {
        (copy.spec as JsonObject).minReadySeconds = minReady;
        if (minReady === 0) delete (copy.spec as JsonObject).minReadySeconds;
        const updated = this.kit.tolerate(() => this.kit.update(REPLICASETS, copy));
        return { newRS: updated ?? existing, oldRSs };
      }
      this.saveRevision(d, existing.metadata.annotations?.[REVISION] ?? String(newRevision));
      const status = d.status as JsonObject;
      if (hasProgressDeadline(d) && !getCondition(status, "Progressing")) {
        setCondition(
          status,
          newCondition(
            "Progressing",
            "True",
            "FoundNewReplicaSet",
            `Found new replica set "${existing.metadata.name}"`,
            this.now(),
          ),
        );
        this.saveStatus(d);
      }
      return { newRS: existing, oldRSs };
    }
    if (!create) return { newRS: undefined, oldRSs };
    return { newRS: this.createNewReplicaSet(d, oldRSs, newRevision), oldRSs };
  }

  private createNewReplicaSet(d: KubeObject, oldRSs: KubeObject[], revision: number): KubeObject | undefined {
    const status = d.status as JsonObject;
    const collisionCount = typeof status.collisionCount === "number" ? status.collisionCount : undefined;
    const template = structuredClone(specOf(d).template) as JsonObject;
    const hash = computeHash(template, collisionCount);
    const tmeta = isObject(template.metadata) ? template.metadata : {};
    tmeta.labels = { ...(isObject(tmeta.labels) ? tmeta.labels : {}), [HASH_LABEL]: hash };
    template.metadata = tmeta;
    const selector = structuredClone(specOf(d).selector) as JsonObject;
    selector.matchLabels = {
      ...(isObject(selector.matchLabels) ? selector.matchLabels : {}),
      [HASH_LABEL]: hash,
    };
    const rs: KubeObject = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: { ...(tmeta.labels as Record<string, string>) },
        ownerReferences: [newControllerRef(d)],
      },
      spec: { replicas: 0, selector, template },
    };
    if (num(specOf(d).minReadySeconds)) (rs.spec as JsonObject).minReadySeconds = specOf(d).minReadySeconds;
    const replicas = this.newReplicas(d, [...oldRSs, rs], rs);
    (rs.spec as JsonObject).replicas = replicas;
    setNewReplicaSetAnnotations(d, rs, revision, false);
    let createdRS: KubeObject;
    try {
      createdRS = this.kit.create(REPLICASETS, d.metadata.namespace, rs);
    } catch (e) {
      const existing = this.kit.get(REPLICASETS, d.metadata.namespace, rs.metadata.name!);
      if (
        existing &&
        controllerOf(existing)?.uid === d.metadata.uid &&
        equalIgnoreHash(specOf(existing).template, specOf(d).template)
      )
        return existing;
      if (existing) {
        // A hash collision: a different template already has this name; the next hash includes the count.
        status.collisionCount = (collisionCount ?? 0) + 1;
        this.saveStatus(d);
        this.queue.add(this.key(d));
        return undefined;
      }
      const msg = `Failed to create new replica set "${rs.metadata.name}": ${(e as Error).message}`;
      if (hasProgressDeadline(d)) {
        setCondition(status, newCondition("Progressing", "False", "ReplicaSetCreateError", msg, this.now()));
        this.saveStatus(d);
      }
      this.kit.event(d, "Warning", "ReplicaSetCreateError", msg);
      return undefined;
    }
    if (replicas > 0)
      this.kit.event(
        d,
        "Normal",
        "ScalingReplicaSet",
        `Scaled up replica set ${createdRS.metadata.name} from 0 to ${replicas}`,
      );
    this.saveRevision(d, String(revision));
    if (hasProgressDeadline(d)) {
      setCondition(
        status,
        newCondition(
          "Progressing",
          "True",
          "NewReplicaSetCreated",
          `Created new replica set "${createdRS.metadata.name}"`,
          this.now(),
        ),
      );
    }
    this.saveStatus(d);
    return createdRS;
  }

  /** NewRSNewReplicas. */
  private newReplicas(d: KubeObject, all: KubeObject[], newRS: KubeObject): number {
    if (!isRollingUpdate(d)) return replicasOf(d);
    const maxTotal = replicasOf(d) + maxSurge(d);
    const current = sum(all, replicasOf);
    if (current >= maxTotal) return replicasOf(newRS);
    const up = Math.min(maxTotal - current, replicasOf(d) - replicasOf(newRS));
    return replicasOf(newRS) + up;
  }

  /** scaleReplicaSet: the size and the desired/max annotations in one write. */
  private scaleReplicaSet(rs: KubeObject, size: number, d: KubeObject): KubeObject {
    const copy = structuredClone(rs) as KubeObject;
    const annotationsChanged = setReplicasAnnotations(copy, replicasOf(d), replicasOf(d) + maxSurge(d));
    const from = replicasOf(rs);
    if (from === size && !annotationsChanged) return rs;
    (copy.spec as JsonObject).replicas = size;
    const updated = this.kit.tolerate(() => this.kit.update(REPLICASETS, copy));
    if (updated && from !== size)
      this.kit.event(
        d,
        "Normal",
        "ScalingReplicaSet",
        `Scaled ${from < size ? "up" : "down"} replica set ${rs.metadata.name} from ${from} to ${size}`,
      );
    return updated ?? rs;
  }

  private isScalingEvent(d: KubeObject, rsList: KubeObject[]): boolean {
    const { newRS, oldRSs } = this.replicaSetsAndRevision(d, rsList, false);
    const all = newRS ? [...oldRSs, newRS] : oldRSs;
    return all
      .filter((rs) => replicasOf(rs) > 0)
      .some((rs) => {
        const desired = Number(rs.metadata.annotations?.[DESIRED_REPLICAS] ?? "");
        return (
          Number.isInteger(desired) &&
          rs.metadata.annotations?.[DESIRED_REPLICAS] !== undefined &&
          desired !== replicasOf(d)
        );
      });
  }

  /** sync: scaling while paused or between rollouts, then history cleanup and status. */
  private sync(d: KubeObject, rsList: KubeObject[]): void {
    const { newRS, oldRSs } = this.replicaSetsAndRevision(d, rsList, false);
    const scaled = this.scale(d, newRS, oldRSs);
    this.cleanup(d, scaled.oldRSs);
    const all = scaled.newRS ? [...scaled.oldRSs, scaled.newRS] : scaled.oldRSs;
    this.syncDeploymentStatus(d, all, scaled.newRS);
  }

  private syncStatusOnly(d: KubeObject, rsList: KubeObject[]): void {
    const { newRS, oldRSs } = this.replicaSetsAndRevision(d, rsList, false);
    this.syncDeploymentStatus(d, newRS ? [...oldRSs, newRS] : oldRSs, newRS);
  }

  private syncDeploymentStatus(d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): void {
    const next = this.finalStatus(calculateStatus(all, newRS, d, this.now()));
    if (deepEqual(next, d.status)) return;
    d.status = next;
    this.saveStatus(d);
  }

  private finalStatus(status: JsonObject): JsonObject {
    const collision = status.collisionCount;
    const out = omitEmpty(status);
    if (collision !== undefined) out.collisionCount = collision;
    return out;
  }

  /** scale: the only active (or newest) ReplicaSet takes the whole size; otherwise proportional scaling. */
  private scale(
    d: KubeObject,
    newRS: KubeObject | undefined,
    oldRSs: KubeObject[],
  ): { newRS: KubeObject | undefined; oldRSs: KubeObject[] } {
    const all = newRS ? [...oldRSs, newRS] : [...oldRSs];
    const active = all.filter((rs) => replicasOf(rs) > 0);
    const replace = (rs: KubeObject, updated: KubeObject) => {
      if (rs === newRS) newRS = updated;
      const i = oldRSs.indexOf(rs);
      if (i >= 0) oldRSs[i] = updated;
    };
    const activeOrLatest =
      active.length === 1
        ? active[0]
        : active.length === 0
          ? (newRS ?? [...oldRSs].sort(byCreation).at(-1))
          : undefined;
    if (activeOrLatest) {
      if (replicasOf(activeOrLatest) !== replicasOf(d))
        replace(activeOrLatest, this.scaleReplicaSet(activeOrLatest, replicasOf(d), d));
      return { newRS, oldRSs };
    }
    if (newRS && replicasOf(newRS) === replicasOf(d) && rsAvailable(newRS) === replicasOf(d)) {
      for (const old of oldRSs.filter((rs) => replicasOf(rs) > 0))
        replace(old, this.scaleReplicaSet(old, 0, d));
      return { newRS, oldRSs };
    }
    if (!isRollingUpdate(d)) return { newRS, oldRSs };
    const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
    const toAdd = allowed - sum(active, replicasOf);
    // Larger first; newer first when growing, older first when shrinking.
    active.sort(
      (a, b) =>
        replicasOf(b) - replicasOf(a) || (toAdd > 0 ? created(b) - created(a) : created(a) - created(b)),
    );
    let added = 0;
    const sizes = new Map<KubeObject, number>();
    for (const rs of active) {
      const p = toAdd !== 0 ? proportion(rs, d, toAdd, added) : 0;
      sizes.set(rs, replicasOf(rs) + p);
      added += p;
    }
    active.forEach((rs, i) => {
      let size = sizes.get(rs)!;
      if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
      replace(rs, this.scaleReplicaSet(rs, size, d));
    });
    return { newRS, oldRSs };
  }

  /** cleanupDeployment: old, empty ReplicaSets beyond revisionHistoryLimit, lowest revision first. */
  private cleanup(d: KubeObject, oldRSs: KubeObject[]): void {
    const limit = specOf(d).revisionHistoryLimit;
    if (typeof limit !== "number") return;
    const cleanable = oldRSs.filter((rs) => !isTerminating(rs));
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    cleanable.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of cleanable.slice(0, diff)) {
      const st = statusOf(rs);
      if (
        num(st.replicas) !== 0 ||
        replicasOf(rs) !== 0 ||
        (rs.metadata.generation ?? 1) > num(st.observedGeneration)
      )
        continue;
      this.kit.tolerate(() => this.kit.delete(REPLICASETS, rs));
    }
  }

  private rolloutRolling(d: KubeObject, rsList: KubeObject[]): void {
    const { newRS, oldRSs } = this.replicaSetsAndRevision(d, rsList, true);
    if (!newRS) return;
    const all = () => [...oldRSs, current];
    let current = newRS;
    // Scale up, if we can.
    if (replicasOf(current) !== replicasOf(d)) {
      const size = replicasOf(current) > replicasOf(d) ? replicasOf(d) : this.newReplicas(d, all(), current);
      if (size !== replicasOf(current)) {
        current = this.scaleReplicaSet(current, size, d);
        this.syncRolloutStatus(d, all(), current);
        return;
      }
    }
    // Scale down, if we can.
    if (this.reconcileOldReplicaSets(d, oldRSs, current)) {
      this.syncRolloutStatus(d, all(), current);
      return;
    }
    if (deploymentComplete(d, d.status as JsonObject)) this.cleanup(d, oldRSs);
    this.syncRolloutStatus(d, all(), current);
  }

  /** reconcileOldReplicaSets: unhealthy old replicas first, then as many as minAvailable allows. */
  private reconcileOldReplicaSets(d: KubeObject, oldRSs: KubeObject[], newRS: KubeObject): boolean {
    const oldCount = sum(oldRSs, replicasOf);
    if (oldCount === 0) return false;
    const allCount = oldCount + replicasOf(newRS);
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const newUnavailable = replicasOf(newRS) - rsAvailable(newRS);
    const maxScaledDown = allCount - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    oldRSs.sort(byCreation);
    let cleaned = 0;
    for (const [i, rs] of oldRSs.entries()) {
      if (cleaned >= maxScaledDown) break;
      const unhealthy = replicasOf(rs) - rsAvailable(rs);
      if (replicasOf(rs) === 0 || unhealthy === 0) continue;
      const down = Math.min(maxScaledDown - cleaned, unhealthy);
      oldRSs[i] = this.scaleReplicaSet(rs, replicasOf(rs) - down, d);
      cleaned += down;
    }
    // scaleDownOldReplicaSetsForRollingUpdate: keep at least minAvailable available pods.
    const available = sum([...oldRSs, newRS], rsAvailable);
    let scaledDown = 0;
    if (available > minAvailable) {
      const target = available - minAvailable;
      for (const [i, rs] of oldRSs.entries()) {
        if (scaledDown >= target) break;
        if (replicasOf(rs) === 0) continue;
        const down = Math.min(replicasOf(rs), target - scaledDown);
        oldRSs[i] = this.scaleReplicaSet(rs, replicasOf(rs) - down, d);
        scaledDown += down;
      }
    }
    return cleaned + scaledDown > 0;
  }

  private rolloutRecreate(d: KubeObject, rsList: KubeObject[]): void {
    let { newRS, oldRSs } = this.replicaSetsAndRevision(d, rsList, false);
    const all = () => (newRS ? [...oldRSs, newRS] : oldRSs);
    let scaledDown = false;
    oldRSs = oldRSs.map((rs) => {
      if (replicasOf(rs) === 0) return rs;
      scaledDown = true;
      return this.scaleReplicaSet(rs, 0, d);
    });
    if (scaledDown || this.oldPodsRunning(newRS, oldRSs)) {
      this.syncRolloutStatus(d, all(), newRS);
      return;
    }
    if (!newRS) {
      newRS = this.replicaSetsAndRevision(d, this.claimReplicaSets(d), true).newRS;
      if (!newRS) return;
    }
    if (replicasOf(newRS) !== replicasOf(d)) newRS = this.scaleReplicaSet(newRS, replicasOf(d), d);
    if (deploymentComplete(d, d.status as JsonObject)) this.cleanup(d, oldRSs);
    this.syncRolloutStatus(d, all(), newRS);
  }

  /** oldPodsRunning: any old replica counted, or any pod of an old ReplicaSet not yet finished (terminating ones too). */
  private oldPodsRunning(newRS: KubeObject | undefined, oldRSs: KubeObject[]): boolean {
    if (sum(oldRSs, actualReplicas) > 0) return true;
    const oldUids = new Set(oldRSs.map((rs) => rs.metadata.uid));
    return this.kit.list(PODS, oldRSs[0]?.metadata.namespace ?? newRS?.metadata.namespace).some((pod) => {
      const ref = controllerOf(pod);
      if (!ref || !oldUids.has(ref.uid) || ref.uid === newRS?.metadata.uid) return false;
      const phase = podPhase(pod);
      return phase !== "Succeeded" && phase !== "Failed";
    });
  }

  /** syncRolloutStatus: the Progressing condition from the progress made since the last status. */
  private syncRolloutStatus(d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): void {
    const now = this.now();
    const next = calculateStatus(all, newRS, d, now);
    if (!hasProgressDeadline(d)) removeCondition(next, "Progressing");
    const current = getCondition(d.status as JsonObject, "Progressing");
    const complete =
      num(next.replicas) === num(next.updatedReplicas) && current?.reason === "NewReplicaSetAvailable";
    const rsName = newRS?.metadata.name;
    if (hasProgressDeadline(d) && !complete) {
      if (deploymentComplete(d, next)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" has successfully progressed.`
          : `Deployment "${d.metadata.name}" has successfully progressed.`;
        setCondition(next, newCondition("Progressing", "True", "NewReplicaSetAvailable", msg, now));
      } else if (deploymentProgressing(d, next)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" is progressing.`
          : `Deployment "${d.metadata.name}" is progressing.`;
        const cond = newCondition("Progressing", "True", "ReplicaSetUpdated", msg, now);
        if (current) {
          if (current.status === "True") cond.lastTransitionTime = current.lastTransitionTime;
          removeCondition(next, "Progressing");
        }
        setCondition(next, cond);
      } else if (deploymentTimedOut(d, next, now)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" has timed out progressing.`
          : `Deployment "${d.metadata.name}" has timed out progressing.`;
        setCondition(next, newCondition("Progressing", "False", "ProgressDeadlineExceeded", msg, now));
      }
    }
    const failure = this.replicaFailure(all, newRS);
    if (failure) setCondition(next, failure);
    else removeCondition(next, "ReplicaFailure");
    const status = this.finalStatus(next);
    if (!deepEqual(status, d.status)) {
      d.status = status;
      this.saveStatus(d);
    }
    this.requeueStuck(d, status, now);
  }

  private replicaFailure(all: KubeObject[], newRS: KubeObject | undefined) {
    for (const rs of newRS ? [newRS, ...all] : all) {
      const c = getCondition(statusOf(rs), "ReplicaFailure");
      if (c?.status === "True")
        return newCondition("ReplicaFailure", c.status, c.reason, c.message, this.now());
    }
    return undefined;
  }

  /** requeueStuckDeployment: look again when the progress deadline would pass. */
  private requeueStuck(d: KubeObject, status: JsonObject, now: number): void {
    const cond = getCondition(statusOf(d), "Progressing");
    if (!hasProgressDeadline(d) || !cond) return;
    if (deploymentComplete(d, status) || cond.reason === "ProgressDeadlineExceeded") return;
    const due = Date.parse(cond.lastUpdateTime) + num(specOf(d).progressDeadlineSeconds) * 1000;
    this.queue.add(this.key(d), Math.max(0, due - now) + 1000);
  }
}
