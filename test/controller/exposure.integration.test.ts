/**
 * Exposure on the embedded API server: the Gateway API's HTTPRoute is an optional kind. Without its
 * CRDs the operator runs, WebApps that do not ask for a route are unaffected, and one that does says
 * why it has none; once the published CRD is installed, the route is created, updated and pruned like
 * any child. And a body-size change reaches both the web tier's nginx.conf and ingress-nginx's annotation.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CRD_TYPE,
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
import { isNotFound } from "../../src/kube/errors.js";
import { Kinds, type KubeObject, resourcePath } from "../../src/kube/resources.js";
import { CHILD_KINDS } from "../../src/render/index.js";
import type { Manager } from "../../src/runtime/manager.js";
import { httpRouteCrd } from "../support/gateway-api.js";

// biome-ignore lint/suspicious/noExplicitAny: tests read deep into arbitrary object shapes
type Obj = KubeObject & Record<string, any>;

const NS = "exposure";
const app = { image: "registry.example.com/shop:1.0.0", module: "shop.wsgi:application", replicas: 1 };
const route = (hostnames: string[]) => ({
  parentRefs: [{ name: "public", namespace: "infra", sectionName: "https" }],
  hostnames,
  https: true,
});

let env: Env;
let operator: Manager;

beforeAll(async () => {
  env = await startEnv();
  // Looks for kinds that are not served every 200 ms, so the CRD installed below is found at once.
  operator = await startOperator(env, { discoveryPeriodMs: 200 });
  await createNamespace(env, NS);
});
afterAll(async () => {
  await operator?.stop();
  await env?.stop();
});

async function get(kind: keyof typeof CHILD_KINDS, name: string): Promise<Obj | undefined> {
  return (env.client.get(CHILD_KINDS[kind], NS, name) as Promise<Obj>).catch((err) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
}

function create(name: string, spec: Record<string, unknown>): Promise<KubeObject> {
  return env.client.create(WEBAPP_TYPE, NS, webappManifest(NS, name, spec));
}

function patchSpec(name: string, spec: Record<string, unknown>): Promise<KubeObject> {
  return mergePatch(env, resourcePath(WEBAPP_TYPE, NS, name), { spec });
}

async function webapp(name: string): Promise<Obj> {
  return (await env.client.get(WEBAPP_TYPE, NS, name)) as Obj;
}

describe("without the Gateway API CRDs", () => {
  it("runs: a WebApp with an Ingress is Ready, one asking for a route says why it has none", async () => {
    await create("plain", {
      app,
      web: {},
      ingress: { hosts: [{ host: "plain.example.com", tlsSecretName: "plain-tls" }], className: "nginx" },
    });
    await create("routed", { app, web: {}, httpRoute: route(["routed.example.com"]) });

    const plain = await waitReady(env, NS, "plain");
    expect((plain.status as Obj).url).toBe("https://plain.example.com/");
    expect(await get("Ingress", "plain")).toBeDefined();

    const routed = await waitFor(
      async () => {
        const wa = await webapp("routed");
        return condition(wa, "Ready")?.reason === "KindNotServed" ? wa : undefined;
      },
      { message: "routed reports KindNotServed" },
    );
    const ready = condition(routed, "Ready")!;
    expect(ready.status).toBe("False");
    expect(ready.message).toContain("HTTPRoute (gateway.networking.k8s.io/v1) is not served by this cluster");
    expect(ready.message).toContain("install the Gateway API CRDs");
    expect(condition(routed, "Stalled")?.status).toBe("True");
    // Everything else of that WebApp is applied all the same.
    expect(await get("Deployment", "routed-web")).toBeDefined();
    expect(await get("Service", "routed")).toBeDefined();
    const events = await waitFor(
      async () => {
        const { items } = await env.client.list(Kinds.Event, NS);
        const found = (items as Obj[]).filter(
          (e) => e.involvedObject?.name === "routed" && e.reason === "KindNotServed",
        );
        return found.length > 0 ? found : undefined;
      },
      { message: "a KindNotServed Warning event" },
    );
    expect(events[0]!.type).toBe("Warning");
  });
});

describe("with the published HTTPRoute CRD installed", () => {
  it("creates the route the WebApp waited for, then updates, prunes and recreates it like any child", async () => {
    await env.client.create(CRD_TYPE, undefined, httpRouteCrd());
    const ready = await waitReady(env, NS, "routed", 30_000);
    expect((ready.status as Obj).url).toBe("https://routed.example.com/");
    const created = (await get("HTTPRoute", "routed"))!;
    expect(created.spec.hostnames).toEqual(["routed.example.com"]);
    expect(created.spec.parentRefs[0]).toMatchObject({
      name: "public",
      namespace: "infra",
      sectionName: "https",
    });
    expect(created.spec.rules[0].backendRefs[0]).toMatchObject({ name: "routed", port: 80 });
    expect(created.metadata.ownerReferences?.[0]).toMatchObject({ kind: "WebApp", name: "routed" });

    // Updated: a new host name first.
    await patchSpec("routed", { httpRoute: route(["www.routed.example.com", "routed.example.com"]) });
    await waitFor(
      async () => (await get("HTTPRoute", "routed"))?.spec.hostnames?.[0] === "www.routed.example.com",
      { message: "the route's host names updated" },
    );
    expect((await waitReady(env, NS, "routed")).status).toMatchObject({
      url: "https://www.routed.example.com/",
    });

    // Pruned: published through an Ingress instead.
    await patchSpec("routed", { httpRoute: null, ingress: { host: "routed.example.com" } });
    await waitFor(async () => (await get("HTTPRoute", "routed")) === undefined, { message: "route pruned" });
    expect(await get("Ingress", "routed")).toBeDefined();
    expect((await waitReady(env, NS, "routed")).status).toMatchObject({ url: "http://routed.example.com/" });

    // And back: the Ingress goes, a route comes.
    await patchSpec("routed", { ingress: null, httpRoute: route(["routed.example.com"]) });
    await waitFor(async () => (await get("HTTPRoute", "routed")) !== undefined, {
      message: "route recreated",
    });
    await waitFor(async () => (await get("Ingress", "routed")) === undefined, { message: "Ingress pruned" });
    await waitReady(env, NS, "routed");
  });

  it("the WebApp with an Ingress was never touched by any of it", async () => {
    const plain = await webapp("plain");
    expect(condition(plain, "Ready")?.status).toBe("True");
    expect(plain.metadata.generation).toBe(1);
    expect(await get("HTTPRoute", "plain")).toBeUndefined();
  });

  it("stays silent once converged: no writes over three resyncs with a route", async () => {
    await waitReady(env, NS, "routed");
    await new Promise((r) => setTimeout(r, 1000));
    const reconciles0 = operator.stats.reconciles;
    env.dc.stats.reset();
    await new Promise((r) => setTimeout(r, 3 * 1000 + 500));
    expect(operator.stats.reconciles - reconciles0).toBeGreaterThanOrEqual(3);
    expect(env.dc.stats.snapshot().writes).toBe(0);
  });
});

describe("the API server refuses what the schema refuses", () => {
  async function refusal(spec: Record<string, unknown>): Promise<string> {
    const err = await create("refused", spec).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err, "the WebApp was accepted").toBeDefined();
    return err!.message;
  }

  it("a snippet annotation, an injection into ingress-nginx's config, duplicate hosts, ingress beside a route", async () => {
    const ingress = (extra: object) => ({ app, ingress: { host: "a.example.com", ...extra } });
    expect(
      await refusal(
        ingress({ annotations: { "nginx.ingress.kubernetes.io/server-snippet": "return 200;" } }),
      ),
    ).toContain("snippet annotations");
    expect(
      await refusal(ingress({ annotations: { "nginx.ingress.kubernetes.io/auth-url": "http://a/#;}" } })),
    ).toContain("must not contain ; { } #");
    expect(
      await refusal({ app, ingress: { hosts: [{ host: "a.example.com" }, { host: "a.example.com" }] } }),
    ).toContain("Duplicate value");
    expect(await refusal({ ...ingress({}), httpRoute: route(["a.example.com"]) })).toContain(
      "set ingress or httpRoute, not both",
    );
  });
});

describe("the body size", () => {
  it("a clientMaxBodySize change reaches both the web tier's nginx.conf and ingress-nginx's annotation", async () => {
    const annotation = async () =>
      (await get("Ingress", "plain"))?.metadata.annotations?.["nginx.ingress.kubernetes.io/proxy-body-size"];
    const conf = async () =>
      (await get("ConfigMap", "plain-nginx"))?.data?.["nginx.conf"] as string | undefined;
    expect(await annotation()).toBe("10m");
    expect(await conf()).toContain("client_max_body_size 10m;");

    await patchSpec("plain", { web: { clientMaxBodySize: "64m" } });
    await waitReady(env, NS, "plain");
    await waitFor(async () => (await annotation()) === "64m", { message: "the Ingress annotation at 64m" });
    expect(await conf()).toContain("client_max_body_size 64m;");
    expect(await conf()).not.toContain("client_max_body_size 10m;");
  });
});
