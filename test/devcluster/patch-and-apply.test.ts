/** Merge, JSON and strategic merge patches, and server-side apply with managedFields and conflicts. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { call, deployment, NS_CONFIGMAPS, NS_DEPLOYMENTS } from "./helpers.js";

const MERGE = "application/merge-patch+json";
const JSON_PATCH = "application/json-patch+json";
const STRATEGIC = "application/strategic-merge-patch+json";
const APPLY = "application/apply-patch+yaml";

describe("patches", () => {
  let c: DevCluster;
  const path = `${NS_DEPLOYMENTS("default")}/web`;
  beforeAll(async () => {
    c = await startDevCluster();
    const d = deployment("web");
    d.spec.template.spec.containers.push({
      name: "sidecar",
      image: "busybox:1",
      ports: [{ containerPort: 9000 }],
    });
    await call(c, "POST", NS_DEPLOYMENTS("default"), d);
  });
  afterAll(async () => {
    await c.stop();
  });

  it("merges containers by name with a strategic merge patch, and deletes with $patch", async () => {
    const r = await call(
      c,
      "PATCH",
      path,
      { spec: { template: { spec: { containers: [{ name: "main", image: "nginx:2" }] } } } },
      { contentType: STRATEGIC },
    );
    expect(r.status).toBe(200);
    const containers = r.body.spec.template.spec.containers;
    expect(containers.map((x: { name: string; image: string }) => `${x.name}=${x.image}`)).toEqual([
      "main=nginx:2",
      "sidecar=busybox:1",
    ]);
    expect(r.body.metadata.generation).toBe(2);
    const del = await call(
      c,
      "PATCH",
      path,
      { spec: { template: { spec: { containers: [{ name: "sidecar", $patch: "delete" }] } } } },
      { contentType: STRATEGIC },
    );
    expect(del.body.spec.template.spec.containers.map((x: { name: string }) => x.name)).toEqual(["main"]);
  });

  it("replaces lists with a JSON merge patch and removes fields set to null", async () => {
    const r = await call(
      c,
      "PATCH",
      path,
      { metadata: { labels: { app: null, extra: "1" } } },
      { contentType: MERGE },
    );
    expect(r.body.metadata.labels).toEqual({ extra: "1" });
  });

  it("applies JSON patch operations, failing with 422 when a test fails", async () => {
    const ok = await call(
      c,
      "PATCH",
      path,
      [
        { op: "replace", path: "/spec/replicas", value: 5 },
        { op: "test", path: "/spec/replicas", value: 5 },
      ],
      { contentType: JSON_PATCH },
    );
    expect(ok.body.spec.replicas).toBe(5);
    const bad = await call(c, "PATCH", path, [{ op: "test", path: "/spec/replicas", value: 1 }], {
      contentType: JSON_PATCH,
    });
    expect(bad.status).toBe(422);
  });

  it("refuses a patch whose resourceVersion is stale", async () => {
    const r = await call(
      c,
      "PATCH",
      path,
      { metadata: { resourceVersion: "1" }, spec: { replicas: 1 } },
      { contentType: MERGE },
    );
    expect(r.status).toBe(409);
  });

  it("refuses strategic merge for custom resources with 415 and unknown patch types", async () => {
    const r = await call(c, "PATCH", path, "{}", { contentType: "application/xml" });
    expect(r.status).toBe(415);
    expect(r.body.reason).toBe("UnsupportedMediaType");
  });
});

describe("server-side apply", () => {
  let c: DevCluster;
  const cmPath = `${NS_CONFIGMAPS("default")}/cfg`;
  const apply = (body: string, manager: string, force = false) =>
    call(c, "PATCH", `${cmPath}?fieldManager=${manager}${force ? "&force=true" : ""}`, body, {
      contentType: APPLY,
    });

  beforeAll(async () => {
    c = await startDevCluster();
  });
  afterAll(async () => {
    await c.stop();
  });

  it("creates the object and records the manager's fields", async () => {
    const r = await apply(
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  labels: {a: '1'}\ndata:\n  x: '1'\n  y: '2'\n",
      "alpha",
    );
    expect(r.status).toBe(201);
    expect(r.body.metadata.managedFields).toEqual([
      {
        manager: "alpha",
        operation: "Apply",
        apiVersion: "v1",
        time: expect.any(String),
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:data": { ".": {}, "f:x": {}, "f:y": {} },
          "f:metadata": { "f:labels": { ".": {}, "f:a": {} } },
        },
      },
    ]);
  });

  it("refuses a conflicting value from another manager with 409, listing the field", async () => {
    const r = await apply(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {x: 'other'}\n",
      "beta",
    );
    expect(r.status).toBe(409);
    expect(r.body.reason).toBe("Conflict");
    expect(r.body.message).toBe('Apply failed with 1 conflict: conflict with "alpha": .data.x');
    expect(r.body.details.causes).toEqual([
      { reason: "FieldManagerConflict", message: 'conflict with "alpha"', field: ".data.x" },
    ]);
  });

  it("shares ownership of equal values and takes over fields with force", async () => {
    const shared = await apply(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {y: '2'}\n",
      "beta",
    );
    expect(shared.status).toBe(200);
    const forced = await apply(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {x: 'beta', y: '2'}\n",
      "beta",
      true,
    );
    expect(forced.body.data).toEqual({ x: "beta", y: "2" });
    const alpha = forced.body.metadata.managedFields.find((m: { manager: string }) => m.manager === "alpha");
    expect(alpha.fieldsV1["f:data"]).toEqual({ ".": {}, "f:y": {} });
  });

  it("removes a field its manager stops applying unless another manager owns it", async () => {
    // alpha drops x (now beta's) and y (shared with beta): both stay; alpha drops label a: it goes.
    const r = await apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {}\n", "alpha");
    expect(r.body.data).toEqual({ x: "beta", y: "2" });
    expect(r.body.metadata.labels).toBeUndefined();
    const r2 = await apply(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {x: 'beta'}\n",
      "beta",
    );
    expect(r2.body.data).toEqual({ x: "beta" });
  });

  it("gives an updater ownership of what it changed", async () => {
    const got = (await call(c, "GET", cmPath)).body;
    const upd = await call(c, "PUT", `${cmPath}?fieldManager=editor`, { ...got, data: { x: "edited" } });
    const editor = upd.body.metadata.managedFields.find((m: { manager: string }) => m.manager === "editor");
    expect(editor).toMatchObject({ operation: "Update", fieldsV1: { "f:data": { "f:x": {} } } });
    const beta = upd.body.metadata.managedFields.find((m: { manager: string }) => m.manager === "beta");
    expect(beta?.fieldsV1["f:data"]?.["f:x"]).toBeUndefined();
  });

  it("merges keyed lists item by item for a Deployment", async () => {
    const d = (image: string, extra = "") =>
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: ssa}
spec:
  selector: {matchLabels: {app: ssa}}
  template:
    metadata: {labels: {app: ssa}}
    spec:
      containers:
        - name: main
          image: ${image}
${extra}`;
    const url = `${NS_DEPLOYMENTS("default")}/ssa?fieldManager=op&force=true`;
    await call(c, "PATCH", url, d("a:1", "        - name: side\n          image: s:1\n"), {
      contentType: APPLY,
    });
    const hpaLike = await call(
      c,
      "PATCH",
      `${NS_DEPLOYMENTS("default")}/ssa/scale?fieldManager=hpa`,
      { spec: { replicas: 4 } },
      { contentType: MERGE },
    );
    expect(hpaLike.body.spec.replicas).toBe(4);
    const r = await call(c, "PATCH", url, d("a:2"), { contentType: APPLY });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(
      r.body.spec.template.spec.containers.map(
        (x: { name: string; image: string }) => `${x.name}=${x.image}`,
      ),
    ).toEqual(["main=a:2"]);
    // replicas were never in op's configuration: the scale writer keeps them.
    expect(r.body.spec.replicas).toBe(4);
    const fields = r.body.metadata.managedFields.find(
      (m: { manager: string }) => m.manager === "op",
    ).fieldsV1;
    expect(fields["f:spec"]["f:template"]["f:spec"]["f:containers"]).toEqual({
      'k:{"name":"main"}': { ".": {}, "f:image": {}, "f:name": {} },
    });
  });

  it("requires a field manager and a matching kind", async () => {
    const r = await call(c, "PATCH", cmPath, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n", {
      contentType: APPLY,
    });
    expect(r.status).toBe(400);
    const wrong = await apply("apiVersion: v1\nkind: Secret\nmetadata: {name: cfg}\n", "alpha");
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toContain("does not match the expected kind");
  });
});
