/**
 * The CronJob controller (pkg/controller/cronjob, v2): creates a Job named `<cronjob>-<minutes since the
 * epoch>` for the most recent schedule time (5-field schedules and descriptors, in spec.timeZone), skips
 * a time missed by more than startingDeadlineSeconds, applies concurrencyPolicy (Allow, Forbid, Replace),
 * honours suspend, keeps successfulJobsHistoryLimit / failedJobsHistoryLimit finished Jobs, and reports
 * active, lastScheduleTime and lastSuccessfulTime. It wakes itself for the next schedule time.
 */
import {
  mostRecentScheduleTime,
  nextScheduleTime,
  scheduleError,
  timeZoneError,
} from "../schemas/cron-schedule.js";
import type { StoredEvent } from "../storage/store.js";
import { nowTimestamp } from "../time-format.js";
import { deepEqual, isObject, type JsonObject, type KubeObject } from "../types.js";
import { Controller, type ControllerKit, CRONJOBS, JOBS, splitKey } from "./controller-kit.js";
import { jobFinished } from "./job-controller.js";
import { controllerOf, isTerminating, newControllerRef, specOf, statusOf } from "./pods.js";

const SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp";

function finishedAs(job: KubeObject): "Complete" | "Failed" | undefined {
  const conditions = Array.isArray(statusOf(job).conditions)
    ? (statusOf(job).conditions as JsonObject[])
    : [];
  for (const type of ["Complete", "Failed"] as const)
    if (conditions.some((c) => c.type === type && c.status === "True")) return type;
  return undefined;
}

