/**
 * The operator talks to the cluster through @kubernetes/client-node 1.4; these are the calls it makes:
 * server-side apply with KubernetesObjectApi, CustomObjectsApi with the status subresource, CoreV1Api,
 * AppsV1Api, CoordinationV1Api (MicroTime), typed errors (ApiException), and informers (list then watch).
 */
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { deployment, eventually, fixture } from "./helpers.js";

describe("@kubernetes/client-node against the dev cluster", () => {
  let c: DevCluster;
  let kc: KubeConfig;
  beforeAll(async () => {
    c = await startDevCluster({ simulateWorkloads: true });
    kc = new KubeConfig();
    kc.loadFromString(c.kubeconfig());
    c.apply(fixture("widgets-crd.yaml"));
    await eventually(() => c.registry.find("test.devcluster.dev", "v1alpha1", "widgets"));
  });
  afterAll(async () => {
    await c.stop();
  });

  it("server-side applies with one field manager and force", async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const desired = {
      ...deployment("ssa"),
      metadata: { name: "ssa", namespace: "default", labels: { app: "ssa" } },
    };
    const created = await objects.patch(
      desired as KubernetesObject,
      undefined,
      undefined,
      "webapp-operator",
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(created.metadata?.managedFields?.[0]).toMatchObject({
      manager: "webapp-operator",
      operation: "Apply",
    });
    expect(created.metadata?.generation).toBe(1);
    // Re-applying the same configuration is a no-op: no new resourceVersion, no watch event.
    const cm = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "ssa", namespace: "default" },
      data: { a: "1" },
    };
    const first = await objects.patch(
      cm as KubernetesObject,
      undefined,
      undefined,
      "webapp-operator",
      true,
      PatchStrategy.ServerSideApply,
    );
    const again = await objects.patch(
      cm as KubernetesObject,
      undefined,
      undefined,
      "webapp-operator",
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(again.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
  });

  it("reads and writes a custom resource and its status", async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const body = fixture("widget.yaml");
    const created = (await api.createNamespacedCustomObject({
      group: "test.devcluster.dev",
      version: "v1alpha1",
      namespace: "default",
      plural: "widgets",
      body,
    })) as KubernetesObject & { spec: { storageClass: string } };
    expect(created.spec.storageClass).toBe("standard");
    const withStatus = (await api.patchNamespacedCustomObjectStatus(
      {
        group: "test.devcluster.dev",
        version: "v1alpha1",
        namespace: "default",
        plural: "widgets",
        name: "gizmo",
        body: { status: { replicas: 2, conditions: [{ type: "Ready", status: "True" }] } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    )) as KubernetesObject & { status: { replicas: number } };
    expect(withStatus.status.replicas).toBe(2);
    expect(withStatus.metadata?.generation).toBe(1);
  });

  it("raises ApiException with the Status body for 404 and 409", async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const err = await apps
      .readNamespacedDeployment({ name: "missing", namespace: "default" })
      .catch((e) => e);
    expect(err.code).toBe(404);
    const status = typeof err.body === "string" ? JSON.parse(err.body) : err.body;
    expect(status.reason).toBe("NotFound");
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "dup" } } });
    const dup = await core
      .createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "dup" } } })
      .catch((e) => e);
    expect(dup.code).toBe(409);
  });

  it("holds a Lease with MicroTime timestamps", async () => {
    const api = kc.makeApiClient(CoordinationV1Api);
    const now = new V1MicroTime();
    const lease = await api.createNamespacedLease({
      namespace: "default",
      body: {
        metadata: { name: "webapp-operator-leader" },
        spec: { holderIdentity: "pod-a", leaseDurationSeconds: 15, acquireTime: now, renewTime: now },
      },
    });
    expect(lease.spec?.holderIdentity).toBe("pod-a");
    const stored = c.get("coordination.k8s.io/v1", "Lease", "default", "webapp-operator-leader");
    expect((stored!.spec as { renewTime: string }).renewTime).toMatch(/\.\d{6}Z$/);
  });

  it("keeps an informer cache in step through list and watch", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, "/api/v1/namespaces/default/configmaps", () =>
      core.listNamespacedConfigMap({ namespace: "default" }),
    );
    const seen: string[] = [];
    informer.on("add", (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on("update", (o) => seen.push(`update ${o.metadata?.name}`));
    informer.on("delete", (o) => seen.push(`delete ${o.metadata?.name}`));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({
        namespace: "default",
        body: { metadata: { name: "inf" }, data: { a: "1" } },
      });
      await core.patchNamespacedConfigMap(
        { namespace: "default", name: "inf", body: { data: { a: "2" } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
      await core.deleteNamespacedConfigMap({ namespace: "default", name: "inf" });
      await eventually(() => (seen.includes("delete inf") ? true : undefined));
      expect(seen).toContain("add dup");
      expect(seen.filter((s) => s.endsWith(" inf"))).toEqual(["add inf", "update inf", "delete inf"]);
      expect(informer.get("dup", "default")?.metadata?.name).toBe("dup");
    } finally {
      await informer.stop();
    }
  });

  it("relists after a watch is closed by the server", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, "/api/v1/namespaces/default/configmaps", () =>
      core.listNamespacedConfigMap({ namespace: "default" }),
    );
    await informer.start();
    try {
      expect(c.faults.closeWatches({ resource: "configmaps" })).toBeGreaterThan(0);
      await core.createNamespacedConfigMap({
        namespace: "default",
        body: { metadata: { name: "after-close" } },
      });
      await eventually(() => informer.get("after-close", "default"), 5000);
    } finally {
      await informer.stop();
    }
  });
});
