/**
 * The CronJob controller on a clock the test moves: Jobs named by their schedule time, concurrency
 * policies, history limits, startingDeadlineSeconds, suspend, time zones, schedule validation, and the
 * kubectl table.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import type { JsonObject, KubeObject } from "../../src/devcluster/types.js";
import { call, eventually } from "./helpers.js";
import { findKubectl, Kubectl } from "./kubectl-runner.js";
import { FakeKubelet } from "./support/fake-kubelet.js";
import { list, ownedBy, status } from "./support/workloads.js";

const CRONJOBS = "batch/cronjobs";
const JOBS = "batch/jobs";
const CRONJOBS_PATH = "/apis/batch/v1/namespaces/default/cronjobs";
const MINUTE = 60_000;
const bin = findKubectl();

function cronJob(name: string, image: string, extra: JsonObject = {}): KubeObject {
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name, namespace: "default" },
    spec: {
      schedule: "* * * * *",
      ...extra,
      jobTemplate: {
        metadata: { labels: { task: name } },
        spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "task", image }] } } },
      },
    },
  };
}

describe("CronJob controller", () => {
  let c: DevCluster;
  let kubelet: FakeKubelet;
  let now = Date.now();

  beforeAll(async () => {
    c = await startDevCluster({ workloadControllers: { clock: () => now } });
    kubelet = new FakeKubelet(c, { readyDelayMs: 20, terminationDelayMs: 20 });
  });
  afterAll(async () => {
    kubelet?.stop();
    await c?.stop();
  });

  const get = (name: string) => c.store.get(CRONJOBS, "default", name);
  const jobsOf = (name: string) => ownedBy(list(c, JOBS), get(name));
  /** Moves the clock to `seconds` past the next minute boundary and lets the controller look. */
  const tick = (seconds = 5) => {
    now = (Math.floor(now / MINUTE) + 1) * MINUTE + seconds * 1000;
    c.workloads!.resync();
  };
  const complete = (j: KubeObject) =>
    ((status(j).conditions ?? []) as JsonObject[]).some((x) => x.type === "Complete" && x.status === "True");

  it("creates a Job named by its schedule time for the most recent time, and records it", async () => {
    c.apply(cronJob("report", "fake/succeed"));
    tick();
    const [job] = await eventually(
      () => (jobsOf("report").length === 1 ? jobsOf("report") : undefined),
      5000,
    );
    const scheduled = Math.floor(now / MINUTE) * MINUTE;
    expect(job!.metadata.name).toBe(`report-${scheduled / MINUTE}`);
    expect(job!.metadata.labels).toMatchObject({ task: "report" });
    expect(job!.metadata.annotations?.["batch.kubernetes.io/cronjob-scheduled-timestamp"]).toBe(
      new Date(scheduled).toISOString().replace(".000", ""),
    );
    expect(job!.metadata.ownerReferences?.[0]).toMatchObject({
      kind: "CronJob",
      name: "report",
      controller: true,
    });
    const cj = await eventually(
      () => (status(get("report")).lastSuccessfulTime ? get("report") : undefined),
      5000,
    );
    expect(status(cj).lastScheduleTime).toBe(new Date(scheduled).toISOString().replace(".000", ""));
    expect(status(cj).active).toBeUndefined();
  });

  it("Forbid skips a run while the previous Job is active; Replace replaces it", async () => {
    c.apply(cronJob("forbid", "example/long-running", { concurrencyPolicy: "Forbid" }));
    c.apply(cronJob("replace", "example/long-running", { concurrencyPolicy: "Replace" }));
    tick();
    await eventually(
      () => (jobsOf("forbid").length === 1 && jobsOf("replace").length === 1 ? true : undefined),
      5000,
    );
    const firstReplace = jobsOf("replace")[0]!.metadata.name;
    await eventually(
      () => ((status(get("forbid")).active as unknown[] | undefined)?.length === 1 ? true : undefined),
      5000,
    );
    tick();
    const replaced = await eventually(() => {
      const names = jobsOf("replace")
        .filter((j) => !j.metadata.deletionTimestamp)
        .map((j) => j.metadata.name);
      return names.length === 1 && names[0] !== firstReplace ? names : undefined;
    }, 5000);
    expect(replaced[0]).toBe(`replace-${Math.floor(now / MINUTE)}`);
    expect(jobsOf("forbid")).toHaveLength(1);
    const active = status(get("replace")).active as JsonObject[];
    expect(active).toEqual([
      expect.objectContaining({ kind: "Job", name: replaced[0], apiVersion: "batch/v1" }),
    ]);
  });

  it("keeps successfulJobsHistoryLimit finished Jobs", async () => {
    c.apply(cronJob("history", "fake/succeed", { successfulJobsHistoryLimit: 1 }));
    for (let run = 1; run <= 3; run++) {
      tick();
      await eventually(
        () =>
          jobsOf("history").some(
            (j) => j.metadata.name === `history-${Math.floor(now / MINUTE)}` && complete(j),
          )
            ? true
            : undefined,
        5000,
      );
    }
    // The completion of the last run is itself a change the controller sees: it prunes the older ones.
    const names = await eventually(() => {
      const left = jobsOf("history").filter((j) => !j.metadata.deletionTimestamp && complete(j));
      return left.length === 1 ? left.map((j) => j.metadata.name) : undefined;
    }, 5000);
    expect(names).toEqual([`history-${Math.floor(now / MINUTE)}`]);
  });

  it("does not start a run missed by more than startingDeadlineSeconds, nor any while suspended", async () => {
    c.apply(cronJob("late", "fake/succeed", { startingDeadlineSeconds: 10 }));
    c.apply(cronJob("off", "fake/succeed", { suspend: true }));
    tick(30);
    await new Promise((r) => setTimeout(r, 300));
    expect(jobsOf("late")).toHaveLength(0);
    expect(jobsOf("off")).toHaveLength(0);
    tick(2);
    await eventually(() => (jobsOf("late").length === 1 ? true : undefined), 5000);
    expect(jobsOf("off")).toHaveLength(0);
  });

  it("evaluates the schedule in spec.timeZone", async () => {
    c.apply(cronJob("tokyo", "fake/succeed", { schedule: "0 9 * * *", timeZone: "Asia/Tokyo" }));
    // 09:00 in Tokyo is 00:00 UTC.
    const midnight = (Math.floor(now / 86_400_000) + 1) * 86_400_000;
    now = midnight + 5000;
    c.workloads!.resync();
    const [job] = await eventually(() => (jobsOf("tokyo").length === 1 ? jobsOf("tokyo") : undefined), 5000);
    const day = new Date(midnight).toISOString().slice(0, 10);
    expect(job!.metadata.annotations?.["batch.kubernetes.io/cronjob-scheduled-timestamp"]).toBe(
      `${day}T09:00:00+09:00`,
    );
  });

  it("refuses invalid schedules and time zones with the API server's messages", async () => {
    const bad = async (extra: JsonObject) =>
      (
        await call(c, "POST", CRONJOBS_PATH, {
          ...cronJob("bad", "x"),
          spec: { ...(cronJob("bad", "x").spec as JsonObject), ...extra },
        })
      ).body;
    expect((await bad({ schedule: "* * *" })).message).toContain(
      'spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]',
    );
    expect((await bad({ schedule: "TZ=UTC * * * * *" })).message).toContain(
      "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
    );
    expect((await bad({ timeZone: "Mars/Olympus" })).message).toContain(
      'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
    );
    const ok = await call(c, "POST", CRONJOBS_PATH, {
      ...cronJob("hourly", "x"),
      spec: { ...(cronJob("hourly", "x").spec as JsonObject), schedule: "@hourly" },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.spec).toMatchObject({
      concurrencyPolicy: "Allow",
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
  });

  it.skipIf(!bin)("prints cronjobs as kubectl does", async () => {
    const k = new Kubectl(bin!, c);
    const out = await k.ok(["get", "cronjobs", "report", "tokyo", "off"]);
    const [header, ...rows] = out.trim().split("\n");
    expect(header).toMatch(/^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/);
    expect(rows[0]).toMatch(/^report\s+\* \* \* \* \*\s+<none>\s+False\s+0\s+\S+\s+\S+$/);
    expect(rows[1]).toMatch(/^tokyo\s+0 9 \* \* \*\s+Asia\/Tokyo\s+False\s+0\s+/);
    expect(rows[2]).toMatch(/^off\s+\* \* \* \* \*\s+<none>\s+True\s+0\s+<none>\s+/);
  });
});
