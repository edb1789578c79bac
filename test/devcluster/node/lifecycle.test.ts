// The kubelet's pod lifecycle with real processes (/bin/sh and friends, and python3 for a TCP listener):
// init containers, restarts with back-off, image pull and config errors, probes (exec and tcpSocket;
// httpGet in dataplane-pods.test.ts), termination order,
// ConfigMap volumes updated in place, and nothing left running once the cluster stops.
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { podStatusColumns } from "../../../src/devcluster/http/pod-table.js";
import type { DevCluster } from "../../../src/devcluster/index.js";
import type { JsonObject, KubeObject } from "../../../src/devcluster/types.js";
import {
  alive,
  containerStatus,
  events,
  getPod,
  listenersIn,
  nodeCluster,
  pod,
  podReady,
  SHELL_IMAGE,
  stateOf,
  status,
  waitFor,
  waitReady,
} from "./node-helpers.js";

// Real processes on a shared 2-core machine: a test's own deadlines (waitFor) decide, not the default 30 s.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const OCTET = 41;
const IMAGE = "example.test/shell:1";
let cluster: DevCluster;
const hostDir = mkdtempSync(join(tmpdir(), "node-lifecycle-"));

/** Python for the one test that needs a process listening on TCP (installed wherever the data plane runs). */
const PYTHON_IMAGE = { repository: "example.test/python", programs: { python3: "/usr/bin/python3" } };

beforeAll(async () => {
  cluster = await nodeCluster(OCTET, { imageMap: { images: [SHELL_IMAGE, PYTHON_IMAGE] } });
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(hostDir, { recursive: true, force: true });
});

async function podLog(name: string, query = ""): Promise<{ status: number; text: string }> {
  const res = await fetch(`${cluster.url}/api/v1/namespaces/default/pods/${name}/log${query}`);
  return { status: res.status, text: await res.text() };
}

function restartCount(p: KubeObject | undefined, name: string): number {
  return Number(containerStatus(p, name)?.restartCount ?? 0);
}

function sh(script: string, extra: JsonObject = {}): JsonObject {
  return { image: IMAGE, command: ["sh", "-c", script], ...extra };
}

describe("node registration", () => {
  it("registers a Ready node with its address and capacity", () => {
    const node = cluster.get("v1", "Node", undefined, "devcluster-node")!;
    const s = status(node);
    const ready = (s.conditions as JsonObject[]).find((c) => c.type === "Ready");
    expect(ready).toMatchObject({
      status: "True",
      reason: "KubeletReady",
      message: "kubelet is posting ready status",
    });
    expect(s.addresses).toEqual([
      { type: "InternalIP", address: "127.0.0.1" },
      { type: "Hostname", address: "devcluster-node" },
    ]);
    expect(s.allocatable).toHaveProperty("cpu");
    expect(s.nodeInfo).toMatchObject({ operatingSystem: "linux" });
  });
});

