/**
 * Server-side tables as kubectl 1.35 prints them (events, deployments with -o wide, claims, disruption
 * budgets with computed allowed disruptions) and events.k8s.io/v1 Events sharing the core Events' storage.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { eventually } from "./helpers.js";
import { findKubectl, Kubectl } from "./kubectl-runner.js";

const bin = findKubectl();

const lines = (out: string) => out.trim().split("\n");

describe.skipIf(!bin)("server-side tables and events", () => {
  let cluster: DevCluster;
  let k: Kubectl;

  beforeAll(async () => {
    cluster = await startDevCluster({ simulateWorkloads: true });
    k = new Kubectl(bin!, cluster);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("prints events with LAST SEEN, TYPE, REASON, OBJECT and MESSAGE, and more with -o wide", async () => {
    const now = new Date(Date.now() - 90_000).toISOString().replace(/\.\d+Z$/, "Z");
    await k.ok(["apply", "-f", "-"], {
      input: `apiVersion: v1
kind: Event
metadata: {name: web-1.backoff, namespace: default}
involvedObject: {kind: Pod, name: web-1, namespace: default, fieldPath: "spec.containers{app}"}
reason: BackOff
message: "Back-off restarting failed container app"
type: Warning
count: 4
firstTimestamp: "${now}"
lastTimestamp: "${now}"
source: {component: kubelet, host: node-1}
`,
    });
    const [header, row] = lines(await k.ok(["get", "events"]));
    expect(header).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    expect(row).toMatch(/^\d+s\s+Warning\s+BackOff\s+pod\/web-1\s+Back-off restarting failed container app$/);
    const [wideHeader, wideRow] = lines(await k.ok(["get", "events", "-o", "wide"]));
    expect(wideHeader).toMatch(
      /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+SUBOBJECT\s+SOURCE\s+MESSAGE\s+FIRST SEEN\s+COUNT\s+NAME$/,
    );
    expect(wideRow).toMatch(/spec\.containers\{app\}\s+kubelet, node-1\s+Back-off .*\s+4\s+web-1\.backoff$/);
  });

  it("serves events.k8s.io/v1 Events from the same storage, converting the fields", async () => {
    await k.ok(["apply", "-f", "-"], {
      input: `apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: web.scaled, namespace: default}
eventTime: "${new Date()
        .toISOString()
        .replace("Z", "000Z")
        .replace(/\.(\d{3})000Z/, ".$1000Z")}"
reportingController: deployment-controller
reportingInstance: controller-1
action: Scale
reason: ScalingReplicaSet
note: "Scaled up replica set web-abc to 3"
type: Normal
regarding: {apiVersion: apps/v1, kind: Deployment, name: web, namespace: default}
`,
    });
    const core = JSON.parse(await k.ok(["get", "events.v1.", "web.scaled", "-o", "json"]));
    expect(core.apiVersion).toBe("v1");
    expect(core.message).toBe("Scaled up replica set web-abc to 3");
    expect(core.involvedObject).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "web",
      namespace: "default",
    });
    expect(core.reportingComponent).toBe("deployment-controller");
    expect(core).not.toHaveProperty("note");
    const both = await k.ok(["get", "events", "--field-selector=involvedObject.kind=Deployment"]);
    expect(both).toMatch(/Normal\s+ScalingReplicaSet\s+deployment\/web\s+Scaled up replica set web-abc to 3/);
    const seen = JSON.parse(await k.ok(["get", "events.events.k8s.io", "web-1.backoff", "-o", "json"]));
    expect(seen.apiVersion).toBe("events.k8s.io/v1");
    expect(seen.note).toBe("Back-off restarting failed container app");
    expect(seen.regarding).toMatchObject({ kind: "Pod", name: "web-1", fieldPath: "spec.containers{app}" });
    expect(seen.deprecatedCount).toBe(4);
    expect(seen.deprecatedSource).toEqual({ component: "kubelet", host: "node-1" });
    expect(seen).not.toHaveProperty("involvedObject");
    // `kubectl events` reads them back, whichever API wrote them.
    const listed = await k.ok(["events", "--types=Normal"]);
    expect(listed).toMatch(
      /Normal\s+ScalingReplicaSet\s+Deployment\/web\s+Scaled up replica set web-abc to 3/,
    );
    const names = await k.ok(["get", "events.events.k8s.io", "-o", "name"]);
    expect(lines(names).sort()).toEqual([
      "event.events.k8s.io/web-1.backoff",
      "event.events.k8s.io/web.scaled",
    ]);
  });

  it("prints a deployment's containers, images and selector with -o wide", async () => {
    await k.ok(["create", "deployment", "web", "--image=nginx:1.27", "--replicas=3"]);
    const [header, row] = lines(await k.ok(["get", "deploy", "web", "-o", "wide"]));
    expect(header).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
    expect(row).toMatch(/^web\s+\d\/3\s+\d\s+\d\s+\d+s\s+nginx\s+nginx:1\.27\s+app=web$/);
    expect(lines(await k.ok(["get", "deploy", "web"]))[0]).toMatch(
      /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/,
    );
  });

  it("prints claims with their status, class and volume mode", async () => {
    await k.ok(["apply", "-f", "-"], {
      input: `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: media, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: standard
  resources: {requests: {storage: 5Gi}}
`,
    });
    const out = await eventually(async () => {
      const o = await k.ok(["get", "pvc", "media", "-o", "wide"]);
      return /Bound/.test(o) ? o : undefined;
    }, 10_000);
    const [header, row] = lines(out);
    expect(header).toMatch(
      /^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE\s+VOLUMEMODE$/,
    );
    expect(row).toMatch(/^media\s+Bound\s+standard\s+<unset>\s+\d+s\s+Filesystem$/);
  });

  it("computes a budget's allowed disruptions from the workload's status when there are no pods", async () => {
    await eventually(
      async () =>
        (await k.ok(["get", "deploy", "web", "-o", "jsonpath={.status.readyReplicas}"])) === "3"
          ? true
          : undefined,
      10_000,
    );
    await k.ok(["create", "pdb", "web-min", "--selector=app=web", "--min-available=2"]);
    await k.ok(["create", "pdb", "web-max", "--selector=app=web", "--max-unavailable=50%"]);
    const out = await k.ok(["get", "pdb"]);
    expect(lines(out)[0]).toMatch(/^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE$/);
    expect(out).toMatch(/web-min\s+2\s+N\/A\s+1\s+/);
    // 50% of 3 rounds up to 2 may be unavailable: 3 ready - (3 - 2) = 2.
    expect(out).toMatch(/web-max\s+N\/A\s+50%\s+2\s+/);
  });

  it("computes it from the matching pods and their readiness when there are pods", async () => {
    for (const name of ["cache-0", "cache-1", "cache-2"]) {
      await k.ok(["run", name, "--image=redis:7", "--labels=app=cache"]);
    }
    for (const name of ["cache-0", "cache-1"]) {
      await k.ok([
        "patch",
        "pod",
        name,
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}',
      ]);
    }
    await k.ok(["create", "pdb", "cache", "--selector=app=cache", "--min-available=1"]);
    await k.ok(["create", "pdb", "cache-strict", "--selector=app=cache", "--max-unavailable=1"]);
    const out = await k.ok(["get", "pdb"]);
    // Two of three pods are ready: keeping one leaves one to disrupt.
    expect(out).toMatch(/cache\s+1\s+N\/A\s+1\s+/);
    // Three pods expected, at most one unavailable: two must stay, and only two are ready.
    expect(out).toMatch(/cache-strict\s+N\/A\s+1\s+0\s+/);
  });
});
