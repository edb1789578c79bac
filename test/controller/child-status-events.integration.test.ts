/**
 * A child's status that the WebApp's status never reads (a disruption budget's counts, an
 * autoscaler's metrics) changes with every pod's readiness or every 15 s on a real cluster: such an
 * update queues no reconcile. A change to the child itself (its labels, its spec) still does, and a
 * Deployment's status (which the WebApp's readiness is made of) always does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
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
import { resourcePath } from "../../src/kube/resources.js";
import { CHILD_KINDS } from "../../src/render/index.js";
import type { Manager } from "../../src/runtime/manager.js";

let env: Env;
let operator: Manager;

beforeAll(async () => {
  env = await startEnv();
  // No periodic resync during the test: every queued key comes from an event.
  operator = await startOperator(env, { resyncPeriodMs: 600_000 });
  await createNamespace(env, "shop");
  await env.client.create(
    WEBAPP_TYPE,
    "shop",
    webappManifest("shop", "shop", {
      app: { image: "registry.example.com/shop:1", module: "shop.wsgi:application", replicas: 2 },
      web: {},
    }),
  );
  await waitReady(env, "shop", "shop");
});
afterAll(async () => {
  await operator?.stop();
  await env?.stop();
});

/** Keys the operator's work queue took in so far. */
async function queued(): Promise<number> {
  const text = await (await fetch(`${operator.metricsUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("workqueue_adds_total{"));
  if (!line) throw new Error("no workqueue_adds_total on /metrics");
  return Number(line.split(" ").at(-1));
}

/** The count once nothing has been queued for a second. */
async function settledQueued(): Promise<number> {
  let last = await queued();
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await queued();
    if (now === last) return now;
    last = now;
  }
}

describe("a child's status", () => {
  it("a disruption budget's status alone queues nothing; its labels do", async () => {
    const pdb = resourcePath(CHILD_KINDS.PodDisruptionBudget, "shop", "shop-app");
    const before = await settledQueued();
    expect(before).toBeGreaterThan(0);
    await env.client.patchStatus(CHILD_KINDS.PodDisruptionBudget, "shop", "shop-app", {
      status: { currentHealthy: 1, desiredHealthy: 1, disruptionsAllowed: 0, expectedPods: 2 },
    });
    const live = (await env.client.get(CHILD_KINDS.PodDisruptionBudget, "shop", "shop-app")) as {
      status?: { currentHealthy?: number };
    };
    expect(live.status?.currentHealthy).toBe(1); // the status did change
    expect(await settledQueued()).toBe(before);

    await mergePatch(env, pdb, { metadata: { labels: { team: "payments" } } });
    await waitFor(async () => (await queued()) > before, { message: "a reconcile for the label change" });
  });

  it("a Deployment's status queues its WebApp: readiness is made of it", async () => {
    const before = await settledQueued();
    await env.client.patchStatus(CHILD_KINDS.Deployment, "shop", "shop-app", {
      status: { readyReplicas: 1, availableReplicas: 1 },
    });
    await waitFor(async () => (await queued()) > before, {
      message: "a reconcile for the Deployment's status",
    });
  });
});
