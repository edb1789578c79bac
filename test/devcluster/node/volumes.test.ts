// Pod volumes on the node agent: Secret volumes (items, modes), the downward API, claims through the
// provisioner's directory (the pod waits in ContainerCreating until there is one), and the eviction of a
// pod whose emptyDir outgrows its sizeLimit.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DevCluster } from "../../../src/devcluster/index.js";
import type { JsonObject } from "../../../src/devcluster/types.js";
import { events, getPod, nodeCluster, pod, podReady, status, waitFor, waitReady } from "./node-helpers.js";

// Real processes on a shared 2-core machine: a test's own deadlines (waitFor) decide, not the default 30 s.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const IMAGE = "example.test/shell:1";
const claims = mkdtempSync(join(tmpdir(), "node-claims-"));
chmodSync(claims, 0o755); // the pods' users reach their claims' directories through it
let cluster: DevCluster;

beforeAll(async () => {
  cluster = await nodeCluster(49, {
    // A stand-in for the provisioner: a claim has a directory once the test makes one.
    volumeDirectory: (namespace, claim) => {
      const dir = join(claims, `${namespace}-${claim}`);
      return existsSync(dir) ? dir : undefined;
    },
  });
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(claims, { recursive: true, force: true });
});

const sleeper = (mounts: JsonObject[], extra: JsonObject = {}) => ({
  name: "app",
  image: IMAGE,
  command: ["sh", "-c", "sleep 600"],
  volumeMounts: mounts,
  ...extra,
});

describe("projected files", () => {
  it("writes Secret keys as files with their items' paths and modes", async () => {
    cluster.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "tls", namespace: "default" },
      stringData: { "tls.crt": "CERT", "tls.key": "KEY", unused: "x" },
    } as never);
    cluster.apply(
      pod("secret-reader", {
        volumes: [
          {
            name: "certs",
            secret: {
              secretName: "tls",
              defaultMode: 0o440,
              items: [
                { key: "tls.crt", path: "public/cert.pem" },
                { key: "tls.key", path: "key.pem", mode: 0o400 },
              ],
            },
          },
        ],
        containers: [sleeper([{ name: "certs", mountPath: "/certs" }])],
      }),
    );
    await waitReady(cluster, "secret-reader");
    const dir = cluster.nodeAgent!.worker("default", "secret-reader")!.volumeHostPath("certs")!;
    expect(readFileSync(join(dir, "public", "cert.pem"), "utf8")).toBe("CERT");
    expect(statSync(join(dir, "public", "cert.pem")).mode & 0o777).toBe(0o440);
    expect(statSync(join(dir, "key.pem")).mode & 0o777).toBe(0o400);
    expect(existsSync(join(dir, "unused"))).toBe(false);
  });

  it("writes the downward API's fields, and the pod's labels as key=\"value\" lines", async () => {
    const p = pod("downward", {
      volumes: [
        {
          name: "info",
          downwardAPI: {
            items: [
              { path: "name", fieldRef: { fieldPath: "metadata.name" } },
              { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
            ],
          },
        },
      ],
      containers: [sleeper([{ name: "info", mountPath: "/etc/podinfo" }])],
    });
    p.metadata.labels = { tier: "web", app: "shop" };
    cluster.apply(p);
    await waitReady(cluster, "downward");
    const dir = cluster.nodeAgent!.worker("default", "downward")!.volumeHostPath("info")!;
    expect(readFileSync(join(dir, "name"), "utf8")).toBe("downward");
    expect(readFileSync(join(dir, "labels"), "utf8")).toBe('app="shop"\ntier="web"');
  });
});

