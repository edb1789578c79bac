/**
 * The volume provisioner (claims bound to host directories that outlive pods), the scheduler (binding,
 * waiting for claims and nodes with the real messages), ClusterIP allocation from the service CIDR, the
 * rule that the simulator and the controllers never run together, and `kubectl get
 * pods,rs,jobs,cronjobs,endpointslices` over everything at once.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import type { JsonObject, KubeObject } from "../../src/devcluster/types.js";
import { call, eventually } from "./helpers.js";
import { findKubectl, Kubectl } from "./kubectl-runner.js";
import { FakeKubelet } from "./support/fake-kubelet.js";
import { condition, remove, rollingDeployment, spec, status } from "./support/workloads.js";

const PVCS = "/persistentvolumeclaims";
const PVS = "/persistentvolumes";
const PODS = "/pods";
const bin = findKubectl();

function claim(name: string, extra: JsonObject = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "default" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } }, ...extra },
  };
}

function podWithClaim(name: string, claimName: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: {
      containers: [{ name: "app", image: "example/app:1" }],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName } }],
    },
  };
}

describe("volumes, scheduling and service addresses", () => {
  let c: DevCluster;
  let kubelet: FakeKubelet;
  const workDir = mkdtempSync(join(tmpdir(), "devcluster-volumes-test-"));

  beforeAll(async () => {
    c = await startDevCluster({
      workloadControllers: { volumeWorkDir: workDir },
      serviceCIDR: "127.2.200.0/28",
    });
    kubelet = new FakeKubelet(c, { readyDelayMs: 20, terminationDelayMs: 20 });
  });
  afterAll(async () => {
    kubelet?.stop();
    await c?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  const bound = (name: string) => () => {
    const pvc = c.store.get(PVCS, "default", name);
    return status(pvc).phase === "Bound" ? pvc : undefined;
  };

  it("binds a claim to a provisioned volume backed by a directory of its own", async () => {
    c.apply(claim("media"));
    const pvc = await eventually(bound("media"), 5000);
    const pvName = `pvc-${pvc.metadata.uid}`;
    expect(spec(pvc).volumeName).toBe(pvName);
    expect(status(pvc)).toEqual({
      phase: "Bound",
      accessModes: ["ReadWriteOnce"],
      capacity: { storage: "5Gi" },
    });
    expect(pvc.metadata.annotations).toMatchObject({ "pv.kubernetes.io/bind-completed": "yes" });
    const pv = c.store.get(PVS, undefined, pvName)!;
    expect(spec(pv)).toMatchObject({
      persistentVolumeReclaimPolicy: "Delete",
      capacity: { storage: "5Gi" },
      claimRef: { kind: "PersistentVolumeClaim", namespace: "default", name: "media", uid: pvc.metadata.uid },
    });
    expect(status(pv).phase).toBe("Bound");
    const dir = c.volumeDirectory("default", "media")!;
    expect(dir).toBe(join(workDir, pvName));
    // Open to every user, whatever the umask, as hostPath provisioners make them: pods of any uid share it.
    expect(statSync(dir).mode & 0o777).toBe(0o777);
    writeFileSync(join(dir, "upload.txt"), "kept");
    expect(c.volumeDirectory("default", "media")).toBe(dir);
    expect(readFileSync(join(c.volumeDirectory("default", "media")!, "upload.txt"), "utf8")).toBe("kept");
    expect(c.volumeDirectory("default", "nope")).toBeUndefined();
  });

  it("deletes the volume and its directory with the claim (reclaim policy Delete)", async () => {
    const dir = c.volumeDirectory("default", "media")!;
    const pvName = String(spec(c.store.get(PVCS, "default", "media")).volumeName);
    remove(c, "persistentvolumeclaims", "default", "media");
    await eventually(
      () => (!existsSync(dir) && !c.store.get(PVS, undefined, pvName) ? true : undefined),
      5000,
    );
  });

  it("binds a claim to a named PersistentVolume and keeps a Retain volume Released", async () => {
    const dir = mkdtempSync(join(workDir, "static-"));
    c.apply({
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: "kept" },
      spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: dir } },
    } as KubeObject);
    c.apply(claim("precious", { volumeName: "kept" }));
    await eventually(bound("precious"), 5000);
    expect(c.volumeDirectory("default", "precious")).toBe(dir);
    expect(spec(c.store.get(PVS, undefined, "kept")).persistentVolumeReclaimPolicy).toBe("Retain");
    remove(c, "persistentvolumeclaims", "default", "precious");
    await eventually(
      () => (status(c.store.get(PVS, undefined, "kept")).phase === "Released" ? true : undefined),
      5000,
    );
    expect(existsSync(dir)).toBe(true);
  });

  it("keeps a pod Pending until its claim exists and is bound, then schedules it", async () => {
    c.apply(podWithClaim("waiting", "data"));
    const pending = await eventually(() => {
      const p = c.store.get(PODS, "default", "waiting");
      return condition(p, "PodScheduled")?.status === "False" ? p : undefined;
    }, 5000);
    expect(condition(pending, "PodScheduled")).toMatchObject({
      reason: "Unschedulable",
      message:
        '0/1 nodes are available: persistentvolumeclaim "data" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    });
    expect(spec(pending).nodeName).toBeUndefined();
    c.apply(claim("data"));
    const scheduled = await eventually(() => {
      const p = c.store.get(PODS, "default", "waiting");
      return spec(p).nodeName ? p : undefined;
    }, 5000);
    expect(spec(scheduled).nodeName).toBe("devcluster-node");
    expect(condition(scheduled, "PodScheduled")?.status).toBe("True");
  });

  it("allocates clusterIPs from the service CIDR and refuses one outside it or taken", async () => {
    const svc = (name: string, clusterIP?: string) => ({
      metadata: { name },
      spec: { selector: { app: name }, ports: [{ port: 80 }], ...(clusterIP ? { clusterIP } : {}) },
    });
    const first = await call(c, "POST", "/api/v1/namespaces/default/services", svc("one"));
    expect(first.body.spec.clusterIP).toMatch(/^127\.2\.200\.(\d+)$/);
    const outside = await call(c, "POST", "/api/v1/namespaces/default/services", svc("two", "10.0.0.1"));
    expect(outside.status).toBe(422);
    expect(outside.body.message).toContain(
      "failed to allocate IP 10.0.0.1: provided IP is not in the valid range. The range of valid IPs is 127.2.200.0/28",
    );
    const taken = await call(
      c,
      "POST",
      "/api/v1/namespaces/default/services",
      svc("three", first.body.spec.clusterIP),
    );
    expect(taken.status).toBe(422);
    expect(taken.body.message).toContain("provided IP is already allocated");
    // A /28 has 14 host addresses; once the Service is gone its address is free again.
    await call(c, "DELETE", "/api/v1/namespaces/default/services/one");
    const again = await call(
      c,
      "POST",
      "/api/v1/namespaces/default/services",
      svc("four", first.body.spec.clusterIP),
    );
    expect(again.status).toBe(201);
  });

  it.skipIf(!bin)(
    "`kubectl get pods,rs,jobs,cronjobs,endpointslices,pv,pvc` prints every table",
    async () => {
      c.apply(rollingDeployment("site", { replicas: 2 }));
      c.apply({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "site", namespace: "default" },
        spec: { selector: { app: "site" }, ports: [{ port: 80, targetPort: 8080 }] },
      } as KubeObject);
      c.apply({
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: "migrate", namespace: "default" },
        spec: {
          template: { spec: { restartPolicy: "Never", containers: [{ name: "m", image: "fake/succeed" }] } },
        },
      } as KubeObject);
      c.apply({
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: { name: "nightly", namespace: "default" },
        spec: {
          schedule: "0 3 * * *",
          jobTemplate: {
            spec: {
              template: { spec: { restartPolicy: "OnFailure", containers: [{ name: "n", image: "x" }] } },
            },
          },
        },
      } as KubeObject);
      await eventually(
        () =>
          status(c.store.get("apps/deployments", "default", "site")).availableReplicas === 2
            ? true
            : undefined,
        10_000,
      );
      await eventually(
        () => (status(c.store.get("batch/jobs", "default", "migrate")).succeeded === 1 ? true : undefined),
        10_000,
      );
      const k = new Kubectl(bin!, c);
      const out = await k.ok(["get", "pods,rs,jobs,cronjobs,endpointslices,pv,pvc"]);
      expect(out).toMatch(
        /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\npod\/migrate-\w{5}\s+0\/1\s+Completed\s+0\s+\d+s\n/,
      );
      expect(out).toMatch(/pod\/site-\w+-\w{5}\s+1\/1\s+Running\s+0\s+\d+s/);
      expect(out).toMatch(/pod\/waiting\s+1\/1\s+Running/);
      expect(out).toMatch(
        /NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\nreplicaset\.apps\/site-\w+\s+2\s+2\s+2\s+\d+s/,
      );
      expect(out).toMatch(
        /NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\njob\.batch\/migrate\s+Complete\s+1\/1\s+\d+s\s+\d+s/,
      );
      expect(out).toMatch(
        /NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\ncronjob\.batch\/nightly\s+0 3 \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\d+s/,
      );
      expect(out).toMatch(
        /NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\n(.*\n)*endpointslice\.discovery\.k8s\.io\/site-\w{5}\s+IPv4\s+8080\s+127\.[\d.]+,127\.[\d.]+\s+\d+s/,
      );
      expect(out).toMatch(
        /persistentvolume\/kept\s+1Gi\s+RWO\s+Retain\s+Released\s+default\/precious\s+<unset>\s+\d+s/,
      );
      const all = await k.ok(["get", "all"]);
      expect(all).toMatch(/replicaset\.apps\/site-/);
      expect(all).toMatch(/cronjob\.batch\/nightly/);
    },
  );
});

describe("choosing what runs the workloads", () => {
  it("provisions into a temporary directory of its own that every pod's user can pass through", async () => {
    const own = await startDevCluster({ workloadControllers: true, serviceCIDR: "127.2.201.0/28" });
    try {
      own.apply(claim("media"));
      const dir = await eventually(() => own.volumeDirectory("default", "media"), 5000);
      expect(statSync(dir).mode & 0o777).toBe(0o777);
      // mkdtemp makes 0700 directories: a claim below one would be out of reach of non-root pods.
      expect(statSync(dirname(dir)).mode & 0o777).toBe(0o755);
    } finally {
      await own.stop();
    }
  });

  it("refuses the simulator and the controllers together", async () => {
    await expect(startDevCluster({ simulateWorkloads: true, workloadControllers: true })).rejects.toThrow(
      /choose one/,
    );
  });

  it("leaves pods Pending with the scheduler's message when there is no node", async () => {
    const c = await startDevCluster({ workloadControllers: true });
    try {
      c.apply(rollingDeployment("nowhere", { replicas: 1 }));
      const pod = await eventually(() => {
        const p = c.store.list(PODS, "default").find((x) => condition(x, "PodScheduled")?.status === "False");
        return p;
      }, 5000);
      expect(condition(pod, "PodScheduled")).toMatchObject({
        reason: "Unschedulable",
        message: "no nodes available to schedule pods",
      });
      expect(status(pod).phase).toBe("Pending");
    } finally {
      await c.stop();
    }
  });
});
