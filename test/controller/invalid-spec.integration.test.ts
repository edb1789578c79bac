/** A WebApp the CRD let through (an older, looser CRD) but the operator's schema rejects. */
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
import { Kinds, type KubeObject, resourcePath } from "../../src/kube/resources.js";
import { CHILD_KINDS } from "../../src/render/index.js";
import type { Manager } from "../../src/runtime/manager.js";

let env: Env;
let operator: Manager;
beforeAll(async () => {
  env = await startEnv({ loosenCrd: true });
  operator = await startOperator(env);
});
afterAll(async () => {
  await operator?.stop();
  await env?.stop();
});

/** What a child looks like from the user's side: everything but status and server bookkeeping. */
function content(o: KubeObject): string {
  const { status: _s, metadata, ...rest } = o as KubeObject & { status?: unknown };
  return JSON.stringify({
    ...rest,
    labels: metadata.labels,
    annotations: metadata.annotations,
    generation: metadata.generation,
  });
}

describe("invalid spec", () => {
  it("sets Ready=False InvalidSpec naming the field, emits a Warning event, leaves children as they are", async () => {
    await createNamespace(env, "bad");
    const app = { image: "registry.example.com/shop:1.0.0", module: "shop.wsgi:application", replicas: 2 };
    await env.client.create(WEBAPP_TYPE, "bad", webappManifest("bad", "shop", { app, web: {} }));
    await waitReady(env, "bad", "shop");
    const snapshot = async () => {
      const all: string[] = [];
      for (const kind of ["Deployment", "Service", "ConfigMap"] as const) {
        for (const o of (await env.client.list(CHILD_KINDS[kind], "bad")).items) all.push(content(o));
      }
      return all.sort();
    };
    const before = await snapshot();
    await mergePatch(env, resourcePath(WEBAPP_TYPE, "bad", "shop"), {
      spec: { app: { workers: -3, image: "other:2" } },
    });
    const wa = await waitFor(
      async () => {
        const w = await env.client.get(WEBAPP_TYPE, "bad", "shop");
        return condition(w, "Ready")?.reason === "InvalidSpec" ? w : undefined;
      },
      { message: "InvalidSpec condition" },
    );
    expect(condition(wa, "Ready")?.status).toBe("False");
    expect(condition(wa, "Ready")?.message).toContain("spec.app.workers");
    expect(condition(wa, "Degraded")?.status).toBe("True");
    expect((wa.status as { observedGeneration: number }).observedGeneration).toBe(wa.metadata.generation);
    const events = await waitFor(
      async () => {
        const list = await env.client.list(Kinds.Event, "bad");
        const found = list.items.filter(
          (e) => (e as KubeObject & { reason?: string }).reason === "InvalidSpec",
        );
        return found.length > 0 ? found : undefined;
      },
      { message: "InvalidSpec event" },
    );
    expect(events[0]).toMatchObject({ type: "Warning", involvedObject: { kind: "WebApp", name: "shop" } });
    expect((events[0] as KubeObject & { message: string }).message).toContain("spec.app.workers");
    await new Promise((r) => setTimeout(r, 2000)); // two resyncs
    expect(await snapshot()).toEqual(before);
    expect(
      (await env.client.list(Kinds.Event, "bad")).items.filter(
        (e) => (e as KubeObject & { reason?: string }).reason === "InvalidSpec",
      ),
    ).toHaveLength(1);
  });
});