describe("running pods", () => {
  it("runs init containers in order, to completion, then the container; the pod Succeeds", async () => {
    cluster.apply(
      pod("ordered", {
        restartPolicy: "Never",
        initContainers: [
          { name: "first", ...sh("echo first-ran") },
          { name: "second", ...sh("echo second-ran") },
        ],
        containers: [
          {
            name: "main",
            ...sh("echo main $GREETING from $POD_NAME", {
              env: [
                { name: "GREETING", value: "hello" },
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              ],
            }),
          },
        ],
      }),
    );
    const done = await waitFor(
      "phase Succeeded",
      () => status(getPod(cluster, "ordered")).phase === "Succeeded" && getPod(cluster, "ordered"),
      20_000,
      () => status(getPod(cluster, "ordered")),
    );
    const s = status(done);
    expect(s.podIP).toMatch(new RegExp(`^127\\.${OCTET}\\.`));
    expect(s.hostIP).toBe("127.0.0.1");
    expect(containerStatus(done, "first", true)?.state).toMatchObject({
      terminated: { exitCode: 0, reason: "Completed" },
    });
    expect(containerStatus(done, "main")?.state).toMatchObject({
      terminated: { exitCode: 0, reason: "Completed" },
    });
    const first = Date.parse(String(stateOf(done, "first", "terminated", true).finishedAt));
    const main = Date.parse(String(stateOf(done, "main", "terminated").startedAt));
    expect(main).toBeGreaterThanOrEqual(first);
    expect((await podLog("ordered", "?container=main")).text).toBe("main hello from ordered\n");
    expect((await podLog("ordered", "?container=second")).text).toBe("second-ran\n");
    const reasons = events(cluster, "ordered").map((e) => `${e.reason}:${e.message}`);
    expect(reasons).toContain("Started:Started container main");
    expect(reasons).toContain("Created:Created container: first");
  });

  it("restarts a crashing container with a growing back-off: CrashLoopBackOff", async () => {
    cluster.apply(pod("crasher", { containers: [{ name: "app", ...sh("echo crashing; exit 3") }] }));
    const messages = new Set<string>();
    const final = await waitFor(
      "three restarts in CrashLoopBackOff",
      () => {
        const c = containerStatus(getPod(cluster, "crasher"), "app");
        const waiting = (c?.state as { waiting?: JsonObject } | undefined)?.waiting;
        if (waiting?.reason === "CrashLoopBackOff") messages.add(String(waiting.message));
        return (
          Number(c?.restartCount) >= 3 && messages.size >= 2 && waiting?.reason === "CrashLoopBackOff" && c
        );
      },
      30_000,
      () => [...messages],
    );
    expect(final.lastState).toMatchObject({ terminated: { exitCode: 3, reason: "Error" } });
    const delays = [...messages].map(
      (m) => /^back-off (\S+) restarting failed container=app pod=crasher_default\(/.exec(m)?.[1],
    );
    // Each wait doubles the one before, from the 500 ms base up to the 4 s cap set for this cluster.
    const sequence = ["500ms", "1s", "2s", "4s"];
    const seen = delays.map((d) => sequence.indexOf(String(d)));
    expect(seen.every((i) => i >= 0)).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(
      events(cluster, "crasher").some(
        (e) =>
          e.reason === "BackOff" &&
          String(e.message).startsWith("Back-off restarting failed container app in pod crasher_default("),
      ),
    ).toBe(true);
    expect(status(getPod(cluster, "crasher")).phase).toBe("Running");
    const previous = await podLog("crasher", "?previous=true");
    expect(previous).toEqual({ status: 200, text: "crashing\n" });
  });

  it("restarts a failing init container before anything else runs: Init:CrashLoopBackOff", async () => {
    cluster.apply(
      pod("init-fails", {
        initContainers: [{ name: "setup", ...sh("echo setting up; exit 1") }],
        containers: [{ name: "app", ...sh("sleep 600") }],
      }),
    );
    const shown = new Set<string>();
    await waitFor(
      "Init:CrashLoopBackOff, twice",
      () => {
        shown.add(podStatusColumns(getPod(cluster, "init-fails")!).status);
        const backoff = events(cluster, "init-fails").find((e) => e.reason === "BackOff");
        return shown.has("Init:CrashLoopBackOff") && Number(backoff?.count) >= 2;
      },
      20_000,
      () => [...shown],
    );
    const p = getPod(cluster, "init-fails");
    expect(status(p).phase).toBe("Pending");
    expect(stateOf(p, "app", "waiting").reason).toBe("PodInitializing");
    expect((status(p).conditions as JsonObject[]).find((c) => c.type === "Initialized")).toMatchObject({
      status: "False",
      reason: "ContainersNotInitialized",
      message: "containers with incomplete status: [setup]",
    });
    // The same event again is counted, not repeated.
    const backoffs = events(cluster, "init-fails").filter((e) => e.reason === "BackOff");
    expect(backoffs).toHaveLength(1);
    expect(Number(backoffs[0]!.count)).toBeGreaterThanOrEqual(2);
    expect(Date.parse(String(backoffs[0]!.lastTimestamp))).toBeGreaterThanOrEqual(
      Date.parse(String(backoffs[0]!.firstTimestamp)),
    );
    expect(backoffs[0]).toMatchObject({
      source: { component: "kubelet", host: "devcluster-node" },
      reportingComponent: "kubelet",
      involvedObject: { kind: "Pod", name: "init-fails", fieldPath: "spec.initContainers{setup}" },
    });
  });

  it("cannot pull an image missing from the image map: ErrImagePull, then ImagePullBackOff", async () => {
    cluster.apply(pod("unpullable", { containers: [{ name: "app", image: "registry.example.com/nope:1" }] }));
    const seen = new Set<string>();
    await waitFor("ImagePullBackOff after ErrImagePull", () => {
      const w = (
        containerStatus(getPod(cluster, "unpullable"), "app")?.state as { waiting?: JsonObject } | undefined
      )?.waiting;
      if (w) seen.add(String(w.reason));
      return seen.has("ErrImagePull") && seen.has("ImagePullBackOff");
    });
    const failed = events(cluster, "unpullable").find(
      (e) => e.reason === "Failed" && String(e.message).startsWith("Failed to pull image"),
    );
    expect(failed?.message).toBe(
      'Failed to pull image "registry.example.com/nope:1": rpc error: code = NotFound desc = failed to pull and unpack image "registry.example.com/nope:1": failed to resolve reference "registry.example.com/nope:1": registry.example.com/nope:1: not found',
    );
    expect(status(getPod(cluster, "unpullable")).phase).toBe("Pending");
    expect(await podLog("unpullable")).toMatchObject({ status: 400 });
  });

  it("waits in CreateContainerConfigError for a missing Secret, then starts once it exists", async () => {
    cluster.apply(
      pod("needs-secret", {
        containers: [
          {
            name: "app",
            ...sh("echo token=$TOKEN; sleep 600", {
              env: [{ name: "TOKEN", valueFrom: { secretKeyRef: { name: "creds", key: "token" } } }],
            }),
          },
        ],
      }),
    );
    const waiting = await waitFor("CreateContainerConfigError", () => {
      const w = (
        containerStatus(getPod(cluster, "needs-secret"), "app")?.state as { waiting?: JsonObject } | undefined
      )?.waiting;
      return w?.reason === "CreateContainerConfigError" && w;
    });
    expect(waiting.message).toBe('secret "creds" not found');
    const log = await podLog("needs-secret");
    expect(log.status).toBe(400);
    expect(JSON.parse(log.text).message).toBe(
      'container "app" in pod "needs-secret" is waiting to start: CreateContainerConfigError',
    );
    cluster.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "creds", namespace: "default" },
      stringData: { other: "x" },
    } as never);
    await waitFor("the missing key reported", () => {
      const w = (
        containerStatus(getPod(cluster, "needs-secret"), "app")?.state as { waiting?: JsonObject } | undefined
      )?.waiting;
      return w?.message === "couldn't find key token in Secret default/creds";
    });
    cluster.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "creds", namespace: "default" },
      stringData: { token: "s3cret" },
    } as never);
    await waitFor(
      "running with the Secret's value",
      async () =>
        podReady(getPod(cluster, "needs-secret")) && (await podLog("needs-secret")).text === "token=s3cret\n",
    );
  });

  it("reports a command the image does not have as containerd does: StartError, exit code 128", async () => {
    cluster.apply(
      pod("no-such-command", {
        restartPolicy: "Never",
        containers: [{ name: "app", image: IMAGE, command: ["nosuch", "--flag"] }],
      }),
    );
    const done = await waitFor(
      "phase Failed",
      () =>
        status(getPod(cluster, "no-such-command")).phase === "Failed" && getPod(cluster, "no-such-command"),
    );
    const t = stateOf(done, "app", "terminated");
    expect(t).toMatchObject({ exitCode: 128, reason: "StartError" });
    expect(String(t.message)).toContain('exec: "nosuch": executable file not found in $PATH: unknown');
  });

  it("backs off restarting a container that cannot start, as any crash", async () => {
    cluster.apply(pod("start-loop", { containers: [{ name: "app", image: IMAGE, command: ["nosuch"] }] }));
    const waiting = await waitFor("CrashLoopBackOff", () => {
      const w = stateOf(getPod(cluster, "start-loop"), "app", "waiting");
      return w.reason === "CrashLoopBackOff" && w;
    });
    expect(String(waiting.message)).toMatch(/^back-off \S+ restarting failed container=app/);
    const c = containerStatus(getPod(cluster, "start-loop"), "app");
    expect(c?.lastState).toMatchObject({ terminated: { exitCode: 128, reason: "StartError" } });
    // 500 ms doubling: a handful of attempts in two seconds, not a tight loop (an upper bound: a loaded
    // machine only restarts less).
    await new Promise((r) => setTimeout(r, 2000));
    expect(Number(containerStatus(getPod(cluster, "start-loop"), "app")?.restartCount)).toBeLessThanOrEqual(
      5,
    );
  });

  it("reports the termination message file, or the log's tail with FallbackToLogsOnError", async () => {
    cluster.apply(
      pod("messages", {
        restartPolicy: "Never",
        containers: [
          {
            name: "file",
            ...sh('echo "disk full" > "$MSG"; exit 4', {
              env: [{ name: "MSG", value: "/dev/termination-log" }],
            }),
          },
          {
            name: "logs",
            ...sh("echo first; echo last words; exit 5", {
              terminationMessagePolicy: "FallbackToLogsOnError",
            }),
          },
        ],
      }),
    );
    const done = await waitFor(
      "phase Failed",
      () => status(getPod(cluster, "messages")).phase === "Failed" && getPod(cluster, "messages"),
    );
    expect(stateOf(done, "file", "terminated")).toMatchObject({ exitCode: 4, message: "disk full\n" });
    expect(stateOf(done, "logs", "terminated")).toMatchObject({
      exitCode: 5,
      message: "first\nlast words\n",
    });
  });

  it("kills a container whose postStart hook fails, and refuses a missing image under imagePullPolicy Never", async () => {
    cluster.apply(
      pod("bad-hook", {
        containers: [
          {
            name: "app",
            ...sh("sleep 600", {
              lifecycle: { postStart: { exec: { command: ["sh", "-c", "echo hook broke; exit 1"] } } },
            }),
          },
        ],
      }),
    );
    await waitFor(
      "a restart after the failed hook",
      () => Number(containerStatus(getPod(cluster, "bad-hook"), "app")?.restartCount) >= 1,
    );
    expect(events(cluster, "bad-hook").map((e) => `${e.reason}:${e.message}`)).toContain(
      "FailedPostStartHook:PostStartHook failed: hook broke",
    );
    cluster.apply(
      pod("never-pull", {
        containers: [{ name: "app", image: "example.test/absent:1", imagePullPolicy: "Never" }],
      }),
    );
    const waiting = await waitFor("ErrImageNeverPull", () => {
      const w = stateOf(getPod(cluster, "never-pull"), "app", "waiting");
      return w.reason === "ErrImageNeverPull" && w;
    });
    expect(waiting.message).toBe(
      'Container image "example.test/absent:1" is not present with pull policy of Never',
    );
  });

  it("restarts a container that fails its liveness probe, with the kubelet's events", async () => {
    cluster.apply(
      pod("unhealthy", {
        containers: [
          {
            name: "app",
            ...sh("sleep 600", {
              livenessProbe: {
                exec: { command: ["sh", "-c", "echo not alive; exit 1"] },
                periodSeconds: 1,
                failureThreshold: 2,
              },
            }),
          },
        ],
      }),
    );
    await waitFor(
      "a restart",
      () => Number(containerStatus(getPod(cluster, "unhealthy"), "app")?.restartCount) >= 1,
      20_000,
    );
    const evs = events(cluster, "unhealthy").map((e) => `${e.reason}:${e.message}`);
    expect(evs).toContain("Unhealthy:Liveness probe failed: not alive");
    expect(evs).toContain("Killing:Container app failed liveness probe, will be restarted");
  });

  it("keeps a container unready while its readiness probe fails, and Ready once it passes", async () => {
    cluster.apply(
      pod("gated", {
        volumes: [{ name: "flags", emptyDir: {} }],
        containers: [
          {
            name: "app",
            ...sh("sleep 600", {
              volumeMounts: [{ name: "flags", mountPath: "/flags" }],
              readinessProbe: { exec: { command: ["cat", "/flags/ready"] }, periodSeconds: 1 },
            }),
          },
        ],
      }),
    );
    await waitFor("running", () => containerStatus(getPod(cluster, "gated"), "app")?.started === true);
    await waitFor("a failed readiness probe", () =>
      events(cluster, "gated").some((e) => e.reason === "Unhealthy"),
    );
    const p = getPod(cluster, "gated");
    expect(podReady(p)).toBe(false);
    expect((status(p).conditions as JsonObject[]).find((c) => c.type === "ContainersReady")).toMatchObject({
      status: "False",
      reason: "ContainersNotReady",
      message: "containers with unready status: [app]",
    });
    const flags = cluster.nodeAgent!.worker("default", "gated")!.volumeHostPath("flags")!;
    writeFileSync(join(flags, "ready"), "yes");
    await waitFor("Ready", () => podReady(getPod(cluster, "gated")));
    expect(containerStatus(getPod(cluster, "gated"), "app")?.ready).toBe(true);
  });
});

