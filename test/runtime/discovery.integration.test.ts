/**
 * Kinds a cluster does not serve: the WebApp CRD itself (one clear log line, then the operator waits
 * and starts once it is installed) and an optional child kind (nothing blocks: the WebApps that ask
 * for it say why, the others are unaffected, and it is picked up once served).
 */
import { Writable } from "node:stream";
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { loadCrd, waitFor } from "../../hack/lib/operator-env.js";
import { createOperator, WEBAPP_TYPE } from "../../src/controller/webapp-controller.js";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { KubeClient } from "../../src/kube/client.js";
import { Kinds, type KubeObject } from "../../src/kube/resources.js";
import { type ControllerDefinition, Manager } from "../../src/runtime/manager.js";
import { reconcileHarness } from "../controller/support/reconcile-harness.js";

let cluster: DevCluster | undefined;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await cluster?.stop();
  cluster = undefined;
});

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, logger: pino({ level: "info" }, sink) };
}

async function connect(): Promise<{ kc: KubeConfig; client: KubeClient }> {
  cluster = await startDevCluster();
  const kc = new KubeConfig();
  kc.loadFromString(cluster.kubeconfig());
  const client = new KubeClient(kc, undefined, "discovery-test");
  stops.push(async () => client.close());
  return { kc, client };
}

const widgetsCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.example.dev" },
  spec: {
    group: "example.dev",
    scope: "Namespaced",
    names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};
const WIDGET = { apiVersion: "example.dev/v1", kind: "Widget", plural: "widgets" };

describe("the WebApp CRD missing", () => {
  it("says so once, with how to install it, then starts when it appears", async () => {
    const { kc, client } = await connect();
    const { lines, logger } = capture();
    const manager = createOperator({
      kubeConfig: kc,
      logger,
      metricsBindAddress: "0",
      healthProbeBindAddress: "0",
      discoveryPeriodMs: 200,
    });
    stops.push(() => manager.stop());
    await manager.start();
    await new Promise((r) => setTimeout(r, 1200));
    const notServed = lines.filter((l) => String(l.msg).includes("is not served by this cluster"));
    const missing = notServed.filter((l) => l.kind === "WebApp");
    expect(missing).toHaveLength(1);
    // The optional HTTPRoute (no Gateway API here) is mentioned once too, as information only.
    expect(notServed.filter((l) => l.kind !== "WebApp").map((l) => [l.kind, l.level])).toEqual([
      ["HTTPRoute", 30],
    ]);
    expect(missing[0]!.msg).toContain("WebApp (webapp-operator.dev/v1alpha1)");
    expect(missing[0]!.msg).toContain("kubectl apply --server-side");
    expect(manager.cachesSynced).toBe(false);
    // No endless 404s: the WebApps are not listed until the API is served.
    expect(cluster!.stats.snapshot().byResource?.webapps ?? 0).toBe(0);

    await client.create(Kinds.CustomResourceDefinition, undefined, loadCrd());
    await waitFor(() => manager.cachesSynced, { message: "caches synced once the CRD is installed" });
    await client.create(WEBAPP_TYPE, "default", {
      apiVersion: WEBAPP_TYPE.apiVersion,
      kind: "WebApp",
      metadata: { name: "late" },
      spec: { app: { image: "registry.example.com/late:1", module: "app:app" } },
    });
    await waitFor(async () => (await client.get(WEBAPP_TYPE, "default", "late")).status, {
      message: "the WebApp reconciled",
    });
  });
});

describe("an optional owned kind", () => {
  it("does not block the controller; it is watched once it is served", async () => {
    const { kc, client } = await connect();
    const seen: { key: string; served: boolean }[] = [];
    const definition: ControllerDefinition = {
      name: "test",
      for: Kinds.Namespace as never,
      owns: [{ type: WIDGET, optional: true }],
      ownerKey: (o: KubeObject) => `/${o.metadata.namespace}`,
      reconciler: ({ cache }) => ({
        reconcile: async (key) => {
          const served = cache.served(WIDGET);
          seen.push({ key, served });
          // An object that needs the kind says so: discovery looks for it again.
          if (!served) cache.awaitServed(WIDGET);
          return undefined;
        },
      }),
    };
    const manager = new Manager(definition, {
      kubeConfig: kc,
      logger: pino({ level: "silent" }),
      metricsBindAddress: "0",
      healthProbeBindAddress: "0",
      discoveryPeriodMs: 200,
    });
    stops.push(() => manager.stop());
    await manager.start();
    await waitFor(() => seen.some((s) => s.key === "/default" && !s.served), {
      message: "reconciled while the optional kind is not served",
    });
    expect(manager.cachesSynced).toBe(true);
    expect(Object.keys(manager.informerStats())).not.toContain("Widget|*");

    await client.create(Kinds.CustomResourceDefinition, undefined, widgetsCrd);
    await waitFor(() => Object.keys(manager.informerStats()).includes("Widget|*"), {
      message: "a Widget informer once the CRD is served",
    });
    await waitFor(() => seen.some((s) => s.served), { message: "reconciled again, the kind served" });
  });
});

