/**
 * CRDs installed as a cluster installs them, and their resources served with structural validation,
 * pruning, defaults, CEL rules (with oldSelf), printer columns and the status and scale subresources.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { call, eventually, fixture, WIDGETS } from "./helpers.js";

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

function widget(name: string, spec: Record<string, unknown>) {
  return { apiVersion: "test.devcluster.dev/v1alpha1", kind: "Widget", metadata: { name }, spec };
}

describe("custom resources", () => {
  let c: DevCluster;
  beforeAll(async () => {
    c = await startDevCluster();
    const r = await call(c, "POST", CRDS, fixture("widgets-crd.yaml"));
    expect(r.status).toBe(201);
  });
  afterAll(async () => {
    await c.stop();
  });

  it("establishes the CRD and serves its resources in discovery", async () => {
    const crd = await eventually(async () => {
      const r = await call(c, "GET", `${CRDS}/widgets.test.devcluster.dev`);
      return r.body.status?.conditions?.length ? r.body : undefined;
    });
    expect(
      crd.status.conditions.map((x: { type: string; status: string }) => `${x.type}=${x.status}`),
    ).toEqual(["NamesAccepted=True", "Established=True"]);
    expect(crd.status.storedVersions).toEqual(["v1alpha1"]);
    expect(crd.metadata.finalizers).toEqual(["customresourcecleanup.apiextensions.k8s.io"]);
    const list = (await call(c, "GET", "/apis/test.devcluster.dev/v1alpha1")).body;
    expect(list.resources.map((r: { name: string }) => r.name)).toEqual([
      "widgets",
      "widgets/status",
      "widgets/scale",
    ]);
    expect(list.resources[0]).toMatchObject({ kind: "Widget", shortNames: ["wd"], namespaced: true });
  });

  it("defaults and prunes unknown fields (with a warning), or refuses them under Strict", async () => {
    const r = await call(c, "POST", WIDGETS("default"), widget("pruned", { image: "img", colour: "red" }));
    expect(r.status).toBe(201);
    expect(r.body.spec).toEqual({ image: "img", size: "small", storageClass: "standard" });
    expect(r.headers.get("warning")).toContain('unknown field \\"spec.colour\\"');
    const strict = await call(
      c,
      "POST",
      `${WIDGETS("default")}?fieldValidation=Strict`,
      widget("strict", { image: "img", colour: "red" }),
    );
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe(
      'Widget in version "v1alpha1" cannot be handled as a Widget: strict decoding error: unknown field "spec.colour"',
    );
  });

  it("validates types, enums, bounds, patterns, lengths and required fields", async () => {
    const r = await call(
      c,
      "POST",
      WIDGETS("default"),
      widget("bad", {
        image: "UPPER",
        size: "huge",
        replicas: 99,
        ports: [
          { name: "a", port: 0 },
          { name: "a", port: 1 },
        ],
        maxReplicas: "many",
      }),
    );
    expect(r.status).toBe(422);
    const causes = Object.fromEntries(
      r.body.details.causes.map((x: { field: string; message: string }) => [x.field, x.message]),
    );
    expect(causes).toEqual({
      "spec.image": `Invalid value: "UPPER": spec.image in body should match '^[a-z0-9./:-]+$'`,
      "spec.size": 'Unsupported value: "huge": supported values: "small", "medium", "large"',
      "spec.replicas": "Invalid value: 99: spec.replicas in body should be less than or equal to 50",
      "spec.maxReplicas":
        'Invalid value: "string": spec.maxReplicas in body must be of type integer: "string"',
      "spec.ports[0].port":
        "Invalid value: 0: spec.ports[0].port in body should be greater than or equal to 1",
      "spec.ports[1]": 'Duplicate value: "object"',
    });
    const missing = await call(c, "POST", WIDGETS("default"), widget("bad", {}));
    expect(missing.body.details.causes).toEqual([
      { reason: "FieldValueRequired", message: "Required value", field: "spec.image" },
    ]);
  });

  it("evaluates CEL rules, and transition rules against the old object", async () => {
    const over = await call(
      c,
      "POST",
      WIDGETS("default"),
      widget("cel", { image: "img", replicas: 6, maxReplicas: 5 }),
    );
    expect(over.status).toBe(422);
    expect(over.body.details.causes).toEqual([
      {
        reason: "FieldValueInvalid",
        message: 'Invalid value: "object": replicas must not exceed maxReplicas',
        field: "spec.replicas",
      },
    ]);
    const ok = await call(
      c,
      "POST",
      WIDGETS("default"),
      widget("cel", { image: "img", replicas: 5, maxReplicas: 5, storageClass: "fast" }),
    );
    expect(ok.status).toBe(201);
    const changed = await call(c, "PUT", `${WIDGETS("default")}/cel`, {
      ...ok.body,
      spec: { ...ok.body.spec, storageClass: "slow" },
    });
    expect(changed.status).toBe(422);
    expect(changed.body.message).toContain('spec: Invalid value: "object": storageClass is immutable');
    const same = await call(c, "PUT", `${WIDGETS("default")}/cel`, {
      ...ok.body,
      spec: { ...ok.body.spec, replicas: 4 },
    });
    expect(same.status).toBe(200);
  });

  it("keeps status and spec apart through the status subresource", async () => {
    const path = `${WIDGETS("default")}/pruned`;
    const cur = (await call(c, "GET", path)).body;
    const s = await call(
      c,
      "PATCH",
      `${path}/status`,
      { status: { replicas: 3, selector: "app=w" }, spec: { size: "large" } },
      { contentType: "application/merge-patch+json" },
    );
    expect(s.body.status).toEqual({ replicas: 3, selector: "app=w" });
    expect(s.body.spec.size).toBe("small");
    expect(s.body.metadata.generation).toBe(cur.metadata.generation);
    const badStatus = await call(
      c,
      "PATCH",
      `${path}/status`,
      { status: { conditions: [{ type: "Ready", status: "Maybe" }] } },
      { contentType: "application/merge-patch+json" },
    );
    expect(badStatus.status).toBe(422);
  });

  it("scales through the scale subresource", async () => {
    const path = `${WIDGETS("default")}/pruned/scale`;
    const scale = (await call(c, "GET", path)).body;
    expect(scale).toMatchObject({
      apiVersion: "autoscaling/v1",
      kind: "Scale",
      spec: { replicas: 0 },
      status: { replicas: 3, selector: "app=w" },
    });
    const put = await call(c, "PUT", path, { ...scale, spec: { replicas: 7 } });
    expect(put.body.spec.replicas).toBe(7);
    const w = (await call(c, "GET", `${WIDGETS("default")}/pruned`)).body;
    expect(w.spec.replicas).toBe(7);
    expect(w.metadata.generation).toBe(2);
    const stale = await call(c, "PUT", path, { ...scale, spec: { replicas: 8 } });
    expect(stale.status).toBe(409);
  });

  it("answers tables with the CRD's printer columns", async () => {
    const r = await call(c, "GET", WIDGETS("default"), undefined, {
      accept: "application/json;as=Table;v=v1;g=meta.k8s.io",
    });
    expect(r.body.kind).toBe("Table");
    expect(r.body.columnDefinitions.map((d: { name: string }) => d.name)).toEqual([
      "Name",
      "Size",
      "Replicas",
      "Ready",
      "Age",
    ]);
    const row = r.body.rows.find((x: { cells: unknown[] }) => x.cells[0] === "pruned");
    expect(row.cells.slice(0, 4)).toEqual(["pruned", "small", 7, null]);
    expect(row.object.kind).toBe("PartialObjectMetadata");
  });

  it("refuses invalid CRDs, including CEL rules that do not compile", async () => {
    const crd = fixture<{
      metadata: { name: string };
      spec: { versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] };
    }>("widgets-crd.yaml");
    crd.metadata.name = "wrong.name";
    crd.spec.versions[0]!.schema.openAPIV3Schema["x-kubernetes-validations"] = [{ rule: "self.spec.(" }];
    const r = await call(c, "POST", CRDS, crd);
    expect(r.status).toBe(422);
    const fields = r.body.details.causes.map((x: { field: string }) => x.field);
    expect(fields).toContain("metadata.name");
    expect(fields).toContain("spec.versions[0].schema.openAPIV3Schema.x-kubernetes-validations[0].rule");
  });

  it("deletes every custom resource before the CRD itself goes", async () => {
    const del = await call(c, "DELETE", `${CRDS}/widgets.test.devcluster.dev`);
    expect(del.status).toBe(202);
    await eventually(async () =>
      (await call(c, "GET", `${CRDS}/widgets.test.devcluster.dev`)).status === 404 ? true : undefined,
    );
    expect(c.store.count("test.devcluster.dev/widgets")).toBe(0);
    expect((await call(c, "GET", WIDGETS("default"))).status).toBe(404);
  });

  const realCrd = join(import.meta.dirname, "..", "..", "crds", "webapp-operator.dev_webapps.yaml");
  it("installs the project's WebApp CRD from crds/", async () => {
    const crd = yaml.load(readFileSync(realCrd, "utf8"));
    const r = await call(c, "POST", CRDS, crd);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    await eventually(() => c.registry.find("webapp-operator.dev", "v1alpha1", "webapps"));
    const list = await call(c, "GET", "/apis/webapp-operator.dev/v1alpha1/namespaces/default/webapps");
    expect(list.body.kind).toBe("WebAppList");
  });
});