describe("tcpSocket probes", () => {
  it("keeps a container unready while nothing listens on the port, Ready once its process listens", async () => {
    // Listens on the pod's address and port 8080 once the file named by its argument exists (an argument,
    // so the container path is translated to the volume's host path, as every path in argv is).
    const listenLater = [
      "import os, socket, sys, time",
      "while not os.path.exists(sys.argv[1]): time.sleep(0.1)",
      "s = socket.socket(); s.bind((os.environ['POD_IP'], 8080)); s.listen(8)",
      "while True: s.accept()[0].close()",
    ].join("\n");
    cluster.apply(
      pod("tcp-gated", {
        volumes: [{ name: "flags", emptyDir: {} }],
        containers: [
          {
            name: "app",
            image: "example.test/python:1",
            command: ["python3", "-c", listenLater, "/flags/listen"],
            env: [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }],
            ports: [{ name: "http", containerPort: 8080 }],
            volumeMounts: [{ name: "flags", mountPath: "/flags" }],
            readinessProbe: { tcpSocket: { port: "http" }, periodSeconds: 1 },
          },
        ],
      }),
    );
    await waitFor("running", () => containerStatus(getPod(cluster, "tcp-gated"), "app")?.started === true);
    await waitFor("a failed readiness probe", () =>
      events(cluster, "tcp-gated").some((e) => e.reason === "Unhealthy"),
    );
    const unhealthy = events(cluster, "tcp-gated").find((e) => e.reason === "Unhealthy")!;
    const podIP = status(getPod(cluster, "tcp-gated")).podIP as string;
    // The kubelet's words for a refused dial, with the address it tried (the named port resolved).
    expect(unhealthy.message).toContain(`Readiness probe failed: dial tcp ${podIP}:8080`);
    expect(podReady(getPod(cluster, "tcp-gated"))).toBe(false);
    const flags = cluster.nodeAgent!.worker("default", "tcp-gated")!.volumeHostPath("flags")!;
    writeFileSync(join(flags, "listen"), "");
    await waitFor("Ready", () => podReady(getPod(cluster, "tcp-gated")));
    expect(containerStatus(getPod(cluster, "tcp-gated"), "app")?.ready).toBe(true);
  });
});

