/**
 * One pod on this node, from binding to deletion, as the kubelet's pod worker runs it: set up the volumes
 * (waiting in ContainerCreating while one cannot be), run the init containers in order, each to
 * completion, then the containers, restart them per restartPolicy with the crash back-off, reach
 * Succeeded or Failed when nothing will run again, and on deletion stop everything within the grace
 * period, remove the pod's directories and the pod object. Every step is decided by `sync()` from what
 * the containers did, and written to the pod's status when it changed.
 */
import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { nowTimestamp } from "../time-format.js";
import { deepEqual, isObject, type JsonObject, type KubeObject } from "../types.js";
import { Container, type PodHandle } from "./container.js";
import type { NodeContext } from "./node-context.js";
import { type PodFacts, podPhase, podStatus } from "./pod-status.js";
import { PodVolumes, VolumeError } from "./volumes.js";

const RETRY_MS = 1000;
const STORAGE_CHECK_MS = 1000;
/** How long ErrImagePull shows before the pull back-off (ImagePullBackOff) does. */
const ERR_IMAGE_PULL_SHOWN_MS = 1000;

export class PodWorker implements PodHandle {
  pod: KubeObject;
  readonly podDir: string;
  readonly podRef: string;
  readonly init: Container[];
  readonly containers: Container[];
  private readonly volumes: PodVolumes;
  private volumesReady = false;
  private startTime: string | undefined;
  private terminalPhase: "Succeeded" | "Failed" | undefined;
  private terminating: Promise<void> | undefined;
  private stopped = false;
  private syncing = false;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private lastStatus: JsonObject | undefined;
  private evictedMessage: string | undefined;
  private storageCheck: NodeJS.Timeout | undefined;

  constructor(
    pod: KubeObject,
    readonly podIP: string,
    private readonly node: NodeContext,
  ) {
    this.pod = pod;
    const m = pod.metadata;
    this.podRef = `${m.name}_${m.namespace}(${m.uid})`;
    this.podDir = join(node.rootDir, "pods", m.uid!);
    mkdirSync(this.podDir, { recursive: true });
    chmodSync(this.podDir, 0o755);
    const spec = this.spec;
    const list = (v: unknown) => (Array.isArray(v) ? v.filter(isObject) : []);
    this.init = list(spec.initContainers).map((c) => new Container(c, true, this, node));
    this.containers = list(spec.containers).map((c) => new Container(c, false, this, node));
    const sc = isObject(spec.securityContext) ? spec.securityContext : {};
    const owner: { uid?: number; gid?: number } = {};
    if (typeof sc.runAsUser === "number") owner.uid = sc.runAsUser;
    const gid = sc.fsGroup ?? sc.runAsGroup;
    if (typeof gid === "number") owner.gid = gid;
    this.volumes = new PodVolumes(
      pod,
      this.podDir,
      {
        configMap: (ns, n) => node.configMap(ns, n),
        secret: (ns, n) => node.secret(ns, n),
        claim: (ns, n) => node.claim(ns, n),
        claimDirectory: (ns, n) => node.claimDirectory(ns, n),
      },
      node.canSwitchUser ? owner : {},
    );
  }

  private get spec(): JsonObject {
    return isObject(this.pod.spec) ? this.pod.spec : {};
  }

  get uid(): string {
    return this.pod.metadata.uid!;
  }

  volumeHostPath(name: string): string | undefined {
    return this.volumes.hostPath(name);
  }

  gracePeriodMs(): number {
    const g = this.spec.terminationGracePeriodSeconds;
    return (typeof g === "number" ? g : 30) * 1000;
  }

  changed(): void {
    this.schedule(0);
  }

  /** A newer version of the pod object (labels for the downward API, deletion). */
  update(pod: KubeObject): void {
    this.pod = pod;
    this.volumes.updatePod(pod);
    if (pod.metadata.deletionTimestamp) void this.terminate();
    else this.schedule(0);
  }