/** RFC 3339 in the schedule's time zone, as the scheduled-timestamp annotation is written. */
function inZone(time: number, timeZone: string | undefined): string {
  if (!timeZone || timeZone === "UTC" || timeZone === "Etc/UTC") return nowTimestamp(new Date(time));
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(time))
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(
    +parts.year!,
    +parts.month! - 1,
    +parts.day!,
    +parts.hour!,
    +parts.minute!,
    +parts.second!,
  );
  const offset = Math.round((local - time) / 60000);
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${sign}${hh}:${mm}`;
}

export class CronJobController extends Controller {
  constructor(kit: ControllerKit) {
    super(kit, "cronjob-controller");
    this.enqueueAll(CRONJOBS);
  }

  /** Looks at every CronJob again now (after a test moved the clock). */
  resync(): void {
    this.enqueueAll(CRONJOBS);
  }

  protected onEvent(e: StoredEvent): void {
    if (e.storageKey === CRONJOBS && e.type !== "DELETED")
      this.queue.add(`${e.object.metadata.namespace}/${e.object.metadata.name}`);
    else if (e.storageKey === JOBS) {
      const ref = controllerOf(e.object);
      if (ref?.kind === "CronJob") this.queue.add(`${e.object.metadata.namespace}/${ref.name}`);
    }
  }

  protected reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const cj = this.kit.get(CRONJOBS, namespace, name);
    if (!cj) return;
    const spec = specOf(cj);
    const prev = statusOf(cj);
    const status: JsonObject = structuredClone(prev);
    const jobs = this.kit.list(JOBS, namespace).filter((j) => controllerOf(j)?.uid === cj.metadata.uid);
    const byUid = new Map(jobs.map((j) => [j.metadata.uid, j]));
    let active = (Array.isArray(status.active) ? (status.active as JsonObject[]) : []).filter((ref) => {
      const j = byUid.get(String(ref.uid));
      if (!j) {
        this.kit.event(cj, "Normal", "MissingJob", `Active job went missing: ${ref.name}`);
        return false;
      }
      if (jobFinished(j)) {
        this.kit.event(
          cj,
          "Normal",
          "SawCompletedJob",
          `Saw completed job: ${j.metadata.name}, condition: ${finishedAs(j)}`,
        );
        return false;
      }
      return true;
    });
    for (const j of jobs) {
      const completed = finishedAs(j) === "Complete" ? statusOf(j).completionTime : undefined;
      if (
        typeof completed === "string" &&
        (!status.lastSuccessfulTime || Date.parse(completed) > Date.parse(String(status.lastSuccessfulTime)))
      )
        status.lastSuccessfulTime = completed;
    }
    const save = () => {
      if (active.length) status.active = active;
      else delete status.active;
      const latest = this.kit.get(CRONJOBS, namespace, name);
      if (latest && !deepEqual(status, statusOf(latest)))
        this.kit.tolerate(() => this.kit.writeStatus(CRONJOBS, latest, status));
    };
    const schedule = String(spec.schedule ?? "");
    const timeZone = typeof spec.timeZone === "string" ? spec.timeZone : undefined;
    if (
      isTerminating(cj) ||
      spec.suspend === true ||
      scheduleError(schedule) ||
      (timeZone && timeZoneError(timeZone))
    ) {
      save();
      return;
    }
    this.cleanupHistory(cj, jobs);
    const now = this.kit.clock();
    let since = Date.parse(String(status.lastScheduleTime ?? cj.metadata.creationTimestamp));
    const deadline =
      typeof spec.startingDeadlineSeconds === "number" ? spec.startingDeadlineSeconds * 1000 : undefined;
    if (deadline !== undefined) since = Math.max(since, now - deadline);
    const { time: scheduled, missed } = mostRecentScheduleTime(schedule, timeZone, since, now);
    const next = nextScheduleTime(schedule, timeZone, now);
    const wake = () => {
      if (next !== undefined) this.queue.add(key, next - now + 100);
    };
    if (scheduled === undefined) {
      save();
      wake();
      return;
    }
    if (missed > 100)
      this.kit.event(
        cj,
        "Warning",
        "TooManyMissedTimes",
        "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
      );
    if (deadline !== undefined && scheduled + deadline < now) {
      this.kit.event(
        cj,
        "Warning",
        "MissSchedule",
        `Missed scheduled time to start a job: ${nowTimestamp(new Date(scheduled))}`,
      );
      save();
      wake();
      return;
    }
    const jobName = `${cj.metadata.name}-${Math.floor(scheduled / 60000)}`;
    if (jobs.some((j) => j.metadata.name === jobName)) {
      save();
      wake();
      return;
    }
    if (spec.concurrencyPolicy === "Forbid" && active.length > 0) {
      save();
      wake();
      return;
    }
    if (spec.concurrencyPolicy === "Replace") {
      for (const ref of active) {
        const j = byUid.get(String(ref.uid));
        if (!j) continue;
        this.kit.tolerate(() => this.kit.delete(JOBS, j, { propagationPolicy: "Background" }));
        this.kit.event(cj, "Normal", "SuccessfulDelete", `Deleted job ${j.metadata.name}`);
      }
      active = [];
    }
    const created = this.createJob(cj, jobName, scheduled, timeZone);
    if (created) {
      active = [
        ...active,
        {
          kind: "Job",
          namespace,
          name: created.metadata.name,
          uid: created.metadata.uid,
          apiVersion: "batch/v1",
          resourceVersion: created.metadata.resourceVersion,
        },
      ];
      status.lastScheduleTime = nowTimestamp(new Date(scheduled));
    }
    save();
    wake();
  }

  private createJob(
    cj: KubeObject,
    name: string,
    scheduled: number,
    timeZone: string | undefined,
  ): KubeObject | undefined {
    const template = isObject(specOf(cj).jobTemplate) ? (specOf(cj).jobTemplate as JsonObject) : {};
    const meta = isObject(template.metadata) ? template.metadata : {};
    const job: KubeObject = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name,
        namespace: cj.metadata.namespace,
        labels: { ...(isObject(meta.labels) ? (meta.labels as Record<string, string>) : {}) },
        annotations: {
          ...(isObject(meta.annotations) ? (meta.annotations as Record<string, string>) : {}),
          [SCHEDULED_TIMESTAMP]: inZone(scheduled, timeZone),
        },
        ownerReferences: [newControllerRef(cj)],
      },
      spec: structuredClone(template.spec ?? {}),
    };
    try {
      const created = this.kit.create(JOBS, cj.metadata.namespace, job);
      this.kit.event(cj, "Normal", "SuccessfulCreate", `Created job ${name}`);
      return created;
    } catch (e) {
      this.kit.event(cj, "Warning", "FailedCreate", `Error creating job: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Finished Jobs beyond the history limits go, oldest first. */
  private cleanupHistory(cj: KubeObject, jobs: KubeObject[]): void {
    const spec = specOf(cj);
    for (const [kind, limit] of [
      ["Complete", spec.successfulJobsHistoryLimit],
      ["Failed", spec.failedJobsHistoryLimit],
    ] as const) {
      if (typeof limit !== "number") continue;
      const finished = jobs
        .filter((j) => finishedAs(j) === kind && !isTerminating(j))
        .sort((a, b) => {
          const start = (j: KubeObject) =>
            Date.parse(String(statusOf(j).startTime ?? j.metadata.creationTimestamp));
          return start(a) - start(b);
        });
      for (const j of finished.slice(0, Math.max(0, finished.length - limit))) {
        this.kit.tolerate(() => this.kit.delete(JOBS, j, { propagationPolicy: "Background" }));
        this.kit.event(cj, "Normal", "SuccessfulDelete", `Deleted job ${j.metadata.name}`);
      }
    }
  }
}
