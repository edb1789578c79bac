/** The version gate's pure rules: the running version, the migration's state, what to apply now. */
import { describe, expect, it } from "vitest";
import type { WebApp } from "../../src/api/index.js";
import { childId } from "../../src/controller/ownership.js";
import {
  jobOutcome,
  MIGRATION_JOBS_KEPT,
  migrationOf,
  planRollout,
  runningApp,
} from "../../src/controller/version-gate.js";
import {
  APP_VERSION_ANNOTATION,
  type KubeObject,
  type RenderResult,
  render,
} from "../../src/render/index.js";
import { validWebApp } from "../fixtures/webapps.js";

// biome-ignore lint/suspicious/noExplicitAny: tests read deep into plain objects
type Any = any;

const v1 = "registry.example.com/shop:1.0.0";
const v2 = "registry.example.com/shop:2.0.0";

function spec(image: string, more: Record<string, unknown> = {}) {
  return {
    app: {
      image,
      module: "shop.wsgi:application",
      env: [{ name: "MODE", value: image.endsWith("1.0.0") ? "one" : "two" }],
      replicas: 2,
      migrate: { command: ["python", "manage.py", "migrate"] },
    },
    web: {},
    static: { fromImage: { path: "/app/staticfiles" } },
    workers: [{ name: "celery", command: ["celery", "worker"] }],
    cronJobs: [{ name: "report", schedule: "@daily", command: ["report"] }],
    ...more,
  };
}

/** The live objects of a render, as the API server would hold them after it was applied. */
function applied(rendered: RenderResult, created = "2025-01-01T00:00:00Z"): Map<string, KubeObject> {
  const out = new Map<string, KubeObject>();
  for (const c of rendered.children) {
    const obj = structuredClone(c.object);
    obj.metadata.creationTimestamp = created;
    out.set(childId(obj), obj);
  }
  return out;
}

function job(name: string, version: string, conditions: string[] = [], created = "2025-01-01T00:00:00Z") {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name,
      namespace: "store",
      creationTimestamp: created,
      labels: { "app.kubernetes.io/component": "migrate", "webapp-operator.dev/app-version": version },
    },
    status: {
      conditions: conditions.map((type) => ({
        type,
        status: "True",
        reason: `${type}Reason`,
        message: `${type} message`,
      })),
    },
  } as KubeObject;
}

function migrationPod(version: string, phase: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `pod-${version}`,
      namespace: "store",
      labels: { "app.kubernetes.io/component": "migrate", "webapp-operator.dev/app-version": version },
    },
    status: { phase },
  };
}

function plan(
  webapp: WebApp,
  live: Map<string, KubeObject>,
  jobs: KubeObject[] = [],
  pods: KubeObject[] = [],
) {
  const rendered = render(webapp);
  return planRollout({
    webapp,
    rendered,
    appDeployment: live.get("Deployment/store/shop-app"),
    jobs,
    pods,
    live: (c) => live.get(childId(c.object)),
  });
}

const names = (children: { object: KubeObject }[]) => children.map((c) => childId(c.object)).sort();
const get = (children: { object: KubeObject }[], id: string): Any =>
  children.find((c) => childId(c.object) === id)?.object;

describe("runningApp", () => {
  it("reads the version from the app Deployment's annotation and the inputs from its app container", () => {
    const live = applied(render(validWebApp(spec(v1))));
    const deployment = live.get("Deployment/store/shop-app")!;
    expect(runningApp(deployment)).toEqual({
      version: render(validWebApp(spec(v1))).appVersion,
      image: v1,
      // As the container has it: with the writable HOME the render adds (rendering it again keeps it once).
      env: [
        { name: "HOME", value: "/tmp" },
        { name: "MODE", value: "one" },
      ],
      envFrom: [],
    });
    const { [APP_VERSION_ANNOTATION]: _, ...rest } = deployment.metadata.annotations!;
    expect(
      runningApp({ ...deployment, metadata: { ...deployment.metadata, annotations: rest } })?.version,
    ).toBeUndefined();
    expect(runningApp(undefined)).toBeUndefined();
    expect(
      runningApp({ ...deployment, metadata: { ...deployment.metadata, deletionTimestamp: "now" } }),
    ).toBeUndefined();
  });
});

describe("jobOutcome", () => {
  it("Complete is success, Failed is failure with its reason; anything else still runs", () => {
    expect(jobOutcome(job("j", "v", ["SuccessCriteriaMet", "Complete"])).state).toBe("Succeeded");
    expect(jobOutcome(job("j", "v", ["FailureTarget", "Failed"]))).toEqual({
      state: "Failed",
      reason: "FailedReason",
      message: "Failed message",
    });
    // The verdict is in, but its pods are still stopping: not finished yet.
    expect(jobOutcome(job("j", "v", ["SuccessCriteriaMet"])).state).toBe("Running");
    expect(jobOutcome(job("j", "v")).state).toBe("Running");
  });
});

