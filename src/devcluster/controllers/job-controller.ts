/**
 * The Job controller (pkg/controller/job), for NonIndexed Jobs: runs pods to `completions` with at most
 * `parallelism` at once, replaces failed pods after the pod-failure back-off (10 s doubling, capped at
 * 6 min, configurable), fails the Job past `backoffLimit` (failed pods, or container restarts under
 * restartPolicy OnFailure) or `activeDeadlineSeconds`, honours `suspend`, and deletes a finished Job after
 * `ttlSecondsAfterFinished`. Conditions as 1.31+ reports them: SuccessCriteriaMet then Complete, or
 * FailureTarget then Failed once the remaining pods are gone.
 *
 * Pod outcomes are counted as the store reports them (including pods deleted before this controller saw
 * them finish) instead of through the job-tracking finalizer upstream puts on every pod.
 */
import type { StoredEvent } from "../storage/store.js";
import { nowTimestamp } from "../time-format.js";
import { deepEqual, isObject, type JsonObject, type KubeObject } from "../types.js";
import { Controller, type ControllerKit, JOBS, PODS, splitKey } from "./controller-kit.js";
import { controllerOf, isPodReady, isTerminating, podPhase, specOf, statusOf } from "./pods.js";
import { podFromTemplate } from "./replicaset-controller.js";

const MAX_BACKOFF_MS = 6 * 60 * 1000;

type Outcome = { result: "succeeded" | "failed"; at: number };

export interface JobControllerOptions {
  /** The first delay before replacing a failed pod; doubles with each failure. Default 10 s, as upstream. */
  podFailureBackoffMs?: number;
}

function condition(job: KubeObject, type: string): JsonObject | undefined {
  const conditions = Array.isArray(statusOf(job).conditions)
    ? (statusOf(job).conditions as JsonObject[])
    : [];
  return conditions.find((c) => c.type === type && c.status === "True");
}

export function jobFinished(job: KubeObject): boolean {
  return condition(job, "Complete") !== undefined || condition(job, "Failed") !== undefined;
}

function containerRestarts(pod: KubeObject): number {
  let n = 0;
  for (const list of [statusOf(pod).initContainerStatuses, statusOf(pod).containerStatuses])
    if (Array.isArray(list))
      for (const c of list) if (isObject(c) && typeof c.restartCount === "number") n += c.restartCount;
  return n;
}

export class JobController extends Controller {
  /** job uid -> pod uid -> how it ended. */
  private readonly outcomes = new Map<string, Map<string, Outcome>>();
  private readonly backoffBase: number;

  constructor(kit: ControllerKit, options: JobControllerOptions = {}) {
    super(kit, "job-controller");
    this.backoffBase = options.podFailureBackoffMs ?? 10_000;
    this.enqueueAll(JOBS);
  }

  protected onEvent(e: StoredEvent): void {
    if (e.storageKey === JOBS) {
      if (e.type === "DELETED") this.outcomes.delete(e.object.metadata.uid!);
      else this.queue.add(`${e.object.metadata.namespace}/${e.object.metadata.name}`);
      return;
    }
    if (e.storageKey !== PODS) return;
    const ref = controllerOf(e.object);
    if (ref?.kind !== "Job") return;
    const job = this.kit.get(JOBS, e.object.metadata.namespace, ref.name);
    // Recorded now, in the store's own delivery: a pod deleted right after it failed still counts.
    if (job && job.metadata.uid === ref.uid)
      this.record(job, e.type === "DELETED" ? (e.previous ?? e.object) : e.object, e.type === "DELETED");
    this.queue.add(`${e.object.metadata.namespace}/${ref.name}`);
  }