describe("claims", () => {
  it("waits in ContainerCreating with FailedMount until the claim has a directory, then mounts it", async () => {
    cluster.apply({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data", namespace: "default" },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    } as never);
    cluster.apply(
      pod("claimant", {
        securityContext: { runAsUser: 2000, fsGroup: 3000 },
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
        containers: [
          sleeper([{ name: "data", mountPath: "/data" }], {
            command: ["sh", "-c", 'echo saved > "$TARGET"; sleep 600'],
            env: [{ name: "TARGET", value: "/data/file" }],
          }),
        ],
      }),
    );
    const mount = await waitFor("FailedMount", () =>
      events(cluster, "claimant").find((e) => e.reason === "FailedMount"),
    );
    expect(mount.message).toBe(
      "Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data], failed to process volumes=[data]: error processing PVC default/data: PVC is not bound",
    );
    const waiting = (
      (status(getPod(cluster, "claimant")).containerStatuses as JsonObject[])[0]!.state as JsonObject
    ).waiting as JsonObject;
    expect(waiting.reason).toBe("ContainerCreating");
    const dir = join(claims, "default-data");
    mkdirSync(dir);
    cluster.apply({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data", namespace: "default", labels: { bound: "yes" } },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    } as never);
    await waitFor("ready", () => podReady(getPod(cluster, "claimant")), 20_000);
    await waitFor("the file written into the claim", () => existsSync(join(dir, "file")));
    expect(readFileSync(join(dir, "file"), "utf8")).toBe("saved\n");
    if (process.getuid?.() === 0) {
      // As the pod's runAsUser, in a directory its fsGroup owns.
      expect(statSync(join(dir, "file")).uid).toBe(2000);
      expect(statSync(dir).gid).toBe(3000);
    }
  });
});

describe("claims shared by pods of different fsGroups", () => {
  it("fsGroup adds group ownership and permissions to the claim and takes none away", async () => {
    if (process.getuid?.() !== 0) return; // users and groups are switched only as root
    const dir = join(claims, "default-shared");
    mkdirSync(dir);
    chmodSync(dir, 0o777); // as the provisioner makes it
    cluster.apply({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "shared", namespace: "default" },
      spec: { accessModes: ["ReadWriteMany"], resources: { requests: { storage: "1Gi" } } },
    } as never);
    const mounting = (name: string, sc: JsonObject, command: string) =>
      pod(name, {
        securityContext: sc,
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "shared" } }],
        containers: [
          sleeper([{ name: "data", mountPath: "/data" }], {
            command: ["sh", "-c", command],
            env: [{ name: "DATA", value: "/data" }], // a path in env is translated; one inside a script is not
          }),
        ],
      });
    // An NGINX-like pod mounts it first, then an app pod of another fsGroup, then a third user writes:
    // each mount leaves the others' access as it was.
    cluster.apply(mounting("reader", { runAsUser: 101, fsGroup: 101 }, "sleep 600"));
    await waitReady(cluster, "reader");
    expect(statSync(dir).gid).toBe(101);
    expect(statSync(dir).mode & 0o7777).toBe(0o2777);
    cluster.apply(mounting("writer", { runAsUser: 10001, fsGroup: 10001 }, 'echo w > "$DATA/w"; sleep 600'));
    await waitFor(
      "the writer's file",
      () => existsSync(join(dir, "w")),
      20_000,
      () => status(getPod(cluster, "writer")),
    );
    cluster.apply(mounting("other", { runAsUser: 2000, runAsGroup: 3000 }, 'echo o > "$DATA/o"; sleep 600'));
    await waitFor("the third user's file", () => existsSync(join(dir, "o")));
    expect(statSync(dir).uid).toBe(0); // fsGroup changes the group, never the owner
    expect(statSync(join(dir, "w")).uid).toBe(10001);
    expect(statSync(join(dir, "o")).uid).toBe(2000);
  });
});

describe("eviction", () => {
  it("evicts a pod whose emptyDir exceeds its sizeLimit: Failed, reason Evicted", async () => {
    cluster.apply(
      pod("hoarder", {
        volumes: [{ name: "scratch", emptyDir: { sizeLimit: "1Ki" } }],
        containers: [
          sleeper([{ name: "scratch", mountPath: "/scratch" }], {
            command: [
              "sh",
              "-c",
              'i=0; while [ $i -lt 100 ]; do echo 0123456789012345678901234567890123456789 >> "$FILE"; i=$((i+1)); done; sleep 600',
            ],
            env: [{ name: "FILE", value: "/scratch/big" }],
          }),
        ],
      }),
    );
    const evicted = await waitFor(
      "Evicted",
      () => status(getPod(cluster, "hoarder")).reason === "Evicted" && status(getPod(cluster, "hoarder")),
      20_000,
    );
    expect(evicted.phase).toBe("Failed");
    expect(evicted.message).toBe('Usage of EmptyDir volume "scratch" exceeds the limit "1Ki". ');
    await waitFor("the container stopped", () => {
      const c = (status(getPod(cluster, "hoarder")).containerStatuses as JsonObject[])[0]!;
      return (c.state as JsonObject).terminated !== undefined;
    });
  });
});