describe("discovery at rest", () => {
  it("asks again only for a kind an object needs, and only for its group-version", async () => {
    const { kc } = await connect();
    let needed = false;
    const definition: ControllerDefinition = {
      name: "test",
      for: Kinds.Namespace as never,
      owns: [{ type: WIDGET, optional: true }],
      ownerKey: (o: KubeObject) => `/${o.metadata.namespace}`,
      reconciler: ({ cache }) => ({
        reconcile: async () => {
          if (needed && !cache.served(WIDGET)) cache.awaitServed(WIDGET);
          return { requeueAfterMs: 100 };
        },
      }),
    };
    const manager = new Manager(definition, {
      kubeConfig: kc,
      logger: pino({ level: "silent" }),
      metricsBindAddress: "0",
      healthProbeBindAddress: "0",
      discoveryPeriodMs: 100,
      userAgent: "discovery-at-rest",
    });
    stops.push(() => manager.stop());
    await manager.start();
    const discovery = () =>
      Object.entries(cluster!.stats.byUserAgentVerbResource["discovery-at-rest"] ?? {})
        .filter(([k]) => k.includes("/api"))
        .reduce((n, [, c]) => n + c, 0);
    await waitFor(() => manager.cachesSynced, { message: "caches synced" });
    const afterStart = discovery();
    expect(afterStart).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1000)); // ten discovery periods, nobody needs a Widget
    expect(discovery()).toBe(afterStart);
    needed = true;
    await waitFor(() => discovery() >= afterStart + 3, { message: "discovery again, the kind needed" });
    const paths = Object.keys(cluster!.stats.byUserAgentVerbResource["discovery-at-rest"] ?? {});
    // The Widget's group-version only: what is served already is not asked for again.
    expect(paths.filter((p) => p.includes("/api")).sort()).toEqual(
      expect.arrayContaining([expect.stringContaining("/apis/example.dev/v1")]),
    );
    const nsDiscovery = cluster!.stats.byUserAgentVerbResource["discovery-at-rest"]?.["get /api/v1"] ?? 0;
    expect(nsDiscovery).toBe(1);
  });
});

describe("a WebApp whose child kind is not served", () => {
  it("applies every other child and says which kind is missing", async () => {
    const h = reconcileHarness({ served: (t) => t.kind !== "Ingress" });
    h.webapp("shop", {
      app: { image: "registry.example.com/shop:1", module: "app:app" },
      web: {},
      ingress: { host: "shop.example.com" },
    });
    const outcome = await h.reconciler.reconcile("store/shop");
    expect(h.get("Deployment", "shop-app")).toBeDefined();
    expect(h.get("Ingress", "shop")).toBeUndefined();
    expect(h.condition("shop")).toMatchObject({ status: "False", reason: "KindNotServed" });
    expect(h.condition("shop").message).toContain(
      "Ingress (networking.k8s.io/v1) is not served by this cluster, so Ingress shop cannot be created",
    );
    expect(outcome.requeueAfterMs).toBeGreaterThan(0);
    expect([...h.awaited]).toEqual(["Ingress"]); // discovery looks for it again
    // Another WebApp without an Ingress is unaffected.
    h.webapp("blog", { app: { image: "registry.example.com/blog:1", module: "app:app" }, web: {} });
    await h.reconciler.reconcile("store/blog");
    await h.reconciler.reconcile("store/blog"); // its children written, the status follows
    expect(h.condition("blog")?.reason).toBe("RollingOut");
  });
});

describe("discovery failing at start", () => {
  it("is retried at once, and no reconcile runs before every owned kind has its cache", async () => {
    const { kc } = await connect();
    const DEPLOYMENT = { apiVersion: "apps/v1", kind: "Deployment", plural: "deployments" };
    // The operator's second request, the discovery of apps/v1, fails (its first, of v1, passes).
    const draws = [0.9, 0.1];
    const fault = cluster!.faults.add({
      userAgent: "discovery-retry",
      verb: "get",
      count: 1,
      probability: 0.5,
      random: () => draws.shift() ?? 0.9,
      respond: { status: 500 },
    });
    const cachedAtReconcile: boolean[] = [];
    let manager!: Manager;
    const definition: ControllerDefinition = {
      name: "test",
      for: Kinds.Namespace as never,
      owns: [{ type: DEPLOYMENT }],
      ownerKey: (o: KubeObject) => `/${o.metadata.namespace}`,
      reconciler: () => ({
        reconcile: async () => {
          cachedAtReconcile.push(Object.keys(manager.informerStats()).includes("Deployment|*"));
          return undefined;
        },
      }),
    };
    manager = new Manager(definition, {
      kubeConfig: kc,
      logger: pino({ level: "silent" }),
      metricsBindAddress: "0",
      healthProbeBindAddress: "0",
      userAgent: "discovery-retry",
      discoveryPeriodMs: 60_000,
    });
    stops.push(() => manager.stop());
    await manager.start();
    await waitFor(() => cachedAtReconcile.length > 0, { message: "a reconcile", timeoutMs: 10_000 });
    expect(fault.hits).toBe(1);
    expect(cachedAtReconcile.every(Boolean)).toBe(true);
  });
});
