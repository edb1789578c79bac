/**
 * Stands in for the deployment controller, the Job controller, kubelets, the HPA controller and volume
 * binding: fills in Deployment status (observedGeneration, replicas, updated/ready/available,
 * conditions) after a delay, fails a named Deployment's rollout on request, finishes Jobs after the
 * same delay (succeeded, or failed or held as a test chooses), keeps HPA targets within bounds and
 * reports HPA status, and binds PersistentVolumeClaims.
 */
import { ApiError } from "../errors.js";
import type { ResourceRegistry } from "../storage/registry.js";
import type { ResourceType } from "../storage/resource-type.js";
import type { Store, StoredEvent } from "../storage/store.js";
import { nowTimestamp } from "../time-format.js";
import { deepEqual, isObject, type JsonObject, type KubeObject } from "../types.js";
import { type Operations, systemContext } from "../writes/operations.js";
import { WorkQueue } from "./work-queue.js";

const DEPLOYMENTS = "apps/deployments";
const HPAS = "autoscaling/horizontalpodautoscalers";
const PVCS = "/persistentvolumeclaims";
const JOBS = "batch/jobs";

/** How a simulated Job ends once its delay has passed: `wait` keeps it running until told otherwise. */
export type JobOutcome = "succeed" | "fail" | "wait";

export interface SimulatorOptions {
  enabled: boolean;
  readyDelayMs: number;
  /**
   * Only the autoscalers: keep each HPA's target within minReplicas and maxReplicas and report HPA
   * status, as the HPA controller does without a metrics server. For clusters whose Deployments and
   * claims are handled by the workload controllers.
   */
  autoscalersOnly?: boolean;
}

function num(v: unknown, fallback = 0): number {
  return typeof v === "number" ? v : fallback;
}

function condition(
  type: string,
  status: string,
  reason: string,
  message: string,
  previous: unknown,
): JsonObject {
  const prev = (Array.isArray(previous) ? previous : []).find((c) => isObject(c) && c.type === type) as
    | JsonObject
    | undefined;
  const now = nowTimestamp();
  const unchanged = prev && prev.status === status;
  return {
    type,
    status,
    lastUpdateTime: unchanged && prev.reason === reason ? prev.lastUpdateTime : now,
    lastTransitionTime: unchanged ? prev.lastTransitionTime : now,
    reason,
    message,
  };
}

export class WorkloadSimulator {
  private readonly failing = new Set<string>();
  private readonly queue: WorkQueue;
  private readonly unsubscribe: () => void;
  private readonly ctx = systemContext("system:kube-controller-manager", "kube-controller-manager");
  /** Deployments whose new spec has been observed and now wait for their pods to become ready. */
  private readonly rollingSince = new Map<string, number>();
  private jobOutcome: (job: KubeObject) => JobOutcome = () => "succeed";

