/**
 * The control plane as a user meets it with the real kubectl: ownership between WebApps whose names
 * overlap, kubectl scale where it cannot apply, status that says what serves, events as client-go's
 * recorder makes them. The embedded API server with the workload simulator; the operator in process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
import { WEBAPP_TYPE } from "../../src/controller/webapp-controller.js";
import type { KubeObject } from "../../src/kube/resources.js";
import { resourcePath } from "../../src/kube/resources.js";
import { ALL_CHILD_KINDS, CHILD_KINDS } from "../../src/render/index.js";
import type { Manager } from "../../src/runtime/manager.js";
import { toYamlStream } from "../../src/util/yaml.js";
import { findKubectl, Kubectl } from "../devcluster/kubectl-runner.js";

const kubectlBin = findKubectl();
const app = { image: "registry.example.com/flask-demo:1.0.0", module: "app:app" };

let env: Env;
let operator: Manager;
let kubectl: Kubectl;

beforeAll(async () => {
  env = await startEnv();
  operator = await startOperator(env);
  if (kubectlBin) kubectl = new Kubectl(kubectlBin, env.dc);
});

afterAll(async () => {
  await operator?.stop();
  await env?.stop();
});

async function apply(ns: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await createNamespace(env, ns);
  await env.client.create(WEBAPP_TYPE, ns, webappManifest(ns, name, spec));
}

/** Every child of a WebApp by kind/name, with its resourceVersion: "nothing changed" checks. */
async function childVersions(ns: string, owner: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const kind of ALL_CHILD_KINDS) {
    // Optional kinds this cluster does not serve (no Gateway API CRDs here) hold nothing.
    if (kind.optional && !(await env.client.servedKinds(kind.apiVersion)).has(kind.kind)) continue;
    const { items } = await env.client.list(kind, ns, {
      labelSelector: `app.kubernetes.io/instance=${owner}`,
    });
    for (const o of items) out[`${o.kind}/${o.metadata.name}`] = String(o.metadata.resourceVersion);
  }
  return out;
}

const get = (ns: string, name: string): Promise<KubeObject> => env.client.get(WEBAPP_TYPE, ns, name);

describe.skipIf(!kubectlBin)("WebApps whose names overlap", () => {
  it("<name>-app and <name>-web next to <name>: nothing of the first changes; the one that collides says so", async () => {
    await apply("overlap", "flask-demo", { app, web: {} });
    await waitReady(env, "overlap", "flask-demo");
    const before = await childVersions("overlap", "flask-demo");
    expect(before["Service/flask-demo-app"]).toBeDefined();

    await kubectl.ok(["apply", "-n", "overlap", "-f", "-"], {
      input: toYamlStream([
        webappManifest("overlap", "flask-demo-app", { app, web: {} }),
        webappManifest("overlap", "flask-demo-web", { app, web: {} }),
      ]),
    });
    // flask-demo-web's children have names of their own: it becomes Ready.
    await waitReady(env, "overlap", "flask-demo-web");
    // flask-demo-app's entry Service is flask-demo's app Service: refused, and said so.
    const refused = await waitFor(
      async () => {
        const wa = await get("overlap", "flask-demo-app");
        return condition(wa, "Ready")?.reason === "ChildConflict" ? wa : undefined;
      },
      { message: "flask-demo-app reports the conflict" },
    );
    expect(condition(refused, "Ready")?.message).toContain(
      "Service flask-demo-app already exists and belongs to WebApp flask-demo",
    );
    expect(condition(refused, "Stalled")?.status).toBe("True");
    const wide = await kubectl.ok(["get", "webapp", "flask-demo-app", "-n", "overlap", "-o", "wide"]);
    expect(wide).toContain("ChildConflict");
    const events = await kubectl.ok([
      "get",
      "events",
      "-n",
      "overlap",
      "--field-selector",
      "reason=ChildConflict",
    ]);
    expect(events).toContain("webapp/flask-demo-app");

    // Three resync periods (1 s each here) later, nothing of flask-demo has been written.
    await new Promise((r) => setTimeout(r, 3500));
    expect(await childVersions("overlap", "flask-demo")).toEqual(before);
    const svc = await env.client.get(CHILD_KINDS.Service, "overlap", "flask-demo-app");
    expect((svc.spec as { selector: Record<string, string> }).selector["app.kubernetes.io/instance"]).toBe(
      "flask-demo",
    );
  }, 60_000);
});