describe("migrationOf", () => {
  const old = render(validWebApp(spec(v1)));
  const next = render(validWebApp(spec(v2)));
  const running = runningApp(applied(old).get("Deployment/store/shop-app"));
  const jobName = `shop-migrate-${next.appVersion}`;

  it("none without spec.app.migrate", () => {
    const { migrate: _, ...app } = spec(v2).app;
    expect(migrationOf(render(validWebApp({ ...spec(v2), app })), running, [], [])).toBeUndefined();
  });

  it("succeeded when the app already runs the version, or once its Job completed", () => {
    expect(migrationOf(old, running, [], [])?.state).toBe("Succeeded");
    expect(migrationOf(next, running, [job(jobName, next.appVersion!, ["Complete"])], [])).toMatchObject({
      state: "Succeeded",
      version: next.appVersion,
      runningVersion: old.appVersion,
      job: jobName,
    });
  });

  it("running while its Job is missing (created now) or active; failed with the Job's reason", () => {
    expect(migrationOf(next, running, [], [])?.state).toBe("Running");
    expect(migrationOf(next, running, [job(jobName, next.appVersion!)], [])?.state).toBe("Running");
    expect(migrationOf(next, running, [job(jobName, next.appVersion!, ["Failed"])], [])).toMatchObject({
      state: "Failed",
      failure: { reason: "FailedReason", message: "Failed message" },
    });
  });

  it("waits for an earlier migration whose container runs; cancels one that never got to run", () => {
    const earlier = job("shop-migrate-earlier", "earlier");
    expect(migrationOf(next, running, [earlier], [migrationPod("earlier", "Running")])).toMatchObject({
      state: "Waiting",
      waitingFor: "shop-migrate-earlier",
    });
    expect(migrationOf(next, running, [earlier], [migrationPod("earlier", "Pending")])).toMatchObject({
      state: "Running",
      cancelled: ["shop-migrate-earlier"],
    });
    const finished = job("shop-migrate-earlier", "earlier", ["Failed"]);
    expect(migrationOf(next, running, [finished], [migrationPod("earlier", "Running")])).toMatchObject({
      state: "Running",
      cancelled: [],
    });
  });
});

