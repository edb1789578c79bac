/**
 * The real kubectl 1.35 is the judge of the dev cluster's fidelity: discovery, client-side and server-side
 * apply, table output with a CRD's printer columns, get -w, scale, patch, delete with a pending finalizer,
 * explain, schema/CEL errors as kubectl shows them, and auth can-i with RBAC on.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { eventually, fixturesDir } from "./helpers.js";
import { findKubectl, Kubectl } from "./kubectl-runner.js";

const bin = findKubectl();
const crdFile = join(fixturesDir, "widgets-crd.yaml");
const widgetFile = join(fixturesDir, "widget.yaml");
const deploymentFile = join(fixturesDir, "deployment.yaml");

describe.skipIf(!bin)("kubectl against the dev cluster", () => {
  let cluster: DevCluster;
  let k: Kubectl;

  beforeAll(async () => {
    cluster = await startDevCluster({ simulateWorkloads: true });
    k = new Kubectl(bin!, cluster);
    await k.ok(["apply", "-f", crdFile]);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("reads discovery and the server version", async () => {
    const version = await k.ok(["version", "-o", "json"]);
    expect(JSON.parse(version).serverVersion.minor).toBe("35");
    const resources = await k.ok(["api-resources", "--api-group=test.devcluster.dev", "-o", "wide"]);
    expect(resources).toMatch(/widgets\s+wd\s+test\.devcluster\.dev\/v1alpha1\s+true\s+Widget/);
    expect(await k.ok(["get", "ns"])).toMatch(/default\s+Active/);
  });

  it("applies client-side, then re-applies as a patch", async () => {
    expect(await k.ok(["apply", "-f", widgetFile])).toContain("widget.test.devcluster.dev/gizmo created");
    const larger = readFileSync(widgetFile, "utf8").replace("size: medium", "size: large");
    expect(await k.ok(["apply", "-f", "-"], { input: larger })).toContain("gizmo configured");
    expect(await k.ok(["apply", "-f", "-"], { input: larger })).toContain("gizmo unchanged");
    expect(await k.ok(["get", "wd", "gizmo", "-o", "jsonpath={.spec.size}"])).toBe("large");
  });

  it("prints the CRD's printer columns in table output", async () => {
    const out = await k.ok(["get", "widgets"]);
    const [header, row] = out.trim().split("\n");
    expect(header).toMatch(/^NAME\s+SIZE\s+REPLICAS\s+READY\s+AGE$/);
    // No Ready condition yet: the cell is empty, as kubectl prints a missing value.
    expect(row).toMatch(/^gizmo\s+large\s+2\s+\d+s$/);
  });

  it("applies a built-in kind and shows the simulated rollout", async () => {
    expect(await k.ok(["apply", "-f", deploymentFile])).toContain("deployment.apps/web created");
    const out = await eventually(async () => {
      const o = await k.ok(["get", "deploy", "web"]);
      return /web\s+2\/2\s+2\s+2/.test(o) ? o : undefined;
    });
    expect(out).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/);
    // Client-side apply of a built-in kind is a strategic merge patch computed by kubectl.
    const scaled = readFileSync(deploymentFile, "utf8").replace("replicas: 2", "replicas: 3");
    expect(await k.ok(["apply", "-f", "-"], { input: scaled })).toContain("deployment.apps/web configured");
    expect(await k.ok(["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"])).toBe("3");
  });

  it("scales through the scale subresource", async () => {
    expect(await k.ok(["scale", "wd", "gizmo", "--replicas=4"])).toContain("scaled");
    expect(await k.ok(["get", "wd", "gizmo", "-o", "jsonpath={.spec.replicas}"])).toBe("4");
    await k.ok(["scale", "deploy", "web", "--replicas=1"]);
    expect(await k.ok(["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"])).toBe("1");
  });

  it("patches with merge, JSON and strategic merge patches", async () => {
    await k.ok(["patch", "wd", "gizmo", "--type=merge", "-p", '{"spec":{"tags":["a","b"]}}']);
    await k.ok([
      "patch",
      "wd",
      "gizmo",
      "--type=json",
      "-p",
      '[{"op":"replace","path":"/spec/size","value":"small"}]',
    ]);
    expect(await k.ok(["get", "wd", "gizmo", "-o", "jsonpath={.spec.size} {.spec.tags}"])).toBe(
      'small ["a","b"]',
    );
    const smp = '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}';
    await k.ok(["patch", "deploy", "web", "-p", smp]);
    const c = JSON.parse(
      await k.ok(["get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0]}"]),
    );
    expect(c.image).toBe("nginx:1.28");
    expect(c.env).toEqual([{ name: "MODE", value: "prod" }]);
    const r = await k.run(["patch", "wd", "gizmo", "-p", '{"spec":{"size":"large"}}']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/strategic merge patch|UnsupportedMediaType|unknown format/i);
  });

  it("applies server-side, reports conflicts, and forces them", async () => {
    const r = await k.run(["apply", "--server-side", "-f", widgetFile]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Apply failed with");
    expect(r.stderr).toContain(".spec.size");
    expect(await k.ok(["apply", "--server-side", "--force-conflicts", "-f", widgetFile])).toContain(
      "serverside-applied",
    );
    const obj = JSON.parse(await k.ok(["get", "wd", "gizmo", "-o", "json", "--show-managed-fields"]));
    expect(obj.spec.size).toBe("medium");
    const apply = obj.metadata.managedFields.find(
      (m: { manager: string; operation: string }) => m.manager === "kubectl" && m.operation === "Apply",
    );
    expect(apply.fieldsV1["f:spec"]["f:size"]).toEqual({});
  });

  it("shows schema and CEL errors with the field named", async () => {
    const bad = readFileSync(widgetFile, "utf8")
      .replace("name: gizmo", "name: bad")
      .replace("size: medium", "size: huge")
      .replace("replicas: 2", "replicas: 9");
    const r = await k.run(["apply", "-f", "-"], { input: bad });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'spec.size: Unsupported value: "huge": supported values: "small", "medium", "large"',
    );
    const cel = readFileSync(widgetFile, "utf8")
      .replace("name: gizmo", "name: bad")
      .replace("replicas: 2", "replicas: 9");
    const r2 = await k.run(["apply", "-f", "-"], { input: cel });
    expect(r2.stderr).toContain("spec.replicas: Invalid value");
    expect(r2.stderr).toContain("replicas must not exceed maxReplicas");
    const unknown = readFileSync(widgetFile, "utf8")
      .replace("name: gizmo", "name: bad")
      .replace("size: medium", "colour: red");
    const r3 = await k.run(["apply", "-f", "-"], { input: unknown });
    expect(r3.stderr).toContain('unknown field "spec.colour"');
  });

  it("watches with get -w and sees changes as table rows", async () => {
    const w = k.background(["get", "wd", "-w"]);
    try {
      await eventually(() => (w.output().includes("gizmo") ? true : undefined), 5000);
      await k.ok(["apply", "-f", "-"], {
        input: readFileSync(widgetFile, "utf8").replace("name: gizmo", "name: sprocket"),
      });
      await k.ok(["scale", "wd", "sprocket", "--replicas=3"]);
      const out = await eventually(
        () => (/sprocket\s+medium\s+3/.test(w.output()) ? w.output() : undefined),
        5000,
      );
      expect(out).toMatch(/sprocket\s+medium\s+2/);
    } finally {
      w.stop();
    }
  });

  it("deletes with a finalizer pending, then finishes once it is released", async () => {
    await k.ok([
      "patch",
      "wd",
      "sprocket",
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":["test.devcluster.dev/hold"]}}',
    ]);
    const del = k.background(["delete", "wd", "sprocket", "--timeout=20s"]);
    const ts = await eventually(async () => {
      const v = await k.ok(["get", "wd", "sprocket", "-o", "jsonpath={.metadata.deletionTimestamp}"]);
      return v || undefined;
    });
    expect(ts).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(del.child.exitCode).toBeNull();
    await k.ok([
      "patch",
      "wd",
      "sprocket",
      "--type=json",
      "-p",
      '[{"op":"remove","path":"/metadata/finalizers"}]',
    ]);
    const code = await new Promise<number | null>((resolve) => {
      if (del.child.exitCode !== null) resolve(del.child.exitCode);
      else del.child.on("exit", (c) => resolve(c));
    });
    expect(code).toBe(0);
    expect(del.output()).toContain('widget.test.devcluster.dev "sprocket" deleted');
    const r = await k.run(["get", "wd", "sprocket"]);
    expect(r.stderr).toContain('widgets.test.devcluster.dev "sprocket" not found');
  });

  it("creates objects with kubectl create, whose bodies are protobuf", async () => {
    await k.ok(["create", "namespace", "proto"]);
    await k.ok(["create", "configmap", "pc", "-n", "proto", "--from-literal=a=b"]);
    await k.ok(["create", "secret", "generic", "ps", "-n", "proto", "--from-literal=k=v"]);
    await k.ok(["create", "serviceaccount", "psa", "-n", "proto"]);
    await k.ok(["create", "role", "pr", "-n", "proto", "--verb=get", "--resource=configmaps"]);
    expect(await k.ok(["get", "cm", "pc", "-n", "proto", "-o", "jsonpath={.data.a}"])).toBe("b");
    expect(await k.ok(["get", "secret", "ps", "-n", "proto", "-o", "jsonpath={.data.k}"])).toBe(
      Buffer.from("v").toString("base64"),
    );
    expect(await k.ok(["get", "role", "pr", "-n", "proto", "-o", "jsonpath={.rules[0].verbs}"])).toBe(
      '["get"]',
    );
    await k.ok(["create", "deployment", "pd", "-n", "proto", "--image=nginx"]);
    expect(await k.ok(["get", "deploy", "pd", "-n", "proto", "-o", "jsonpath={.spec.replicas}"])).toBe("1");
  });

  it("explains a custom resource from its schema", async () => {
    const out = await k.ok(["explain", "widget.spec"]);
    expect(out).toContain("KIND:       Widget");
    expect(out).toMatch(/image\s+<string> -required-/);
  });

  it("deletes a namespace with everything in it", async () => {
    const manifests = `
apiVersion: v1
kind: Namespace
metadata: {name: scratch}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c1, namespace: scratch}
data: {a: b}
`;
    await k.ok(["apply", "-f", "-"], { input: manifests });
    expect(await k.ok(["get", "cm", "-n", "scratch"])).toMatch(/c1\s+1\s+/);
    await k.ok(["delete", "namespace", "scratch", "--timeout=20s"]);
    const r = await k.run(["get", "ns", "scratch"]);
    expect(r.stderr).toContain('namespaces "scratch" not found');
  });
});

describe.skipIf(!bin)("kubectl auth can-i with RBAC enforced", () => {
  let cluster: DevCluster;
  let k: Kubectl;

  beforeAll(async () => {
    cluster = await startDevCluster({ authorization: true });
    k = new Kubectl(bin!, cluster);
    const rbac = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: cm-reader, namespace: default}
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads-cms, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-reader}
subjects:
  - {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
`;
    await k.ok(["apply", "-f", "-"], { input: rbac });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("answers can-i from the stored roles and bindings", async () => {
    expect((await k.run(["auth", "can-i", "list", "configmaps"], { user: "alice" })).stdout.trim()).toBe(
      "yes",
    );
    const no = await k.run(["auth", "can-i", "create", "configmaps"], { user: "alice" });
    expect(no.stdout.trim()).toBe("no");
    expect(no.code).toBe(1);
    expect(
      (
        await k.run(["auth", "can-i", "list", "configmaps", "-n", "kube-system"], { user: "alice" })
      ).stdout.trim(),
    ).toBe("no");
    expect((await k.run(["auth", "can-i", "create", "deployments", "--as=alice"])).stdout.trim()).toBe("no");
    expect((await k.run(["auth", "can-i", "*", "*"])).stdout.trim()).toBe("yes");
  });

  it("enforces what it answers", async () => {
    expect(await k.ok(["get", "configmaps"], { user: "alice" })).toBeDefined();
    const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: default}\ndata: {a: b}\n";
    const r = await k.run(["apply", "-f", "-"], { user: "alice", input: cm });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'User "alice" cannot create resource "configmaps" in API group "" in the namespace "default"',
    );
    expect(
      await k.ok(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"], { user: "alice" }),
    ).toBe("alice");
  });
});

const root = join(fixturesDir, "..", "..", "..");
const webappCrd = join(root, "crds", "webapp-operator.dev_webapps.yaml");
const flaskExample = join(root, "examples", "flask-app.yaml");

describe.skipIf(!bin)("kubectl with the project's WebApp CRD", () => {
  let cluster: DevCluster;
  let k: Kubectl;

  beforeAll(async () => {
    cluster = await startDevCluster();
    k = new Kubectl(bin!, cluster);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("installs the CRD, applies an example WebApp, lists it and scales it", async () => {
    await k.ok(["apply", "-f", webappCrd]);
    expect(await k.ok(["apply", "-f", flaskExample])).toContain(
      "webapp.webapp-operator.dev/flask-demo created",
    );
    const table = await k.ok(["get", "wa"]);
    expect(table.split("\n")[0]).toMatch(/^NAME\s+READY\s+APP\s+WEB\s+URL\s+AGE$/);
    expect(table).toContain("flask-demo");
    expect(await k.ok(["scale", "wa", "flask-demo", "--replicas=5"])).toContain("scaled");
    expect(await k.ok(["get", "wa", "flask-demo", "-o", "jsonpath={.spec.app.replicas}"])).toBe("5");
    expect(await k.ok(["apply", "--server-side", "--force-conflicts", "-f", flaskExample])).toContain(
      "serverside-applied",
    );
    expect(await k.ok(["get", "wa", "flask-demo", "-o", "jsonpath={.spec.app.replicas}"])).toBe("2");
  });
});
