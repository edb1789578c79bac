import { randomUUID } from "node:crypto";
import os from "node:os";
import type { KubeConfig } from "@kubernetes/client-node";
import { API_VERSION, KIND, PLURAL } from "../api/index.js";
import { KubeClient } from "../kube/client.js";
import { isNotFound } from "../kube/errors.js";
import { type KubeObject, objectKey, type ResourceType } from "../kube/resources.js";
import { MANAGED_BY } from "../render/index.js";
import { sleep } from "./backoff.js";
import { CHILD_KINDS, INSTANCE_LABEL, MANAGED_BY_LABEL } from "./children.js";
import { EventRecorder } from "./events.js";
import { parseBindAddress, startHttpServer } from "./health-server.js";
import { Informer } from "./informer.js";
import { DEFAULT_LEASE_TIMING, LeaderElector } from "./leader.js";
import { ApiLeaseStore, LEASE_NAME } from "./lease-store.js";
import type { Logger } from "./logger.js";
import { CONTROLLER_NAME, ControllerMetrics } from "./metrics.js";
import { WorkQueue } from "./queue.js";
import { ReconcileError, type ReconcileReader, Reconciler } from "./reconcile.js";
import { apiSource } from "./sources.js";

export const WEBAPP_TYPE: ResourceType = { apiVersion: API_VERSION, kind: KIND, plural: PLURAL };

export interface LeaderElectionConfig {
  namespace: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Namespaces to watch; empty or undefined means all. */
  namespaces?: string[];
  concurrency?: number;
  leaderElection?: LeaderElectionConfig;
  /** `host:port`, `:port`, or "0" to disable. */
  metricsBindAddress?: string;
  healthProbeBindAddress?: string;
  /** Every WebApp is reconciled at least this often, events or not. */
  resyncPeriodMs?: number;
  watchTimeoutSeconds?: number;
  stallTimeoutMs?: number;
  /** How long SIGTERM waits for in-flight reconciles before giving up on them. */
  gracefulShutdownMs?: number;
  userAgent?: string;
}

export type StopReason = "stopped" | "lost-leadership";

/**
 * Runs the controller: caches (on every replica, so a standby takes over warm), and, on the leader
 * only, the workers and the periodic resync.
 */
export class Manager {
  readonly metrics = new ControllerMetrics();
  readonly client: KubeClient;
  readonly queue: WorkQueue;
  readonly identity: string;
  private readonly log: Logger;
  private readonly informers = new Map<string, Informer>();
  private readonly webappInformers: Informer[] = [];
  private readonly elector: LeaderElector | undefined;
  private readonly electionAbort = new AbortController();
  private readonly reconciler: Reconciler;
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private servers: { url: string; close(): Promise<void> }[] = [];
  private stopping: Promise<void> | undefined;
  private leading = false;
  private resolveDone!: (reason: StopReason) => void;
  /** Settles when the manager stopped, telling why. */
  readonly done: Promise<StopReason>;
  metricsUrl: string | undefined;
  healthUrl: string | undefined;
  readonly stats = { reconciles: 0, errors: 0 };

  constructor(private readonly opts: ManagerOptions) {
    this.log = opts.logger;
    this.identity = opts.leaderElection?.identity ?? `${os.hostname()}_${randomUUID()}`;
    this.client = new KubeClient(opts.kubeConfig, this.metrics.requestObserver(), opts.userAgent);
    this.queue = new WorkQueue(undefined, this.metrics.queueObserver());
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    const events = new EventRecorder(this.client, this.log, this.identity);
    const reader: ReconcileReader = {
      webapp: (key) => this.lookup(WEBAPP_TYPE, key),
      child: (type, namespace, name) => this.lookup(type, `${namespace}/${name}`),
      children: (namespace, instance) => this.cachedChildren(namespace, instance),
    };
    this.reconciler = new Reconciler(
      reader,
      {
        get: (type, namespace, name) =>
          this.client.get(type, namespace, name).catch((err: unknown) => {
            if (isNotFound(err)) return undefined;
            throw err;
          }),
        apply: (type, body) => this.client.apply(type, body),
        delete: (type, namespace, name, uid) => this.client.delete(type, namespace, name, uid),
        patchStatus: (namespace, name, patch) => this.client.patchStatus(WEBAPP_TYPE, namespace, name, patch),
      },
      events,
      this.log,
    );
    if (opts.leaderElection) {
      const le = opts.leaderElection;
      this.elector = new LeaderElector(
        new ApiLeaseStore(this.client, le.namespace, LEASE_NAME),
        {
          identity: this.identity,
          leaseDurationMs: le.leaseDurationMs ?? DEFAULT_LEASE_TIMING.leaseDurationMs,
          renewDeadlineMs: le.renewDeadlineMs ?? DEFAULT_LEASE_TIMING.renewDeadlineMs,
          retryPeriodMs: le.retryPeriodMs ?? DEFAULT_LEASE_TIMING.retryPeriodMs,
        },
        this.log.child({ leaderElection: LEASE_NAME }),
      );
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get cachesSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced);
  }

