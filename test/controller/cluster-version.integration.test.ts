/**
 * What the operator renders depends on the cluster where a feature is new: the preStop delay uses the
 * pod lifecycle's `sleep` action (on by default from Kubernetes 1.30), and a 1.29 cluster, which would
 * refuse it, gets the image's `sleep` instead. The API server's version is read once, at start.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  createNamespace,
  type Env,
  startEnv,
  startOperator,
  waitReady,
  webappManifest,
} from "../../hack/lib/operator-env.js";
import { clusterRenderInputs } from "../../src/controller/cluster-inputs.js";
import { WEBAPP_TYPE } from "../../src/controller/webapp-controller.js";
import type { KubeObject } from "../../src/kube/resources.js";
import { CHILD_KINDS } from "../../src/render/index.js";
import type { Manager } from "../../src/runtime/manager.js";

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function preStopOf(kubernetesVersion: string): Promise<unknown[]> {
  const env: Env = await startEnv({ kubernetesVersion });
  stops.push(() => env.stop());
  const operator: Manager = await startOperator(env);
  stops.push(() => operator.stop());
  await createNamespace(env, "shop");
  await env.client.create(
    WEBAPP_TYPE,
    "shop",
    webappManifest("shop", "shop", {
      app: { image: "registry.example.com/shop:1", module: "shop.wsgi:application" },
      web: {},
    }),
  );
  await waitReady(env, "shop", "shop");
  const lifecycles: unknown[] = [];
  for (const name of ["shop-web", "shop-app"]) {
    const d = (await env.client.get(CHILD_KINDS.Deployment, "shop", name)) as KubeObject & {
      spec: { template: { spec: { containers: { lifecycle?: { preStop?: unknown } }[] } } };
    };
    lifecycles.push(...d.spec.template.spec.containers.map((c) => c.lifecycle?.preStop));
  }
  return lifecycles;
}

describe("the cluster's version", () => {
  it("is read from /version as numbers", async () => {
    const env = await startEnv({ kubernetesVersion: "1.29" });
    stops.push(() => env.stop());
    await expect(env.client.serverVersion()).resolves.toEqual({
      major: 1,
      minor: 29,
      gitVersion: "v1.29.0-devcluster",
    });
  });

  it("1.30 and later: the preStop delay is the kubelet's sleep action", async () => {
    const preStops = await preStopOf("1.30");
    expect(preStops.length).toBeGreaterThanOrEqual(2);
    for (const p of preStops) expect(p).toEqual({ sleep: { seconds: 5 } });
  });

  it("1.29: the preStop delay runs the image's sleep, which that cluster accepts", async () => {
    const preStops = await preStopOf("1.29");
    expect(preStops.length).toBeGreaterThanOrEqual(2);
    for (const p of preStops) expect(p).toEqual({ exec: { command: ["sleep", "5"] } });
  });

  it("maps versions to render inputs: an unknown version keeps the renderer's defaults", () => {
    expect(clusterRenderInputs({ major: 1, minor: 29, gitVersion: "v1.29.8" })).toEqual({
      lifecycleSleepAction: false,
    });
    expect(clusterRenderInputs({ major: 1, minor: 30, gitVersion: "v1.30.0" })).toEqual({
      lifecycleSleepAction: true,
    });
    expect(clusterRenderInputs({ major: 2, minor: 0, gitVersion: "v2.0.0" })).toEqual({
      lifecycleSleepAction: true,
    });
    expect(clusterRenderInputs(undefined)).toEqual({});
  });
});
