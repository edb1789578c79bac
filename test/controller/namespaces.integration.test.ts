/** --namespaces: the operator watches and acts on the listed namespaces only. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createNamespace,
  type Env,
  startEnv,
  startOperator,
  waitReady,
  webappManifest,
} from "../../hack/lib/operator-env.js";
import { WEBAPP_TYPE } from "../../src/controller/webapp-controller.js";
import { CHILD_KINDS } from "../../src/render/index.js";
import type { Manager } from "../../src/runtime/manager.js";

const app = { image: "registry.example.com/shop:1.0.0", module: "shop.wsgi:application", replicas: 1 };
let env: Env;
let operator: Manager;
beforeAll(async () => {
  env = await startEnv();
  operator = await startOperator(env, { namespaces: ["watched", "also-watched"] });
});
afterAll(async () => {
  await operator?.stop();
  await env?.stop();
});

describe("namespaces", () => {
  it("reconciles WebApps in the listed namespaces and leaves the others alone", async () => {
    for (const ns of ["watched", "also-watched", "ignored"]) {
      await createNamespace(env, ns);
      await env.client.create(WEBAPP_TYPE, ns, webappManifest(ns, "shop", { app, web: {} }));
    }
    await waitReady(env, "watched", "shop");
    await waitReady(env, "also-watched", "shop");
    await new Promise((r) => setTimeout(r, 1500));
    expect((await env.client.list(CHILD_KINDS.Deployment, "ignored")).items).toEqual([]);
    expect((await env.client.get(WEBAPP_TYPE, "ignored", "shop")).status).toBeUndefined();
    expect(Object.keys(operator.informerStats()).every((k) => !k.endsWith("|*"))).toBe(true);
  });
});
