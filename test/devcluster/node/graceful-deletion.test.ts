// Graceful pod deletion in the API, as the real registry does it: a pod a node runs keeps existing with
// deletionTimestamp and deletionGracePeriodSeconds until its node removes it; an unscheduled or finished
// pod goes at once; a later DELETE may only shorten the period. Namespace deletion and garbage
// collection go through the same path, and the node agent finishes the job.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type DevCluster, startDevCluster } from "../../../src/devcluster/index.js";
import { call } from "../helpers.js";
import { getPod, nodeCluster, pod, waitFor, waitReady } from "./node-helpers.js";

// Real processes on a shared 2-core machine: a test's own deadlines (waitFor) decide, not the default 30 s.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const PODS = "/api/v1/namespaces/default/pods";

describe("graceful pod deletion in the API (no node agent)", () => {
  let cluster: DevCluster;
  beforeAll(async () => {
    cluster = await startDevCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("deletes a pod no node runs at once", async () => {
    await call(cluster, "POST", PODS, {
      metadata: { name: "unscheduled" },
      spec: { containers: [{ name: "a", image: "x:1" }] },
    });
    const r = await call(cluster, "DELETE", `${PODS}/unscheduled`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ kind: "Status", status: "Success" });
    expect(getPod(cluster, "unscheduled")).toBeUndefined();
  });

  it("keeps a scheduled pod with deletionTimestamp = now + terminationGracePeriodSeconds", async () => {
    await call(cluster, "POST", PODS, {
      metadata: { name: "bound" },
      spec: {
        nodeName: "elsewhere",
        terminationGracePeriodSeconds: 45,
        containers: [{ name: "a", image: "x:1" }],
      },
    });
    const before = Date.now();
    const r = await call(cluster, "DELETE", `${PODS}/bound`);
    expect(r.status).toBe(200);
    expect(r.body.kind).toBe("Pod");
    const m = getPod(cluster, "bound")!.metadata;
    expect(m.deletionGracePeriodSeconds).toBe(45);
    const at = Date.parse(String(m.deletionTimestamp));
    expect(at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 44_000);
    expect(at).toBeLessThanOrEqual(Date.now() + 46_000);
    // Status writes by the node keep it; a DELETE with a longer period changes nothing.
    const again = await call(cluster, "DELETE", `${PODS}/bound`, { gracePeriodSeconds: 100 });
    expect(again.body.metadata.deletionGracePeriodSeconds).toBe(45);
    // A shorter one shortens it, keeping the start of the deletion.
    const shorter = await call(cluster, "DELETE", `${PODS}/bound?gracePeriodSeconds=5`);
    expect(shorter.body.metadata.deletionGracePeriodSeconds).toBe(5);
    expect(Date.parse(shorter.body.metadata.deletionTimestamp)).toBe(at - 40_000);
    // Period 0 (the node's final delete, or --force --grace-period=0) removes it.
    const uid = shorter.body.metadata.uid;
    const wrongUid = await call(cluster, "DELETE", `${PODS}/bound`, {
      gracePeriodSeconds: 0,
      preconditions: { uid: "other" },
    });
    expect(wrongUid.status).toBe(409);
    const gone = await call(cluster, "DELETE", `${PODS}/bound`, {
      gracePeriodSeconds: 0,
      preconditions: { uid },
    });
    expect(gone.status).toBe(200);
    expect(getPod(cluster, "bound")).toBeUndefined();
  });

  it("honours the request's gracePeriodSeconds and deletes a finished pod at once", async () => {
    await call(cluster, "POST", PODS, {
      metadata: { name: "quick" },
      spec: { nodeName: "elsewhere", containers: [{ name: "a", image: "x:1" }] },
    });
    const r = await call(cluster, "DELETE", `${PODS}/quick?gracePeriodSeconds=3`);
    expect(r.body.metadata.deletionGracePeriodSeconds).toBe(3);
    await call(cluster, "POST", PODS, {
      metadata: { name: "finished" },
      spec: { nodeName: "elsewhere", containers: [{ name: "a", image: "x:1" }] },
    });
    const current = getPod(cluster, "finished")!;
    await call(cluster, "PUT", `${PODS}/finished/status`, { ...current, status: { phase: "Succeeded" } });
    await call(cluster, "DELETE", `${PODS}/finished`);
    expect(getPod(cluster, "finished")).toBeUndefined();
  });
});

describe("namespace deletion and garbage collection through the node agent", () => {
  let cluster: DevCluster;
  beforeAll(async () => {
    cluster = await nodeCluster(47);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("stops the pods of a deleted namespace, then the namespace goes", async () => {
    await call(cluster, "POST", "/api/v1/namespaces", { metadata: { name: "doomed" } });
    cluster.apply(
      pod(
        "worker",
        { containers: [{ name: "a", image: "example.test/shell:1", command: ["sh", "-c", "sleep 600"] }] },
        "doomed",
      ),
    );
    await waitReady(cluster, "worker", 20_000, "doomed");
    const pid = cluster.nodeAgent!.worker("doomed", "worker")!.containers[0]!.pid!;
    await call(cluster, "DELETE", "/api/v1/namespaces/doomed");
    await waitFor(
      "the namespace gone",
      () => cluster.get("v1", "Namespace", undefined, "doomed") === undefined,
      20_000,
    );
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it("stops a pod whose owner is deleted", async () => {
    const owner = cluster.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "owner", namespace: "default" },
    } as never);
    const p = pod("owned", {
      containers: [{ name: "a", image: "example.test/shell:1", command: ["sh", "-c", "sleep 600"] }],
    });
    p.metadata.ownerReferences = [
      { apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata.uid! },
    ];
    cluster.apply(p);
    await waitReady(cluster, "owned");
    await call(cluster, "DELETE", "/api/v1/namespaces/default/configmaps/owner");
    await waitFor("the pod gone", () => getPod(cluster, "owned") === undefined, 20_000);
  });
});
