/**
 * The node agent's kubelet: registers a Node and keeps it Ready, runs every Pod bound to it (spec.nodeName)
 * as local processes (see pod-worker.ts), serves their logs, and on stop kills every process it started.
 *
 *   const cluster = await startDevCluster({ nodeAgent: { imageMap: "examples/apps/image-map.yaml" } });
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ApiError } from "../errors.js";
import type { ResourceRegistry } from "../storage/registry.js";
import type { ResourceType } from "../storage/resource-type.js";
import type { Store, StoredEvent } from "../storage/store.js";
import { isObject, type KubeObject } from "../types.js";
import { type Operations, systemContext } from "../writes/operations.js";
import { type BackoffPolicy, CRASH_BACKOFF } from "./backoff.js";
import { EventRecorder } from "./events.js";
import { type ImageMap, loadImageMap, parseImageMap } from "./image-map.js";
import { ImagePuller } from "./image-puller.js";
import type { NodeContext } from "./node-context.js";
import { nodeAllocatable, nodeObject, nodeStatus } from "./node-object.js";
import { PodIpAllocator } from "./pod-ips.js";
import { NodeLogSource } from "./pod-logs.js";
import { PodWorker } from "./pod-worker.js";
import { clusterIpResolver, type NamespacedResolver } from "./service-resolver.js";

export type { ImageDefinition, ImageMap } from "./image-map.js";

export interface NodeAgentOptions {
  /** Default "devcluster-node". */
  nodeName?: string;
  /** The image map: a YAML file's path, or the same object (relative host paths from the working directory). */
  imageMap?: string | Record<string, unknown>;
  /** Loopback CIDR pod addresses come from; default 127.1.0.0/16. */
  podCidr?: string;
  /** The provisioner's directory of a claim, or undefined while it has none (the pod waits). */
  volumeDirectory?: (namespace: string, claimName: string) => string | undefined;
  /** Service host name and port -> `ip:port` addresses; default: the Service's clusterIP from the store. */
  resolveService?: NamespacedResolver;
  /** The crash back-off (default 10 s doubling to 5 min, reset after 10 min running); tests use less. */
  crashBackoff?: Partial<BackoffPolicy>;
  /** The image pull back-off (default as crashBackoff's). */
  imagePullBackoff?: Partial<BackoffPolicy>;
  /** Where pod directories, logs and image builds go; default a fresh temporary directory, removed on stop. */
  rootDir?: string;
  /** The kubelet's own log lines; default: written to stderr with a "node agent:" prefix. */
  log?: (line: string) => void;
}

const PODS = "/pods";
const NODE_CHECK_MS = 10_000;
const SOURCE_KEYS = new Set(["/configmaps", "/secrets", "/persistentvolumeclaims"]);

