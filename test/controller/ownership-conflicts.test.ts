/**
 * A WebApp never writes an object someone else controls, whether the cache holds it or not, and says
 * so (condition and Warning Event); the first owner's objects are left exactly as they were.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseWebApp } from "../../src/api/index.js";
import { render } from "../../src/render/index.js";
import { webappObject } from "../fixtures/webapps.js";
import { reconcileHarness } from "./support/reconcile-harness.js";

const app = { image: "registry.example.com/shop:1.4.2", module: "shop.wsgi:application" };

/** Every stored object except WebApps, as JSON, for "nothing changed" checks. */
function childrenSnapshot(h: ReturnType<typeof reconcileHarness>, owner: string): Map<string, string> {
  return new Map(
    [...h.objects]
      .filter(([, o]) => o.kind !== "WebApp" && o.metadata.labels?.["app.kubernetes.io/instance"] === owner)
      .map(([k, o]) => [k, JSON.stringify(o)]),
  );
}

describe("ownership of children", () => {
  it("a WebApp named <name>-app does not take over <name>'s app Service, even from the cache", async () => {
    const h = reconcileHarness();
    h.webapp("flask-demo", { app, web: {} });
    await h.reconciler.reconcile("store/flask-demo");
    const before = childrenSnapshot(h, "flask-demo");
    expect(before.has("Service/store/flask-demo-app")).toBe(true);

    h.webapp("flask-demo-app", { app, web: {} });
    h.writes.length = 0;
    const outcome = await h.reconciler.reconcile("store/flask-demo-app");
    expect(h.writes).not.toContain("apply Service/flask-demo-app");
    expect(childrenSnapshot(h, "flask-demo")).toEqual(before);
    expect(h.get("Service", "flask-demo-app").metadata.ownerReferences).toEqual([
      expect.objectContaining({ name: "flask-demo", uid: "uid-of-flask-demo", controller: true }),
    ]);
    expect(h.condition("flask-demo-app")).toMatchObject({ status: "False", reason: "ChildConflict" });
    expect(h.condition("flask-demo-app").message).toContain(
      "Service flask-demo-app already exists and belongs to WebApp flask-demo",
    );
    expect(h.condition("flask-demo-app", "Stalled")).toMatchObject({ status: "True" });
    expect(h.events).toContainEqual(
      expect.objectContaining({
        type: "Warning",
        reason: "ChildConflict",
        involvedObject: expect.objectContaining({ name: "flask-demo-app" }),
      }),
    );
    // A person must act: no hot retry loop, a look now and then.
    expect(outcome.requeueAfterMs).toBeGreaterThanOrEqual(30_000);

    // Resyncs of both change nothing of the first.
    for (let i = 0; i < 3; i++) {
      await h.reconciler.reconcile("store/flask-demo");
      await h.reconciler.reconcile("store/flask-demo-app");
    }
    expect(childrenSnapshot(h, "flask-demo")).toEqual(before);
  });

  it("a namesake made by another tool is refused without a write (the API server's conflict)", async () => {
    const h = reconcileHarness({ hidden: new Set(["ConfigMap/store/shop-nginx"]) });
    const foreign = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "shop-nginx",
        namespace: "store",
        managedFields: [{ manager: "kubectl-client-side-apply", operation: "Update" }],
      },
      data: { mine: "yes" },
    };
    h.objects.set("ConfigMap/store/shop-nginx", foreign);
    h.webapp("shop", { app, web: {} });
    await h.reconciler.reconcile("store/shop");
    expect(h.objects.get("ConfigMap/store/shop-nginx")).toBe(foreign);
    expect(h.condition("shop", "Degraded")).toMatchObject({ status: "True", reason: "ChildConflict" });
    expect(h.condition("shop").message).toContain("written by kubectl-client-side-apply");
  });

  it("a namesake whose values all agree is given back untouched, and refused all the same", async () => {
    const h = reconcileHarness({ hidden: new Set(["Service/store/shop"]) });
    h.webapp("shop", { app });
    const [entry] = render(parsed("shop", { app })).objects.filter((o) => o.kind === "Service");
    const foreign = {
      ...structuredClone(entry!),
      metadata: {
        name: "shop",
        namespace: "store",
        managedFields: [{ manager: "helm", operation: "Update" }],
      },
    };
    h.objects.set("Service/store/shop", foreign);
    await h.reconciler.reconcile("store/shop");
    expect(h.writes).toContain("release Service/shop");
    expect(h.objects.get("Service/store/shop")).toBe(foreign);
    expect(h.condition("shop")).toMatchObject({ status: "False", reason: "ChildConflict" });
  });

  it("a new WebApp's NGINX proxies to its app Service's cluster IP: the Service is applied first", async () => {
    const h = reconcileHarness();
    h.webapp("shop", { app, web: {} });
    await h.reconciler.reconcile("store/shop");
    expect(h.writes[0]).toBe("apply Service/shop-app");
    const ip = h.get("Service", "shop-app").spec.clusterIP as string;
    expect(ip).toMatch(/^10\.96\./);
    expect(JSON.stringify(h.get("ConfigMap", "shop-nginx").data)).toContain(`${ip}:`);
  });

  it("an app Service owned by another leaves the web tier as it is and prunes nothing", async () => {
    const h = reconcileHarness({ hidden: new Set(["Service/store/shop-app"]) });
    h.objects.set("Service/store/shop-app", {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "shop-app",
        namespace: "store",
        managedFields: [{ manager: "helm", operation: "Update" }],
      },
      spec: { clusterIP: "10.96.9.9", ports: [{ port: 1 }] },
    });
    h.webapp("shop", { app, web: {} });
    await h.reconciler.reconcile("store/shop");
    expect(h.get("ConfigMap", "shop-nginx")).toBeUndefined();
    expect(h.get("Deployment", "shop-web")).toBeUndefined();
    expect(h.writes.filter((w) => w.startsWith("delete"))).toEqual([]);
    expect(h.condition("shop", "Degraded")).toMatchObject({ status: "True", reason: "ChildConflict" });
  });

  it("takes back a kept media claim of an earlier WebApp of the same name (labelled, no owner)", async () => {
    const h = reconcileHarness();
    h.webapp("shop", { app, media: { size: "1Gi" } });
    await h.reconciler.reconcile("store/shop");
    const claim = h.get("PersistentVolumeClaim", "shop-media");
    expect(claim.metadata.ownerReferences).toBeUndefined();
    // The WebApp is deleted (garbage collection takes every child it owns, not the kept claim) and
    // created again: a new uid, the same name.
    h.objects.delete("WebApp/store/shop");
    for (const [key, o] of h.objects) if (o.metadata.ownerReferences?.length) h.objects.delete(key);
    h.webapp("shop", { app, media: { size: "1Gi" } }).metadata.uid = "uid-of-the-new-shop";
    await h.reconciler.reconcile("store/shop");
    await h.reconciler.reconcile("store/shop");
    expect(h.condition("shop")).toMatchObject({ reason: "RollingOut" });
    expect(h.writes).toContain("apply PersistentVolumeClaim/shop-media");
  });
});

