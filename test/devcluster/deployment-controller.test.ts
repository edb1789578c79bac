/**
 * The Deployment and ReplicaSet controllers with a fake kubelet: ReplicaSets and pods named and labelled
 * as upstream, rolling updates that never drop below the desired ready pods (checked on every stored
 * change), minReadySeconds, the status a real cluster reports at each stage, Recreate, scaling, the
 * revision history, the progress deadline, and `kubectl rollout status`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { eventually } from "./helpers.js";
import { findKubectl, Kubectl } from "./kubectl-runner.js";
import { FakeKubelet } from "./support/fake-kubelet.js";
import { condition, isReady, list, ownedBy, rollingDeployment, spec, status } from "./support/workloads.js";

const DEPLOYMENTS = "apps/deployments";
const REPLICASETS = "apps/replicasets";
const PODS = "/pods";
const bin = findKubectl();

describe("Deployment and ReplicaSet controllers", () => {
  let c: DevCluster;
  let kubelet: FakeKubelet;
  let stopWatching: (() => void) | undefined;

  beforeAll(async () => {
    c = await startDevCluster({ workloadControllers: true });
    kubelet = new FakeKubelet(c, { readyDelayMs: 100, terminationDelayMs: 100 });
  });
  afterEach(() => stopWatching?.());
  afterAll(async () => {
    kubelet?.stop();
    await c?.stop();
  });

  const deployment = (name: string) => c.store.get(DEPLOYMENTS, "default", name);
  const replicaSets = (name: string) => ownedBy(list(c, REPLICASETS), deployment(name));
  const podsOf = (name: string) => replicaSets(name).flatMap((rs) => ownedBy(list(c, PODS), rs));
  const rolledOut = (name: string, replicas: number) => () => {
    const d = deployment(name);
    const s = status(d);
    return d &&
      s.observedGeneration === d.metadata.generation &&
      s.updatedReplicas === replicas &&
      s.replicas === replicas &&
      s.availableReplicas === replicas &&
      condition(d, "Progressing")?.reason === "NewReplicaSetAvailable"
      ? d
      : undefined;
  };

  it("creates a ReplicaSet named by the pod template hash, and pods named after it, owned and scheduled", async () => {
    c.apply(rollingDeployment("web", { replicas: 3 }));
    const d = await eventually(rolledOut("web", 3), 10_000);
    const [rs] = replicaSets("web");
    const hash = rs!.metadata.labels!["pod-template-hash"]!;
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(rs!.metadata.name).toBe(`web-${hash}`);
    expect(spec(rs).selector).toEqual({ matchLabels: { app: "web", "pod-template-hash": hash } });
    expect(rs!.metadata.annotations).toMatchObject({
      "deployment.kubernetes.io/revision": "1",
      "deployment.kubernetes.io/desired-replicas": "3",
      "deployment.kubernetes.io/max-replicas": "4",
    });
    expect(rs!.metadata.ownerReferences).toEqual([
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "web",
        uid: d.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(status(rs)).toEqual({
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      observedGeneration: 1,
    });
    const pods = podsOf("web");
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(pod.metadata.labels).toEqual({ app: "web", "pod-template-hash": hash });
      expect(spec(pod).nodeName).toBe("devcluster-node");
      expect(condition(pod, "PodScheduled")?.status).toBe("True");
    }
    expect(d.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("1");
    const s = status(d);
    expect(s).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(s.unavailableReplicas).toBeUndefined();
    expect(condition(d, "Available")).toMatchObject({
      status: "True",
      reason: "MinimumReplicasAvailable",
      message: "Deployment has minimum availability.",
    });
    expect(condition(d, "Progressing")).toMatchObject({
      status: "True",
      reason: "NewReplicaSetAvailable",
      message: `ReplicaSet "web-${hash}" has successfully progressed.`,
    });
  });

  it("rolls with maxSurge 1 / maxUnavailable 0 without ever dropping below the desired ready pods, waiting minReadySeconds", async () => {
    const replicas = 3;
    c.apply(rollingDeployment("steady", { replicas, maxSurge: 1, maxUnavailable: 0, minReadySeconds: 1 }));
    await eventually(rolledOut("steady", replicas), 15_000);
    const violations: string[] = [];
    let maxPods = 0;
    let firstNewReady: number | undefined;
    let firstOldScaleDown: number | undefined;
    const oldRs = replicaSets("steady")[0]!;
    const seenStages = new Set<string>();
    stopWatching = c.store.subscribe(() => {
      const pods = podsOf("steady").filter((p) => !p.metadata.deletionTimestamp);
      const ready = pods.filter(isReady).length;
      if (ready < replicas) violations.push(`only ${ready} ready pods`);
      maxPods = Math.max(maxPods, pods.length);
      const fresh = pods.filter(
        (p) => p.metadata.labels?.["pod-template-hash"] !== oldRs.metadata.labels?.["pod-template-hash"],
      );
      // Ready times have whole-second precision, as metav1.Time; availability counts from them.
      const readyPod = fresh.find(isReady);
      if (firstNewReady === undefined && readyPod)
        firstNewReady = Date.parse(String(condition(readyPod, "Ready")?.lastTransitionTime));
      const old = c.store.get(REPLICASETS, "default", oldRs.metadata.name!);
      if (firstOldScaleDown === undefined && old && (spec(old).replicas as number) < replicas)
        firstOldScaleDown = Date.now();
      const p = condition(deployment("steady"), "Progressing");
      if (p) seenStages.add(String(p.reason));
    });
    const next = rollingDeployment("steady", {
      replicas,
      maxSurge: 1,
      maxUnavailable: 0,
      minReadySeconds: 1,
      image: "example/app:2",
    });
    c.apply(next);
    const d = await eventually(rolledOut("steady", replicas), 30_000);
    expect(violations).toEqual([]);
    expect(maxPods).toBeLessThanOrEqual(replicas + 1);
    expect(firstOldScaleDown! - firstNewReady!).toBeGreaterThan(1000);
    expect([...seenStages]).toEqual(
      expect.arrayContaining(["NewReplicaSetCreated", "ReplicaSetUpdated", "NewReplicaSetAvailable"]),
    );
    const rss = replicaSets("steady");
    expect(rss).toHaveLength(2);
    const newRs = rss.find((rs) => rs.metadata.uid !== oldRs.metadata.uid)!;
    expect(newRs.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("2");
    expect(spec(c.store.get(REPLICASETS, "default", oldRs.metadata.name!)).replicas).toBe(0);
    expect(d.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("2");
    expect(status(d).observedGeneration).toBe(2);
  });

  it("reports the stages of a rollout in status as a real cluster does", async () => {
    c.apply(rollingDeployment("stages", { replicas: 2, maxSurge: 1, maxUnavailable: 0 }));
    await eventually(rolledOut("stages", 2), 10_000);
    const snapshots: Record<string, unknown>[] = [];
    stopWatching = c.store.subscribe((e) => {
      if (e.storageKey === DEPLOYMENTS && e.object.metadata.name === "stages")
        snapshots.push(structuredClone(status(e.object)));
    });
    c.apply(
      rollingDeployment("stages", { replicas: 2, maxSurge: 1, maxUnavailable: 0, image: "example/app:2" }),
    );
    await eventually(rolledOut("stages", 2), 15_000);
    // The new ReplicaSet is created before its pod exists: the generation is observed with no updated replica yet.
    const observed = snapshots.find((s) => s.observedGeneration === 2)!;
    expect(observed).toEqual(
      expect.objectContaining({
        replicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
        unavailableReplicas: 1,
      }),
    );
    expect(observed.updatedReplicas).toBeUndefined();
    // Then the surge pod exists but is not ready yet.
    const surging = snapshots.find((s) => s.updatedReplicas === 1)!;
    expect(surging).toMatchObject({
      observedGeneration: 2,
      replicas: 3,
      readyReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 1,
    });
    for (const s of snapshots) {
      const a = (s.conditions as { type: string; status: string }[]).find((x) => x.type === "Available");
      expect(a?.status).toBe("True");
    }
  });

  it("reports ProgressDeadlineExceeded when a rollout makes no progress within its deadline", async () => {
    c.apply(
      rollingDeployment("stuck", { replicas: 1, maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 2 }),
    );
    await eventually(rolledOut("stuck", 1), 10_000);
    const started = Date.now();
    c.apply(
      rollingDeployment("stuck", {
        replicas: 1,
        maxSurge: 1,
        maxUnavailable: 0,
        progressDeadlineSeconds: 2,
        image: "fake/never-ready",
      }),
    );
    const d = await eventually(() => {
      const x = deployment("stuck");
      return condition(x, "Progressing")?.reason === "ProgressDeadlineExceeded" ? x : undefined;
    }, 10_000);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeLessThan(6000);
    const newRs = replicaSets("stuck").find(
      (rs) => rs.metadata.annotations?.["deployment.kubernetes.io/revision"] === "2",
    )!;
    expect(condition(d, "Progressing")).toMatchObject({
      status: "False",
      message: `ReplicaSet "${newRs.metadata.name}" has timed out progressing.`,
    });
    // maxUnavailable 0: the old pod keeps serving.
    expect(condition(d, "Available")?.status).toBe("True");
    expect(status(d)).toMatchObject({
      replicas: 2,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      unavailableReplicas: 1,
    });
  });

  it("Recreate removes every old pod before the new ReplicaSet gets any", async () => {
    c.apply(rollingDeployment("recreate", { replicas: 2, strategy: "Recreate" }));
    await eventually(rolledOut("recreate", 2), 10_000);
    const oldHash = replicaSets("recreate")[0]!.metadata.labels!["pod-template-hash"];
    const overlaps: string[] = [];
    stopWatching = c.store.subscribe(() => {
      const pods = podsOf("recreate");
      const old = pods.filter((p) => p.metadata.labels?.["pod-template-hash"] === oldHash);
      const fresh = pods.filter((p) => p.metadata.labels?.["pod-template-hash"] !== oldHash);
      if (old.length && fresh.length) overlaps.push(`${old.length} old with ${fresh.length} new`);
    });
    c.apply(rollingDeployment("recreate", { replicas: 2, strategy: "Recreate", image: "example/app:2" }));
    await eventually(rolledOut("recreate", 2), 15_000);
    expect(overlaps).toEqual([]);
  });

  it("scales the only ReplicaSet, deleting not-ready pods first, and prunes history to revisionHistoryLimit", async () => {
    c.apply(rollingDeployment("scaled", { replicas: 3, revisionHistoryLimit: 1 }));
    await eventually(rolledOut("scaled", 3), 10_000);
    const victim = podsOf("scaled")[1]!;
    kubelet.setReady("default", victim.metadata.name!, false);
    await eventually(() => (status(replicaSets("scaled")[0]).readyReplicas === 2 ? true : undefined));
    c.apply(rollingDeployment("scaled", { replicas: 2, revisionHistoryLimit: 1 }));
    await eventually(rolledOut("scaled", 2), 10_000);
    // The not-ready pod is the one deleted (gone, or terminating while its kubelet stops it).
    const kept = podsOf("scaled").filter((p) => !p.metadata.deletionTimestamp);
    expect(kept.map((p) => p.metadata.name)).not.toContain(victim.metadata.name);
    for (const image of ["example/app:2", "example/app:3", "example/app:4"]) {
      c.apply(rollingDeployment("scaled", { replicas: 2, revisionHistoryLimit: 1, image }));
      await eventually(() => {
        const rss = replicaSets("scaled");
        return rolledOut("scaled", 2)() && rss.length <= 2 ? rss : undefined;
      }, 15_000);
    }
    const revisions = replicaSets("scaled").map(
      (rs) => rs.metadata.annotations?.["deployment.kubernetes.io/revision"],
    );
    // Revision 1, then three new templates (scaling is no new revision): the newest two remain.
    expect(revisions.sort()).toEqual(["3", "4"]);
  });

  it("holds a paused Deployment's rollout and reports it, then resumes", async () => {
    c.apply(rollingDeployment("held", { replicas: 2 }));
    await eventually(rolledOut("held", 2), 10_000);
    const paused = rollingDeployment("held", { replicas: 2, image: "example/app:2" });
    (paused.spec as Record<string, unknown>).paused = true;
    c.apply(paused);
    const d = await eventually(() => {
      const x = deployment("held");
      return condition(x, "Progressing")?.reason === "DeploymentPaused" ? x : undefined;
    }, 5000);
    expect(condition(d, "Progressing")).toMatchObject({ status: "Unknown", message: "Deployment is paused" });
    await new Promise((r) => setTimeout(r, 200));
    expect(replicaSets("held")).toHaveLength(1);
    // Scaling still works while paused.
    const scaled = rollingDeployment("held", { replicas: 3, image: "example/app:2" });
    (scaled.spec as Record<string, unknown>).paused = true;
    c.apply(scaled);
    await eventually(() => (spec(replicaSets("held")[0]).replicas === 3 ? true : undefined), 5000);
    c.apply(rollingDeployment("held", { replicas: 3, image: "example/app:2" }));
    const resumed = await eventually(rolledOut("held", 3), 15_000);
    expect(replicaSets("held")).toHaveLength(2);
    expect(resumed.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("2");
  });

  describe.skipIf(!bin)("with kubectl", () => {
    const kubectl = () => new Kubectl(bin!, c);

    it("`kubectl rollout status` returns 0 once the rollout is done, and fails on an exceeded deadline", async () => {
      const k = kubectl();
      c.apply(rollingDeployment("watched", { replicas: 2, maxSurge: 1, maxUnavailable: 0 }));
      const done = await k.run(["rollout", "status", "deployment/watched", "--timeout=30s"], {
        timeoutMs: 40_000,
      });
      expect(done.code, done.stderr).toBe(0);
      expect(done.stdout).toContain('deployment "watched" successfully rolled out');
      await k.ok(["set", "image", "deployment/watched", "app=example/app:2"]);
      const second = await k.run(["rollout", "status", "deployment/watched", "--timeout=30s"], {
        timeoutMs: 40_000,
      });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toMatch(/Waiting for deployment "watched" rollout to finish/);
      expect(second.stdout).toContain('deployment "watched" successfully rolled out');
      const history = await k.ok(["rollout", "history", "deployment/watched"]);
      expect(history).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
      await k.ok(["patch", "deployment/watched", "-p", '{"spec":{"progressDeadlineSeconds":2}}']);
      await k.ok(["set", "image", "deployment/watched", "app=fake/never-ready"]);
      const stuck = await k.run(["rollout", "status", "deployment/watched", "--timeout=30s"], {
        timeoutMs: 40_000,
      });
      expect(stuck.code).not.toBe(0);
      expect(stuck.stderr).toContain('deployment "watched" exceeded its progress deadline');
      // Undo brings back revision 2's template: its ReplicaSet becomes the new one again, as revision 4.
      expect(await k.ok(["rollout", "undo", "deployment/watched"])).toContain(
        "deployment.apps/watched rolled back",
      );
      const back = await k.run(["rollout", "status", "deployment/watched", "--timeout=30s"], {
        timeoutMs: 40_000,
      });
      expect(back.code, back.stderr).toBe(0);
      expect(
        await k.ok(["get", "deployment/watched", "-o", "jsonpath={.spec.template.spec.containers[0].image}"]),
      ).toBe("example/app:2");
      const revisions = await k.ok(["rollout", "history", "deployment/watched"]);
      expect(revisions).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n3\s+<none>\n4\s+<none>/);
    });

    it("prints pods and ReplicaSets as kubectl does", async () => {
      const k = kubectl();
      await eventually(rolledOut("web", 3), 5000);
      const pods = await k.ok(["get", "pods", "-l", "app=web", "-o", "wide"]);
      const lines = pods.trim().split("\n");
      expect(lines[0]).toMatch(
        /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/,
      );
      expect(lines).toHaveLength(4);
      for (const line of lines.slice(1))
        expect(line).toMatch(
          new RegExp(
            `^web-\\w+-\\w{5}\\s+1/1\\s+Running\\s+0\\s+\\d+s\\s+${kubelet.ipPrefix.replaceAll(".", "\\.")}\\.\\d+\\s+devcluster-node\\s+<none>\\s+<none>$`,
          ),
        );
      const rs = await k.ok(["get", "rs", "-l", "app=web", "-o", "wide"]);
      expect(rs).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\n/);
      expect(rs).toMatch(/web-\w+\s+3\s+3\s+3\s+\d+s\s+app\s+example\/app:1\s+app=web,pod-template-hash=\w+/);
      const nodes = await k.ok(["get", "nodes"]);
      expect(nodes).toMatch(
        /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\ndevcluster-node\s+Ready\s+<none>\s+\d+s\s+v1\.35\.0\n$/,
      );
    });
  });
});