describe("volumes", () => {
  it("updates a ConfigMap volume in place, atomically, and the running process reads the new content", async () => {
    cluster.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace: "default" },
      data: { mode: "one" },
    } as never);
    cluster.apply(
      pod("reader", {
        volumes: [{ name: "config", configMap: { name: "settings" } }],
        containers: [
          {
            name: "app",
            ...sh('while :; do cat "$FILE"; echo; sleep 0.2; done', {
              env: [{ name: "FILE", value: "/etc/app/mode" }],
              volumeMounts: [{ name: "config", mountPath: "/etc/app" }],
            }),
          },
        ],
      }),
    );
    await waitFor("the first content in the log", async () =>
      (await podLog("reader")).text.includes("one\n"),
    );
    const dir = cluster.nodeAgent!.worker("default", "reader")!.volumeHostPath("config")!;
    const before = readlinkSync(join(dir, "..data"));
    expect(readlinkSync(join(dir, "mode"))).toBe("..data/mode");
    cluster.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace: "default" },
      data: { mode: "two" },
    } as never);
    await waitFor("the new content read by the running process", async () =>
      (await podLog("reader")).text.includes("two\n"),
    );
    expect(readFileSync(join(dir, "mode"), "utf8")).toBe("two");
    expect(readlinkSync(join(dir, "..data"))).not.toBe(before);
    expect(containerStatus(getPod(cluster, "reader"), "app")?.restartCount).toBe(0);
  });
});