  private record(job: KubeObject, pod: KubeObject, gone: boolean): void {
    let map = this.outcomes.get(job.metadata.uid!);
    if (!map) {
      map = new Map();
      this.outcomes.set(job.metadata.uid!, map);
    }
    if (map.has(pod.metadata.uid!)) return;
    const phase = podPhase(pod);
    const now = this.kit.clock();
    if (phase === "Succeeded") map.set(pod.metadata.uid!, { result: "succeeded", at: now });
    else if (phase === "Failed") map.set(pod.metadata.uid!, { result: "failed", at: now });
    else if (
      (gone || isTerminating(pod)) &&
      !specOf(job).suspend &&
      !jobFinished(job) &&
      !condition(job, "FailureTarget") &&
      !condition(job, "SuccessCriteriaMet")
    )
      // podReplacementPolicy TerminatingOrFailed: a pod being deleted before it succeeded has failed.
      map.set(pod.metadata.uid!, { result: "failed", at: now });
  }

  protected reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const job = this.kit.get(JOBS, namespace, name);
    if (!job || isTerminating(job)) return;
    const now = this.kit.clock();
    const spec = specOf(job);
    const pods = this.kit.list(PODS, namespace).filter((p) => controllerOf(p)?.uid === job.metadata.uid);
    for (const p of pods) this.record(job, p, false);
    const outcomes = [...(this.outcomes.get(job.metadata.uid!)?.values() ?? [])];
    const succeeded = outcomes.filter((o) => o.result === "succeeded").length;
    const failed = outcomes.filter((o) => o.result === "failed").length;
    const finishedPhase = (p: KubeObject) => ["Succeeded", "Failed"].includes(podPhase(p));
    let active = pods.filter((p) => !finishedPhase(p) && !isTerminating(p));
    const terminating = pods.filter((p) => !finishedPhase(p) && isTerminating(p));
    const prev = statusOf(job);
    const status: JsonObject = structuredClone(prev);
    const conditions = (): JsonObject[] =>
      Array.isArray(status.conditions) ? (status.conditions as JsonObject[]) : [];
    const stamp = nowTimestamp(new Date(now));
    const setCondition = (type: string, value: "True" | "False", reason: string, message: string) => {
      const old = conditions().find((c) => c.type === type);
      if (old && old.status === value && old.reason === reason) return;
      const c: JsonObject = {
        type,
        status: value,
        lastProbeTime: stamp,
        lastTransitionTime: old?.status === value ? old.lastTransitionTime : stamp,
        reason,
        message,
      };
      status.conditions = old ? conditions().map((x) => (x === old ? c : x)) : [...conditions(), c];
    };
    const save = () => {
      const latest = this.kit.get(JOBS, namespace, name);
      return latest ? this.kit.tolerate(() => this.kit.writeStatus(JOBS, latest, status)) : undefined;
    };
    const deleteActive = () => {
      for (const p of active) this.kit.tolerate(() => this.kit.delete(PODS, p));
      active = [];
    };

    if (jobFinished(job)) {
      this.expireAfterTtl(job, now);
      return;
    }
    const suspended = spec.suspend === true;
    if (suspended) {
      if (condition(job, "Suspended") === undefined) {
        setCondition("Suspended", "True", "JobSuspended", "Job suspended");
        delete status.startTime;
      }
      deleteActive();
    } else {
      if (conditions().some((c) => c.type === "Suspended" && c.status === "True")) {
        setCondition("Suspended", "False", "JobResumed", "Job resumed");
        status.startTime = stamp;
      }
      status.startTime ??= stamp;
    }

