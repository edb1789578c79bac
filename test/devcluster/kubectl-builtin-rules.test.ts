/**
 * What the real server refuses to change on built-in objects, judged by kubectl 1.35 with the real
 * messages: immutable ConfigMaps and Secrets, a Secret's type (and its default), a Service's cluster IPs
 * and IP family, a Job's selector and template, a claim's spec but for growing its storage request, and a
 * Deployment's selector.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { withBuiltinBehaviour } from "../../src/devcluster/storage/registry.js";
import type { ResourceType } from "../../src/devcluster/storage/resource-type.js";
import { eventually } from "./helpers.js";
import { findKubectl, Kubectl } from "./kubectl-runner.js";

const bin = findKubectl();

/** Serves batch/v1 Jobs when this build of the cluster does not yet (they come with the Job controller). */
function serveJobs(cluster: DevCluster): void {
  if (cluster.registry.find("batch", "v1", "jobs")) return;
  const deployments = cluster.registry.find("apps", "v1", "deployments")!;
  const jobs: ResourceType = {
    ...deployments,
    group: "batch",
    kind: "Job",
    listKind: "JobList",
    plural: "jobs",
    singular: "job",
    shortNames: [],
    storageKey: "batch/jobs",
    storageVersion: "batch/v1",
    subresources: { status: true },
  };
  delete jobs.dropUnknownFields;
  delete jobs.prepare;
  delete jobs.validate;
  delete jobs.table;
  cluster.registry.add(withBuiltinBehaviour(jobs));
}

async function refused(k: Kubectl, args: string[]): Promise<string> {
  const r = await k.run(args);
  expect(r.code, `${args.join(" ")} should fail`).not.toBe(0);
  return r.stderr;
}

