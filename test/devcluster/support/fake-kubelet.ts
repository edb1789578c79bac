/**
 * A stand-in for the node agent's kubelet in the workload controllers' tests. It registers a Ready Node,
 * and for pods bound to it: gives each a pod IP of its own (a random 127.x.y.0/24, so parallel test runs
 * do not meet), marks it Running and Ready after a delay or on command, optionally serves HTTP on the
 * pod IP and its container ports (answering with the pod's name, for traffic tests), and finishes
 * graceful deletions the way the kubelet does (not ready at once, the object removed after a delay).
 *
 * A pod's first container image decides its fate: `fake/succeed` and `fake/fail` run to completion
 * (exit 0 / exit 1, or restarts in place under restartPolicy OnFailure), `fake/never-ready` runs but
 * never turns Ready, anything else becomes Ready.
 */
import { createServer, type Server } from "node:http";
import type { DevCluster } from "../../../src/devcluster/index.js";
import type { StoredEvent } from "../../../src/devcluster/storage/store.js";
import { nowTimestamp } from "../../../src/devcluster/time-format.js";
import type { JsonObject, KubeObject } from "../../../src/devcluster/types.js";
import { systemContext } from "../../../src/devcluster/writes/operations.js";

export interface FakeKubeletOptions {
  nodeName?: string;
  /** Delay before a bound pod runs (and turns Ready). Default 50 ms. */
  readyDelayMs?: number;
  /** false: pods start Running but not Ready until `setReady`. Default true. */
  autoReady?: boolean;
  /** How long a deleted pod takes to stop before its object is removed. Default 50 ms. */
  terminationDelayMs?: number;
  /** Serve HTTP on each running pod's IP and container ports. Default false. */
  serveHttp?: boolean;
}

const PODS = "/pods";

interface Tracked {
  ip: string;
  servers: Server[];
  timer?: NodeJS.Timeout;
  restarts: number;
  terminating?: boolean;
}

export class FakeKubelet {
  readonly nodeName: string;
  /** The first three octets of this kubelet's pod IPs. */
  readonly ipPrefix = `127.${100 + Math.floor(Math.random() * 100)}.${1 + Math.floor(Math.random() * 250)}`;
  private nextIp = 1;
  private readonly tracked = new Map<string, Tracked>();
  private readonly ctx;
  private readonly unsubscribe: () => void;
  private stopped = false;

  constructor(
    private readonly cluster: DevCluster,
    private readonly options: FakeKubeletOptions = {},
  ) {
    this.nodeName = options.nodeName ?? "devcluster-node";
    this.ctx = systemContext(`system:node:${this.nodeName}`, "kubelet");
    this.registerNode();
    this.unsubscribe = cluster.store.subscribe((e) => this.onEvent(e));
    for (const pod of cluster.store.list(PODS))
      this.onEvent({ type: "ADDED", storageKey: PODS, object: pod, rv: 0 });
  }

  private podsType() {
    return this.cluster.registry.find("", "v1", "pods")!;
  }