  /**
   * A ConfigMap, Secret or claim in the pod's namespace changed: volumes are rewritten if their source
   * changed, and containers waiting for a missing one get another try.
   */
  sourceChanged(): void {
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    const at = Date.now() + delayMs;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      void this.sync();
    }, delayMs);
    this.timer.unref();
  }

  async sync(): Promise<void> {
    if (this.stopped) return;
    if (this.syncing) {
      this.dirty = true;
      return;
    }
    this.syncing = true;
    try {
      do {
        this.dirty = false;
        this.syncOnce();
        this.writeStatus();
      } while (this.dirty && !this.stopped);
    } catch (e) {
      this.node.log(`pod ${this.podRef}: ${(e as Error).stack ?? e}`);
      this.schedule(RETRY_MS);
    } finally {
      this.syncing = false;
    }
  }

  private syncOnce(): void {
    if (this.terminating || this.terminalPhase) return;
    this.startTime ??= nowTimestamp();
    try {
      this.volumes.sync();
      this.volumesReady = true;
      this.watchStorage();
    } catch (e) {
      if (!(e instanceof VolumeError)) throw e;
      if (!this.volumesReady) {
        this.node.events.record({ pod: this.pod }, "Warning", "FailedMount", e.message);
        this.schedule(RETRY_MS * 2);
        return;
      }
      // A source of a volume that is already mounted went away: the files stay as they were.
    }
    const policy = String(this.spec.restartPolicy ?? "Always");
    for (const c of this.init) {
      if (c.starting || c.running) return;
      if (c.state.kind === "terminated") {
        if (c.state.terminated.exitCode === 0) continue;
        if (policy === "Never") return;
        this.restartLater(c);
        return;
      }
      this.startOrRetry(c);
      return;
    }
    for (const c of this.containers) {
      if (c.starting || c.running) continue;
      if (c.state.kind === "terminated") {
        const failed = c.state.terminated.exitCode !== 0;
        if (policy === "Always" || (policy === "OnFailure" && failed)) this.restartLater(c);
        continue;
      }
      if (c.state.kind === "waiting" && c.state.reason === "CrashLoopBackOff") {
        this.restartLater(c);
        continue;
      }
      this.startOrRetry(c);
    }
    const phase = podPhase(this.spec, this.facts());
    if (phase === "Succeeded" || phase === "Failed") this.terminalPhase = phase;
  }

  /** emptyDirs with a sizeLimit are measured every second, as the eviction manager does it. */
  private watchStorage(): void {
    if (this.storageCheck || !this.volumes.hasSizeLimits()) return;
    this.storageCheck = setInterval(() => {
      const message = this.terminating || this.terminalPhase ? undefined : this.volumes.emptyDirOverLimit();
      if (message) void this.evict(message);
    }, STORAGE_CHECK_MS);
    this.storageCheck.unref();
  }

  /** Eviction: every container stopped (the minimum grace period), the pod Failed with reason Evicted. */
  private async evict(message: string): Promise<void> {
    clearInterval(this.storageCheck);
    this.evictedMessage = message;
    this.terminalPhase = "Failed";
    this.node.events.record({ pod: this.pod }, "Warning", "Evicted", message);
    for (const c of [...this.init, ...this.containers]) c.ready = false;
    this.writeStatus();
    await Promise.all([...this.init, ...this.containers].map((c) => c.stop(Date.now(), "eviction")));
    this.writeStatus();
  }

  /** The crash back-off of a container whose last instance ended: restart now or when it is over. */
  private restartLater(c: Container): void {
    const wait = c.restartDelay();
    if (wait > 0) this.schedule(wait);
    else void c.start();
  }

  /** A container never started, or waiting on an error (pull back-off, missing Secret): try again. */
  private startOrRetry(c: Container): void {
    const now = Date.now();
    if (c.notBefore !== undefined && now < c.notBefore) {
      // In the pull back-off: ErrImagePull shows until the next sync, then ImagePullBackOff until a retry.
      if (c.state.kind === "waiting" && c.state.reason === "ErrImagePull") {
        const shown = now - c.stateSince;
        if (shown < ERR_IMAGE_PULL_SHOWN_MS) {
          this.schedule(ERR_IMAGE_PULL_SHOWN_MS - shown);
          return;
        }
        void c.start();
      }
      this.schedule(c.notBefore - now);
      return;
    }
    void c.start();
    if (c.state.kind === "waiting" && c.state.reason.startsWith("Create")) this.schedule(RETRY_MS * 2);
  }

  facts(): PodFacts {
    const f: PodFacts = {
      hostIP: this.node.hostIP,
      podIP: this.podIP,
      sandboxReady: this.volumesReady,
      init: this.init.map((c) => c.facts()),
      containers: this.containers.map((c) => c.facts()),
      terminating: this.terminating !== undefined,
    };
    if (this.startTime) f.startTime = this.startTime;
    if (this.terminalPhase) f.terminalPhase = this.terminalPhase;
    if (this.evictedMessage) f.evictedMessage = this.evictedMessage;
    return f;
  }

  private writeStatus(): void {
    if (this.stopped) return;
    const current = this.node.currentPod(this.pod.metadata.namespace!, this.pod.metadata.name!, this.uid);
    if (!current) return;
    this.pod = current;
    const status = podStatus(current, this.facts());
    if (this.lastStatus && deepEqual(status, this.lastStatus)) return;
    this.lastStatus = status;
    this.node.writePodStatus(current, status);
  }

  /** Pod deletion: readiness off at once, every container stopped within the grace period, then gone. */
  terminate(): Promise<void> {
    // Deferred a tick: the status write inside would otherwise re-enter through the store's event.
    this.terminating ??= Promise.resolve().then(() => this.doTerminate());
    return this.terminating;
  }

  private async doTerminate(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    clearInterval(this.storageCheck);
    const grace = this.pod.metadata.deletionGracePeriodSeconds;
    const deadline = Date.now() + (typeof grace === "number" ? grace * 1000 : this.gracePeriodMs());
    for (const c of [...this.init, ...this.containers]) c.ready = false;
    this.writeStatus();
    await Promise.all([...this.init, ...this.containers].map((c) => c.stop(deadline, "deletion")));
    // Containers that never ran end in the state the kubelet reports for a killed pod.
    if (!this.terminalPhase) {
      const phase = this.containers.every(
        (c) => c.state.kind === "terminated" && c.state.terminated.exitCode === 0,
      )
        ? "Succeeded"
        : "Failed";
      this.terminalPhase = phase;
    }
    this.writeStatus();
    this.stopped = true;
    this.volumes.tearDown();
    rmSync(this.podDir, { recursive: true, force: true });
    this.node.deletePod(this.pod);
  }

  /** The pod object was removed without waiting for this node (a forced deletion): stop, then clean up. */
  async forceDeleted(): Promise<void> {
    this.terminating ??= (async () => {
      this.stopped = true;
      if (this.timer) clearTimeout(this.timer);
      clearInterval(this.storageCheck);
      await Promise.all([...this.init, ...this.containers].map((c) => c.stop(Date.now(), "deletion")));
      this.volumes.tearDown();
      rmSync(this.podDir, { recursive: true, force: true });
    })();
    return this.terminating;
  }

  /** The cluster is stopping: kill everything at once and remove the pod's directories. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    clearInterval(this.storageCheck);
    await Promise.all([...this.init, ...this.containers].map((c) => c.kill()));
    this.volumes.tearDown();
    rmSync(this.podDir, { recursive: true, force: true });
  }

  container(name: string): Container | undefined {
    return [...this.init, ...this.containers].find((c) => c.name === name);
  }
}
