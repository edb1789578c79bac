/**
 * Migrations before rollout, on the embedded API server with the workload simulator (whose Jobs
 * finish after its delay, or fail or wait when a test says so): a new version's Job runs before any
 * workload of the app moves; a failed one leaves the running version alone and says why; a fixed spec
 * starts a new Job; old Jobs are cleaned up; a converged WebApp costs no writes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  condition,
  createNamespace,
  type Env,
  mergePatch,
  startEnv,
  startOperator,
  waitFor,
  waitReady,
  webappManifest,
} from "../../hack/lib/operator-env.js";
import { MIGRATION_JOBS_KEPT } from "../../src/controller/version-gate.js";
import { WEBAPP_TYPE } from "../../src/controller/webapp-controller.js";
import { isNotFound } from "../../src/kube/errors.js";
import { Kinds, type KubeObject, resourcePath } from "../../src/kube/resources.js";
import { APP_VERSION_ANNOTATION, CHILD_KINDS, render } from "../../src/render/index.js";
import type { Manager } from "../../src/runtime/manager.js";
import { validWebApp } from "../fixtures/webapps.js";

// biome-ignore lint/suspicious/noExplicitAny: tests read deep into arbitrary object shapes
type Obj = KubeObject & Record<string, any>;

const image = (tag: string) => `registry.example.com/shop:${tag}`;
function spec(tag: string) {
  return {
    app: {
      image: image(tag),
      module: "shop.wsgi:application",
      replicas: 2,
      migrate: { command: ["python", "manage.py", "migrate", "--noinput"] },
    },
    web: {},
    static: { fromImage: { path: "/app/static" } },
    workers: [{ name: "celery", command: ["celery", "-A", "shop", "worker"] }],
    cronJobs: [{ name: "report", schedule: "@daily", command: ["python", "manage.py", "report"] }],
  };
}
/** The app version of a tag, and its Job's name (the same in every namespace). */
const versionOf = (tag: string) => render(validWebApp(spec(tag))).appVersion!;
const jobOf = (tag: string) => `shop-migrate-${versionOf(tag)}`;

let env: Env;
let operator: Manager;

beforeAll(async () => {
  env = await startEnv();
  operator = await startOperator(env);
});
afterEach(() => env.dc.simulator.setJobOutcome(() => "succeed"));
afterAll(async () => {
  await operator?.stop();
  await env?.stop();
});

