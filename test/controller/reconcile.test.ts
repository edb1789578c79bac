import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/kube/resources.js";
import { reconcileHarness } from "./support/reconcile-harness.js";

const log = pino({ level: "silent" });

/** One WebApp `store/shop` with the given spec, in the shared reconcile harness. */
function harness(spec: Record<string, unknown>, logger = log, hidden = new Set<string>()) {
  const h = reconcileHarness({ logger, hidden });
  return { ...h, webapp: h.webapp("shop", spec) };
}

const app = { image: "registry.example.com/shop:1.4.2", module: "shop.wsgi:application" };

describe("Reconciler", () => {
  it("applies every rendered child, then makes no write at all once converged", async () => {
    const h = harness({ app, web: {} });
    const first = await h.reconciler.reconcile("store/shop");
    expect(first.applied).toBeGreaterThanOrEqual(5);
    expect(h.get("Deployment", "shop-app")?.metadata.ownerReferences[0]).toMatchObject({
      kind: "WebApp",
      controller: true,
    });
    expect(h.get("ConfigMap", "shop-nginx")).toBeDefined();
    // Children just written: no status until they report (a moment later), and a look again soon.
    expect(first).toMatchObject({ statusWritten: false, requeueAfterMs: expect.any(Number) });
    expect(h.writes.filter((w) => w.startsWith("status"))).toEqual([]);
    h.writes.length = 0;
    const second = await h.reconciler.reconcile("store/shop");
    expect(second).toMatchObject({ applied: 0, pruned: 0, statusWritten: true });
    expect(h.writes).toEqual(["status store/shop"]);
    h.writes.length = 0;
    const third = await h.reconciler.reconcile("store/shop");
    expect(third).toMatchObject({ applied: 0, pruned: 0, statusWritten: false });
    expect(h.writes).toEqual([]);
  });

  it("reports Ready only when the Deployments report their pods ready", async () => {
    const h = harness({ app: { ...app, replicas: 2 }, web: { replicas: 1 } });
    await h.reconciler.reconcile("store/shop");
    await h.reconciler.reconcile("store/shop");
    const ready = () =>
      h.get("WebApp", "shop")?.status.conditions.find((c: { type: string }) => c.type === "Ready");
    expect(ready()).toMatchObject({ status: "False", reason: "RollingOut" });
    h.deploymentsReady(); // shop-app 2/2, shop-web 1/1
    await h.reconciler.reconcile("store/shop");
    expect(ready()).toMatchObject({ status: "True", observedGeneration: 1 });
    expect(h.get("WebApp", "shop")?.status).toMatchObject({
      replicas: 2,
      app: { ready: "2/2" },
      web: { ready: "1/1" },
    });
    expect(h.events.map((e) => e.reason)).toContain("Ready");
  });

  it("after a spec change, the status waits (bounded) for the Deployment controller to observe it", async () => {
    let now = Date.parse("2026-12-01T10:00:00Z");
    const h = reconcileHarness({ clock: () => now });
    h.webapp("shop", { app, web: {} });
    // Every Deployment as its controller reports it: the generation observed, all pods ready.
    const deploymentsReport = (observed: boolean) => {
      for (const name of ["shop-app", "shop-web"]) {
        const d = h.get("Deployment", name)!;
        const generation = Number(d.metadata.resourceVersion);
        h.objects.set(`Deployment/store/${name}`, {
          ...d,
          metadata: { ...d.metadata, generation },
          status: {
            observedGeneration: observed ? generation : generation - 1,
            replicas: 2,
            readyReplicas: 2,
            updatedReplicas: 2,
            availableReplicas: 2,
          },
        });
      }
    };
    await h.reconciler.reconcile("store/shop");
    deploymentsReport(true);
    await h.reconciler.reconcile("store/shop");
    expect(h.condition("shop")).toMatchObject({ status: "True" });

    // A new image: the app Deployment is written; its controller has not looked at it yet.
    h.webapp("shop", { app: { ...app, image: "registry.example.com/shop:1.4.3" }, web: {} });
    h.writes.length = 0;
    await h.reconciler.reconcile("store/shop");
    expect(h.writes).toEqual(["apply Deployment/shop-app"]);
    deploymentsReport(false);
    now += 2000;
    const waiting = await h.reconciler.reconcile("store/shop");
    expect(waiting).toMatchObject({ statusWritten: false, requeueAfterMs: expect.any(Number) });
    // Observed and rolled: one status write for the whole change, no event (Ready all along).
    deploymentsReport(true);
    now += 500;
    await h.reconciler.reconcile("store/shop");
    expect(h.writes).toEqual(["apply Deployment/shop-app", "status store/shop"]);
    expect(h.condition("shop")).toMatchObject({ status: "True", observedGeneration: 2 });

    // A Deployment controller that never answers: past the limit, the status says it rolls out.
    h.webapp("shop", { app: { ...app, image: "registry.example.com/shop:1.4.4" }, web: {} });
    await h.reconciler.reconcile("store/shop");
    deploymentsReport(false);
    now += 6000;
    const late = await h.reconciler.reconcile("store/shop");
    expect(late.statusWritten).toBe(true);
    expect(h.condition("shop")).toMatchObject({ status: "False", reason: "RollingOut" });
  });

  it("prunes children no longer desired (the HPA after autoscaling is removed), nothing else", async () => {
    const h = harness({ app: { ...app, autoscaling: { maxReplicas: 5 } }, web: {} });
    await h.reconciler.reconcile("store/shop");
    expect(h.get("HorizontalPodAutoscaler", "shop-app")).toBeDefined();
    expect(h.get("Deployment", "shop-app")?.spec.replicas).toBeUndefined();
    const uid = h.webapp.metadata.uid;
    // Someone else's object with our labels but no owner reference must survive.
    h.objects.set("Service/store/foreign", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "foreign", namespace: "store", labels: { "app.kubernetes.io/instance": "shop" } },
    });
    const wa = h.get("WebApp", "shop")!;
    h.objects.set("WebApp/store/shop", {
      ...wa,
      metadata: { ...wa.metadata, uid, generation: 2 },
      spec: { app, web: {} },
    } as unknown as KubeObject);
    const out = await h.reconciler.reconcile("store/shop");
    expect(out.pruned).toBe(1);
    expect(h.get("HorizontalPodAutoscaler", "shop-app")).toBeUndefined();
    expect(h.get("Service", "foreign")).toBeDefined();
  });

  it("on an invalid spec: InvalidSpec condition naming the field, a Warning event, children untouched", async () => {
    const h = harness({ app, web: {} });
    await h.reconciler.reconcile("store/shop");
    const before = JSON.stringify([...h.objects].filter(([k]) => !k.startsWith("WebApp")));
    const wa = h.get("WebApp", "shop")!;
    h.objects.set("WebApp/store/shop", {
      ...wa,
      metadata: { ...wa.metadata, generation: 2 },
      spec: { app: { ...app, workers: -3 }, web: {} },
    } as unknown as KubeObject);
    h.writes.length = 0;
    await h.reconciler.reconcile("store/shop");
    expect(h.writes).toEqual(["status store/shop"]);
    expect(JSON.stringify([...h.objects].filter(([k]) => !k.startsWith("WebApp")))).toBe(before);
    const ready = h
      .get("WebApp", "shop")
      ?.status.conditions.find((c: { type: string }) => c.type === "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready.message).toContain("spec.app.workers");
    const warning = h.events.find((e) => e.reason === "InvalidSpec");
    expect(warning?.message).toContain("spec.app.workers");
    h.writes.length = 0;
    await h.reconciler.reconcile("store/shop");
    expect(h.writes).toEqual([]);
    expect(h.events.filter((e) => e.reason === "InvalidSpec")).toHaveLength(1);
  });

  it("shows render warnings in Ready's message and sends each as a Warning event once", async () => {
    const h = harness({ app: { ...app, replicas: 1 }, web: {} });
    await h.reconciler.reconcile("store/shop");
    await h.reconciler.reconcile("store/shop");
    const ready = h
      .get("WebApp", "shop")
      ?.status.conditions.find((c: { type: string }) => c.type === "Ready");
    expect(ready.message).toContain("spec.app.replicas");
    const warnings = h.events.filter(
      (e) => e.reason === "RenderWarning" && e.message.startsWith("spec.app.replicas"),
    );
    expect(warnings).toHaveLength(1);
  });

  it("logs JSON lines carrying the WebApp's namespace, name and a reconcile id", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const h = harness({ app, web: {} }, pino({ level: "debug" }, sink));
    await h.reconciler.reconcile("store/shop");
    await h.reconciler.reconcile("store/shop");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines)
      expect(l).toMatchObject({ namespace: "store", name: "shop", controller: "webapp" });
    const ids = new Set(lines.map((l) => l.reconcileID));
    expect(ids.size).toBe(2);
  });
});