describe.skipIf(!kubectlBin)("kubectl scale", () => {
  it("on an autoscaled WebApp is refused, saying why and what to change", async () => {
    await apply("scale-hpa", "shop", { app: { ...app, autoscaling: { maxReplicas: 5 } }, web: {} });
    await waitReady(env, "scale-hpa", "shop");
    const r = await kubectl.run(["scale", "webapp/shop", "-n", "scale-hpa", "--replicas=4"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("replicas cannot be set while autoscaling is set");
    expect(r.stderr).toContain("autoscaling.minReplicas and maxReplicas");
  });

  it("on a static-only site says there is no app tier to scale", async () => {
    await apply("scale-static", "docs", {
      web: {},
      static: { fromImage: { image: "registry.example.com/docs:1", path: "/site" } },
    });
    await waitReady(env, "scale-static", "docs");
    const r = await kubectl.run(["scale", "webapp/docs", "-n", "scale-static", "--replicas=3"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("this WebApp has no app tier to scale");
    expect(r.stderr).not.toContain("Required value");
  });
});

describe.skipIf(!kubectlBin)("status a user can act on", () => {
  it("zero app replicas: not Ready, and the message says what still serves", async () => {
    await apply("zero", "shop", { app: { ...app, replicas: 2 }, web: {} });
    await waitReady(env, "zero", "shop");
    await kubectl.ok(["scale", "webapp/shop", "-n", "zero", "--replicas=0"]);
    const wa = await waitFor(
      async () => {
        const w = await get("zero", "shop");
        return condition(w, "Ready")?.reason === "ScaledToZero" ? w : undefined;
      },
      { message: "Ready=False ScaledToZero" },
    );
    expect(condition(wa, "Ready")?.status).toBe("False");
    expect(condition(wa, "Ready")?.message).toContain("NGINX still serves static and media files");
    expect(condition(wa, "Ready")?.message).toContain("502");
    expect(condition(wa, "Degraded")).toMatchObject({ status: "False", message: "" });
    expect(condition(wa, "Stalled")).toMatchObject({ status: "False", message: "" });
  });

  it("the URL is the Ingress's (https with TLS), warnings are a list, -o wide shows the image", async () => {
    await apply("urls", "shop", {
      app: { ...app, replicas: 1 },
      web: {},
      ingress: { host: "shop.example.com", tlsSecretName: "shop-tls" },
    });
    const wa = await waitReady(env, "urls", "shop");
    const status = wa.status as {
      url: string;
      clusterURL: string;
      warnings: { field: string; message: string }[];
    };
    expect(status.url).toBe("https://shop.example.com/");
    expect(status.clusterURL).toBe("http://shop.urls.svc:80");
    expect(status.warnings).toContainEqual({
      field: "spec.app.replicas",
      message: expect.stringContaining("single app replica"),
    });
    const table = await kubectl.ok(["get", "webapps", "-n", "urls", "-o", "wide"]);
    const [header, row] = table.trim().split("\n");
    expect(header).toMatch(/URL\s+IMAGE\s+AGE/);
    expect(header).toMatch(/REASON/);
    expect(row).toContain("https://shop.example.com/");
    expect(row).toContain(app.image);
  });
});

describe.skipIf(!kubectlBin)("events", () => {
  it("a child that did not change gets no event; a repeated failure is one Event with a count", async () => {
    await apply("events", "shop", {
      app: { ...app, replicas: 2, resources: { requests: { cpu: "500m" } } },
      web: {},
    });
    await waitReady(env, "events", "shop");
    const operatorEvents = async () =>
      (await env.client.list({ apiVersion: "v1", kind: "Event", plural: "events" }, "events")).items.filter(
        (e) => (e as { reportingComponent?: string }).reportingComponent === "webapp-operator",
      ) as (KubeObject & { reason: string; message: string; count: number })[];
    // Creation: the Ready event tells it; resyncs add nothing.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await operatorEvents()).map((e) => e.reason)).toEqual(["Ready"]);

    // A spec change is told by the WebApp's generation and status: no event for it.
    await mergePatch(env, resourcePath(WEBAPP_TYPE, "events", "shop"), { spec: { app: { replicas: 3 } } });
    const changed = await waitFor(
      async () => {
        const w = await get("events", "shop");
        return (w.status as { observedGeneration?: number }).observedGeneration === 2 ? w : undefined;
      },
      { message: "the change observed" },
    );
    expect(changed.metadata.generation).toBe(2);
    // A child changed outside the WebApp is taken back, and that is worth an event naming only it.
    await mergePatch(env, resourcePath(CHILD_KINDS.Deployment, "events", "shop-app"), {
      spec: { revisionHistoryLimit: 1 },
    });
    await waitFor(async () => (await operatorEvents()).some((e) => e.reason === "Applied"), {
      message: "an Applied event",
    });
    const applied = (await operatorEvents()).filter((e) => e.reason === "Applied");
    expect(applied).toHaveLength(1);
    expect(applied[0]!.message).toBe("Took back Deployment shop-app (changed outside the WebApp)");

    // The same refusal three times: one Event, counted. (A failure a retry may fix, a 500, is
    // retried without an Event until it lasts; a refusal is reported at once.)
    const fault = env.dc.faults.add({
      userAgent: "webapp-operator/test",
      verb: "patch",
      resource: "configmaps",
      count: 3,
      respond: { status: 422 },
    });
    await mergePatch(env, resourcePath(WEBAPP_TYPE, "events", "shop"), {
      spec: { web: { clientMaxBodySize: "20m" } },
    });
    await waitReady(env, "events", "shop", 30_000);
    fault.cancel();
    const failures = (await operatorEvents()).filter((e) => e.reason === "ApplyFailed");
    expect(failures).toHaveLength(1);
    expect(failures[0]!.count).toBe(3);
    const printed = await kubectl.ok([
      "get",
      "events",
      "-n",
      "events",
      "-o",
      "wide",
      "--field-selector",
      "reason=ApplyFailed",
    ]);
    expect(printed).toMatch(/\s3\s+shop\./);
  }, 60_000);
});
