/** Real operator processes: leader election across two of them, and SIGTERM. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createNamespace,
  type Env,
  mergePatch,
  startEnv,
  waitFor,
  waitReady,
  webappManifest,
} from "../../hack/lib/operator-env.js";
import { WEBAPP_TYPE } from "../../src/controller/webapp-controller.js";
import { Kinds, resourcePath } from "../../src/kube/resources.js";
import { CHILD_KINDS } from "../../src/render/index.js";
import { metricValue, type OperatorProcess, spawnOperator } from "./support/process.js";

const app = { image: "registry.example.com/shop:1.0.0", module: "shop.wsgi:application", replicas: 2 };
const LEASE = ["--leader-elect", "--leader-election-namespace=ops"];
const FAST = [
  "--leader-election-lease-duration=3s",
  "--leader-election-renew-deadline=2s",
  "--leader-election-retry-period=500ms",
  "--resync-period=2s",
  "--log-level=info",
];
let env: Env;
const started: OperatorProcess[] = [];

beforeAll(async () => {
  env = await startEnv();
  await createNamespace(env, "ops");
});
afterAll(async () => {
  for (const p of started) if (p.child.exitCode === null) p.child.kill("SIGKILL");
  await env?.stop();
});

async function spawn(): Promise<OperatorProcess> {
  const p = await spawnOperator([`--kubeconfig=${env.kubeconfigPath}`, ...LEASE, ...FAST]);
  started.push(p);
  return p;
}

const isLeader = async (p: OperatorProcess) =>
  (await metricValue(p.metricsUrl, "leader_election_master_status")) === 1;
const cachesSynced = async (p: OperatorProcess) =>
  (await fetch(`${p.metricsUrl}/readyz`).then(
    (r) => r.status,
    () => 0,
  )) === 200;
const reconciles = (p: OperatorProcess) => metricValue(p.metricsUrl, "controller_runtime_reconcile_total");

describe("leader election", () => {
  it("only the leader reconciles; when it is killed the other takes over within the lease duration", async () => {
    const a = await spawn();
    await waitFor(() => isLeader(a), { message: "first process elected", timeoutMs: 20_000 });
    // Its first line says which build runs and where its servers listen.
    const starting = a
      .output()
      .split("\n")
      .filter((l) => l.includes('"operator starting"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(starting).toHaveLength(1);
    expect(starting[0]).toMatchObject({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      metrics: `${a.metricsUrl}/metrics`,
      health: `${a.metricsUrl}/healthz`,
    });
    const b = await spawn();
    await waitFor(() => cachesSynced(b), { message: "second process caches synced", timeoutMs: 20_000 });
    await createNamespace(env, "le");
    await env.client.create(WEBAPP_TYPE, "le", webappManifest("le", "shop", { app, web: {} }));
    await waitReady(env, "le", "shop");
    expect(await reconciles(a)).toBeGreaterThan(0);
    expect(await reconciles(b)).toBe(0);
    expect(await isLeader(b)).toBe(false);

    const killedAt = Date.now();
    a.child.kill("SIGKILL");
    await waitFor(() => isLeader(b), {
      message: "second process elected",
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    const takeover = Date.now() - killedAt;
    console.log(`leader election: takeover ${takeover} ms after SIGKILL (lease 3 s, retry 0.5 s)`);
    expect(takeover).toBeLessThan(3000 + 1500);
    await mergePatch(env, resourcePath(WEBAPP_TYPE, "le", "shop"), { spec: { app: { replicas: 3 } } });
    await waitFor(
      async () =>
        ((await env.client.get(CHILD_KINDS.Deployment, "le", "shop-app")).spec as { replicas: number })
          .replicas === 3,
      {
        message: "new leader reconciles",
      },
    );
    b.child.kill("SIGTERM");
    expect(await b.exited).toBe(0);
  });
});

describe("losing the lease", () => {
  it("a leader that cannot renew within the renew deadline steps down and exits 1", async () => {
    const p = await spawn();
    await waitFor(() => isLeader(p), { message: "elected", timeoutMs: 20_000 });
    const fault = env.dc.faults.add({
      resource: "leases",
      userAgent: "webapp-operator",
      count: Infinity,
      respond: { status: 500 },
    });
    try {
      const t0 = Date.now();
      const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r("timeout"), 15_000))]);
      expect(code, p.output().slice(-2000)).toBe(1);
      console.log(
        `lost lease: exited ${Date.now() - t0} ms after renewals started failing (renew deadline 2 s)`,
      );
      expect(p.output()).toContain("could not renew the lease in time");
    } finally {
      fault.cancel();
    }
  });
});

describe("SIGTERM", () => {
  it("during work: exits 0, finishes in-flight reconciles and releases the Lease", async () => {
    const p = await spawn();
    await waitFor(() => isLeader(p), { message: "elected", timeoutMs: 20_000 });
    await createNamespace(env, "term");
    for (let i = 0; i < 6; i++) {
      await env.client.create(WEBAPP_TYPE, "term", webappManifest("term", `app${i}`, { app, web: {} }));
    }
    await waitFor(async () => (await reconciles(p)) > 0, { message: "work started" });
    p.child.kill("SIGTERM");
    const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r("timeout"), 15_000))]);
    expect(code, p.output().slice(-2000)).toBe(0);
    const lease = await env.client.get(Kinds.Lease, "ops", "webapp-operator-leader");
    expect((lease.spec as { holderIdentity?: string }).holderIdentity ?? "").toBe("");
    expect(p.output()).toContain("released the leader lease");
    expect(p.output()).not.toContain("did not finish in time");
  });
});

describe("graceful handover", () => {
  it("SIGTERM to the leader: the standby, watching the Lease, holds it well before its next retry", async () => {
    // The default retry period (2 s, up to 2.4 s with jitter): only the watch makes it faster.
    const args = [`--kubeconfig=${env.kubeconfigPath}`, ...LEASE, "--log-level=info"];
    await env.client.delete(Kinds.Lease, "ops", "webapp-operator-leader").catch(() => undefined);
    const a = await spawnOperator(args);
    started.push(a);
    await waitFor(() => isLeader(a), { message: "first process elected", timeoutMs: 20_000 });
    const b = await spawnOperator(args);
    started.push(b);
    await waitFor(() => cachesSynced(b), { message: "standby caches synced", timeoutMs: 20_000 });
    const leaseHolder = async () =>
      (
        (await env.client.get(Kinds.Lease, "ops", "webapp-operator-leader")).spec as {
          holderIdentity?: string;
        }
      ).holderIdentity ?? "";
    const before = await leaseHolder();
    const stoppedAt = Date.now();
    a.child.kill("SIGTERM");
    await waitFor(async () => ![before, ""].includes(await leaseHolder()), {
      message: "the standby holding the Lease",
      timeoutMs: 20_000,
      intervalMs: 20,
    });
    const takeover = Date.now() - stoppedAt;
    console.log(
      `graceful handover: the standby held the Lease ${takeover} ms after SIGTERM (retry period 2 s)`,
    );
    expect(takeover).toBeLessThan(1500);
    expect(await a.exited).toBe(0);
    expect(a.output()).toContain("released the leader lease");
    b.child.kill("SIGTERM");
    expect(await b.exited).toBe(0);
  });
});
