// The Django example on the node agent, every pod a real process: its migration Job runs before any
// pod of the app, and its worker keeps a heartbeat in the database. Under steady load, a new version
// whose code needs a new migration rolls out only after that migration ran, with 0 failed requests;
// a version whose migration fails never starts, and the old pods keep serving, again with 0 failures.
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DATA_PLANE_REQUIREMENTS } from "../../hack/lib/harness/index.js";
import { httpRequest } from "../../hack/lib/http.js";
import {
  condition,
  type Env,
  mergePatch,
  startOperator,
  waitFor,
  waitReady,
} from "../../hack/lib/operator-env.js";
import { dataPlaneAvailability } from "../../hack/lib/tools.js";
import { startDevEnvironment } from "../../src/cli/dev/environment.js";
import { WEBAPP_TYPE } from "../../src/controller/webapp-controller.js";
import type { KubeObject } from "../../src/kube/resources.js";
import { resourcePath } from "../../src/kube/resources.js";
import type { Manager } from "../../src/runtime/manager.js";
import { parseYamlStream } from "../../src/util/yaml.js";
import { findKubectl, Kubectl } from "../devcluster/kubectl-runner.js";
import { listenersIn } from "../devcluster/node/node-helpers.js";
import { ROOT } from "../fixtures/webapps.js";
import { startLoad } from "./support/steady-load.js";

// Real processes on a shared 2-core machine: each wait below has its own generous deadline.
vi.setConfig({ testTimeout: 400_000, hookTimeout: 180_000 });

const availability = dataPlaneAvailability(
  "the Django example's migrations on the node agent (test/e2e/migrations-node.test.ts)",
  DATA_PLANE_REQUIREMENTS,
);

// biome-ignore lint/suspicious/noExplicitAny: tests read deep into plain objects
type Any = any;

const NS = "shop";
const NAME = "django-shop";
const REPOSITORY = "registry.example.com/django-shop";
/** The example's own version, the next one (a new migration), and one whose migration fails. */
const FIRST = "2.3.1";
const NEXT = "2.4.0";
const BROKEN = "2.5.0";
const HOST = { Host: "shop.example.com" };
/** Pod addresses come from 127.63.0.0/16, Service addresses from 127.64.0.0/16: no other test file's. */
const POD_OCTET = 63;
const APPS = join(ROOT, "examples", "apps");
const VERSIONS = join(ROOT, "test", "e2e", "fixtures", "django-versions");

/** The Django sample at a later version: the example's files with each version's changes laid over. */
function djangoAt(dir: string, changes: string[]): string {
  cpSync(join(APPS, "django"), dir, {
    recursive: true,
    filter: (src) => !/(^|\/)(staticfiles|media|__pycache__)$/.test(src),
  });
  for (const change of changes) cpSync(join(VERSIONS, change), dir, { recursive: true });
  return dir;
}

/** The examples' image map, with the Django image's later tags standing for those folders. */
function imageMap(work: string): Record<string, unknown> {
  const [doc] = parseYamlStream(readFileSync(join(APPS, "image-map.yaml"), "utf8")) as Any[];
  for (const image of doc.images) {
    for (const [path, host] of Object.entries(image.filesystem ?? {}) as [string, string][])
      if (!isAbsolute(host)) image.filesystem[path] = join(APPS, host);
  }
  const django = doc.images.find((i: Any) => i.repository === REPOSITORY);
  const at = (tag: string, changes: string[]) => ({
    ...django,
    tag,
    filesystem: { "/app": djangoAt(join(work, tag), changes) },
  });
  doc.images.push(at(NEXT, ["next"]), at(BROKEN, ["next", "broken"]));
  return doc;
}

/** examples/django-app.yaml with two app replicas of two workers each, sized for this machine. */
function example(): KubeObject {
  const [doc] = parseYamlStream(readFileSync(join(ROOT, "examples", "django-app.yaml"), "utf8")) as Any[];
  const { autoscaling: _, ...app } = doc.spec.app;
  doc.spec.app = { ...app, replicas: 2, workers: 2, threads: 1 };
  doc.metadata.namespace = NS;
  return doc;
}

/** Every pod created, with when: the order of events the test checks. */
interface Created {
  at: number;
  name: string;
  component: string | undefined;
  images: string[];
}

/** The real kubectl, to read a failed Job's logs the way the WebApp's message tells a person to. */
const kubectlBin = availability.skip ? undefined : findKubectl();
let failedJob: string | undefined;
let env: Env;
let operator: Manager;
let work: string;
const created: Created[] = [];
/** When each Job first reported Complete=True (or Failed=True). */
const finished = new Map<string, { at: number; type: string }>();

