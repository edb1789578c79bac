/**
 * The Job controller with a fake kubelet and the real kubectl: a Job runs to completion with the
 * defaults and conditions a real cluster reports; failing pods hit backoffLimit (restartPolicy Never and
 * OnFailure); activeDeadlineSeconds; suspend; ttlSecondsAfterFinished; the pod template is immutable.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import type { JsonObject, KubeObject } from "../../src/devcluster/types.js";
import { call, eventually } from "./helpers.js";
import { findKubectl, Kubectl } from "./kubectl-runner.js";
import { FakeKubelet } from "./support/fake-kubelet.js";
import { condition, list, ownedBy, spec, status } from "./support/workloads.js";

const JOBS = "batch/jobs";
const PODS = "/pods";
const JOBS_PATH = "/apis/batch/v1/namespaces/default/jobs";
const bin = findKubectl();

function job(name: string, image: string, extra: JsonObject = {}, restartPolicy = "Never"): KubeObject {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: "default" },
    spec: {
      ...extra,
      template: { spec: { restartPolicy, containers: [{ name: "migrate", image }] } },
    },
  };
}

const types = (j: KubeObject | undefined) =>
  ((status(j).conditions ?? []) as JsonObject[]).map((c) => `${c.type}=${c.status}/${c.reason}`);

describe("Job controller", () => {
  let c: DevCluster;
  let kubelet: FakeKubelet;

  beforeAll(async () => {
    c = await startDevCluster({ workloadControllers: { jobPodFailureBackoffMs: 100 } });
    kubelet = new FakeKubelet(c, { readyDelayMs: 100, terminationDelayMs: 50 });
  });
  afterAll(async () => {
    kubelet?.stop();
    await c?.stop();
  });

  const get = (name: string) => c.store.get(JOBS, "default", name);
  const podsOf = (name: string) => ownedBy(list(c, PODS), get(name));
  const finished = (name: string) => () => {
    const j = get(name);
    return condition(j, "Complete")?.status === "True" || condition(j, "Failed")?.status === "True"
      ? j
      : undefined;
  };

  it("defaults a Job as the API server does: selector and labels from its own uid", async () => {
    const res = await call(c, "POST", JOBS_PATH, job("defaults", "fake/succeed"));
    expect(res.status).toBe(201);
    const j = res.body;
    const uid = j.metadata.uid;
    expect(j.spec).toMatchObject({
      backoffLimit: 6,
      completionMode: "NonIndexed",
      completions: 1,
      manualSelector: false,
      parallelism: 1,
      podReplacementPolicy: "TerminatingOrFailed",
      suspend: false,
      selector: { matchLabels: { "batch.kubernetes.io/controller-uid": uid } },
    });
    const labels = {
      "batch.kubernetes.io/controller-uid": uid,
      "batch.kubernetes.io/job-name": "defaults",
      "controller-uid": uid,
      "job-name": "defaults",
    };
    expect(j.spec.template.metadata.labels).toEqual(labels);
    expect(j.metadata.labels).toEqual(labels);
  });

  it("runs a Job to completion and reports it as a real cluster does", async () => {
    c.apply(job("migrate", "fake/succeed"));
    const j = await eventually(finished("migrate"), 10_000);
    expect(types(j)).toEqual([
      "SuccessCriteriaMet=True/CompletionsReached",
      "Complete=True/CompletionsReached",
    ]);
    expect(condition(j, "Complete")?.message).toBe("Reached expected number of succeeded pods");
    const s = status(j);
    expect(s).toMatchObject({ succeeded: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {} });
    expect(s.active).toBeUndefined();
    expect(s.failed).toBeUndefined();
    expect(Date.parse(String(s.completionTime))).toBeGreaterThanOrEqual(Date.parse(String(s.startTime)));
    const [pod] = podsOf("migrate");
    expect(pod!.metadata.name).toMatch(/^migrate-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(pod!.metadata.ownerReferences?.[0]).toMatchObject({
      kind: "Job",
      name: "migrate",
      controller: true,
      blockOwnerDeletion: true,
    });
    expect(pod!.metadata.labels?.["job-name"]).toBe("migrate");
  });

  it("fails with BackoffLimitExceeded once more pods failed than backoffLimit allows (restartPolicy Never)", async () => {
    c.apply(job("broken", "fake/fail", { backoffLimit: 2 }));
    const j = await eventually(finished("broken"), 15_000);
    expect(types(j)).toEqual(["FailureTarget=True/BackoffLimitExceeded", "Failed=True/BackoffLimitExceeded"]);
    expect(condition(j, "Failed")?.message).toBe("Job has reached the specified backoff limit");
    expect(status(j).failed).toBe(3);
    expect(status(j).succeeded).toBeUndefined();
    expect(status(j).completionTime).toBeUndefined();
    expect(podsOf("broken")).toHaveLength(3);
  });

  it("counts container restarts against backoffLimit under restartPolicy OnFailure", async () => {
    c.apply(job("crashing", "fake/fail", { backoffLimit: 2 }, "OnFailure"));
    const j = await eventually(finished("crashing"), 15_000);
    expect(types(j)).toEqual(["FailureTarget=True/BackoffLimitExceeded", "Failed=True/BackoffLimitExceeded"]);
    // The pod restarted in place; it is deleted once the Job failed, and was not itself a failure.
    await eventually(() => (podsOf("crashing").length === 0 ? true : undefined), 5000);
  });

  it("fails with DeadlineExceeded after activeDeadlineSeconds, deleting its running pods", async () => {
    c.apply(job("slow", "example/long-running", { activeDeadlineSeconds: 1 }));
    const j = await eventually(finished("slow"), 10_000);
    // Counted from startTime (whole seconds, as the API stores it).
    const ran =
      Date.parse(String(condition(j, "FailureTarget")?.lastTransitionTime)) -
      Date.parse(String(status(j).startTime));
    expect(ran).toBeGreaterThanOrEqual(1000);
    expect(types(j)).toEqual(["FailureTarget=True/DeadlineExceeded", "Failed=True/DeadlineExceeded"]);
    expect(condition(j, "Failed")?.message).toBe("Job was active longer than specified deadline");
    expect(status(j).failed).toBeUndefined();
    await eventually(() => (podsOf("slow").length === 0 ? true : undefined), 5000);
  });

  it("suspends and resumes", async () => {
    c.apply(job("paused", "example/long-running", { suspend: true }));
    const j = await eventually(
      () => (condition(get("paused"), "Suspended")?.status === "True" ? get("paused") : undefined),
      5000,
    );
    expect(condition(j, "Suspended")).toMatchObject({ reason: "JobSuspended", message: "Job suspended" });
    expect(podsOf("paused")).toHaveLength(0);
    expect(status(j).startTime).toBeUndefined();
    const patch = await call(
      c,
      "PATCH",
      `${JOBS_PATH}/paused`,
      { spec: { suspend: false } },
      {
        contentType: "application/merge-patch+json",
      },
    );
    expect(patch.status).toBe(200);
    const resumed = await eventually(
      () => (status(get("paused")).active === 1 ? get("paused") : undefined),
      5000,
    );
    expect(condition(resumed, "Suspended")).toMatchObject({
      status: "False",
      reason: "JobResumed",
      message: "Job resumed",
    });
    expect(status(resumed).startTime).toBeDefined();
  });

  it("deletes a finished Job after ttlSecondsAfterFinished", async () => {
    c.apply(job("ephemeral", "fake/succeed", { ttlSecondsAfterFinished: 1 }));
    await eventually(finished("ephemeral"), 10_000);
    await eventually(() => (get("ephemeral") === undefined ? true : undefined), 10_000);
  });

  it("refuses a change of the pod template: a new version is a new Job", async () => {
    const existing = (await call(c, "GET", `${JOBS_PATH}/migrate`)).body;
    existing.spec.template.spec.containers[0].image = "fake/succeed:2";
    const res = await call(c, "PUT", `${JOBS_PATH}/migrate`, existing);
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(
      /^Job\.batch "migrate" is invalid: spec\.template: Invalid value: .*: field is immutable$/,
    );
  });

  it("refuses a Job whose pods would restart forever", async () => {
    const res = await call(c, "POST", JOBS_PATH, {
      metadata: { name: "forever" },
      spec: { template: { spec: { containers: [{ name: "x", image: "y" }] } } },
    });
    expect(res.status).toBe(422);
    expect(res.body.message).toContain(
      'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    );
  });

  it.skipIf(!bin)("prints jobs as kubectl does", async () => {
    const k = new Kubectl(bin!, c);
    const out = await k.ok(["get", "jobs", "migrate", "broken", "-o", "wide"]);
    const [header, ...rows] = out.trim().split("\n");
    expect(header).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
    expect(rows[0]).toMatch(
      /^migrate\s+Complete\s+1\/1\s+\d+s\s+\d+s\s+migrate\s+fake\/succeed\s+batch\.kubernetes\.io\/controller-uid=[0-9a-f-]+$/,
    );
    expect(rows[1]).toMatch(/^broken\s+Failed\s+0\/1\s+\d+s\s+\d+s\s+migrate\s+fake\/fail\s+/);
    const wait = await k.run(["wait", "--for=condition=complete", "job/migrate", "--timeout=10s"]);
    expect(wait.code, wait.stderr).toBe(0);
    expect(spec(get("migrate")).completions).toBe(1);
  });
});
