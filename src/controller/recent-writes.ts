import type { KubeObject } from "../api/kube-object.js";

/**
 * Objects the controller wrote whose watch event may not have reached the cache yet, with the
 * resourceVersion the cache held before the write. While the cache still shows that version, the
 * written object is the truth; without this a reconcile racing its own watch events would repeat
 * writes during convergence. Entries expire after `ttlMs`: a watch event normally arrives within
 * milliseconds, and an object created and then deleted before the cache saw it would otherwise look
 * alive forever (its "before" and its "after deletion" are both "absent"). An entry is dropped as
 * soon as any newer event for its object reaches the cache, and expired ones are swept as writes
 * come: at a thousand WebApps, keeping them would hold thousands of objects.
 */
/** Writes between two sweeps of expired entries. */
const SWEEP_EVERY = 100;

export class RecentWrites {
  private readonly written = new Map<string, { before: string | undefined; obj: KubeObject; at: number }>();

  constructor(
    private readonly ttlMs = 10_000,
    private readonly limit = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The freshest view of an object: what we wrote, until the cache has caught up with it. */
  fresh(id: string, cached: KubeObject | undefined): KubeObject | undefined {
    const entry = this.written.get(id);
    if (!entry) return cached;
    if (cached?.metadata.resourceVersion === entry.before && this.now() - entry.at < this.ttlMs)
      return entry.obj;
    this.written.delete(id);
    return cached;
  }

  remember(id: string, before: KubeObject | undefined, after: KubeObject): void {
    if (after?.metadata?.resourceVersion === undefined) return;
    const now = this.now();
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep(now);
    this.written.delete(id); // oldest first, for the sweep
    this.written.set(id, { before: before?.metadata.resourceVersion, obj: after, at: now });
    if (this.written.size > this.limit) this.written.clear();
  }

  /**
   * Whether an event's object is exactly what we wrote (its echo): nothing new to act on. Called for
   * each event once the cache holds its object, so the write is no longer needed either way.
   */
  isEcho(id: string, resourceVersion: string | undefined): boolean {
    const entry = this.written.get(id);
    if (entry === undefined || resourceVersion === undefined) return false;
    if (resourceVersion !== entry.before) this.written.delete(id);
    return entry.obj.metadata.resourceVersion === resourceVersion;
  }

  /** Entries kept (for tests and metrics). */
  get size(): number {
    return this.written.size;
  }

  private sinceSweep = 0;

  /** Drops expired entries; the map is in write order, so the sweep stops at the first fresh one. */
  private sweep(now: number): void {
    this.sinceSweep = 0;
    for (const [id, entry] of this.written) {
      if (now - entry.at < this.ttlMs) break;
      this.written.delete(id);
    }
  }

  forget(id: string): void {
    this.written.delete(id);
  }
}