describe.skipIf(!bin)("rules of built-in kinds", () => {
  let cluster: DevCluster;
  let k: Kubectl;

  beforeAll(async () => {
    cluster = await startDevCluster({ simulateWorkloads: true });
    k = new Kubectl(bin!, cluster);
    serveJobs(cluster);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("freezes an immutable ConfigMap's data and its immutability", async () => {
    const cm = (value: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frozen, namespace: default}\nimmutable: true\ndata: {a: "${value}"}\n`;
    await k.ok(["apply", "-f", "-"], { input: cm("1") });
    const r = await k.run(["apply", "-f", "-"], { input: cm("2") });
    expect(r.stderr).toContain(
      'The ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set',
    );
    expect(await refused(k, ["patch", "cm", "frozen", "-p", '{"immutable":false}'])).toContain(
      "immutable: Forbidden: field is immutable when `immutable` is set",
    );
    expect(await k.ok(["get", "cm", "frozen", "-o", "jsonpath={.data.a}"])).toBe("1");
  });

  it("defaults a Secret's type to Opaque and keeps it, and freezes an immutable Secret", async () => {
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: default}\ntype: ""\nstringData: {user: admin}\n`;
    await k.ok(["apply", "-f", "-"], { input: secret });
    expect(await k.ok(["get", "secret", "creds", "-o", "jsonpath={.type}"])).toBe("Opaque");
    expect(await refused(k, ["patch", "secret", "creds", "-p", '{"type":"kubernetes.io/tls"}'])).toContain(
      'The Secret "creds" is invalid: type: Invalid value: "kubernetes.io/tls": field is immutable',
    );
    await k.ok(["patch", "secret", "creds", "-p", '{"immutable":true}']);
    expect(await refused(k, ["patch", "secret", "creds", "-p", '{"data":{"user":"cm9vdA=="}}'])).toContain(
      "data: Forbidden: field is immutable when `immutable` is set",
    );
  });

  it("keeps a Service's cluster IP and IP family once allocated", async () => {
    await k.ok(["create", "service", "clusterip", "api", "--tcp=80:8080"]);
    const ip = await k.ok(["get", "svc", "api", "-o", "jsonpath={.spec.clusterIP}"]);
    expect(ip).toMatch(/^10\.96\./);
    const moved = await refused(k, ["patch", "svc", "api", "-p", '{"spec":{"clusterIP":"10.96.250.250"}}']);
    expect(moved).toContain(
      'The Service "api" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.250.250"}: may not change once set',
    );
    const family = await refused(k, ["patch", "svc", "api", "-p", '{"spec":{"ipFamilies":["IPv6"]}}']);
    expect(family).toContain('spec.ipFamilies[0]: Invalid value: "IPv6": may not change once set');
    // Leaving the IP out of a replace keeps the allocated one.
    const replaced = JSON.parse(await k.ok(["get", "svc", "api", "-o", "json"]));
    delete replaced.spec.clusterIP;
    delete replaced.spec.clusterIPs;
    await k.ok(["replace", "-f", "-"], { input: JSON.stringify(replaced) });
    expect(await k.ok(["get", "svc", "api", "-o", "jsonpath={.spec.clusterIPs[0]}"])).toBe(ip);
  });

  it("allocates node ports, and drops what a service's new type does not use", async () => {
    await k.ok(["create", "service", "nodeport", "edge", "--tcp=80:8080"]);
    await k.ok(["create", "service", "externalname", "db", "--external-name=db.example.com"]);
    const nodePort = Number(await k.ok(["get", "svc", "edge", "-o", "jsonpath={.spec.ports[0].nodePort}"]));
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    expect(nodePort).toBeLessThanOrEqual(32767);
    const table = await k.ok(["get", "svc", "edge", "db"]);
    expect(table).toMatch(new RegExp(`edge\\s+NodePort\\s+10\\.96\\.\\S+\\s+<none>\\s+80:${nodePort}/TCP`));
    expect(table).toMatch(/db\s+ExternalName\s+<none>\s+db\.example\.com\s+<none>/);
    await k.ok([
      "patch",
      "svc",
      "edge",
      "-p",
      '{"spec":{"type":"ExternalName","externalName":"edge.example.com"}}',
    ]);
    const spec = JSON.parse(await k.ok(["get", "svc", "edge", "-o", "jsonpath={.spec}"]));
    expect(spec).not.toHaveProperty("clusterIP");
    expect(spec).not.toHaveProperty("clusterIPs");
    expect(spec.ports[0]).not.toHaveProperty("nodePort");
  });

  it("refuses changes to a Job's selector and template", async () => {
    const job = `apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: default}
spec:
  selector: {matchLabels: {job: migrate}}
  manualSelector: true
  template:
    metadata: {labels: {job: migrate}}
    spec:
      restartPolicy: Never
      containers: [{name: main, image: "app:1"}]
`;
    await k.ok(["apply", "-f", "-"], { input: job });
    const r = await k.run(["apply", "-f", "-"], { input: job.replace("app:1", "app:2") });
    expect(r.stderr).toContain('The Job "migrate" is invalid: spec.template: Invalid value');
    expect(r.stderr).toContain("field is immutable");
    const sel = await refused(k, [
      "patch",
      "job",
      "migrate",
      "--type=merge",
      "-p",
      '{"spec":{"selector":{"matchLabels":{"job":"other"}}}}',
    ]);
    expect(sel).toContain("spec.selector: Invalid value");
  });

  it("freezes a claim's spec but lets a bound claim's storage request grow", async () => {
    const pvc = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: media, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`;
    await k.ok(["apply", "-f", "-"], { input: pvc });
    await eventually(
      async () =>
        (await k.ok(["get", "pvc", "media", "-o", "jsonpath={.status.phase}"])) === "Bound"
          ? true
          : undefined,
      10_000,
    );
    await k.ok(["patch", "pvc", "media", "-p", '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}']);
    expect(await k.ok(["get", "pvc", "media", "-o", "jsonpath={.spec.resources.requests.storage}"])).toBe(
      "2Gi",
    );
    const shrink = await refused(k, [
      "patch",
      "pvc",
      "media",
      "-p",
      '{"spec":{"resources":{"requests":{"storage":"1Gi"}}}}',
    ]);
    expect(shrink).toContain(
      "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity",
    );
    const modes = await refused(k, [
      "patch",
      "pvc",
      "media",
      "-p",
      '{"spec":{"accessModes":["ReadWriteMany"]}}',
    ]);
    expect(modes).toContain(
      "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
    );
  });

  it("keeps a Deployment's selector", async () => {
    await k.ok(["create", "deployment", "web", "--image=nginx:1.27"]);
    const r = await refused(k, [
      "patch",
      "deploy",
      "web",
      "-p",
      '{"spec":{"selector":{"matchLabels":{"app":"other"}},"template":{"metadata":{"labels":{"app":"other"}}}}}',
    ]);
    expect(r).toContain('The Deployment "web" is invalid: spec.selector: Invalid value');
    expect(r).toContain("field is immutable");
  });
});
