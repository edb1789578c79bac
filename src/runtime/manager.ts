import { randomUUID } from "node:crypto";
import os from "node:os";
import { type KubeObject, objectKey, type ResourceType } from "../api/kube-object.js";
import { KubeClient, type ServerVersion } from "../kube/client.js";
import type { ConnectionSource } from "../kube/transport.js";
import { backoffDelay, sleep } from "./backoff.js";
import { EventRecorder } from "./events.js";
import { parseBindAddress, startHttpServer } from "./health-server.js";
import { Informer } from "./informer.js";
import { DEFAULT_LEASE_TIMING, LeaderElector } from "./leader.js";
import { ApiLeaseStore, LEASE_NAME } from "./lease-store.js";
import type { Logger } from "./logger.js";
import { ControllerMetrics } from "./metrics.js";
import { WorkQueue } from "./queue.js";
import { apiSource } from "./sources.js";

/*
 * The generic controller runtime: caches, a work queue, workers, resync, leader election, health and
 * metrics, for one controller that a ControllerDefinition describes (what it reconciles, what it owns
 * and how a child finds its owner), much as controller-runtime's builder does. Nothing here knows
 * what a WebApp is.
 */

/** A kind the controller owns and watches. */
export interface OwnedKind {
  type: ResourceType;
  /** Not every cluster serves it: checked through discovery, watched only when served. */
  optional?: boolean;
  /**
   * namespace/name of the primary object an object of this kind belongs to, when not the
   * definition's `ownerKey` (e.g. pods, owned by ReplicaSets, found through a label).
   */
  ownerKey?: (obj: KubeObject) => string | undefined;
  /**
   * Whether an update of an object of this kind needs its owner reconciled (e.g. not when only a
   * status the controller never reads changed). Creates and deletes always do.
   */
  predicate?: (oldObj: KubeObject, newObj: KubeObject) => boolean;
}

/** What a reconcile reads: the informer caches only. */
export interface Cache {
  /** One cached object by kind and namespace/name. */
  get(type: ResourceType, key: string): KubeObject | undefined;
  /** Cached objects of an owned kind that belong to the primary object at `ownerKey`. */
  owned(type: ResourceType, ownerKey: string): KubeObject[];
  /** Whether the cluster serves the kind (discovery); kinds not served have no cache. */
  served(type: ResourceType): boolean;
  /**
   * An object needs this kind, which the cluster does not serve: discovery looks for it again (and
   * only while some object keeps asking; a cluster where nothing needs it is not polled).
   */
  awaitServed(type: ResourceType): void;
  /**
   * The API server's version, read once at start with discovery (reconciles start only after it
   * answered, so a reconcile always has it).
   */
  serverVersion(): ServerVersion | undefined;
}

/** The key under which a failed `GET /version` waits among failed discovery requests. */
const VERSION_DISCOVERY = "/version";

export interface ControllerDeps {
  cache: Cache;
  client: KubeClient;
  events: EventRecorder;
  log: Logger;
}

/** What a reconcile may ask of the queue besides success or failure. */
export interface ReconcileResult {
  /** Reconcile again after this long, without counting it as a failure. */
  requeueAfterMs?: number;
}

export interface Reconciler {
  /** Makes the world match the primary object at `key` (namespace/name); throws to be retried. */
  reconcile(key: string): Promise<ReconcileResult | undefined>;
  /**
   * Whether an owned object's event only echoes the reconciler's own write: the reconcile that wrote
   * it already acted on it, so it causes no work (a reconcile per child write otherwise).
   */
  isEcho?(obj: KubeObject): boolean;
}

export interface ControllerDefinition {
  /** The controller's name in logs and metrics. */
  name: string;
  /** The kind it reconciles. */
  for: ResourceType;
  /** Whether an update of a primary object needs a reconcile (e.g. not for status-only changes). */
  predicate?(oldObj: KubeObject, newObj: KubeObject): boolean;
  owns: readonly OwnedKind[];
  /**
   * Other kinds watched for what they tell about a primary object (its pods, say): cached and
   * indexed like owned kinds, never written by the controller.
   */
  watches?: readonly OwnedKind[];
  /**
   * What each cached object is reduced to before it is kept (every kind): the fields the controller
   * never reads cost memory for every object of the cluster it watches.
   */
  transform?: (obj: KubeObject) => KubeObject;
  /** Label selector of the owned kinds' caches: only objects carrying it are cached and watched. */
  ownedSelector?: string;
  /** namespace/name of the primary object an owned object belongs to. */
  ownerKey(obj: KubeObject): string | undefined;
  /** Said once when the primary kind is not served (its CRD is missing): how to install it. */
  notServedHint?: string;
  reconciler(deps: ControllerDeps): Reconciler;
}

