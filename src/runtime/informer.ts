import type { KubeObject } from "../api/kube-object.js";
import type { ListResult, WatchEvent, WatchHandle } from "../kube/client.js";
import { isGone, KubeApiError } from "../kube/errors.js";
import { type BackoffOptions, backoffDelay, sleep } from "./backoff.js";
import type { Logger } from "./logger.js";
import { type IndexFunction, Store, type StoreListener } from "./store.js";

/** Where an informer gets its objects from: the API server in production, a fake in unit tests. */
export interface ListWatchSource {
  list(): Promise<ListResult>;
  watch(
    resourceVersion: string,
    timeoutSeconds: number,
    onEvent: (event: WatchEvent) => void,
  ): Promise<WatchHandle>;
}

export interface InformerOptions {
  /** For logs: the kind and namespace this informer covers. */
  name: string;
  /** Delay between restarts after a failure. */
  restartBackoff?: BackoffOptions;
  /** Each watch asks the server to end it after a random time in [t, 2t] seconds, as client-go does. */
  watchTimeoutSeconds?: number;
  /** A watch with no event (bookmarks included) for this long is assumed dead and rebuilt. */
  stallTimeoutMs?: number;
  /** The key of this informer's counters in a manager's statistics. */
  statsKey?: string;
  /**
   * Applied to every object before it is cached (and before listeners see it): drop what the
   * controller never reads (managedFields of other managers, a pod's spec) to keep the cache small.
   */
  transform?: (obj: KubeObject) => KubeObject;
  /** Freeze cached objects (see Store). Default true. */
  freeze?: boolean;
  /** An index the cache keeps (see Store). */
  indexBy?: IndexFunction;
  random?: () => number;
}

const DEFAULT_RESTART: BackoffOptions = { baseMs: 200, maxMs: 30_000, jitter: 0.5 };

/**
 * A list+watch cache with its own supervisor.
 *
 * Why not client-node's makeInformer: in 1.x it stops for good after any error other than 410, has no
 * client-side watch timeout (a half-open TCP connection leaves it waiting forever), and offers no hook
 * to tell a silent watch from an idle one. Here every failure leads to a restart with backoff and jitter
 * (relist only when the server says our resourceVersion is gone), every watch has a server timeout and
 * a client-side deadline, and a watchdog rebuilds a watch that went silent, resuming from the last
 * resourceVersion seen (opaque strings, compared for equality only).
 */
export class Informer {
  readonly store: Store;
  private stopped = false;
  private readonly abort = new AbortController();
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private current: WatchHandle | undefined;
  private loop: Promise<void> | undefined;
  /** Counts for tests and logs. */
  readonly stats = { lists: 0, watches: 0, restarts: 0, stalls: 0 };

  constructor(
    private readonly source: ListWatchSource,
    listener: StoreListener,
    private readonly log: Logger,
    private readonly opts: InformerOptions,
  ) {
    this.store = new Store(listener, opts.indexBy, opts.freeze ?? true);
  }

  get statsKey(): string {
    return this.opts.statsKey ?? this.opts.name;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Resolves once the first list has filled the cache (or the informer stopped). */
  waitForSync(): Promise<void> {
    if (this.synced || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.current?.stop();
    for (const w of this.syncWaiters.splice(0)) w();
    await this.loop;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      try {
        this.stats.lists++;
        const { items, resourceVersion } = await this.source.list();
        if (this.stopped) return;
        const transform = this.opts.transform;
        this.store.replace(transform ? items.map(transform) : items);
        if (!this.synced) {
          this.synced = true;
          for (const w of this.syncWaiters.splice(0)) w();
        }
        attempt = 0;
        let rv = resourceVersion;
        while (!this.stopped) {
          rv = await this.watchOnce(rv);
          attempt = 0;
        }
      } catch (err) {
        if (this.stopped) return;
        this.stats.restarts++;
        if (isGone(err)) {
          this.log.debug({ informer: this.opts.name }, "watch resourceVersion expired, relisting");
          continue;
        }
        const delay = backoffDelay(attempt++, {
          ...(this.opts.restartBackoff ?? DEFAULT_RESTART),
          random: this.opts.random,
        });
        this.log.warn(
          { informer: this.opts.name, err: (err as Error).message, retryInMs: delay },
          "list/watch failed, restarting",
        );
        await sleep(delay, this.abort.signal);
      }
    }
  }

  /**
   * One watch from `rv`; resolves with the last resourceVersion seen when it ended on its own or was
   * rebuilt by the watchdog, rejects when the server reported an error or the connection failed.
   */
  private async watchOnce(rv: string): Promise<string> {
    const base = this.opts.watchTimeoutSeconds ?? 300;
    const random = this.opts.random ?? Math.random;
    const timeoutSeconds = Math.max(1, Math.round(base * (1 + random())));
    const stallMs = this.opts.stallTimeoutMs ?? 120_000;
    let lastRv = rv;
    let serverError: Error | undefined;
    let endedByUs = false;
    let handle: WatchHandle | undefined;
    let watchdog: NodeJS.Timeout | undefined;
    let events = 0;
    const startedAt = Date.now();
    const stopWith = (why: "stall" | "deadline" | "error") => {
      endedByUs = why !== "error";
      if (why === "stall") {
        this.stats.stalls++;
        this.log.info({ informer: this.opts.name, silentForMs: stallMs }, "watch went silent, rebuilding it");
      }
      handle?.stop();
    };
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => stopWith("stall"), stallMs);
    };
    // The server should end the watch by timeoutSeconds; if it does not, the connection is dead.
    const deadline = setTimeout(() => stopWith("deadline"), timeoutSeconds * 1000 + 5_000);
    try {
      this.stats.watches++;
      handle = await this.source.watch(rv, timeoutSeconds, (event) => {
        if (serverError || endedByUs) return;
        events++;
        arm();
        switch (event.type) {
          case "ADDED":
          case "MODIFIED":
            this.store.upsert(this.opts.transform ? this.opts.transform(event.object) : event.object);
            lastRv = event.object.metadata?.resourceVersion ?? lastRv;
            break;
          case "DELETED":
            this.store.remove(event.object);
            lastRv = event.object.metadata?.resourceVersion ?? lastRv;
            break;
          case "BOOKMARK":
            lastRv = event.object.metadata?.resourceVersion ?? lastRv;
            break;
          case "ERROR": {
            const status = event.object as unknown as { code?: number; message?: string; reason?: string };
            serverError = new KubeApiError(
              status.code ?? 500,
              status.message ?? "watch error",
              status.reason,
            );
            stopWith("error");
            break;
          }
        }
      });
      this.current = handle;
      if (this.stopped) handle.stop();
      arm();
      await handle.closed.catch((err: unknown) => {
        if (!endedByUs && !this.stopped && !serverError) throw err;
      });
      if (serverError) throw serverError;
      if (!endedByUs && !this.stopped && events === 0 && Date.now() - startedAt < 1000) {
        // A server (or proxy) that closes every watch at once would otherwise make this a busy loop.
        throw new KubeApiError(0, "watch closed as soon as it opened");
      }
      return lastRv;
    } finally {
      clearTimeout(watchdog);
      clearTimeout(deadline);
      this.current = undefined;
    }
  }
}
