/** Storage, resourceVersions, the verbs and their errors in the real Status shape, paging and selectors. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { call, deployment, NS_CONFIGMAPS, NS_DEPLOYMENTS } from "./helpers.js";

describe("storage and verbs", () => {
  let c: DevCluster;
  beforeAll(async () => {
    c = await startDevCluster();
  });
  afterAll(async () => {
    await c.stop();
  });

  const cm = (name: string, labels: Record<string, string> = {}) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, labels },
    data: { k: "v" },
  });

  it("creates with uid, creationTimestamp, resourceVersion and managedFields", async () => {
    const r = await call(c, "POST", NS_CONFIGMAPS("default"), cm("one"));
    expect(r.status).toBe(201);
    expect(r.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(r.body.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(r.body.metadata.generation).toBeUndefined();
    expect(r.body.metadata.managedFields[0]).toMatchObject({ manager: "node", operation: "Update" });
  });

  it("answers 409 AlreadyExists and 404 NotFound in the Status shape", async () => {
    const dup = await call(c, "POST", NS_CONFIGMAPS("default"), cm("one"));
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'configmaps "one" already exists',
      reason: "AlreadyExists",
      details: { name: "one", kind: "configmaps" },
      code: 409,
    });
    const missing = await call(c, "GET", `${NS_DEPLOYMENTS("default")}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      reason: "NotFound",
      message: 'deployments.apps "nope" not found',
      details: { name: "nope", group: "apps", kind: "deployments" },
    });
    const ns = await call(c, "POST", NS_CONFIGMAPS("nowhere"), cm("x"));
    expect(ns.status).toBe(404);
    expect(ns.body.message).toBe('namespaces "nowhere" not found');
  });

  it("refuses a stale resourceVersion with 409 Conflict and bumps it on every change", async () => {
    const got = (await call(c, "GET", `${NS_CONFIGMAPS("default")}/one`)).body;
    const updated = await call(c, "PUT", `${NS_CONFIGMAPS("default")}/one`, { ...got, data: { k: "v2" } });
    expect(updated.status).toBe(200);
    expect(Number(updated.body.metadata.resourceVersion)).toBeGreaterThan(
      Number(got.metadata.resourceVersion),
    );
    const stale = await call(c, "PUT", `${NS_CONFIGMAPS("default")}/one`, { ...got, data: { k: "v3" } });
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe("Conflict");
    expect(stale.body.message).toBe(
      'Operation cannot be fulfilled on configmaps "one": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it("does not write (or bump resourceVersion) for a no-op update", async () => {
    const got = (await call(c, "GET", `${NS_CONFIGMAPS("default")}/one`)).body;
    const same = await call(c, "PUT", `${NS_CONFIGMAPS("default")}/one`, got);
    expect(same.body.metadata.resourceVersion).toBe(got.metadata.resourceVersion);
  });

  it("answers 422 with one cause per invalid field", async () => {
    const bad = deployment("Bad_Name");
    bad.spec.template.metadata.labels = { app: "other" };
    const r = await call(c, "POST", NS_DEPLOYMENTS("default"), bad);
    expect(r.status).toBe(422);
    expect(r.body.reason).toBe("Invalid");
    expect(r.body.details.kind).toBe("Deployment");
    const fields = r.body.details.causes.map((x: { field: string }) => x.field);
    expect(fields).toEqual(["metadata.name", "spec.template.metadata.labels"]);
    expect(r.body.message).toContain(
      'Deployment.apps "Bad_Name" is invalid: [metadata.name: Invalid value: "Bad_Name"',
    );
  });

  it("rejects a Lease time that is not a MicroTime with 400, accepts six fractional digits", async () => {
    const lease = (renewTime: string) => ({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: `l${renewTime.length}` },
      spec: { holderIdentity: "a", leaseDurationSeconds: 15, renewTime },
    });
    const bad = await call(
      c,
      "POST",
      "/apis/coordination.k8s.io/v1/namespaces/default/leases",
      lease("2025-01-01T00:00:00.000Z"),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("spec.renewTime");
    const good = await call(
      c,
      "POST",
      "/apis/coordination.k8s.io/v1/namespaces/default/leases",
      lease("2025-01-01T00:00:00.000000Z"),
    );
    expect(good.status).toBe(201);
  });

  it("defaults built-in kinds as the real server does", async () => {
    const r = await call(c, "POST", NS_DEPLOYMENTS("default"), deployment("defaults"));
    expect(r.body.spec.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" },
    });
    expect(r.body.spec.template.spec.containers[0]).toMatchObject({
      imagePullPolicy: "IfNotPresent",
      terminationMessagePath: "/dev/termination-log",
      ports: [{ containerPort: 8080, protocol: "TCP" }],
    });
    const svc = await call(c, "POST", "/api/v1/namespaces/default/services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "svc" },
      spec: { selector: { app: "x" }, ports: [{ port: 80 }] },
    });
    expect(svc.body.spec).toMatchObject({
      type: "ClusterIP",
      ports: [{ port: 80, targetPort: 80, protocol: "TCP" }],
    });
    expect(svc.body.spec.clusterIP).toMatch(/^10\.96\./);
  });

  it("bumps generation on spec changes only and keeps status out of main-resource writes", async () => {
    const path = `${NS_DEPLOYMENTS("default")}/defaults`;
    const d = (await call(c, "GET", path)).body;
    expect(d.metadata.generation).toBe(1);
    const withStatus = await call(c, "PUT", path, { ...d, status: { replicas: 7 } });
    expect(withStatus.body.status).toBeUndefined();
    expect(withStatus.body.metadata.generation).toBe(1);
    const viaStatus = await call(c, "PUT", `${path}/status`, {
      ...withStatus.body,
      status: { replicas: 7 },
      spec: { ...d.spec, replicas: 9 },
    });
    expect(viaStatus.body.status.replicas).toBe(7);
    expect(viaStatus.body.spec.replicas).toBe(2);
    expect(viaStatus.body.metadata.generation).toBe(1);
    const spec = await call(c, "PUT", path, {
      ...viaStatus.body,
      spec: { ...viaStatus.body.spec, replicas: 3 },
    });
    expect(spec.body.metadata.generation).toBe(2);
    expect(spec.body.status.replicas).toBe(7);
  });

  it("does nothing on dryRun=All but answers as if it did", async () => {
    const r = await call(c, "POST", `${NS_CONFIGMAPS("default")}?dryRun=All`, cm("dry"));
    expect(r.status).toBe(201);
    expect(r.body.metadata.name).toBe("dry");
    expect((await call(c, "GET", `${NS_CONFIGMAPS("default")}/dry`)).status).toBe(404);
  });

  it("generates names from generateName", async () => {
    const r = await call(c, "POST", NS_CONFIGMAPS("default"), {
      metadata: { generateName: "gen-" },
      data: {},
    });
    expect(r.body.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it("lists in pages with limit/continue, consistent with the first page", async () => {
    await call(c, "POST", "/api/v1/namespaces", { metadata: { name: "paging" } });
    for (let i = 0; i < 7; i++) await call(c, "POST", NS_CONFIGMAPS("paging"), cm(`p${i}`));
    const first = await call(c, "GET", `${NS_CONFIGMAPS("paging")}?limit=3`);
    expect(first.body.kind).toBe("ConfigMapList");
    expect(first.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([
      "p0",
      "p1",
      "p2",
    ]);
    expect(first.body.metadata.remainingItemCount).toBe(4);
    await call(c, "DELETE", `${NS_CONFIGMAPS("paging")}/p5`);
    const second = await call(
      c,
      "GET",
      `${NS_CONFIGMAPS("paging")}?limit=3&continue=${first.body.metadata.continue}`,
    );
    expect(second.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([
      "p3",
      "p4",
      "p5",
    ]);
    expect(second.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
    const third = await call(
      c,
      "GET",
      `${NS_CONFIGMAPS("paging")}?limit=3&continue=${second.body.metadata.continue}`,
    );
    expect(third.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(["p6"]);
    expect(third.body.metadata.continue).toBeUndefined();
  });

  it("answers 410 Expired for a continue token whose snapshot is gone", async () => {
    const first = await call(c, "GET", `${NS_CONFIGMAPS("paging")}?limit=2`);
    c.ops.snapshots.expireAll();
    const r = await call(
      c,
      "GET",
      `${NS_CONFIGMAPS("paging")}?limit=2&continue=${first.body.metadata.continue}`,
    );
    expect(r.status).toBe(410);
    expect(r.body).toMatchObject({ kind: "Status", reason: "Expired", code: 410 });
  });

  it("filters by label selectors (=, !=, in, notin, exists, !exists) and field selectors", async () => {
    await call(c, "POST", "/api/v1/namespaces", { metadata: { name: "sel" } });
    await call(c, "POST", NS_CONFIGMAPS("sel"), cm("a", { tier: "web", env: "prod" }));
    await call(c, "POST", NS_CONFIGMAPS("sel"), cm("b", { tier: "app", env: "dev" }));
    await call(c, "POST", NS_CONFIGMAPS("sel"), cm("c", { tier: "db" }));
    const names = async (q: string) =>
      (await call(c, "GET", `${NS_CONFIGMAPS("sel")}?${q}`)).body.items.map(
        (i: { metadata: { name: string } }) => i.metadata.name,
      );
    expect(await names("labelSelector=tier%3Dweb")).toEqual(["a"]);
    expect(await names("labelSelector=tier!%3Dweb")).toEqual(["b", "c"]);
    expect(await names(`labelSelector=${encodeURIComponent("tier in (web,app)")}`)).toEqual(["a", "b"]);
    expect(await names(`labelSelector=${encodeURIComponent("tier notin (web,app)")}`)).toEqual(["c"]);
    expect(await names("labelSelector=env")).toEqual(["a", "b"]);
    expect(await names("labelSelector=!env")).toEqual(["c"]);
    expect(await names(`labelSelector=${encodeURIComponent("env,tier=app")}`)).toEqual(["b"]);
    expect(await names("fieldSelector=metadata.name%3Db")).toEqual(["b"]);
    expect(await names("fieldSelector=metadata.name!%3Db")).toEqual(["a", "c"]);
    const all = await call(c, "GET", "/api/v1/configmaps?fieldSelector=metadata.namespace%3Dsel");
    expect(all.body.items).toHaveLength(3);
    const bad = await call(c, "GET", `${NS_CONFIGMAPS("sel")}?fieldSelector=spec.foo%3Dx`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe("field label not supported: spec.foo");
  });

  it("deletes a collection by selector", async () => {
    const r = await call(c, "DELETE", `${NS_CONFIGMAPS("sel")}?labelSelector=env`);
    expect(r.status).toBe(200);
    expect(r.body.items).toHaveLength(2);
    const left = await call(c, "GET", NS_CONFIGMAPS("sel"));
    expect(left.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(["c"]);
  });

  it("serves discovery", async () => {
    expect((await call(c, "GET", "/version")).body.gitVersion).toMatch(/^v1\.35/);
    expect((await call(c, "GET", "/api")).body.versions).toEqual(["v1"]);
    const groups = (await call(c, "GET", "/apis")).body.groups.map((g: { name: string }) => g.name);
    for (const g of [
      "apps",
      "autoscaling",
      "policy",
      "networking.k8s.io",
      "coordination.k8s.io",
      "events.k8s.io",
      "rbac.authorization.k8s.io",
      "apiextensions.k8s.io",
      "batch",
      "discovery.k8s.io",
    ])
      expect(groups).toContain(g);
    const apps = (await call(c, "GET", "/apis/apps/v1")).body;
    const names = apps.resources.map((r: { name: string }) => r.name);
    expect(names).toEqual([
      "deployments",
      "deployments/status",
      "deployments/scale",
      "replicasets",
      "replicasets/status",
      "replicasets/scale",
    ]);
    expect(apps.resources[2]).toMatchObject({ kind: "Scale", group: "autoscaling", version: "v1" });
    const unknown = await call(c, "GET", "/apis/apps/v1/namespaces/default/statefulsets");
    expect(unknown.status).toBe(404);
  });

  it("offers an in-process read of stored objects", () => {
    expect(c.get("v1", "ConfigMap", "default", "one")?.data).toEqual({ k: "v2" });
  });
});
