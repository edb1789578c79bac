/**
 * The workload simulator: Deployment rollout status, failed rollouts, HPA status and bounds, PVC
 * binding, Jobs completed after the delay, or failed or held on request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { call, deployment, eventually, NS_DEPLOYMENTS } from "./helpers.js";

describe("workload simulator", () => {
  let c: DevCluster;
  beforeAll(async () => {
    c = await startDevCluster({ simulateWorkloads: { readyDelayMs: 150 } });
  });
  afterAll(async () => {
    await c.stop();
  });
  const get = async (name: string) => (await call(c, "GET", `${NS_DEPLOYMENTS("default")}/${name}`)).body;

  it("observes a new generation at once and reports ready replicas after the delay", async () => {
    await call(c, "POST", NS_DEPLOYMENTS("default"), deployment("sim", 3));
    const progressing = await eventually(async () => {
      const d = await get("sim");
      return d.status?.observedGeneration === 1 ? d : undefined;
    });
    expect(progressing.status.readyReplicas).toBeUndefined();
    expect(progressing.status.conditions.find((x: { type: string }) => x.type === "Progressing").reason).toBe(
      "ReplicaSetUpdated",
    );
    const ready = await eventually(async () => {
      const d = await get("sim");
      return d.status?.readyReplicas === 3 ? d : undefined;
    });
    expect(ready.status).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
    expect(
      ready.status.conditions.map(
        (x: { type: string; status: string; reason: string }) => `${x.type}=${x.status}/${x.reason}`,
      ),
    ).toEqual(["Available=True/MinimumReplicasAvailable", "Progressing=True/NewReplicaSetAvailable"]);
  });

  it("fails a named Deployment's rollout on request", async () => {
    c.simulator.failRollout("default", "doomed");
    await call(c, "POST", NS_DEPLOYMENTS("default"), deployment("doomed", 2));
    const d = await eventually(async () => {
      const x = await get("doomed");
      return x.status?.conditions ? x : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    const after = await get("doomed");
    expect(after.status.readyReplicas).toBeUndefined();
    expect(after.status.unavailableReplicas).toBe(2);
    const p = after.status.conditions.find((x: { type: string }) => x.type === "Progressing");
    expect(p).toMatchObject({ status: "False", reason: "ProgressDeadlineExceeded" });
    expect(d.metadata.name).toBe("doomed");
    c.simulator.recoverRollout("default", "doomed");
    await eventually(async () => ((await get("doomed")).status?.readyReplicas === 2 ? true : undefined));
  });

  it("keeps an HPA's target within bounds and reports its status", async () => {
    await call(c, "POST", NS_DEPLOYMENTS("default"), deployment("scaled", 1));
    await call(c, "POST", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", {
      metadata: { name: "scaled" },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "scaled" },
        minReplicas: 2,
        maxReplicas: 5,
      },
    });
    const hpa = await eventually(async () => {
      const h = (
        await call(c, "GET", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/scaled")
      ).body;
      return h.status?.currentReplicas === 2 ? h : undefined;
    });
    expect(hpa.status.desiredReplicas).toBe(2);
    expect((await get("scaled")).spec.replicas).toBe(2);
  });

  it("binds PersistentVolumeClaims", async () => {
    await call(c, "POST", "/api/v1/namespaces/default/persistentvolumeclaims", {
      metadata: { name: "media" },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } } },
    });
    const pvc = await eventually(async () => {
      const p = (await call(c, "GET", "/api/v1/namespaces/default/persistentvolumeclaims/media")).body;
      return p.status?.phase === "Bound" ? p : undefined;
    });
    expect(pvc.status.capacity).toEqual({ storage: "5Gi" });
  });

  const JOBS = "/apis/batch/v1/namespaces/default/jobs";
  const job = (name: string) => ({
    metadata: { name },
    spec: {
      backoffLimit: 2,
      template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } },
    },
  });
  const jobConditions = async (name: string): Promise<string[] | undefined> => {
    const j = (await call(c, "GET", `${JOBS}/${name}`)).body;
    const conds = (j.status?.conditions ?? []) as { type: string; status: string; reason: string }[];
    return conds.length > 0 ? conds.map((x) => `${x.type}=${x.status}/${x.reason}`) : undefined;
  };

  it("completes a Job after the delay, as the Job controller reports success", async () => {
    await call(c, "POST", JOBS, job("migrate-ok"));
    expect(await eventually(() => jobConditions("migrate-ok"))).toEqual([
      "SuccessCriteriaMet=True/CompletionsReached",
      "Complete=True/CompletionsReached",
    ]);
    const done = (await call(c, "GET", `${JOBS}/migrate-ok`)).body;
    expect(done.status).toMatchObject({ succeeded: 1, startTime: expect.any(String) });
    expect(Date.parse(done.status.completionTime)).toBeGreaterThanOrEqual(Date.parse(done.status.startTime));
  });

  it("fails or holds Jobs the test chooses, and lets held ones finish when told", async () => {
    c.simulator.setJobOutcome((j) =>
      j.metadata.name === "migrate-bad" ? "fail" : j.metadata.name === "migrate-held" ? "wait" : "succeed",
    );
    try {
      await call(c, "POST", JOBS, job("migrate-bad"));
      await call(c, "POST", JOBS, job("migrate-held"));
      expect(await eventually(() => jobConditions("migrate-bad"))).toEqual([
        "FailureTarget=True/BackoffLimitExceeded",
        "Failed=True/BackoffLimitExceeded",
      ]);
      expect((await call(c, "GET", `${JOBS}/migrate-bad`)).body.status.failed).toBe(3);
      // Held: started, never finished, for as long as the test wants.
      await eventually(async () => (await call(c, "GET", `${JOBS}/migrate-held`)).body.status?.active === 1);
      await new Promise((r) => setTimeout(r, 400));
      expect(await jobConditions("migrate-held")).toBeUndefined();
    } finally {
      c.simulator.setJobOutcome(() => "succeed");
    }
    expect(await eventually(() => jobConditions("migrate-held"))).toContain(
      "Complete=True/CompletionsReached",
    );
  });
});