export class NodeAgent {
  readonly nodeName: string;
  readonly rootDir: string;
  readonly logs: NodeLogSource;
  private readonly ownsRootDir: boolean;
  private readonly workers = new Map<string, PodWorker>();
  private readonly ips: PodIpAllocator;
  private readonly context: NodeContext;
  private readonly ctx;
  private readonly podType: ResourceType;
  private readonly nodeType: ResourceType;
  private readonly podCidr: string;
  private unsubscribe: (() => void) | undefined;
  private nodeTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly store: Store,
    registry: ResourceRegistry,
    private readonly ops: Operations,
    options: NodeAgentOptions = {},
  ) {
    this.nodeName = options.nodeName ?? "devcluster-node";
    this.podCidr = options.podCidr ?? "127.1.0.0/16";
    this.ips = new PodIpAllocator(this.podCidr);
    this.ownsRootDir = options.rootDir === undefined;
    this.rootDir = options.rootDir ?? mkdtempSync(join(tmpdir(), "devcluster-node-"));
    mkdirSync(this.rootDir, { recursive: true });
    chmodSync(this.rootDir, 0o755);
    this.ctx = systemContext(`system:node:${this.nodeName}`, "kubelet");
    this.ctx.user.groups = ["system:nodes", "system:masters", "system:authenticated"];
    this.podType = registry.find("", "v1", "pods")!;
    this.nodeType = registry.find("", "v1", "nodes")!;
    const log = options.log ?? ((line: string) => process.stderr.write(`node agent: ${line}\n`));
    let map: ImageMap = { images: [] };
    let describeMap = "no image map";
    if (typeof options.imageMap === "string") {
      map = loadImageMap(options.imageMap);
      describeMap = `the image map ${resolve(options.imageMap)}`;
    } else if (options.imageMap) {
      map = parseImageMap(options.imageMap, process.cwd());
      describeMap = "the image map";
    }
    const canSwitchUser = process.getuid?.() === 0;
    if (!canSwitchUser)
      log(`running every container as the current user (uid ${process.getuid?.()}): runAsUser needs root`);
    const resolveService = options.resolveService ?? clusterIpResolver(store);
    const get = (storageKey: string) => (ns: string, name: string) => store.get(storageKey, ns, name);
    this.context = {
      nodeName: this.nodeName,
      hostIP: "127.0.0.1",
      rootDir: this.rootDir,
      puller: new ImagePuller(map, join(this.rootDir, "images"), describeMap),
      events: new EventRecorder(ops, registry, this.ctx, this.nodeName),
      crashBackoff: { ...CRASH_BACKOFF, ...options.crashBackoff },
      pullBackoff: { ...CRASH_BACKOFF, ...(options.imagePullBackoff ?? options.crashBackoff) },
      canSwitchUser,
      nodeAllocatable: nodeAllocatable(),
      configMap: get("/configmaps"),
      secret: get("/secrets"),
      claim: get("/persistentvolumeclaims"),
      claimDirectory: options.volumeDirectory ?? (() => undefined),
      resolve: resolveService,
      currentPod: (ns, name, uid) => {
        const p = store.get(PODS, ns, name);
        return p?.metadata.uid === uid ? p : undefined;
      },
      writePodStatus: (pod, status) =>
        this.ignoreGone(() =>
          ops.update(
            this.podType,
            pod.metadata.namespace,
            pod.metadata.name!,
            { ...pod, status },
            this.ctx,
            "status",
          ),
        ),
      deletePod: (pod) => this.podGone(pod),
      log,
    };
    this.logs = new NodeLogSource(this.nodeName, (uid) => this.workers.get(uid));
  }

  /** Registers the Node and starts running the pods bound to it. */
  start(): void {
    this.ensureNode(true);
    this.nodeTimer = setInterval(() => this.ensureNode(false), NODE_CHECK_MS);
    this.nodeTimer.unref();
    this.unsubscribe = this.store.subscribe((e) => this.onEvent(e));
    for (const pod of this.store.list(PODS)) this.podChanged(pod);
  }

  /** The worker of a running pod (tests and diagnostics read its containers). */
  worker(namespace: string, name: string): PodWorker | undefined {
    for (const w of this.workers.values())
      if (w.pod.metadata.namespace === namespace && w.pod.metadata.name === name) return w;
    return undefined;
  }

  private ensureNode(force: boolean): void {
    if (this.stopping) return;
    let node = this.store.get("/nodes", undefined, this.nodeName);
    if (!node) {
      node = this.ops.create(this.nodeType, undefined, nodeObject(this.nodeName, this.podCidr), this.ctx);
      force = true;
    }
    const status = isObject(node.status) ? node.status : {};
    const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isObject) : [];
    const ready = conditions.find((c) => c.type === "Ready");
    if (!force && ready?.status === "True") return;
    this.ops.update(
      this.nodeType,
      undefined,
      this.nodeName,
      { ...node, status: nodeStatus(this.nodeName, conditions) },
      this.ctx,
      "status",
    );
  }

  private onEvent(e: StoredEvent): void {
    if (this.stopping) return;
    if (e.storageKey === PODS) {
      if (e.type === "DELETED") {
        const w = this.workers.get(e.object.metadata.uid ?? "");
        if (w) void this.forgetAfter(w, w.forceDeleted());
      } else this.podChanged(e.object);
      return;
    }
    if (SOURCE_KEYS.has(e.storageKey)) {
      for (const w of this.workers.values())
        if (w.pod.metadata.namespace === e.object.metadata.namespace) w.sourceChanged();
    }
  }

  private podChanged(pod: KubeObject): void {
    const spec = isObject(pod.spec) ? pod.spec : {};
    if (spec.nodeName !== this.nodeName) return;
    const uid = pod.metadata.uid!;
    const existing = this.workers.get(uid);
    if (existing) {
      existing.update(pod);
      return;
    }
    const status = isObject(pod.status) ? pod.status : {};
    // A pod that already ended (a node agent restarted) or is deleted before it ever ran needs no worker.
    if (pod.metadata.deletionTimestamp && !status.podIP) {
      this.context.deletePod(pod);
      return;
    }
    if (status.phase === "Succeeded" || status.phase === "Failed") return;
    const worker = new PodWorker(pod, this.ips.allocate(), this.context);
    this.workers.set(uid, worker);
    worker.update(pod);
  }

  private async forgetAfter(w: PodWorker, done: Promise<void>): Promise<void> {
    await done;
    if (this.workers.get(w.uid) === w) this.workers.delete(w.uid);
    this.ips.release(w.podIP);
    this.context.events.forget(w.uid);
  }

  /** The worker stopped everything: remove the pod object (grace period 0, only this very pod). */
  private podGone(pod: KubeObject): void {
    const w = this.workers.get(pod.metadata.uid ?? "");
    if (w) {
      // Forgotten before the delete, whose DELETED event would otherwise look like a forced deletion.
      this.workers.delete(w.uid);
      this.ips.release(w.podIP);
      this.context.events.forget(w.uid);
    }
    this.ignoreGone(() =>
      this.ops.delete(
        this.podType,
        pod.metadata.namespace,
        pod.metadata.name!,
        { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } },
        this.ctx,
      ),
    );
  }

  private ignoreGone(write: () => unknown): void {
    try {
      write();
    } catch (e) {
      if (e instanceof ApiError && (e.code === 404 || e.code === 409 || e.code === 403)) return;
      throw e;
    }
  }

  /** Kills every process of every pod at once and removes the node's directories. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.nodeTimer) clearInterval(this.nodeTimer);
    this.unsubscribe?.();
    await Promise.all([...this.workers.values()].map((w) => w.shutdown()));
    this.workers.clear();
    if (this.ownsRootDir) rmSync(this.rootDir, { recursive: true, force: true });
  }
}