async function get(kind: keyof typeof CHILD_KINDS, ns: string, name: string): Promise<Obj | undefined> {
  return (env.client.get(CHILD_KINDS[kind], ns, name) as Promise<Obj>).catch((err) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
}

const webapp = (ns: string) => env.client.get(WEBAPP_TYPE, ns, "shop") as Promise<Obj>;
const setTag = (ns: string, tag: string) =>
  mergePatch(env, resourcePath(WEBAPP_TYPE, ns, "shop"), { spec: { app: { image: image(tag) } } });
const imageOf = (d: Obj | undefined) => d?.spec.template.spec.containers[0].image;
const jobs = async (ns: string) => (await env.client.list(CHILD_KINDS.Job, ns)).items as Obj[];
const jobCondition = (j: Obj | undefined, type: string) =>
  (j?.status?.conditions ?? []).some(
    (c: { type: string; status: string }) => c.type === type && c.status === "True",
  );

/** Every workload that runs the app's code, by the image it runs. */
async function workloadImages(ns: string) {
  const cron = await get("CronJob", ns, "shop-cron-report");
  return {
    app: imageOf(await get("Deployment", ns, "shop-app")),
    web: (await get("Deployment", ns, "shop-web"))?.spec.template.spec.initContainers[0].image,
    worker: imageOf(await get("Deployment", ns, "shop-worker-celery")),
    cron: cron?.spec.jobTemplate.spec.template.spec.containers[0].image,
  };
}

async function install(ns: string, tag: string): Promise<void> {
  await createNamespace(env, ns);
  await env.client.create(WEBAPP_TYPE, ns, webappManifest(ns, "shop", spec(tag)));
}

describe("first install", () => {
  it("starts the app, its workers, scheduled jobs and NGINX only after the first migration succeeded", async () => {
    env.dc.simulator.setJobOutcome(() => "wait");
    await install("first", "1.0.0");
    const job = await waitFor(() => get("Job", "first", jobOf("1.0.0")), {
      message: "the first migration Job",
    });
    expect(job.spec.template.spec.containers[0]).toMatchObject({
      image: image("1.0.0"),
      command: ["python", "manage.py", "migrate", "--noinput"],
    });
    const migrating = await waitFor(
      async () => {
        const wa = await webapp("first");
        return condition(wa, "Progressing")?.reason === "Migrating" ? wa : undefined;
      },
      { message: "Progressing=True Migrating" },
    );
    expect(condition(migrating, "Ready")).toMatchObject({ status: "False", reason: "Migrating" });
    expect(migrating.status.migration).toEqual({
      version: versionOf("1.0.0"),
      job: jobOf("1.0.0"),
      state: "Running",
    });
    // What does not run the app's code is there; what does waits.
    expect(await get("Service", "first", "shop-app")).toBeDefined();
    expect(await get("ConfigMap", "first", "shop-nginx")).toBeDefined();
    expect(await workloadImages("first")).toEqual({
      app: undefined,
      web: undefined,
      worker: undefined,
      cron: undefined,
    });

    env.dc.simulator.setJobOutcome(() => "succeed");
    const ready = (await waitReady(env, "first", "shop")) as Obj;
    expect(await workloadImages("first")).toEqual({
      app: image("1.0.0"),
      web: image("1.0.0"),
      worker: image("1.0.0"),
      cron: image("1.0.0"),
    });
    expect(
      (await get("Deployment", "first", "shop-app"))!.metadata.annotations![APP_VERSION_ANNOTATION],
    ).toBe(versionOf("1.0.0"));
    expect(ready.status.migration).toMatchObject({ state: "Succeeded", runningVersion: versionOf("1.0.0") });
    expect(ready.status.workers).toEqual([expect.objectContaining({ name: "celery", ready: "1/1" })]);
  });
});

describe("a new version", () => {
  it("creates its Job and leaves every workload of the app as it is until the Job is Complete, then rolls them", async () => {
    await install("rollout", "1.0.0");
    await waitReady(env, "rollout", "shop");
    const before = (await get("Deployment", "rollout", "shop-app"))!;

    env.dc.simulator.setJobOutcome(() => "wait");
    await setTag("rollout", "2.0.0");
    await waitFor(() => get("Job", "rollout", jobOf("2.0.0")), { message: "the new version's Job" });
    await waitFor(async () => condition(await webapp("rollout"), "Progressing")?.reason === "Migrating", {
      message: "Migrating",
    });
    // Several resyncs later, still nothing of the app has moved.
    await new Promise((r) => setTimeout(r, 2500));
    const held = (await get("Deployment", "rollout", "shop-app"))!;
    expect(held.metadata.generation).toBe(before.metadata.generation);
    expect(held.metadata.annotations![APP_VERSION_ANNOTATION]).toBe(versionOf("1.0.0"));
    expect(await workloadImages("rollout")).toEqual({
      app: image("1.0.0"),
      web: image("1.0.0"),
      worker: image("1.0.0"),
      cron: image("1.0.0"),
    });
    expect(condition(await webapp("rollout"), "Progressing")?.message).toContain(
      `the app keeps running version ${versionOf("1.0.0")}`,
    );

    env.dc.simulator.setJobOutcome(() => "succeed");
    await waitReady(env, "rollout", "shop");
    const rolled = (await get("Deployment", "rollout", "shop-app"))!;
    expect(rolled.metadata.generation).toBeGreaterThan(before.metadata.generation!);
    expect(rolled.metadata.annotations![APP_VERSION_ANNOTATION]).toBe(versionOf("2.0.0"));
    expect(await workloadImages("rollout")).toEqual({
      app: image("2.0.0"),
      web: image("2.0.0"),
      worker: image("2.0.0"),
      cron: image("2.0.0"),
    });
  });

  it("a change that is not a new version (replicas) rolls out at once, without a Job", async () => {
    await install("replicas", "1.0.0");
    await waitReady(env, "replicas", "shop");
    const before = await jobs("replicas");
    await mergePatch(env, resourcePath(WEBAPP_TYPE, "replicas", "shop"), { spec: { app: { replicas: 3 } } });
    await waitFor(async () => (await get("Deployment", "replicas", "shop-app"))?.spec.replicas === 3, {
      message: "3 replicas",
    });
    await waitReady(env, "replicas", "shop");
    expect((await jobs("replicas")).map((j) => j.metadata.name)).toEqual(before.map((j) => j.metadata.name));
  });
});

describe("a failed migration", () => {
  it("leaves the running version untouched, Degraded and Stalled with the Job's reason; a fixed spec starts a new Job", async () => {
    await install("failing", "1.0.0");
    await waitReady(env, "failing", "shop");
    const before = (await get("Deployment", "failing", "shop-app"))!;

    env.dc.simulator.setJobOutcome((j) => (j.metadata.name === jobOf("2.0.0-broken") ? "fail" : "succeed"));
    await setTag("failing", "2.0.0-broken");
    const failed = await waitFor(
      async () => {
        const wa = await webapp("failing");
        return condition(wa, "Degraded")?.reason === "MigrationFailed" ? wa : undefined;
      },
      { message: "Degraded=True MigrationFailed" },
    );
    expect(condition(failed, "Degraded")?.status).toBe("True");
    expect(condition(failed, "Stalled")).toMatchObject({ status: "True", reason: "NeedsAttention" });
    expect(condition(failed, "Ready")).toMatchObject({ status: "False", reason: "MigrationFailed" });
    expect(condition(failed, "Progressing")).toMatchObject({ status: "False", reason: "MigrationFailed" });
    const message = condition(failed, "Degraded")!.message;
    expect(message).toContain(`Migration Job ${jobOf("2.0.0-broken")}`);
    expect(message).toContain("BackoffLimitExceeded");
    expect(message).toContain(`kubectl logs -n failing job/${jobOf("2.0.0-broken")}`);
    expect(message).toContain(`the app keeps running version ${versionOf("1.0.0")}`);
    expect(failed.status.migration).toMatchObject({ state: "Failed", runningVersion: versionOf("1.0.0") });
    // The old version serves on, untouched, and waiting for a person costs no writes; the failed Job
    // stays for its logs.
    const reconciles0 = operator.stats.reconciles;
    env.dc.stats.reset();
    await new Promise((r) => setTimeout(r, 2500));
    expect(operator.stats.reconciles - reconciles0).toBeGreaterThanOrEqual(2);
    expect(env.dc.stats.snapshot().writes, JSON.stringify(env.dc.stats.snapshot().byVerb)).toBe(0);
    const after = (await get("Deployment", "failing", "shop-app"))!;
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(imageOf(after)).toBe(image("1.0.0"));
    expect(jobCondition(await get("Job", "failing", jobOf("2.0.0-broken")), "Failed")).toBe(true);
    const events = (await env.client.list(Kinds.Event, "failing")).items as Obj[];
    expect(events.filter((e) => e.reason === "MigrationFailed").map((e) => e.type)).toEqual(["Warning"]);

    await setTag("failing", "2.0.1");
    await waitReady(env, "failing", "shop");
    expect(imageOf(await get("Deployment", "failing", "shop-app"))).toBe(image("2.0.1"));
    expect(jobCondition(await get("Job", "failing", jobOf("2.0.1")), "Complete")).toBe(true);
    expect(await get("Job", "failing", jobOf("2.0.0-broken")), "the failed Job is kept").toBeDefined();
  });
});

describe("old Jobs", () => {
  it(`are cleaned up: the current version's and the ${MIGRATION_JOBS_KEPT} newest others stay`, async () => {
    await install("history", "1.0.0");
    await waitReady(env, "history", "shop");
    for (const tag of ["1.0.1", "1.0.2", "1.0.3", "1.0.4", "1.0.5"]) {
      // Creation times have whole seconds (Jobs of one second are all kept): one version per second.
      const second = new Date().toISOString().slice(0, 19);
      await waitFor(() => new Date().toISOString().slice(0, 19) !== second, { message: "the next second" });
      await setTag("history", tag);
      await waitReady(env, "history", "shop");
    }
    const kept = await waitFor(
      async () => {
        const names = (await jobs("history")).map((j) => j.metadata.name).sort();
        return names.length === MIGRATION_JOBS_KEPT + 1 ? names : undefined;
      },
      { message: "old Jobs deleted" },
    );
    expect(kept).toEqual(["1.0.2", "1.0.3", "1.0.4", "1.0.5"].map(jobOf).sort());
  });
});

describe("steady state", () => {
  it("makes no writes over three resync periods, with a migration, workers and scheduled jobs", async () => {
    await install("steady", "1.0.0");
    await waitReady(env, "steady", "shop");
    await new Promise((r) => setTimeout(r, 1000));
    const reconciles0 = operator.stats.reconciles;
    env.dc.stats.reset();
    await new Promise((r) => setTimeout(r, 3 * 1000 + 500));
    const snap = env.dc.stats.snapshot();
    expect(operator.stats.reconciles - reconciles0).toBeGreaterThanOrEqual(3);
    expect(snap.writes, JSON.stringify(snap.byVerb)).toBe(0);
  });
});
