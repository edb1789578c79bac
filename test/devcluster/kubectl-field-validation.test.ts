/**
 * Unknown fields on built-in kinds, judged by the real kubectl 1.35: refused under its default
 * `--validate=strict` (every unknown field listed), dropped with a warning under `--validate=warn`, dropped
 * silently under `--validate=false`, and refused by server-side apply whatever the validation. Duplicate
 * fields, which kubectl itself drops, are reported the same way to clients that send them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { call } from "./helpers.js";
import { findKubectl, Kubectl } from "./kubectl-runner.js";

const bin = findKubectl();

function deploymentYaml(name: string, extra = ""): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
${extra}`;
}

/** Unknown fields at two depths: one under spec, one inside the first container. */
const UNKNOWN = `          colour: red
  foo: bar
`;

describe.skipIf(!bin)("unknown fields of built-in kinds, as kubectl sees them", () => {
  let cluster: DevCluster;
  let k: Kubectl;

  beforeAll(async () => {
    cluster = await startDevCluster();
    k = new Kubectl(bin!, cluster);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("refuses them under kubectl's default strict validation, naming every one", async () => {
    for (const verb of [["apply"], ["create"]]) {
      const r = await k.run([...verb, "-f", "-"], { input: deploymentYaml("strict", UNKNOWN) });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("Error from server (BadRequest)");
      expect(r.stderr).toContain(
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: ' +
          'unknown field "spec.foo", unknown field "spec.template.spec.containers[0].colour"',
      );
    }
    const missing = await k.run(["get", "deploy", "strict"]);
    expect(missing.stderr).toContain('deployments.apps "strict" not found');
  });

  it("refuses them on replace, and in the patch a client-side apply sends for an existing object", async () => {
    await k.ok(["create", "-f", "-"], { input: deploymentYaml("replaced") });
    const r = await k.run(["replace", "-f", "-"], { input: deploymentYaml("replaced", UNKNOWN) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"',
    );
    const patched = await k.run(["apply", "-f", "-"], { input: deploymentYaml("replaced", UNKNOWN) });
    expect(patched.code).not.toBe(0);
    expect(patched.stderr).toContain(
      'strict decoding error: unknown field "spec.foo", unknown field "spec.template.spec.containers[0].colour"',
    );
    const stored = JSON.parse(await k.ok(["get", "deploy", "replaced", "-o", "json"]));
    expect(stored.spec.foo).toBeUndefined();
  });

  it("drops them with a warning under --validate=warn", async () => {
    const r = await k.run(["create", "--validate=warn", "-f", "-"], {
      input: deploymentYaml("warned", UNKNOWN),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("deployment.apps/warned created");
    expect(r.stderr).toContain('Warning: unknown field "spec.foo"');
    expect(r.stderr).toContain('Warning: unknown field "spec.template.spec.containers[0].colour"');
    const stored = JSON.parse(await k.ok(["get", "deploy", "warned", "-o", "json"]));
    expect(stored.spec.foo).toBeUndefined();
    expect(stored.spec.template.spec.containers[0].colour).toBeUndefined();
    expect(stored.spec.template.spec.containers[0].image).toBe("nginx:1.27");
  });

  it("drops them silently under --validate=false", async () => {
    const r = await k.run(["create", "--validate=false", "-f", "-"], {
      input: deploymentYaml("ignored", UNKNOWN),
    });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("Warning");
    const stored = JSON.parse(await k.ok(["get", "deploy", "ignored", "-o", "json"]));
    expect(stored.spec.foo).toBeUndefined();
  });

  it("refuses them in a server-side apply, with the typed path of the field", async () => {
    const r = await k.run(["apply", "--server-side", "-f", "-"], { input: deploymentYaml("ssa", UNKNOWN) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("failed to create typed patch object (default/ssa; apps/v1, Kind=Deployment)");
    expect(r.stderr).toContain(".spec.foo: field not declared in schema");
    expect(r.stderr).toContain(
      '.spec.template.spec.containers[name="web"].colour: field not declared in schema',
    );
    const svc = `apiVersion: v1
kind: Service
metadata: {name: ssa, namespace: default}
spec:
  ports: [{port: 80, protocol: TCP, extra: 1}]
`;
    const s = await k.run(["apply", "--server-side", "-f", "-"], { input: svc });
    expect(s.stderr).toContain(
      'failed to create typed patch object (default/ssa; /v1, Kind=Service): .spec.ports[port=80,protocol="TCP"].extra: field not declared in schema',
    );
  });

  it("holds a raw request without fieldValidation to the server default, Warn", async () => {
    const body = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "defaulted" },
      data: { a: "b" },
      extra: true,
    };
    const r = await call(cluster, "POST", "/api/v1/namespaces/default/configmaps", body);
    expect(r.status).toBe(201);
    expect(r.body.extra).toBeUndefined();
    expect(r.headers.get("warning")).toBe('299 - "unknown field \\"extra\\""');
  });

  it("reports duplicate fields of a JSON body (kubectl drops them itself; other clients may not)", async () => {
    const body = (name: string) =>
      `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"},"data":{"a":"1","b":"x","a":"2"}}`;
    const path = "/api/v1/namespaces/default/configmaps";
    const strict = await call(cluster, "POST", `${path}?fieldValidation=Strict`, body("dup-strict"));
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "data.a"',
    );
    const warned = await call(cluster, "POST", path, body("dup-warned"));
    expect(warned.status).toBe(201);
    expect(warned.headers.get("warning")).toBe('299 - "duplicate field \\"data.a\\""');
    expect(warned.body.data).toEqual({ a: "2", b: "x" });
    const ignored = await call(cluster, "POST", `${path}?fieldValidation=Ignore`, body("dup-ignored"));
    expect(ignored.headers.get("warning")).toBeNull();
  });
});