describe("termination", () => {
  it("ends what the main process started when it exits, as its PID namespace would", async () => {
    cluster.apply(
      pod("orphans", {
        volumes: [{ name: "flags", emptyDir: {} }],
        containers: [
          {
            name: "main",
            // A child left running in the background, its pid added to a file the test reads; then
            // the main process fails, and the container restarts (the pod lives on).
            ...sh('sleep 600 & echo $! >> "$1"; sleep 0.5; exit 2', {
              args: ["sh", "/flags/children"],
              volumeMounts: [{ name: "flags", mountPath: "/flags" }],
            }),
          },
        ],
      }),
    );
    await waitFor("a restart", () => restartCount(getPod(cluster, "orphans"), "main") >= 1);
    const flags = cluster.nodeAgent!.worker("default", "orphans")!.volumeHostPath("flags")!;
    const first = Number(readFileSync(join(flags, "children"), "utf8").split("\n")[0]);
    expect(first).toBeGreaterThan(0);
    await waitFor("the first run's background child gone", () => !alive(first));
    expect(getPod(cluster, "orphans")?.metadata.deletionTimestamp).toBeUndefined();
  });

  it("runs preStop before the stop signal, then removes the pod object", async () => {
    const order = join(hostDir, "order");
    cluster.apply(
      pod("graceful", {
        terminationGracePeriodSeconds: 10,
        volumes: [{ name: "out", hostPath: { path: hostDir } }],
        containers: [
          {
            name: "app",
            ...sh(
              'trap \'echo term >> "$ORDER"; exit 0\' TERM; echo started >> "$ORDER"; while :; do sleep 0.1; done',
              {
                env: [{ name: "ORDER", value: "/out/order" }],
                volumeMounts: [{ name: "out", mountPath: "/out" }],
                lifecycle: {
                  preStop: { exec: { command: ["sh", "-c", 'sleep 0.5; echo prestop >> "$ORDER"'] } },
                },
              },
            ),
          },
        ],
      }),
    );
    await waitReady(cluster, "graceful");
    await waitFor("started", () => readFileSync(order, "utf8").includes("started"));
    const pid = cluster.nodeAgent!.worker("default", "graceful")!.containers[0]!.pid!;
    const res = await fetch(`${cluster.url}/api/v1/namespaces/default/pods/graceful`, { method: "DELETE" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { metadata: JsonObject };
    expect(body.metadata.deletionGracePeriodSeconds).toBe(10);
    expect(getPod(cluster, "graceful")?.metadata.deletionTimestamp).toBeDefined();
    await waitFor(
      "readiness off at once",
      () => !podReady(getPod(cluster, "graceful")) || getPod(cluster, "graceful") === undefined,
      2000,
    );
    await waitFor("the pod object gone", () => getPod(cluster, "graceful") === undefined, 15_000);
    expect(readFileSync(order, "utf8")).toBe("started\nprestop\nterm\n");
    expect(alive(pid)).toBe(false);
  });

  it("SIGKILLs a container that ignores the stop signal when the grace period runs out", async () => {
    cluster.apply(
      pod("stubborn", {
        terminationGracePeriodSeconds: 2,
        containers: [{ name: "app", ...sh("trap '' TERM; while :; do sleep 0.1; done") }],
      }),
    );
    await waitReady(cluster, "stubborn");
    const pid = cluster.nodeAgent!.worker("default", "stubborn")!.containers[0]!.pid!;
    const t0 = Date.now();
    await fetch(`${cluster.url}/api/v1/namespaces/default/pods/stubborn`, { method: "DELETE" });
    await waitFor("the pod object gone", () => getPod(cluster, "stubborn") === undefined, 15_000);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(10_000);
    expect(alive(pid)).toBe(false);
  });
});

describe("cluster stop", () => {
  it("leaves no process and no listening port behind", async () => {
    const own = await nodeCluster(OCTET + 1);
    own.apply(
      pod("listener", {
        containers: [
          { name: "a", image: IMAGE, command: ["sh", "-c", "sleep 600"] },
          { name: "b", image: IMAGE, command: ["sh", "-c", "sleep 600"] },
        ],
      }),
    );
    await waitFor("ready", () => podReady(own.get("v1", "Pod", "default", "listener")));
    const worker = own.nodeAgent!.worker("default", "listener")!;
    const pids = worker.containers.map((c) => c.pid!);
    expect(pids.every(alive)).toBe(true);
    const root = own.nodeAgent!.rootDir;
    await own.stop();
    expect(pids.filter(alive)).toEqual([]);
    expect(listenersIn(OCTET + 1)).toEqual([]);
    expect(() => readlinkSync(root)).toThrow();
  });
});