beforeAll(async () => {
  if (availability.skip) return;
  work = mkdtempSync(join(tmpdir(), "migrations-node-"));
  // The pods run as the app's user: the claims' directories and the app's files below must be reachable.
  chmodSync(work, 0o755);
  const dev = await startDevEnvironment({
    cluster: {
      nodeAgent: {
        imageMap: imageMap(work),
        podCidr: `127.${POD_OCTET}.0.0/16`,
        crashBackoff: { initialMs: 1000, maxMs: 5000 },
        log: () => {},
      },
      workloadControllers: { volumeWorkDir: join(work, "volumes"), jobPodFailureBackoffMs: 1000 },
      serviceCIDR: "127.64.0.0/16",
    },
    userAgent: "migrations-e2e",
  });
  env = { ...dev, dc: dev.cluster };
  dev.cluster.store.subscribe((e) => {
    const obj = e.object as Any;
    if (e.storageKey === "/pods" && e.type === "ADDED") {
      created.push({
        at: performance.now(),
        name: obj.metadata.name,
        component: obj.metadata.labels?.["app.kubernetes.io/component"],
        images: [...(obj.spec.initContainers ?? []), ...obj.spec.containers].map((c: Any) => c.image),
      });
    }
    if (e.storageKey === "batch/jobs" && !finished.has(obj.metadata.name)) {
      const done = (obj.status?.conditions ?? []).find(
        (c: Any) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
      );
      if (done) finished.set(obj.metadata.name, { at: performance.now(), type: done.type });
    }
  });
  operator = await startOperator(env);
  await env.createNamespace(NS);
  await env.client.create({ apiVersion: "v1", kind: "Secret", plural: "secrets" }, NS, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "django-shop-secrets", namespace: NS },
    stringData: { SECRET_KEY: "migrations-e2e-only" },
  });
});

afterAll(async () => {
  await operator?.stop();
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  // Every process the pods ran is gone with the cluster: nothing listens on their addresses.
  if (!availability.skip) expect(listenersIn(POD_OCTET)).toEqual([]);
});

const webapp = () => env.client.get(WEBAPP_TYPE, NS, NAME) as Promise<Any>;
const setTag = (tag: string) =>
  mergePatch(env, resourcePath(WEBAPP_TYPE, NS, NAME), { spec: { app: { image: `${REPOSITORY}:${tag}` } } });
const entry = () => env.dc.serviceAddress(NS, NAME, 80);
const runsTag = (c: Created, tag: string) => c.images.includes(`${REPOSITORY}:${tag}`);
/** The migration Job of the version the WebApp asks for, once its status names it. */
const migrationJob = async () =>
  waitFor(async () => (await webapp()).status?.migration?.job as string | undefined, {
    message: "status.migration.job",
  });

/** Which version answered /api/heartbeats: the next one's code reads (and returns) the queue column. */
function versionOf(body: Any): string {
  return body.heartbeats.length > 0 && "queue" in body.heartbeats[0] ? "next" : "first";
}

/** Steady load through the entry Service on the page that reads the database, counted by version. */
async function loadHeartbeats() {
  const { host, port } = await entry();
  return startLoad({
    host,
    port,
    path: "/api/heartbeats",
    headers: HOST,
    classify: (res) => versionOf(res.json()),
  });
}

describe("prerequisites", () => {
  it.skipIf(availability.skip)("NGINX, uWSGI and Django are installed", () => {
    expect(availability.missing).toEqual([]);
  });
});