  private registerNode(): void {
    const nodes = this.cluster.registry.find("", "v1", "nodes")!;
    const node = this.cluster.ops.create(
      nodes,
      undefined,
      {
        metadata: {
          name: this.nodeName,
          labels: {
            "kubernetes.io/hostname": this.nodeName,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
          },
        },
        spec: {},
      },
      this.ctx,
    );
    const now = nowTimestamp();
    this.cluster.ops.update(
      nodes,
      undefined,
      this.nodeName,
      {
        ...node,
        status: {
          conditions: [
            {
              type: "Ready",
              status: "True",
              reason: "KubeletReady",
              message: "kubelet is posting ready status",
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
          addresses: [
            { type: "InternalIP", address: "127.0.0.1" },
            { type: "Hostname", address: this.nodeName },
          ],
          nodeInfo: {
            kubeletVersion: "v1.35.0",
            osImage: "Debian GNU/Linux",
            kernelVersion: "6.1.0",
            containerRuntimeVersion: "fake://1.0",
            operatingSystem: "linux",
            architecture: "amd64",
          },
          capacity: { cpu: "2", memory: "24Gi", pods: "110" },
          allocatable: { cpu: "2", memory: "24Gi", pods: "110" },
        },
      },
      this.ctx,
      "status",
    );
  }

  private key(pod: KubeObject): string {
    return `${pod.metadata.namespace}/${pod.metadata.name}`;
  }

  private onEvent(e: StoredEvent): void {
    if (e.storageKey !== PODS || this.stopped) return;
    const pod = e.object;
    const key = this.key(pod);
    const spec = (pod.spec ?? {}) as JsonObject;
    if (e.type === "DELETED") {
      this.forget(key);
      return;
    }
    if (spec.nodeName !== this.nodeName) return;
    let t = this.tracked.get(key);
    if (pod.metadata.deletionTimestamp) {
      if (!t?.terminating) this.terminate(pod);
      return;
    }
    if (t) return;
    t = { ip: `${this.ipPrefix}.${this.nextIp++}`, servers: [], restarts: 0 };
    this.tracked.set(key, t);
    t.timer = setTimeout(
      () => void this.run(pod.metadata.namespace!, pod.metadata.name!),
      this.options.readyDelayMs ?? 50,
    );
  }

  private forget(key: string): void {
    const t = this.tracked.get(key);
    if (!t) return;
    clearTimeout(t.timer);
    for (const s of t.servers) s.close();
    t.servers = [];
    this.tracked.delete(key);
  }

  private current(namespace: string, name: string): KubeObject | undefined {
    return this.cluster.store.get(PODS, namespace, name);
  }

  private fate(pod: KubeObject): string {
    const containers = ((pod.spec as JsonObject).containers ?? []) as JsonObject[];
    return String(containers[0]?.image ?? "");
  }

  private async run(namespace: string, name: string): Promise<void> {
    const pod = this.current(namespace, name);
    const t = this.tracked.get(`${namespace}/${name}`);
    if (!pod || !t || pod.metadata.deletionTimestamp || this.stopped) return;
    const image = this.fate(pod);
    const restartPolicy = (pod.spec as JsonObject).restartPolicy;
    if (image.startsWith("fake/succeed")) return this.complete(pod, 0);
    if (image.startsWith("fake/fail")) {
      if (restartPolicy === "OnFailure" || restartPolicy === "Always") {
        t.restarts++;
        this.writeStatus(pod, "Running", false, { restartCount: t.restarts, lastExit: 1 });
        t.timer = setTimeout(() => void this.run(namespace, name), this.options.readyDelayMs ?? 50);
        return;
      }
      return this.complete(pod, 1);
    }
    if (this.options.serveHttp) await this.serve(pod, t);
    const fresh = this.current(namespace, name);
    if (!fresh || fresh.metadata.deletionTimestamp) return;
    const ready = this.options.autoReady !== false && !image.startsWith("fake/never-ready");
    this.writeStatus(fresh, "Running", ready);
  }

  private async serve(pod: KubeObject, t: Tracked): Promise<void> {
    const containers = ((pod.spec as JsonObject).containers ?? []) as JsonObject[];
    const ports = containers.flatMap((c) =>
      ((c.ports ?? []) as JsonObject[]).map((p) => Number(p.containerPort)),
    );
    for (const port of ports) {
      const server = createServer((_req, res) => {
        res.setHeader("Connection", "close");
        res.end(pod.metadata.name);
      });
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, t.ip, () => resolve());
      });
      t.servers.push(server);
    }
  }

  private writeStatus(
    pod: KubeObject,
    phase: string,
    ready: boolean,
    extra: { restartCount?: number; lastExit?: number; exitCode?: number } = {},
  ): void {
    const t = this.tracked.get(this.key(pod));
    const prev = (pod.status ?? {}) as JsonObject;
    const prevConditions = (prev.conditions ?? []) as JsonObject[];
    const now = nowTimestamp();
    const cond = (type: string, status: boolean) => {
      const s = status ? "True" : "False";
      const old = prevConditions.find((c) => c.type === type);
      return {
        type,
        status: s,
        lastProbeTime: null,
        lastTransitionTime: old?.status === s ? old.lastTransitionTime : now,
      };
    };
    const finished = phase === "Succeeded" || phase === "Failed";
    const containers = ((pod.spec as JsonObject).containers ?? []) as JsonObject[];
    const state =
      extra.exitCode !== undefined
        ? {
            terminated: {
              exitCode: extra.exitCode,
              reason: extra.exitCode === 0 ? "Completed" : "Error",
              startedAt: now,
              finishedAt: now,
            },
          }
        : { running: { startedAt: now } };
    const status: JsonObject = {
      phase,
      conditions: [
        cond("PodReadyToStartContainers", !finished),
        cond("Initialized", true),
        cond("Ready", ready),
        cond("ContainersReady", ready),
        ...prevConditions.filter((c) => c.type === "PodScheduled"),
      ],
      hostIP: "127.0.0.1",
      hostIPs: [{ ip: "127.0.0.1" }],
      podIP: t?.ip,
      podIPs: t ? [{ ip: t.ip }] : [],
      startTime: prev.startTime ?? now,
      qosClass: "BestEffort",
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: "",
        containerID: `fake://${pod.metadata.uid}-${c.name}`,
        ready,
        started: !finished,
        restartCount: extra.restartCount ?? 0,
        state,
        ...(extra.lastExit !== undefined
          ? {
              lastState: {
                terminated: { exitCode: extra.lastExit, reason: "Error", startedAt: now, finishedAt: now },
              },
            }
          : {}),
      })),
    };
    try {
      this.cluster.ops.update(
        this.podsType(),
        pod.metadata.namespace,
        pod.metadata.name!,
        { ...pod, status },
        this.ctx,
        "status",
      );
    } catch {
      // The pod changed or went away meanwhile; its next event brings it back here if it still matters.
    }
  }

  private complete(pod: KubeObject, exitCode: number): void {
    this.writeStatus(pod, exitCode === 0 ? "Succeeded" : "Failed", false, { exitCode });
  }

  /** Graceful deletion as the kubelet finishes it: not ready at once, the object removed once "stopped". */
  private terminate(pod: KubeObject): void {
    const key = this.key(pod);
    const t: Tracked = this.tracked.get(key) ?? { ip: "", servers: [], restarts: 0 };
    this.tracked.set(key, t);
    t.terminating = true;
    clearTimeout(t.timer);
    const phase = String((pod.status as JsonObject | undefined)?.phase ?? "Pending");
    setImmediate(() => {
      const fresh = this.current(pod.metadata.namespace!, pod.metadata.name!);
      if (fresh && phase === "Running") this.writeStatus(fresh, "Running", false);
    });
    t.timer = setTimeout(() => {
      for (const s of t.servers) s.close();
      t.servers = [];
      const fresh = this.current(pod.metadata.namespace!, pod.metadata.name!);
      if (!fresh) return;
      try {
        this.cluster.ops.delete(
          this.podsType(),
          fresh.metadata.namespace,
          fresh.metadata.name!,
          { gracePeriodSeconds: 0, preconditions: { uid: fresh.metadata.uid! } },
          this.ctx,
        );
      } catch {
        // Already gone.
      }
    }, this.options.terminationDelayMs ?? 50);
  }

  /** Turns a running pod's readiness on or off, as its readiness probe would. */
  setReady(namespace: string, name: string, ready: boolean): void {
    const pod = this.current(namespace, name);
    if (!pod) throw new Error(`no pod ${namespace}/${name}`);
    this.writeStatus(pod, "Running", ready);
  }

  podIP(namespace: string, name: string): string | undefined {
    return this.tracked.get(`${namespace}/${name}`)?.ip;
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const key of [...this.tracked.keys()]) this.forget(key);
  }
}
