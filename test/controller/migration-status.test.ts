/** What status says about a migration and about workers: conditions, messages, status.migration, status.workers. */
import { describe, expect, it } from "vitest";
import { observeMigration } from "../../src/controller/migration-status.js";
import { computeStatus, observeTier } from "../../src/controller/status.js";
import type { Migration } from "../../src/controller/version-gate.js";
import type { KubeObject } from "../../src/kube/resources.js";

const appTier = {
  tier: "app" as const,
  deploymentName: "shop-app",
  desiredReplicas: 2,
  replicas: 2,
  readyReplicas: 2,
  updatedReplicas: 2,
  complete: true,
};
const base = {
  generation: 3,
  previous: undefined,
  applyErrors: [],
  warnings: [],
  selector: "a=b",
  url: "http://x",
  now: "T1",
  tiers: [appTier],
};
const migration = (m: Partial<Migration>): Migration => ({
  version: "2222222222",
  job: "shop-migrate-2222222222",
  state: "Running",
  runningVersion: "1111111111",
  cancelled: [],
  ...m,
});
const status = (m: Partial<Migration>, pods: KubeObject[] = []) =>
  computeStatus({ ...base, migration: observeMigration(migration(m), pods, "store") });
const cond = (s: ReturnType<typeof computeStatus>, type: string) =>
  s.conditions?.find((c) => c.type === type);

function migrationPod(containerState: object): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "shop-migrate-2222222222-abcde",
      namespace: "store",
      labels: { "app.kubernetes.io/component": "migrate", "webapp-operator.dev/app-version": "2222222222" },
    },
    status: { phase: "Pending", containerStatuses: [{ name: "migrate", state: containerState }] },
  };
}

describe("a migration in status", () => {
  it("running: not Ready, Progressing with reason Migrating, nothing Degraded; the running version named", () => {
    const s = status({});
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "Migrating" });
    expect(cond(s, "Progressing")).toMatchObject({ status: "True", reason: "Migrating" });
    expect(cond(s, "Progressing")?.message).toBe(
      "Migrating the database for app version 2222222222 (Job shop-migrate-2222222222); the app keeps running version 1111111111 until it succeeds.",
    );
    expect(cond(s, "Degraded")?.status).toBe("False");
    expect(cond(s, "Stalled")?.status).toBe("False");
    expect(s.migration).toEqual({
      version: "2222222222",
      job: "shop-migrate-2222222222",
      state: "Running",
      runningVersion: "1111111111",
    });
  });

  it("on first install: the app starts after the migration", () => {
    const { runningVersion: _, ...first } = migration({});
    const s = computeStatus({ ...base, tiers: [], migration: observeMigration(first, [], "store") });
    expect(cond(s, "Ready")?.message).toContain(
      "the app has not started yet (it starts after its first migration)",
    );
    expect(s.migration).not.toHaveProperty("runningVersion");
  });

  it("waiting for an earlier one: said, with its Job", () => {
    const s = status({ state: "Waiting", waitingFor: "shop-migrate-1111111111" });
    expect(cond(s, "Progressing")).toMatchObject({ status: "True", reason: "Migrating" });
    expect(cond(s, "Progressing")?.message).toContain(
      "Waiting for the migration Job shop-migrate-1111111111",
    );
    expect(s.migration?.state).toBe("Waiting");
  });

  it("failed: Degraded and Stalled with the Job's reason and how to read its logs", () => {
    const s = status({
      state: "Failed",
      failure: { reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" },
    });
    for (const type of ["Ready", "Degraded"])
      expect(cond(s, type)).toMatchObject({ reason: "MigrationFailed" });
    expect(cond(s, "Ready")?.status).toBe("False");
    expect(cond(s, "Degraded")?.status).toBe("True");
    expect(cond(s, "Stalled")).toMatchObject({ status: "True", reason: "NeedsAttention" });
    expect(cond(s, "Progressing")).toMatchObject({ status: "False", reason: "MigrationFailed" });
    expect(cond(s, "Degraded")?.message).toBe(
      "Migration Job shop-migrate-2222222222 for app version 2222222222 failed (BackoffLimitExceeded: Job has reached the specified backoff limit); the app keeps running version 1111111111. Read its logs with `kubectl logs -n store job/shop-migrate-2222222222`; a corrected spec starts a new Job (to run this version's migration again as it is, delete the Job).",
    );
  });

  it("a migration pod that cannot start is named at once; a run that failed is the Job's to retry", () => {
    const pull = migrationPod({ waiting: { reason: "ImagePullBackOff", message: "Back-off pulling image" } });
    const s = status({}, [pull]);
    expect(cond(s, "Degraded")).toMatchObject({ status: "True", reason: "ImagePullBackOff" });
    expect(cond(s, "Degraded")?.message).toContain(
      "Migration Job shop-migrate-2222222222: pod shop-migrate-2222222222-abcde: container migrate is ImagePullBackOff",
    );
    expect(cond(s, "Stalled")?.status).toBe("True");
    const exited = migrationPod({ terminated: { reason: "Error", exitCode: 1 } });
    expect(cond(status({}, [exited]), "Degraded")?.status).toBe("False");
  });

  it("succeeded: no word about it in the conditions, the state in status.migration", () => {
    const s = status({ state: "Succeeded", runningVersion: "2222222222" });
    expect(cond(s, "Ready")).toMatchObject({ status: "True", reason: "Ready" });
    expect(s.migration).toMatchObject({ state: "Succeeded", runningVersion: "2222222222" });
  });
});

describe("workers in status", () => {
  const worker = (name: string, ready: number): KubeObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: `shop-worker-${name}`, generation: 1 },
    spec: { replicas: 2 },
    status: {
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: ready,
      availableReplicas: ready,
    },
  });

  it("each worker's counts in status.workers; a worker not ready holds Ready back, by name", () => {
    const tiers = [
      appTier,
      observeTier("worker", "shop-worker-celery", worker("celery", 2), [], "celery"),
      observeTier("worker", "shop-worker-rq", worker("rq", 1), [], "rq"),
    ];
    const s = computeStatus({ ...base, tiers });
    expect(s.workers).toEqual([
      { name: "celery", replicas: 2, readyReplicas: 2, updatedReplicas: 2, desiredReplicas: 2, ready: "2/2" },
      { name: "rq", replicas: 2, readyReplicas: 1, updatedReplicas: 2, desiredReplicas: 2, ready: "1/2" },
    ]);
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "RollingOut" });
    expect(cond(s, "Ready")?.message).toBe("Waiting for worker rq 1/2 ready and updated.");
    const ready = computeStatus({
      ...base,
      tiers: [appTier, observeTier("worker", "shop-worker-celery", worker("celery", 2), [], "celery")],
    });
    expect(cond(ready, "Ready")?.message).toBe("All tiers ready: app 2/2, worker celery 2/2.");
  });
});