describe.skipIf(availability.skip)("the Django example's lifecycle on the node agent", () => {
  it("migrates before the app, its worker and NGINX start; the worker's heartbeats reach the app", async () => {
    await env.client.create(WEBAPP_TYPE, NS, example());
    await waitReady(env, NS, NAME, 240_000);
    const job = await migrationJob();
    const migrated = finished.get(job);
    expect(migrated?.type).toBe("Complete");
    const workloads = created.filter((c) => c.component !== "migrate");
    expect(workloads.map((c) => c.component).sort()).toEqual(["app", "app", "web", "web", "worker"]);
    for (const pod of workloads) {
      expect(runsTag(pod, FIRST), `${pod.name} runs the example's version`).toBe(true);
      expect(pod.at, `${pod.name} after the migration`).toBeGreaterThan(migrated!.at);
    }

    const { host, port } = await entry();
    const beats = async () => {
      const res = await httpRequest({ host, port, path: "/api/heartbeats", headers: HOST });
      expect(res.status, res.text()).toBe(200);
      return (res.json() as Any).heartbeats as { worker: string; beats: number }[];
    };
    const first = await waitFor(async () => (await beats()).find((b) => b.beats > 0), {
      timeoutMs: 60_000,
      message: "a heartbeat of the worker",
    });
    expect(first.worker).toMatch(/^django-shop-worker-tasks-/);
    await waitFor(
      async () => ((await beats()).find((b) => b.worker === first.worker)?.beats ?? 0) > first.beats,
      {
        timeoutMs: 60_000,
        message: "the worker's next heartbeat",
      },
    );
  });

  it("a new version whose code needs a new migration starts only after it, under load, with 0 failed requests", async () => {
    const load = await loadHeartbeats();
    try {
      await waitFor(() => load.requests >= 50, { timeoutMs: 60_000, message: "load running" });
      await setTag(NEXT);
      const job = await waitFor(
        async () => {
          const wa = await webapp();
          return wa.status?.migration?.version && wa.metadata.generation === wa.status.observedGeneration
            ? (wa.status.migration.job as string)
            : undefined;
        },
        { message: "the new version's migration" },
      );
      await waitReady(env, NS, NAME, 300_000);
      const migrated = finished.get(job);
      expect(migrated?.type).toBe("Complete");
      const next = created.filter((c) => runsTag(c, NEXT) && c.component !== "migrate");
      expect(next.map((c) => c.component).sort()).toEqual(["app", "app", "web", "web", "worker"]);
      for (const pod of next) expect(pod.at, `${pod.name} after the migration`).toBeGreaterThan(migrated!.at);
      // The next version answers: its code reads the new column, which only the migration added.
      const before = load.requests;
      await waitFor(() => load.requests >= before + 50, {
        timeoutMs: 60_000,
        message: "load after the rollout",
      });
    } finally {
      const report = await load.stop();
      console.log(`new version under load: ${JSON.stringify(report)}`);
      expect(report.failed, report.failures.join("\n")).toBe(0);
      expect(report.byKind.first).toBeGreaterThan(0);
      expect(report.byKind.next).toBeGreaterThan(0);
    }
    const ready = await webapp();
    expect(ready.status.migration).toMatchObject({ state: "Succeeded" });
    expect(ready.status.migration.runningVersion).toBe(ready.status.migration.version);
  });

  it("a version whose migration fails never starts; the old pods keep serving with 0 failed requests", async () => {
    const load = await loadHeartbeats();
    let failed: Any;
    try {
      await waitFor(() => load.requests >= 50, { timeoutMs: 60_000, message: "load running" });
      await setTag(BROKEN);
      failed = await waitFor(
        async () => {
          const wa = await webapp();
          return condition(wa, "Degraded")?.reason === "MigrationFailed" ? wa : undefined;
        },
        { timeoutMs: 180_000, message: "Degraded=True MigrationFailed" },
      );
      // The old version goes on serving after the failure, too.
      const before = load.requests;
      await waitFor(() => load.requests >= before + 100, {
        timeoutMs: 60_000,
        message: "load after the failure",
      });
    } finally {
      const report = await load.stop();
      console.log(`failed migration under load: ${JSON.stringify(report)}`);
      expect(report.failed, report.failures.join("\n")).toBe(0);
      expect(Object.keys(report.byKind)).toEqual(["next"]);
    }
    const job = failed.status.migration.job as string;
    expect(finished.get(job)?.type).toBe("Failed");
    expect(condition(failed, "Stalled")?.status).toBe("True");
    expect(condition(failed, "Degraded")?.message).toContain(`kubectl logs -n ${NS} job/${job}`);
    // Only the migration's own pods (a run and its retry) ever ran the broken version.
    const broken = created.filter((c) => runsTag(c, BROKEN));
    expect(broken.length).toBeGreaterThan(0);
    expect(broken.filter((c) => c.component !== "migrate")).toEqual([]);
    const app = (await env.client.get(
      { apiVersion: "apps/v1", kind: "Deployment", plural: "deployments" },
      NS,
      "django-shop-app",
    )) as Any;
    expect(app.spec.template.spec.containers[0].image).toBe(`${REPOSITORY}:${NEXT}`);
    failedJob = job;
  });

  it.skipIf(!kubectlBin)(
    "the failed Job's logs are where its message says: kubectl logs job/<name>",
    async () => {
      expect(failedJob, "the failed migration of the test before").toBeDefined();
      const kubectl = new Kubectl(kubectlBin!, env.dc);
      const out = await kubectl.ok(["logs", "-n", NS, `job/${failedJob}`]);
      expect(out).toContain("RuntimeError: this migration fails on purpose");
    },
  );
});
