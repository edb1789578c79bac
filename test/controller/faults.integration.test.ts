/** Injected API failures, dropped and silently stalled watches: the operator still converges. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createNamespace,
  type Env,
  mergePatch,
  startEnv,
  startOperator,
  waitReady,
  webappManifest,
} from "../../hack/lib/operator-env.js";
import { WEBAPP_TYPE } from "../../src/controller/webapp-controller.js";
import { resourcePath } from "../../src/kube/resources.js";
import { CHILD_KINDS } from "../../src/render/index.js";
import type { Manager } from "../../src/runtime/manager.js";

const UA = "webapp-operator/faults";
const app = { image: "registry.example.com/shop:1.0.0", module: "shop.wsgi:application", replicas: 2 };
let env: Env;
let operator: Manager;

beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await operator?.stop();
  await env?.stop();
});

describe("faults", () => {
  it("converges through 409s, 500s, 429s, connection resets and dropped watches", async () => {
    const faults = [
      env.dc.faults.add({
        userAgent: UA,
        verb: "list",
        resource: "deployments",
        count: 2,
        respond: { status: 500 },
      }),
      env.dc.faults.add({ userAgent: UA, verb: "watch", resource: "webapps", count: 1, respond: "reset" }),
      env.dc.faults.add({
        userAgent: UA,
        verb: "patch",
        resource: "deployments",
        count: 3,
        respond: { status: 409 },
      }),
      env.dc.faults.add({
        userAgent: UA,
        verb: "patch",
        resource: "configmaps",
        count: 2,
        respond: { status: 500 },
      }),
      env.dc.faults.add({
        userAgent: UA,
        verb: "patch",
        resource: "services",
        count: 1,
        respond: { status: 429, retryAfterSeconds: 1 },
      }),
      env.dc.faults.add({
        userAgent: UA,
        verb: "patch",
        resource: "webapps",
        subresource: "status",
        count: 1,
        respond: "reset",
      }),
    ];
    operator = await startOperator(env, { userAgent: UA });
    await createNamespace(env, "faulty");
    await env.client.create(WEBAPP_TYPE, "faulty", webappManifest("faulty", "shop", { app, web: {} }));
    setTimeout(() => env.dc.faults.closeWatches({}), 300);
    await waitReady(env, "faulty", "shop", 30_000);
    const hits = faults.map((f) => f.hits);
    console.log(`faults hit: ${JSON.stringify(hits)}; reconcile errors: ${operator.stats.errors}`);
    expect(hits.every((h) => h > 0)).toBe(true);
    expect(operator.stats.errors).toBeGreaterThan(0);
  });

  it("rebuilds a silently stalled watch and converges", async () => {
    const stall = env.dc.faults.stallWatches({ resource: "deployments" }, { includeNew: false });
    expect(stall.stalled).toBeGreaterThan(0);
    const stallsBefore = Object.values(operator.informerStats()).reduce((n, s) => n + s.stalls, 0);
    await mergePatch(env, resourcePath(WEBAPP_TYPE, "faulty", "shop"), { spec: { app: { replicas: 3 } } });
    const wa = await waitReady(env, "faulty", "shop", 20_000);
    expect((wa.status as { app: { readyReplicas: number } }).app.readyReplicas).toBe(3);
    const dep = await env.client.get(CHILD_KINDS.Deployment, "faulty", "shop-app");
    expect((dep.spec as { replicas: number }).replicas).toBe(3);
    const stallsAfter = Object.values(operator.informerStats()).reduce((n, s) => n + s.stalls, 0);
    expect(stallsAfter).toBeGreaterThan(stallsBefore);
    stall.release();
  });

  it("relists after 410 Gone when a rebuilt watch's resourceVersion fell out of the server's history", async () => {
    const small = await startEnv({ watchHistory: 20 });
    const op = await startOperator(small, { userAgent: "webapp-operator/gone" });
    try {
      await createNamespace(small, "gone");
      await small.client.create(WEBAPP_TYPE, "gone", webappManifest("gone", "shop", { app, web: {} }));
      await waitReady(small, "gone", "shop");
      const listsBefore = Object.values(op.informerStats()).reduce((n, s) => n + s.lists, 0);
      const stall = small.dc.faults.stallWatches({}, { includeNew: false });
      await mergePatch(small, resourcePath(WEBAPP_TYPE, "gone", "shop"), { spec: { app: { replicas: 3 } } });
      for (let i = 0; i < 40; i++) {
        await small.client.create(CHILD_KINDS.ConfigMap, "gone", {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: `noise-${i}` },
        });
      }
      const wa = await waitReady(small, "gone", "shop", 20_000);
      expect((wa.status as { replicas: number }).replicas).toBe(3);
      const listsAfter = Object.values(op.informerStats()).reduce((n, s) => n + s.lists, 0);
      expect(listsAfter).toBeGreaterThan(listsBefore);
      stall.release();
    } finally {
      await op.stop();
      await small.stop();
    }
  });
});