  constructor(
    private readonly store: Store,
    private readonly registry: ResourceRegistry,
    private readonly ops: Operations,
    readonly options: SimulatorOptions,
  ) {
    this.queue = new WorkQueue((k) => this.process(k));
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  stop(): void {
    this.queue.stop();
    this.unsubscribe();
  }

  /** Makes the Deployment's current and future rollouts fail (Progressing=False, ProgressDeadlineExceeded). */
  failRollout(namespace: string, name: string): void {
    this.failing.add(`${namespace}/${name}`);
    this.queue.add(`${DEPLOYMENTS}|${namespace}/${name}`);
  }

  /** Lets a Deployment whose rollout was failed become ready again. */
  recoverRollout(namespace: string, name: string): void {
    this.failing.delete(`${namespace}/${name}`);
    this.queue.add(`${DEPLOYMENTS}|${namespace}/${name}`);
  }

  /** Decides how Jobs end from now on (all succeed by default); Jobs still running are looked at again. */
  setJobOutcome(outcome: (job: KubeObject) => JobOutcome): void {
    this.jobOutcome = outcome;
    if (this.options.autoscalersOnly) return;
    for (const job of this.store.list(JOBS))
      this.queue.add(`${JOBS}|${job.metadata.namespace}/${job.metadata.name}`);
  }

  private onEvent(e: StoredEvent): void {
    if (!this.options.enabled || e.type === "DELETED") return;
    const key = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
    if (e.storageKey === DEPLOYMENTS) {
      if (!this.options.autoscalersOnly) this.queue.add(`${DEPLOYMENTS}|${key}`);
      for (const hpa of this.store.list(HPAS, e.object.metadata.namespace)) {
        const ref = isObject(hpa.spec) && isObject(hpa.spec.scaleTargetRef) ? hpa.spec.scaleTargetRef : {};
        if (ref.kind === "Deployment" && ref.name === e.object.metadata.name)
          this.queue.add(`${HPAS}|${hpa.metadata.namespace}/${hpa.metadata.name}`);
      }
    } else if (e.storageKey === HPAS) this.queue.add(`${HPAS}|${key}`);
    else if (e.storageKey === PVCS && !this.options.autoscalersOnly)
      this.queue.add(`${PVCS}|${key}`, this.options.readyDelayMs);
    // With the workload controllers running, their Job controller runs Jobs (as pods).
    else if (e.storageKey === JOBS && !this.options.autoscalersOnly) this.queue.add(`${JOBS}|${key}`);
  }

  private type(storageKey: string): ResourceType {
    return this.registry.byStorageKey(storageKey)!;
  }

  private process(item: string): void {
    if (!this.options.enabled) return;
    const [storageKey, key] = item.split("|") as [string, string];
    const [namespace, name] = key.split("/") as [string, string];
    const obj = this.store.get(storageKey, namespace, name);
    if (!obj || obj.metadata.deletionTimestamp) return;
    if (storageKey === DEPLOYMENTS) this.deployment(obj, key);
    else if (storageKey === HPAS) this.hpa(obj);
    else if (storageKey === PVCS) this.pvc(obj);
    else if (storageKey === JOBS) this.job(obj, item);
  }

  private writeStatus(storageKey: string, obj: KubeObject, status: JsonObject): void {
    if (deepEqual(status, obj.status)) return;
    try {
      this.ops.update(
        this.type(storageKey),
        obj.metadata.namespace,
        obj.metadata.name!,
        { ...obj, status },
        this.ctx,
        "status",
      );
    } catch (e) {
      // A concurrent write wins; the MODIFIED event it causes queues this object again.
      if (!(e instanceof ApiError && (e.code === 409 || e.code === 404))) throw e;
    }
  }

  private deployment(d: KubeObject, key: string): void {
    const spec = isObject(d.spec) ? d.spec : {};
    const prev = isObject(d.status) ? d.status : {};
    const generation = num(d.metadata.generation, 1);
    const desired = num(spec.replicas, 1);
    const failing = this.failing.has(key);
    const rsName = `${d.metadata.name}-${(d.metadata.uid ?? "").slice(0, 10)}`;
    const newSpec = num(prev.observedGeneration) !== generation;
    if (newSpec) this.rollingSince.set(key, Date.now());
    const since = this.rollingSince.get(key);
    const waited = since === undefined ? Number.POSITIVE_INFINITY : Date.now() - since;
    const settled = !failing && waited >= this.options.readyDelayMs;
    const ready = settled ? desired : Math.min(num(prev.readyReplicas), desired);
    const status: JsonObject = {
      observedGeneration: generation,
      replicas: desired,
      updatedReplicas: desired,
      readyReplicas: ready,
      availableReplicas: ready,
    };
    if (desired - ready > 0) status.unavailableReplicas = desired - ready;
    if (ready === 0) delete status.readyReplicas;
    if (ready === 0) delete status.availableReplicas;
    if (desired === 0) {
      delete status.replicas;
      delete status.updatedReplicas;
    }
    const available = ready >= desired - this.maxUnavailable(spec, desired);
    const conditions = [
      available
        ? condition(
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            prev.conditions,
          )
        : condition(
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            prev.conditions,
          ),
      failing
        ? condition(
            "Progressing",
            "False",
            "ProgressDeadlineExceeded",
            `ReplicaSet "${rsName}" has timed out progressing.`,
            prev.conditions,
          )
        : settled
          ? condition(
              "Progressing",
              "True",
              "NewReplicaSetAvailable",
              `ReplicaSet "${rsName}" has successfully progressed.`,
              prev.conditions,
            )
          : condition(
              "Progressing",
              "True",
              "ReplicaSetUpdated",
              `ReplicaSet "${rsName}" is progressing.`,
              prev.conditions,
            ),
    ];
    status.conditions = conditions;
    if (settled) this.rollingSince.delete(key);
    this.writeStatus(DEPLOYMENTS, d, status);
    if (!settled && !failing)
      this.queue.add(`${DEPLOYMENTS}|${key}`, Math.max(1, this.options.readyDelayMs - waited));
  }

  private maxUnavailable(spec: JsonObject, desired: number): number {
    const strategy = isObject(spec.strategy) ? spec.strategy : {};
    const ru = isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
    const v = ru.maxUnavailable ?? "25%";
    if (typeof v === "number") return v;
    const m = /^(\d+)%$/.exec(String(v));
    return m ? Math.floor((desired * Number(m[1])) / 100) : 0;
  }

  private hpa(h: KubeObject): void {
    const spec = isObject(h.spec) ? h.spec : {};
    const ref = isObject(spec.scaleTargetRef) ? spec.scaleTargetRef : {};
    const min = num(spec.minReplicas, 1);
    const max = num(spec.maxReplicas, min);
    const prev = isObject(h.status) ? h.status : {};
    const target =
      ref.kind === "Deployment"
        ? this.store.get(DEPLOYMENTS, h.metadata.namespace, String(ref.name))
        : undefined;
    if (!target) {
      this.writeStatus(HPAS, h, {
        currentReplicas: 0,
        desiredReplicas: 0,
        conditions: [
          condition(
            "AbleToScale",
            "False",
            "FailedGetScale",
            `the HPA controller was unable to get the target's current scale: deployments/scale.apps "${ref.name}" not found`,
            prev.conditions,
          ),
        ],
      });
      return;
    }
    const current = num(isObject(target.spec) ? target.spec.replicas : undefined, 1);
    const desired = Math.min(max, Math.max(min, current));
    if (desired !== current) {
      const rt = this.type(DEPLOYMENTS);
      const ctx = systemContext(
        "system:serviceaccount:kube-system:horizontal-pod-autoscaler",
        "kube-controller-manager",
      );
      this.ops.writeScale(
        rt,
        h.metadata.namespace,
        String(ref.name),
        { body: { spec: { replicas: desired } } },
        ctx,
      );
    }
    const status: JsonObject = {
      currentReplicas: current,
      desiredReplicas: desired,
      conditions: [
        condition(
          "AbleToScale",
          "True",
          "ReadyForNewScale",
          "recommended size matches current size",
          prev.conditions,
        ),
        condition(
          "ScalingActive",
          "True",
          "ValidMetricFound",
          "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
          prev.conditions,
        ),
        desired === current
          ? condition(
              "ScalingLimited",
              "False",
              "DesiredWithinRange",
              "the desired count is within the acceptable range",
              prev.conditions,
            )
          : condition(
              "ScalingLimited",
              "True",
              desired === min ? "TooFewReplicas" : "TooManyReplicas",
              "the desired replica count is outside the acceptable range",
              prev.conditions,
            ),
      ],
    };
    if (desired !== current) status.lastScaleTime = nowTimestamp();
    else if (prev.lastScaleTime) status.lastScaleTime = prev.lastScaleTime;
    this.writeStatus(HPAS, h, status);
  }

  /** Started at once, finished (with the 1.31+ conditions) once the delay has passed. */
  private job(j: KubeObject, item: string): void {
    const prev = isObject(j.status) ? j.status : {};
    const conditions = Array.isArray(prev.conditions) ? prev.conditions : [];
    if (conditions.some((c) => isObject(c) && (c.type === "Complete" || c.type === "Failed"))) return;
    const started = typeof prev.startTime === "string" ? prev.startTime : nowTimestamp();
    const waited = Date.now() - Date.parse(started);
    const outcome = waited >= this.options.readyDelayMs ? this.jobOutcome(j) : "wait";
    if (outcome === "wait") {
      this.writeStatus(JOBS, j, { ...prev, startTime: started, active: 1 });
      if (waited < this.options.readyDelayMs) this.queue.add(item, this.options.readyDelayMs - waited);
      return;
    }
    const spec = isObject(j.spec) ? j.spec : {};
    const finished = (type: string, reason: string, message: string) => [
      condition(type === "Complete" ? "SuccessCriteriaMet" : "FailureTarget", "True", reason, message, []),
      condition(type, "True", reason, message, []),
    ];
    this.writeStatus(
      JOBS,
      j,
      outcome === "succeed"
        ? {
            startTime: started,
            completionTime: nowTimestamp(),
            succeeded: 1,
            conditions: finished(
              "Complete",
              "CompletionsReached",
              "Reached expected number of succeeded pods",
            ),
          }
        : {
            startTime: started,
            failed: num(spec.backoffLimit, 6) + 1,
            conditions: finished(
              "Failed",
              "BackoffLimitExceeded",
              "Job has reached the specified backoff limit",
            ),
          },
    );
  }

  private pvc(p: KubeObject): void {
    const prev = isObject(p.status) ? p.status : {};
    if (prev.phase === "Bound") return;
    const spec = isObject(p.spec) ? p.spec : {};
    const requests =
      isObject(spec.resources) && isObject(spec.resources.requests) ? spec.resources.requests : {};
    this.writeStatus(PVCS, p, {
      phase: "Bound",
      accessModes: spec.accessModes ?? ["ReadWriteOnce"],
      capacity: { storage: requests.storage ?? "1Gi" },
    });
  }
}