    const completions = typeof spec.completions === "number" ? spec.completions : undefined;
    const parallelism = typeof spec.parallelism === "number" ? spec.parallelism : 1;
    const backoffLimit = typeof spec.backoffLimit === "number" ? spec.backoffLimit : 6;
    let failure = condition(job, "FailureTarget") as JsonObject | undefined;
    let success = condition(job, "SuccessCriteriaMet") as JsonObject | undefined;
    if (!failure && !success && !suspended) {
      const restarts =
        spec.template &&
        isObject(spec.template) &&
        isObject(spec.template.spec) &&
        spec.template.spec.restartPolicy === "OnFailure"
          ? active.reduce((n, p) => n + containerRestarts(p), 0)
          : 0;
      const pastOnFailure = backoffLimit === 0 ? restarts > 0 : restarts > 0 && restarts >= backoffLimit;
      const deadline =
        typeof spec.activeDeadlineSeconds === "number" ? spec.activeDeadlineSeconds * 1000 : undefined;
      const started = typeof status.startTime === "string" ? Date.parse(status.startTime) : now;
      if (failed > backoffLimit || pastOnFailure) {
        setCondition(
          "FailureTarget",
          "True",
          "BackoffLimitExceeded",
          "Job has reached the specified backoff limit",
        );
      } else if (deadline !== undefined && now - started >= deadline) {
        setCondition(
          "FailureTarget",
          "True",
          "DeadlineExceeded",
          "Job was active longer than specified deadline",
        );
      } else if (
        completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0
      ) {
        setCondition(
          "SuccessCriteriaMet",
          "True",
          "CompletionsReached",
          "Reached expected number of succeeded pods",
        );
      } else if (deadline !== undefined) {
        this.queue.add(key, started + deadline - now);
      }
      failure = conditions().find((c) => c.type === "FailureTarget" && c.status === "True");
      success = conditions().find((c) => c.type === "SuccessCriteriaMet" && c.status === "True");
      if (failure) this.kit.event(job, "Warning", String(failure.reason), String(failure.message));
      // The verdict is stored before the remaining pods are deleted, so their deletion is not a failure.
      if (failure || success) save();
    }

    if (failure || success) {
      deleteActive();
      if (terminating.length === 0) {
        if (failure) setCondition("Failed", "True", String(failure.reason), String(failure.message));
        else {
          setCondition("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods");
          status.completionTime = stamp;
          this.kit.event(job, "Normal", "Completed", "Job completed");
        }
      }
    } else if (!suspended) {
      const want =
        completions !== undefined
          ? Math.min(parallelism, completions - succeeded)
          : succeeded > 0
            ? 0
            : parallelism;
      const missing = want - active.length;
      if (missing > 0) {
        const wait = this.backoffRemaining(outcomes, failed, now);
        if (wait > 0) this.queue.add(key, wait);
        else
          for (let i = 0; i < missing; i++) {
            const pod = this.kit.tolerate(() =>
              this.kit.create(PODS, namespace, podFromTemplate(job, spec.template as JsonObject)),
            );
            if (pod) {
              active.push(pod);
              this.kit.event(job, "Normal", "SuccessfulCreate", `Created pod: ${pod.metadata.name}`);
            }
          }
      } else if (missing < 0) {
        for (const p of active.slice(missing)) this.kit.tolerate(() => this.kit.delete(PODS, p));
        active = active.slice(0, missing);
      }
    }

    if (active.length) status.active = active.length;
    else delete status.active;
    status.ready = active.filter(isPodReady).length;
    status.terminating = terminating.length;
    if (succeeded) status.succeeded = succeeded;
    if (failed) status.failed = failed;
    status.uncountedTerminatedPods = {};
    if (!deepEqual(status, prev)) {
      const written = save();
      if (written && jobFinished(written)) this.expireAfterTtl(written, now);
    }
  }

  /** The pod-failure back-off: base * 2^(failures-1) after the latest failure, at most 6 minutes. */
  private backoffRemaining(outcomes: Outcome[], failed: number, now: number): number {
    if (failed === 0) return 0;
    const last = Math.max(...outcomes.filter((o) => o.result === "failed").map((o) => o.at));
    const delay = Math.min(MAX_BACKOFF_MS, this.backoffBase * 2 ** (failed - 1));
    return last + delay - now;
  }

  /** The TTL-after-finished controller: delete the Job (and, in the foreground, its pods) once its time is up. */
  private expireAfterTtl(job: KubeObject, now: number): void {
    const ttl = specOf(job).ttlSecondsAfterFinished;
    if (typeof ttl !== "number") return;
    const finished = (condition(job, "Complete") ?? condition(job, "Failed"))?.lastTransitionTime;
    if (typeof finished !== "string") return;
    const due = Date.parse(finished) + ttl * 1000;
    if (due > now) {
      this.queue.add(`${job.metadata.namespace}/${job.metadata.name}`, due - now);
      return;
    }
    this.kit.tolerate(() => this.kit.delete(JOBS, job, { propagationPolicy: "Foreground" }));
  }
}