/** A failed reconcile with a server-requested delay (Retry-After). */
export class RetryAfterError extends Error {
  override name = "RetryAfterError";
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface LeaderElectionConfig {
  namespace: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ManagerOptions {
  /** Where the API server is and who we are (a Connection, or a client-node KubeConfig in tests). */
  kubeConfig: ConnectionSource;
  logger: Logger;
  /** Namespaces to watch; empty or undefined means all. */
  namespaces?: string[];
  concurrency?: number;
  leaderElection?: LeaderElectionConfig;
  /** `host:port`, `:port`, or "0" to disable. */
  metricsBindAddress?: string;
  healthProbeBindAddress?: string;
  /** Every primary object is reconciled at least this often, events or not. */
  resyncPeriodMs?: number;
  /** How often kinds that were not served are looked for again. Default 30 s. */
  discoveryPeriodMs?: number;
  watchTimeoutSeconds?: number;
  stallTimeoutMs?: number;
  /** How long SIGTERM waits for in-flight reconciles before giving up on them. */
  gracefulShutdownMs?: number;
  userAgent?: string;
  /**
   * Freeze every cached object, so code that mutates a shared object fails at once (the tests turn
   * it on; it costs a walk over every object received). Default false.
   */
  freezeCache?: boolean;
  /** Logged at start, so a log tells which build ran. */
  version?: string;
}

export type StopReason = "stopped" | "lost-leadership";

const informerKey = (type: ResourceType, namespace: string | undefined) =>
  `${type.apiVersion}/${type.kind}|${namespace ?? "*"}`;

/**
 * Runs one controller: caches (on every replica, so a standby takes over warm), and, on the leader
 * only, the workers and the periodic resync.
 */
export class Manager {
  readonly metrics: ControllerMetrics;
  readonly client: KubeClient;
  readonly queue: WorkQueue;
  readonly identity: string;
  readonly stats = { reconciles: 0, errors: 0 };
  /** Settles when the manager stopped, telling why. */
  readonly done: Promise<StopReason>;
  metricsUrl: string | undefined;
  healthUrl: string | undefined;

  private readonly log: Logger;
  private readonly informers = new Map<string, Informer>();
  private readonly primaryInformers: Informer[] = [];
  private readonly notServed = new Set<ResourceType>();
  /** Unserved kinds some object asked for since the last discovery. */
  private readonly awaited = new Set<ResourceType>();
  /** Group-versions whose discovery failed: asked again at the next round. */
  private readonly discoveryFailed = new Set<string>();
  private discoveredOnce = false;
  private serverVersion: ServerVersion | undefined;
  /** Discovery rounds in a row with a failed group-version (0 once all answered). */
  private discoveryFailures = 0;
  private readonly elector: LeaderElector | undefined;
  private readonly leaseClient: KubeClient | undefined;
  private readonly electionAbort = new AbortController();
  private readonly reconciler: Reconciler;
  private readonly namespaces: (string | undefined)[];
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private discoveryTimer: NodeJS.Timeout | undefined;
  private servers: { url: string; close(): Promise<void> }[] = [];
  private stopping: Promise<void> | undefined;
  private leading = false;
  private primaryServed = false;
  private resolveDone!: (reason: StopReason) => void;

  constructor(
    private readonly definition: ControllerDefinition,
    private readonly opts: ManagerOptions,
  ) {
    this.log = opts.logger;
    this.metrics = new ControllerMetrics(definition.name);
    this.identity = opts.leaderElection?.identity ?? `${os.hostname()}_${randomUUID()}`;
    this.client = new KubeClient(opts.kubeConfig, this.metrics.requestObserver(), opts.userAgent);
    this.queue = new WorkQueue(undefined, this.metrics.queueObserver());
    this.namespaces = opts.namespaces?.length ? opts.namespaces : [undefined];
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    const cache: Cache = {
      get: (type, key) => this.lookup(type, key),
      owned: (type, ownerKey) => this.ownedBy(type, ownerKey),
      served: (type) => !this.notServed.has(type) && (type !== definition.for || this.primaryServed),
      awaitServed: (type) => {
        if (!this.notServed.has(type) || this.awaited.has(type)) return;
        this.awaited.add(type);
        this.scheduleDiscovery();
      },
      serverVersion: () => this.serverVersion,
    };
    this.reconciler = definition.reconciler({
      cache,
      client: this.client,
      events: new EventRecorder(this.client, this.log, this.identity),
      log: this.log,
    });
    if (opts.leaderElection) {
      const le = opts.leaderElection;
      const timing = {
        leaseDurationMs: le.leaseDurationMs ?? DEFAULT_LEASE_TIMING.leaseDurationMs,
        renewDeadlineMs: le.renewDeadlineMs ?? DEFAULT_LEASE_TIMING.renewDeadlineMs,
        retryPeriodMs: le.retryPeriodMs ?? DEFAULT_LEASE_TIMING.retryPeriodMs,
      };
      // The Lease has a client of its own, as client-go's leader election gets one: its own
      // keep-alive connections (a few: the standby's watch, an attempt, one being torn down after a
      // timeout), a request timeout derived from the renew deadline, its own user agent. So a renewal
      // never waits for a connection behind reconcile traffic, and a dead pooled connection costs one
      // attempt. The KubeClient has no rate limiter or in-flight cap; the reconcile concurrency limit
      // (the workers) only bounds the reconciles, and the renew loop is not one of them.
      this.leaseClient = new KubeClient(
        opts.kubeConfig,
        this.metrics.requestObserver(),
        `${opts.userAgent ?? "webapp-operator"}/leader-election`,
        { maxSockets: 4, timeoutMs: timing.renewDeadlineMs / 2 },
      );
      const log = this.log.child({ leaderElection: LEASE_NAME });
      this.elector = new LeaderElector(
        new ApiLeaseStore(this.leaseClient, le.namespace, LEASE_NAME, log),
        { identity: this.identity, ...timing },
        log,
      );
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * Every kind's cache is filled: the primary kind is served, discovery has answered for every
   * group/version (a kind whose discovery failed would have no cache, and a reconcile would take its
   * objects for missing), and every informer has listed.
   */
  get cachesSynced(): boolean {
    return (
      this.primaryServed &&
      this.discoveryFailed.size === 0 &&
      [...this.informers.values()].every((i) => i.hasSynced)
    );
  }

  /** Counters of each informer, keyed `Kind|namespace` (`*` for all namespaces). */
  informerStats(): Record<string, Informer["stats"]> {
    return Object.fromEntries([...this.informers.values()].map((i) => [i.statsKey, { ...i.stats }]));
  }

  private lookup(type: ResourceType, key: string): KubeObject | undefined {
    const namespace = key.slice(0, key.indexOf("/"));
    const informer =
      this.informers.get(informerKey(type, namespace)) ?? this.informers.get(informerKey(type, undefined));
    return informer?.store.get(key);
  }

  private ownedBy(type: ResourceType, ownerKey: string): KubeObject[] {
    const namespace = ownerKey.slice(0, ownerKey.indexOf("/"));
    const informer =
      this.informers.get(informerKey(type, namespace)) ?? this.informers.get(informerKey(type, undefined));
    return informer?.store.byIndex(ownerKey) ?? [];
  }

  private addInformer(type: ResourceType, namespace: string | undefined, primary: boolean): Informer {
    const def = this.definition;
    const related = [...def.owns, ...(def.watches ?? [])].find((k) => k.type === type);
    const ownerKey = related?.ownerKey ?? def.ownerKey;
    const predicate = primary ? def.predicate : related?.predicate;
    // An event about an object the controller owns or watches is work in flight: it goes ahead of
    // new primary objects, so a burst of new ones does not hold back those half done.
    const enqueue = (obj: KubeObject) => {
      const key = primary ? objectKey(obj) : ownerKey(obj);
      if (key) this.queue.add(key, primary ? "normal" : "high");
    };
    const changed = (obj: KubeObject) => {
      if (!primary && this.reconciler.isEcho?.(obj)) return;
      enqueue(obj);
    };
    const informer = new Informer(
      apiSource(this.client, type, namespace, primary ? undefined : def.ownedSelector),
      {
        onAdd: changed,
        onDelete: enqueue,
        onUpdate: (oldObj, newObj) => {
          if (predicate && !predicate(oldObj, newObj)) return;
          changed(newObj);
        },
      },
      this.log,
      {
        name: `${type.kind}${namespace ? `/${namespace}` : ""}`,
        statsKey: `${type.kind}|${namespace ?? "*"}`,
        ...(def.transform ? { transform: def.transform } : {}),
        freeze: this.opts.freezeCache ?? false,
        watchTimeoutSeconds: this.opts.watchTimeoutSeconds,
        stallTimeoutMs: this.opts.stallTimeoutMs,
        ...(primary ? {} : { indexBy: (obj) => ownerKey(obj) }),
      },
    );
    this.informers.set(informerKey(type, namespace), informer);
    if (primary) this.primaryInformers.push(informer);
    return informer;
  }

  /** Starts servers, caches and (when elected) the workers; resolves once started. */
  async start(): Promise<void> {
    await this.startServers();
    this.metrics.maxConcurrent.set({ controller: this.definition.name }, this.concurrency);
    this.log.info(
      {
        ...(this.opts.version ? { version: this.opts.version } : {}),
        namespaces: this.opts.namespaces?.length ? this.opts.namespaces : "all",
        identity: this.identity,
        ...(this.metricsUrl ? { metrics: `${this.metricsUrl}/metrics` } : {}),
        ...(this.healthUrl ? { health: `${this.healthUrl}/healthz` } : {}),
      },
      "operator starting",
    );
    await this.discover();
    for (const informer of this.informers.values()) informer.start();
    this.informersStarted = true;

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

  private async startServers(): Promise<void> {
    const metricsBind = parseBindAddress(this.opts.metricsBindAddress ?? ":8080");
    const healthBind = parseBindAddress(this.opts.healthProbeBindAddress ?? ":8081");
    const probes = { healthy: () => true, ready: () => this.cachesSynced };
    if (metricsBind && healthBind && metricsBind.port === healthBind.port && metricsBind.port !== 0) {
      const s = await startHttpServer(metricsBind, { probes, registry: this.metrics.registry });
      this.servers.push(s);
      this.metricsUrl = s.url;
      this.healthUrl = s.url;
      return;
    }
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

  /**
   * Discovery: an informer for every served kind. Afterwards, a group-version is asked for again only
   * while it is needed: the primary kind missing (nothing can be done yet: one clear log line, then
   * a look every discoveryPeriodMs), a discovery that failed, or a kind some object asked for
   * (`awaitServed`, e.g. a CRD installed later). A cluster that serves everything that is used sees
   * no discovery requests at rest.
   */
  private async discover(): Promise<void> {
    const def = this.definition;
    const kinds = [{ type: def.for, optional: false }, ...def.owns, ...(def.watches ?? [])];
    const first = !this.discoveredOnce;
    const awaited = new Set(this.awaited);
    const wanted = (type: ResourceType) =>
      first ||
      this.discoveryFailed.has(type.apiVersion) ||
      (this.notServed.has(type) && (type === def.for || awaited.has(type)));
    this.discoveredOnce = true;
    this.awaited.clear();
    if (this.serverVersion === undefined) {
      try {
        this.serverVersion = await this.client.serverVersion();
        this.discoveryFailed.delete(VERSION_DISCOVERY);
        this.log.info({ version: this.serverVersion.gitVersion }, "API server version");
      } catch (err) {
        this.discoveryFailed.add(VERSION_DISCOVERY);
        this.log.warn({ err: (err as Error).message }, "could not read the API server's version");
      }
    }
    const served = new Map<string, Set<string>>();
    for (const { type } of kinds) {
      if (served.has(type.apiVersion) || !wanted(type)) continue;
      try {
        served.set(type.apiVersion, await this.client.servedKinds(type.apiVersion));
        this.discoveryFailed.delete(type.apiVersion);
      } catch (err) {
        this.discoveryFailed.add(type.apiVersion);
        this.log.warn({ apiVersion: type.apiVersion, err: (err as Error).message }, "discovery failed");
      }
    }
    for (const { type, optional } of kinds) {
      const kinds = served.get(type.apiVersion);
      if (kinds === undefined) continue; // not asked, or discovery failed: try again later
      const primary = type === def.for;
      const isServed = kinds.has(type.kind);
      const hasInformer = this.namespaces.some((ns) => this.informers.has(informerKey(type, ns)));
      if (isServed && !hasInformer) {
        if (this.notServed.delete(type))
          this.log.info({ kind: type.kind, apiVersion: type.apiVersion }, "kind is now served, watching it");
        for (const ns of this.namespaces) {
          const informer = this.addInformer(type, ns, primary);
          if (this.informersStarted) informer.start();
        }
        if (primary) this.primaryServed = true;
        // Objects that waited for this kind are worth a look now.
        if (this.leading) this.enqueueAll();
      } else if (!isServed && !this.notServed.has(type) && !hasInformer) {
        this.notServed.add(type);
        if (primary) {
          this.log.error(
            { kind: type.kind, apiVersion: type.apiVersion },
            `${type.kind} (${type.apiVersion}) is not served by this cluster: ${def.notServedHint ?? "install its CustomResourceDefinition"}. Waiting for it.`,
          );
        } else {
          const level = optional ? "info" : "warn";
          this.log[level](
            { kind: type.kind, apiVersion: type.apiVersion },
            `${type.kind} (${type.apiVersion}) is not served by this cluster; objects asking for it will say so`,
          );
        }
      }
    }
    this.discoveryFailures = this.discoveryFailed.size > 0 ? this.discoveryFailures + 1 : 0;
    if (this.discoveryFailed.size > 0 || !this.primaryServed || this.awaited.size > 0)
      this.scheduleDiscovery();
  }

  /**
   * The next discovery round, one discoveryPeriodMs from now (unless one is already due). A failed
   * request is tried again within moments, with back-off: the workers wait for its caches.
   */
  private scheduleDiscovery(): void {
    if (this.stopping) return;
    const period = this.opts.discoveryPeriodMs ?? 30_000;
    const failing = this.discoveryFailures > 0;
    if (this.discoveryTimer && !failing) return;
    clearTimeout(this.discoveryTimer);
    const delay = failing
      ? backoffDelay(this.discoveryFailures - 1, { baseMs: 200, maxMs: Math.min(period, 10_000) })
      : period;
    this.discoveryTimer = setTimeout(() => {
      this.discoveryTimer = undefined;
      void this.discover();
    }, delay);
    this.discoveryTimer.unref?.();
  }

  private informersStarted = false;

  private get concurrency(): number {
    return Math.max(1, this.opts.concurrency ?? 2);
  }

  private async waitForCaches(): Promise<void> {
    for (;;) {
      if (this.stopping) return;
      if (this.primaryServed) {
        await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
        if (this.cachesSynced) return;
      }
      await sleep(200);
    }
  }

  /** Every primary object, behind any event-driven work: the initial list and each resync. */
  private enqueueAll(): void {
    for (const informer of this.primaryInformers) {
      for (const obj of informer.store.list()) this.queue.add(objectKey(obj), "low");
    }
  }

  private async startWorkers(): Promise<void> {
    await this.waitForCaches();
    if (this.stopping) return;
    this.leading = true;
    this.log.info({ concurrency: this.concurrency }, "caches synced, starting workers");
    this.enqueueAll();
    for (let i = 0; i < this.concurrency; i++) this.workers.push(this.worker());
    const period = this.opts.resyncPeriodMs ?? 10 * 60_000;
    const resync = () => {
      this.enqueueAll();
      this.resyncTimer = setTimeout(resync, period * (1 + Math.random() * 0.1));
    };
    this.resyncTimer = setTimeout(resync, period);
  }

  private async worker(): Promise<void> {
    const labels = { controller: this.definition.name };
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      this.metrics.activeWorkers.inc(labels);
      const end = this.metrics.reconcileTime.startTimer(labels);
      try {
        this.stats.reconciles++;
        const result = await this.reconciler.reconcile(key);
        this.queue.forget(key);
        this.metrics.reconcileTotal.inc({
          ...labels,
          result: result?.requeueAfterMs ? "requeue_after" : "success",
        });
        if (result?.requeueAfterMs) this.queue.addAfter(key, result.requeueAfterMs, "high");
        // Reconciles are level-triggered: after one that succeeded and asks for no other look, a
        // look scheduled earlier (a settle, a retry) would only repeat it.
        else this.queue.cancelAfter(key);
      } catch (err) {
        this.stats.errors++;
        this.metrics.reconcileTotal.inc({ ...labels, result: "error" });
        this.metrics.reconcileErrors.inc(labels);
        const retryAfter = err instanceof RetryAfterError ? err.retryAfterMs : undefined;
        this.log.warn(
          {
            controller: this.definition.name,
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
      clearTimeout(this.resyncTimer);
      clearTimeout(this.discoveryTimer);
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
      // Renewals went on while the reconciles finished (a standby must not start while they run);
      // only now does the election stop, and the release waits for a renewal in flight.
      this.electionAbort.abort();
      if (this.elector && reason === "stopped") {
        await this.elector.release().catch((err: Error) => {
          this.log.warn({ err: err.message }, "could not release the leader lease");
        });
      }
      await Promise.all([...this.informers.values()].map((i) => i.stop()));
      await Promise.all(this.servers.map((s) => s.close()));
      this.client.close();
      this.leaseClient?.close();
      this.log.info("stopped");
      this.resolveDone(reason);
    })();
    return this.stopping;
  }
}