function parsed(name: string, spec: Record<string, unknown>) {
  const result = parseWebApp(webappObject(spec, name, "store"));
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.webapp;
}

const kindAndName = (o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;

describe("any two WebApps in one namespace", () => {
  const base = fc.constantFrom("shop", "flask-demo", "a", "web", "site-app", "x1");
  const suffix = fc.constantFrom("", "-app", "-web", "-nginx", "-media", "-static", "-app-app");
  const name = fc.tuple(base, suffix).map(([b, s]) => b + s);
  const spec = fc.constantFrom<Record<string, unknown>>(
    { app, web: {} },
    { app },
    { app, web: {}, media: { size: "1Gi" } },
    { web: {}, static: { persistentVolumeClaim: { size: "1Gi" } } },
    {
      app: { ...app, autoscaling: { maxReplicas: 4 } },
      web: { replicas: 3 },
      ingress: { host: "shop.example.com" },
    },
  );

  it("never share a child's kind and name unless the second is refused with a condition, the first untouched", async () => {
    await fc.assert(
      fc.asyncProperty(name, spec, name, spec, async (first, firstSpec, second, secondSpec) => {
        fc.pre(first !== second);
        const h = reconcileHarness();
        h.webapp(first, firstSpec);
        await h.reconciler.reconcile(`store/${first}`);
        const before = childrenSnapshot(h, first);
        h.webapp(second, secondSpec);
        await h.reconciler.reconcile(`store/${second}`);
        await h.reconciler.reconcile(`store/${first}`);

        const mine = new Set(render(parsed(first, firstSpec)).objects.map(kindAndName));
        const theirs = render(parsed(second, secondSpec)).objects.map(kindAndName);
        const shared = theirs.filter((k) => mine.has(k));
        expect(childrenSnapshot(h, first)).toEqual(before);
        if (shared.length > 0) {
          expect(h.condition(second)).toMatchObject({ status: "False", reason: "ChildConflict" });
          for (const k of shared) expect(h.condition(second).message).toContain(k.replace("/", " "));
        } else {
          expect(h.condition(second)?.reason).not.toBe("ChildConflict");
        }
        for (const o of h.objects.values()) {
          expect(o.metadata.ownerReferences?.filter((r) => r.controller) ?? []).not.toHaveLength(2);
        }
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});