  informerStats(): Record<string, Informer["stats"]> {
    return Object.fromEntries([...this.informers].map(([k, i]) => [k, { ...i.stats }]));
  }

  private informerKey(type: ResourceType, namespace: string | undefined): string {
    return `${type.kind}|${namespace ?? "*"}`;
  }

  private lookup(type: ResourceType, key: string): KubeObject | undefined {
    const namespace = key.slice(0, key.indexOf("/"));
    const informer =
      this.informers.get(this.informerKey(type, namespace)) ??
      this.informers.get(this.informerKey(type, undefined));
    return informer?.store.get(key);
  }

  private cachedChildren(namespace: string, instance: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const type of CHILD_KINDS) {
      const informer =
        this.informers.get(this.informerKey(type, namespace)) ??
        this.informers.get(this.informerKey(type, undefined));
      for (const obj of informer?.store.list() ?? []) {
        if (obj.metadata.namespace === namespace && obj.metadata.labels?.[INSTANCE_LABEL] === instance)
          out.push(obj);
      }
    }
    return out;
  }

  /** Which WebApp a child event concerns: its controller owner, else (a kept PVC) its instance label. */
  private ownerKeyOf(obj: KubeObject): string | undefined {
    const ns = obj.metadata.namespace ?? "";
    const ref = obj.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === KIND);
    if (ref) return `${ns}/${ref.name}`;
    const instance = obj.metadata.labels?.[INSTANCE_LABEL];
    return instance ? `${ns}/${instance}` : undefined;
  }

  private addInformer(
    type: ResourceType,
    namespace: string | undefined,
    selector: string | undefined,
  ): Informer {
    const isWebApp = type === WEBAPP_TYPE;
    const enqueue = (obj: KubeObject) => {
      const key = isWebApp ? objectKey(obj) : this.ownerKeyOf(obj);
      if (key) this.queue.add(key);
    };
    const informer = new Informer(
      apiSource(this.client, type, namespace, selector),
      {
        onAdd: enqueue,
        onDelete: enqueue,
        onUpdate: (oldObj, newObj) => {
          // Our own status writes (and anyone's status-only change) must not cause work.
          if (isWebApp && !specOrMetaChanged(oldObj, newObj)) return;
          enqueue(newObj);
        },
      },
      this.log,
      {
        name: `${type.kind}${namespace ? `/${namespace}` : ""}`,
        watchTimeoutSeconds: this.opts.watchTimeoutSeconds,
        stallTimeoutMs: this.opts.stallTimeoutMs,
      },
    );
    this.informers.set(this.informerKey(type, namespace), informer);
    if (isWebApp) this.webappInformers.push(informer);
    return informer;
  }

  /** Starts servers, caches and (when elected) the workers; resolves once started. */
  async start(): Promise<void> {
    const metricsBind = parseBindAddress(this.opts.metricsBindAddress ?? ":8080");
    const healthBind = parseBindAddress(this.opts.healthProbeBindAddress ?? ":8081");
    const probes = { healthy: () => true, ready: () => this.cachesSynced };
    if (metricsBind && healthBind && metricsBind.port === healthBind.port && metricsBind.port !== 0) {
      const s = await startHttpServer(metricsBind, { probes, registry: this.metrics.registry });
      this.servers.push(s);
      this.metricsUrl = s.url;
      this.healthUrl = s.url;
    } else {
      if (metricsBind) {
        const s = await startHttpServer(metricsBind, { registry: this.metrics.registry });
        this.servers.push(s);
        this.metricsUrl = s.url;
      }
      if (healthBind) {
        const s = await startHttpServer(healthBind, { probes });
        this.servers.push(s);
        this.healthUrl = s.url;
      }
    }

    const namespaces = this.opts.namespaces?.length ? this.opts.namespaces : [undefined];
    const selector = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
    for (const ns of namespaces) {
      this.addInformer(WEBAPP_TYPE, ns, undefined);
      for (const type of CHILD_KINDS) this.addInformer(type, ns, selector);
    }
    for (const informer of this.informers.values()) informer.start();
    this.metrics.maxConcurrent.set({ controller: CONTROLLER_NAME }, this.concurrency);
    this.log.info(
      { namespaces: this.opts.namespaces?.length ? this.opts.namespaces : "all", identity: this.identity },
      "operator starting",
    );

    if (this.elector) {
      const elector = this.elector;
      void elector
        .run(this.electionAbort.signal, () => {
          this.metrics.leaderStatus.set({ name: LEASE_NAME }, 1);
          void this.startWorkers();
        })
        .then((led) => {
          this.metrics.leaderStatus.set({ name: LEASE_NAME }, 0);
          if (led && !this.electionAbort.signal.aborted) {
            this.log.error("leader election lost, stopping");
            void this.shutdown("lost-leadership");
          }
        });
    } else {
      void this.startWorkers();
    }
  }

  private get concurrency(): number {
    return Math.max(1, this.opts.concurrency ?? 2);
  }

  private async startWorkers(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
    if (this.stopping) return;
    this.leading = true;
    this.log.info({ concurrency: this.concurrency }, "caches synced, starting workers");
    for (const informer of this.webappInformers) {
      for (const obj of informer.store.list()) this.queue.add(objectKey(obj));
    }
    for (let i = 0; i < this.concurrency; i++) this.workers.push(this.worker());
    const period = this.opts.resyncPeriodMs ?? 10 * 60_000;
    const resync = () => {
      for (const informer of this.webappInformers) {
        for (const obj of informer.store.list()) this.queue.add(objectKey(obj));
      }
      this.resyncTimer = setTimeout(resync, period * (1 + Math.random() * 0.1));
    };
    this.resyncTimer = setTimeout(resync, period);
  }

  private async worker(): Promise<void> {
    const labels = { controller: CONTROLLER_NAME };
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      this.metrics.activeWorkers.inc(labels);
      const end = this.metrics.reconcileTime.startTimer(labels);
      try {
        this.stats.reconciles++;
        await this.reconciler.reconcile(key);
        this.queue.forget(key);
        this.metrics.reconcileTotal.inc({ ...labels, result: "success" });
      } catch (err) {
        this.stats.errors++;
        this.metrics.reconcileTotal.inc({ ...labels, result: "error" });
        this.metrics.reconcileErrors.inc(labels);
        const retryAfter = err instanceof ReconcileError ? err.retryAfterMs : undefined;
        this.log.warn(
          {
            controller: CONTROLLER_NAME,
            namespace: key.slice(0, key.indexOf("/")),
            name: key.slice(key.indexOf("/") + 1),
            err: (err as Error).message,
            retries: this.queue.retries(key) + 1,
          },
          "reconcile failed, will retry",
        );
        this.queue.addRateLimited(key, retryAfter);
      } finally {
        end();
        this.metrics.activeWorkers.dec(labels);
        this.queue.done(key);
      }
    }
  }

  /** Graceful stop: no new work, in-flight reconciles finish, the Lease is released, caches stop. */
  stop(): Promise<void> {
    return this.shutdown("stopped");
  }

  private shutdown(reason: StopReason): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info({ reason }, "shutting down");
      this.electionAbort.abort();
      clearTimeout(this.resyncTimer);
      const drained = this.queue.shutDownWithDrain().then(() => Promise.all(this.workers));
      const timeoutMs = this.opts.gracefulShutdownMs ?? 30_000;
      const giveUp = new AbortController();
      const finished = await Promise.race([
        drained.then(() => true),
        sleep(timeoutMs, giveUp.signal).then(() => false),
      ]);
      giveUp.abort(); // the timer must not keep the process alive once drained
      if (!finished) this.log.warn({ timeoutMs }, "in-flight reconciles did not finish in time");
      this.leading = false;
      if (this.elector && reason === "stopped") {
        await this.elector.release().catch((err: Error) => {
          this.log.warn({ err: err.message }, "could not release the leader lease");
        });
      }
      await Promise.all([...this.informers.values()].map((i) => i.stop()));
      await Promise.all(this.servers.map((s) => s.close()));
      this.client.close();
      this.log.info("stopped");
      this.resolveDone(reason);
    })();
    return this.stopping;
  }
}

function specOrMetaChanged(a: KubeObject, b: KubeObject): boolean {
  if (a.metadata.generation !== b.metadata.generation) return true;
  if (Boolean(a.metadata.deletionTimestamp) !== Boolean(b.metadata.deletionTimestamp)) return true;
  if (a.metadata.uid !== b.metadata.uid) return true;
  return (
    JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {}) ||
    JSON.stringify(a.metadata.annotations ?? {}) !== JSON.stringify(b.metadata.annotations ?? {})
  );
}
