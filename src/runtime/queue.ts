import { type BackoffOptions, KeyedBackoff } from "./backoff.js";

/** Hooks for the workqueue_* metrics; every one optional so tests can run without a registry. */
export interface QueueObserver {
  depth?(n: number): void;
  added?(): void;
  retried?(): void;
  /** Seconds a key waited between being added and being picked up. */
  queued?(seconds: number): void;
  /** Seconds between get() and done(). */
  worked?(seconds: number): void;
}

export const DEFAULT_QUEUE_BACKOFF: BackoffOptions = { baseMs: 5, maxMs: 5 * 60_000, jitter: 0.2 };

/**
 * How soon a key is wanted. `high`: work in flight (an event about an object the controller just
 * wrote); `normal`: new work (an event about a primary object); `low`: work nobody is waiting for
 * (the initial list, a periodic resync). Higher lanes are served first, so a burst of new objects
 * does not hold back the ones already half done, and a resync never delays an event.
 */
export type Priority = "high" | "normal" | "low";
const LANES: readonly Priority[] = ["high", "normal", "low"];

/** A FIFO with O(1) push and shift. */
class Lane {
  private items: string[] = [];
  private head = 0;
  get size(): number {
    return this.items.length - this.head;
  }
  push(key: string): void {
    this.items.push(key);
  }
  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const key = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return key;
  }
}

/**
 * The client-go work queue semantics: a key is queued at most once however many events arrive
 * (`dirty`), and a key being processed is never handed out again until done() (`processing`); if it
 * was added meanwhile, done() puts it back. Failed keys come back after a per-key exponential backoff.
 * Keys wait in priority lanes (controller-runtime's priority queue): a key added again with a higher
 * priority moves up.
 */
export class WorkQueue {
  private readonly lanes = new Map<Priority, Lane>(LANES.map((p) => [p, new Lane()]));
  /** The lane a dirty key waits in (or will, once its processing is done). */
  private readonly laneOf = new Map<string, Priority>();
  private queued = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly backoff: KeyedBackoff;
  private shuttingDown = false;
  private drained: (() => void) | undefined;

  constructor(
    backoff: BackoffOptions = DEFAULT_QUEUE_BACKOFF,
    private readonly observer: QueueObserver = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.backoff = new KeyedBackoff(backoff);
  }

  /** Keys waiting to be handed out. */
  get length(): number {
    return this.queued;
  }

  get inFlight(): number {
    return this.processing.size;
  }

  add(key: string, priority: Priority = "normal"): void {
    if (this.shuttingDown) return;
    if (this.dirty.has(key)) {
      const lane = this.laneOf.get(key);
      if (lane === undefined || LANES.indexOf(priority) >= LANES.indexOf(lane)) return;
      // Wanted sooner: move it up (the entry left in the lower lane is skipped when reached).
      this.laneOf.set(key, priority);
      if (!this.processing.has(key)) this.lanes.get(priority)!.push(key);
      return;
    }
    this.observer.added?.();
    this.dirty.add(key);
    this.laneOf.set(key, priority);
    this.addedAt.set(key, this.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.take(key);
      waiter(key);
      return;
    }
    this.lanes.get(this.laneOf.get(key) ?? "normal")!.push(key);
    this.queued++;
    this.observer.depth?.(this.queued);
  }

  /** The next waiting key, highest lane first, skipping entries left behind by a move up. */
  private next(): string | undefined {
    for (const priority of LANES) {
      const lane = this.lanes.get(priority)!;
      for (let key = lane.shift(); key !== undefined; key = lane.shift()) {
        if (this.dirty.has(key) && !this.processing.has(key) && this.laneOf.get(key) === priority) {
          this.queued--;
          return key;
        }
      }
    }
    return undefined;
  }

  private take(key: string): void {
    this.dirty.delete(key);
    this.laneOf.delete(key);
    this.processing.add(key);
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    const now = this.now();
    if (added !== undefined) this.observer.queued?.((now - added) / 1000);
    this.startedAt.set(key, now);
  }

  /** Next key to process, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.next();
    if (key !== undefined) {
      this.observer.depth?.(this.queued);
      this.take(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks the key processed; re-queues it if it was added while it was being processed. */
  done(key: string): void {
    this.processing.delete(key);
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined) this.observer.worked?.((this.now() - started) / 1000);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
    if (this.shuttingDown && this.processing.size === 0) this.drained?.();
  }

  /** Adds the key after `ms`; an earlier pending timer for the same key wins. */
  addAfter(key: string, ms: number, priority: Priority = "normal"): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key, priority);
      return;
    }
    const at = this.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key, priority);
    }, ms);
    timer.unref?.();
    this.timers.set(key, { at, timer });
  }

  /** Re-adds a failed key after its backoff; `minMs` honours a server's Retry-After. */
  addRateLimited(key: string, minMs = 0): void {
    this.observer.retried?.();
    this.addAfter(key, Math.max(minMs, this.backoff.next(key)));
  }

  /** Resets the key's backoff after a success. */
  forget(key: string): void {
    this.backoff.forget(key);
  }

  retries(key: string): number {
    return this.backoff.retries(key);
  }

  /**
   * Stops handing out keys (pending get() calls resolve to undefined) and resolves once every key
   * being processed is done: in-flight work finishes, nothing new starts.
   */
  shutDownWithDrain(): Promise<void> {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.drained = resolve;
    });
  }
}