describe("planRollout", () => {
  it("first install: what does not run the app's code, and the Job; the app and its processes after it", () => {
    const webapp = validWebApp(spec(v1));
    const p = plan(webapp, new Map());
    const version = render(webapp).appVersion;
    expect(names(p.apply)).toEqual(
      [
        `Job/store/shop-migrate-${version}`,
        "NetworkPolicy/store/shop-app",
        "PodDisruptionBudget/store/shop-app",
        "PodDisruptionBudget/store/shop-web",
        "Service/store/shop",
        "Service/store/shop-app",
        "ConfigMap/store/shop-nginx",
      ].sort(),
    );
    expect(p.migration).toMatchObject({ state: "Running", version });
    expect(p.migration).not.toHaveProperty("runningVersion");
  });

  it("a new version: the Job, and every live workload of the app at the running version", () => {
    const old = render(validWebApp(spec(v1)));
    const live = applied(old);
    // A replica change and a new worker come with the new image.
    const webapp = validWebApp(
      spec(v2, {
        workers: [
          { name: "celery", command: ["celery", "worker"], replicas: 4 },
          { name: "beat", command: ["celery", "beat"], singleton: true },
        ],
      }),
    );
    const next = render(webapp);
    const p = plan(webapp, live);
    expect(p.migration).toMatchObject({
      state: "Running",
      version: next.appVersion,
      runningVersion: old.appVersion,
    });
    expect(get(p.apply, `Job/store/shop-migrate-${next.appVersion}`)).toEqual(
      next.children.find((c) => c.role === "migration-job")!.object,
    );
    const appDeployment = get(p.apply, "Deployment/store/shop-app");
    expect(appDeployment).toEqual(old.children.find((c) => c.role === "app-deployment")!.object);
    expect(appDeployment.metadata.annotations[APP_VERSION_ANNOTATION]).toBe(old.appVersion);
    const web = get(p.apply, "Deployment/store/shop-web");
    expect(web.spec.template.spec.initContainers[0].image).toBe(v1);
    const celery = get(p.apply, "Deployment/store/shop-worker-celery");
    expect(celery.spec.template.spec.containers[0]).toMatchObject({
      image: v1,
      env: [
        { name: "HOME", value: "/tmp" },
        { name: "MODE", value: "one" },
      ],
    });
    expect(celery.spec.replicas).toBe(4);
    expect(
      get(p.apply, "CronJob/store/shop-cron-report").spec.jobTemplate.spec.template.spec.containers[0].image,
    ).toBe(v1);
    // A worker that does not exist yet starts with the new version, after the migration.
    expect(get(p.apply, "Deployment/store/shop-worker-beat")).toBeUndefined();
    expect(p.keep).toEqual([]);
  });

  it("an app deployed before it had a migration runs no known version until its first migration", () => {
    const { migrate: _, ...app } = spec(v1).app;
    const live = applied(render(validWebApp({ ...spec(v1), app })));
    // Adding the migration is itself a new version; the held Deployment claims none it never ran.
    const webapp = validWebApp(spec(v1));
    const p = plan(webapp, live);
    expect(p.migration).toMatchObject({ state: "Running", version: render(webapp).appVersion });
    expect(p.migration).not.toHaveProperty("runningVersion");
    const held = get(p.apply, "Deployment/store/shop-app");
    expect(held.metadata.annotations?.[APP_VERSION_ANNOTATION]).toBeUndefined();
    expect(held.spec).toEqual(live.get("Deployment/store/shop-app")!.spec);
  });

  it("the Job completed: the render as it is, the Job kept", () => {
    const live = applied(render(validWebApp(spec(v1))));
    const webapp = validWebApp(spec(v2));
    const next = render(webapp);
    const done = job(`shop-migrate-${next.appVersion}`, next.appVersion!, ["Complete"]);
    const p = plan(webapp, live, [done]);
    expect(p.migration?.state).toBe("Succeeded");
    expect(p.apply.map((c) => c.object)).toEqual(
      next.children.filter((c) => c.role !== "migration-job").map((c) => c.object),
    );
    expect(p.keep).toEqual([done]);
  });

  it("the Job failed: the running version stays and the Job is neither applied again nor removed", () => {
    const old = render(validWebApp(spec(v1)));
    const webapp = validWebApp(spec(v2));
    const next = render(webapp);
    const failed = job(`shop-migrate-${next.appVersion}`, next.appVersion!, ["Failed"]);
    const p = plan(webapp, applied(old), [failed]);
    expect(p.migration?.state).toBe("Failed");
    expect(p.apply.filter((c) => c.object.kind === "Job")).toEqual([]);
    expect(get(p.apply, "Deployment/store/shop-app")).toEqual(
      old.children.find((c) => c.role === "app-deployment")!.object,
    );
    expect(p.keep).toEqual([failed]);
  });

  it("waiting for an earlier migration: its Job is not created yet", () => {
    const webapp = validWebApp(spec(v2));
    const earlier = job("shop-migrate-earlier", "earlier");
    const p = plan(
      webapp,
      applied(render(validWebApp(spec(v1)))),
      [earlier],
      [migrationPod("earlier", "Running")],
    );
    expect(p.migration?.state).toBe("Waiting");
    expect(p.apply.filter((c) => c.object.kind === "Job")).toEqual([]);
    expect(p.keep).toEqual([earlier]);
  });

  it(`keeps the desired version's Job and the ${MIGRATION_JOBS_KEPT} newest others; a cancelled one goes`, () => {
    const webapp = validWebApp(spec(v2));
    const next = render(webapp);
    const history = [1, 2, 3, 4, 5].map((day) =>
      job(`shop-migrate-old${day}`, `old${day}`, ["Complete"], `2025-01-0${day}T00:00:00Z`),
    );
    const own = job(`shop-migrate-${next.appVersion}`, next.appVersion!, [], "2024-12-01T00:00:00Z");
    const p = plan(webapp, applied(render(validWebApp(spec(v1)))), [...history, own]);
    expect(p.keep.map((j) => j.metadata.name)).toEqual([
      own.metadata.name,
      "shop-migrate-old5",
      "shop-migrate-old4",
      "shop-migrate-old3",
    ]);
    // Creation times have whole seconds: one created in the same second as the oldest kept stays too.
    const twin = job("shop-migrate-twin", "twin", ["Complete"], "2025-01-03T00:00:00Z");
    const tied = plan(webapp, applied(render(validWebApp(spec(v1)))), [...history, twin, own]);
    expect(tied.keep.map((j) => j.metadata.name).sort()).toEqual(
      [
        own.metadata.name,
        "shop-migrate-old5",
        "shop-migrate-old4",
        "shop-migrate-old3",
        "shop-migrate-twin",
      ].sort(),
    );
    const stuck = job("shop-migrate-stuck", "stuck", [], "2025-02-01T00:00:00Z");
    const cancelling = plan(webapp, applied(render(validWebApp(spec(v1)))), [...history, stuck]);
    expect(cancelling.migration?.cancelled).toEqual(["shop-migrate-stuck"]);
    expect(cancelling.keep.map((j) => j.metadata.name)).not.toContain("shop-migrate-stuck");
  });

  it("without a migration everything applies at once, and earlier migration Jobs go", () => {
    const { migrate: _, ...app } = spec(v2).app;
    const webapp = validWebApp({ ...spec(v2), app });
    const earlier = job("shop-migrate-earlier", "earlier", ["Complete"]);
    const p = plan(webapp, applied(render(validWebApp(spec(v1)))), [earlier]);
    expect(p.migration).toBeUndefined();
    expect(p.apply.map((c) => c.object)).toEqual(render(webapp).objects);
    expect(p.keep).toEqual([]);
  });
});
