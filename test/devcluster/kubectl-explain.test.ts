/**
 * `kubectl explain` for built-in kinds, from the OpenAPI v3 documents the server publishes for every
 * built-in group/version (the upstream definitions), and client-side apply computing its strategic merge
 * patches from the same documents.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { call } from "./helpers.js";
import { findKubectl, Kubectl } from "./kubectl-runner.js";

const bin = findKubectl();

describe.skipIf(!bin)("kubectl explain for built-in kinds", () => {
  let cluster: DevCluster;
  let k: Kubectl;

  beforeAll(async () => {
    cluster = await startDevCluster();
    k = new Kubectl(bin!, cluster);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("explains deployment.spec with its fields, types and required markers", async () => {
    const out = await k.ok(["explain", "deployment.spec"]);
    expect(out).toMatch(/GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1/);
    expect(out).toContain("FIELD: spec <DeploymentSpec>");
    expect(out).toContain("DeploymentSpec is the specification of the desired behavior of the");
    expect(out).toMatch(/replicas\s+<integer>\n\s+Number of desired pods/);
    expect(out).toMatch(/selector\s+<LabelSelector> -required-/);
    expect(out).toMatch(/template\s+<PodTemplateSpec> -required-/);
  });

  it("explains nested fields of core kinds, lists and enums included", async () => {
    const containers = await k.ok(["explain", "pod.spec.containers"]);
    expect(containers).toContain("FIELD: containers <[]Container>");
    expect(containers).toMatch(/env\s+<\[\]EnvVar>/);
    expect(containers).toMatch(/name\s+<string> -required-/);
    const ports = await k.ok(["explain", "service.spec.ports.protocol"]);
    expect(ports).toMatch(/FIELD: protocol <string>\nENUM:\n\s+SCTP\n\s+TCP\n\s+UDP/);
    const recursive = await k.ok(["explain", "deployment.spec.template.spec", "--recursive"]);
    expect(recursive).toMatch(/containers\s+<\[\]Container> -required-\n\s+args\s+<\[\]string>/);
  });

  it("explains every served built-in group/version, events.k8s.io included", async () => {
    const events = await k.ok(["explain", "events", "--api-version=events.k8s.io/v1"]);
    expect(events).toMatch(/GROUP:\s+events\.k8s\.io\nKIND:\s+Event/);
    expect(events).toMatch(/regarding\s+<ObjectReference>/);
    const index = (await call(cluster, "GET", "/openapi/v3")).body;
    for (const gv of ["api/v1", "apis/apps/v1", "apis/policy/v1", "apis/coordination.k8s.io/v1"]) {
      const doc = (await call(cluster, "GET", index.paths[gv].serverRelativeURL)).body;
      const kinds = Object.values(doc.components.schemas).filter(
        (s) => (s as Record<string, unknown>)["x-kubernetes-group-version-kind"],
      );
      expect(kinds.length, gv).toBeGreaterThan(0);
    }
  });

  it("merges lists by their keys in client-side apply, as the published schemas say", async () => {
    const manifest = (env: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: merged, namespace: default}
spec:
  selector: {matchLabels: {app: merged}}
  template:
    metadata: {labels: {app: merged}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          env: [${env}]
`;
    await k.ok(["apply", "-f", "-"], { input: manifest("{name: A, value: '1'}, {name: B, value: '2'}") });
    // Another writer adds a container; the next apply must keep it (merge by name), and drop env B.
    await k.ok([
      "patch",
      "deploy",
      "merged",
      "-p",
      '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}',
    ]);
    await k.ok(["apply", "-f", "-"], { input: manifest("{name: A, value: '1'}") });
    const spec = JSON.parse(await k.ok(["get", "deploy", "merged", "-o", "jsonpath={.spec.template.spec}"]));
    expect(spec.containers.map((c: { name: string }) => c.name).sort()).toEqual(["sidecar", "web"]);
    const web = spec.containers.find((c: { name: string }) => c.name === "web");
    expect(web.env).toEqual([{ name: "A", value: "1" }]);
  });
});
