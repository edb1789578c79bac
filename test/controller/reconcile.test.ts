import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Reconciler } from "../../src/controller/reconcile.js";
import type { KubeObject, ResourceType } from "../../src/kube/resources.js";
import { EventRecorder } from "../../src/runtime/events.js";
import { webappObject } from "../fixtures/webapps.js";

const log = pino({ level: "silent" });

/** Cache and API in one map: applies land in it, reads come from it; every write is counted. */
/** `hidden`: objects that exist but the cache does not show (not labelled as ours). */
function harness(spec: Record<string, unknown>, logger = log, hidden = new Set<string>()) {
  const objects = new Map<string, KubeObject>();
  let rv = 1;
  const writes: string[] = [];
  const events: { reason: string; message: string }[] = [];
  const webapp = webappObject(spec, "shop", "store") as KubeObject;
  objects.set("WebApp/store/shop", webapp);
  const id = (kind: string, ns: string, name: string) => `${kind}/${ns}/${name}`;
  const reconciler = new Reconciler(
    {
      webapp: (key) => objects.get(`WebApp/${key}`),
      child: (type: ResourceType, ns, name) =>
        hidden.has(id(type.kind, ns, name)) ? undefined : objects.get(id(type.kind, ns, name)),
      children: (type, webappKey) =>
        [...objects.values()].filter(
          (o) =>
            o.kind === type.kind &&
            `${o.metadata.namespace}/${o.metadata.labels?.["app.kubernetes.io/instance"]}` === webappKey,
        ),
      served: () => true,
    },
    {
      get: async (type, ns, name) => objects.get(id(type.kind, ns, name)),
      apply: async (type, body) => {
        writes.push(`apply ${type.kind}/${body.metadata.name}`);
        const stored = {
          ...structuredClone(body),
          metadata: { ...structuredClone(body.metadata), uid: `uid-${rv}`, resourceVersion: String(rv++) },
        };
        objects.set(id(type.kind, body.metadata.namespace!, body.metadata.name), stored);
        return stored;
      },
      delete: async (type, ns, name) => {
        writes.push(`delete ${type.kind}/${name}`);
        objects.delete(id(type.kind, ns, name));
      },
      patchStatus: async (_ns, _name, patch) => {
        writes.push("status");
        const current = objects.get("WebApp/store/shop")!;
        const next = { ...current, status: (patch as { status: unknown }).status };
        objects.set("WebApp/store/shop", next);
        return next;
      },
    },
    new EventRecorder(
      { create: async (_t, _ns, body) => events.push(body as { reason: string; message: string }) },
      log,
      "test",
    ),
    logger,
  );
  // biome-ignore lint/suspicious/noExplicitAny: tests poke into arbitrary object shapes
  const get = (kind: string, name: string): any => objects.get(id(kind, "store", name));
  return { reconciler, objects, writes, events, get, webapp };
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
    h.writes.length = 0;
    const second = await h.reconciler.reconcile("store/shop");
    expect(second).toMatchObject({ applied: 0, pruned: 0, statusWritten: false });
    expect(h.writes).toEqual([]);
  });

  it("reports Ready only when the Deployments report their pods ready", async () => {
    const h = harness({ app: { ...app, replicas: 2 }, web: { replicas: 1 } });
    await h.reconciler.reconcile("store/shop");
    const ready = () =>
      h.get("WebApp", "shop")?.status.conditions.find((c: { type: string }) => c.type === "Ready");
    expect(ready()).toMatchObject({ status: "False", reason: "RollingOut" });
    for (const [name, n] of [
      ["shop-app", 2],
      ["shop-web", 1],
    ] as const) {
      const d = h.get("Deployment", name)!;
      h.objects.set(`Deployment/store/${name}`, {
        ...d,
        metadata: { ...d.metadata, generation: 1 },
        status: {
          observedGeneration: 1,
          replicas: n,
          readyReplicas: n,
          updatedReplicas: n,
          availableReplicas: n,
        },
      } as unknown as KubeObject);
    }
    await h.reconciler.reconcile("store/shop");
    expect(ready()).toMatchObject({ status: "True", observedGeneration: 1 });
    expect(h.get("WebApp", "shop")?.status).toMatchObject({
      replicas: 2,
      app: { ready: "2/2" },
      web: { ready: "1/1" },
    });
    expect(h.events.map((e) => e.reason)).toContain("Ready");
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
    expect(h.writes).toEqual(["status"]);
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

  it("refuses to take over an existing object of the same name that another owner made", async () => {
    const h = harness({ app, web: {} }, log, new Set(["ConfigMap/store/shop-nginx"]));
    const foreign = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "shop-nginx", namespace: "store" },
      data: { mine: "yes" },
    };
    h.objects.set("ConfigMap/store/shop-nginx", foreign);
    await expect(h.reconciler.reconcile("store/shop")).rejects.toThrow(/ConfigMap shop-nginx already exists/);
    expect(h.objects.get("ConfigMap/store/shop-nginx")).toBe(foreign);
    const degraded = h
      .get("WebApp", "shop")
      ?.status.conditions.find((c: { type: string }) => c.type === "Degraded");
    expect(degraded).toMatchObject({ status: "True", reason: "ApplyFailed" });
  });
});
