import { sleep } from "./backoff.js";
import type { Logger } from "./logger.js";

/** The spec of a coordination.k8s.io/v1 Lease, times as MicroTime strings. */
export interface LeaseRecord {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

/** Reads and writes the one Lease; `update` must fail (409) if the Lease changed since `get`. */
export interface LeaseStore {
  get(): Promise<{ record: LeaseRecord; version: unknown } | undefined>;
  create(record: LeaseRecord): Promise<void>;
  update(version: unknown, record: LeaseRecord): Promise<void>;
}

export interface LeaderElectionOptions {
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  now?: () => number;
}

export const DEFAULT_LEASE_TIMING = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/**
 * Kubernetes MicroTime: RFC 3339 with exactly six fractional digits, as the API server writes it.
 * (client-node 1.x would send a Date as a millisecond ISO string wrapped by its serializer; the server
 * rejects shapes it does not expect with 400, so the string is built here.)
 */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/**
 * client-go's leader election over a Lease. Expiry is judged by when *we* last saw the record change
 * (observedAt, our clock), never by comparing the holder's timestamps with our clock, so clock skew
 * between nodes cannot cause two leaders.
 */
export class LeaderElector {
  private observed: { record: LeaseRecord; at: number; raw: string } | undefined;
  private leading = false;
  private readonly now: () => number;

  constructor(
    private readonly store: LeaseStore,
    private readonly opts: LeaderElectionOptions,
    private readonly log: Logger,
  ) {
    this.now = opts.now ?? Date.now;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** One attempt to take or keep the lease; true when we hold it afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    const mine: LeaseRecord = {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.opts.leaseDurationMs / 1000)),
      acquireTime: formatMicroTime(now),
      renewTime: formatMicroTime(now),
      leaseTransitions: 0,
    };
    const current = await this.store.get();
    if (!current) {
      await this.store.create(mine);
      this.observe(mine, now);
      return true;
    }
    const old = current.record;
    this.observe(old, now);
    const holder = old.holderIdentity ?? "";
    const held = holder !== "" && holder !== this.opts.identity;
    if (held && !this.expired(old, now)) return false;
    const record: LeaseRecord =
      holder === this.opts.identity
        ? {
            ...mine,
            acquireTime: old.acquireTime ?? mine.acquireTime,
            leaseTransitions: old.leaseTransitions ?? 0,
          }
        : { ...mine, leaseTransitions: (old.leaseTransitions ?? 0) + 1 };
    await this.store.update(current.version, record);
    this.observe(record, now);
    return true;
  }

  private observe(record: LeaseRecord, now: number): void {
    const raw = JSON.stringify(record);
    if (this.observed?.raw !== raw) this.observed = { record, at: now, raw };
  }

  private expired(record: LeaseRecord, now: number): boolean {
    const durationMs = (record.leaseDurationSeconds ?? Math.ceil(this.opts.leaseDurationMs / 1000)) * 1000;
    return now >= (this.observed?.at ?? now) + durationMs;
  }

  /**
   * Campaigns until elected, then renews every retry period. Resolves when leadership is lost (no
   * successful renew within the renew deadline, or someone else holds the Lease) or `signal` aborts.
   * Returns true if it ever led.
   */
  async run(signal: AbortSignal, onStartedLeading: () => void): Promise<boolean> {
    while (!signal.aborted && !this.leading) {
      try {
        this.leading = await this.tryAcquireOrRenew();
      } catch (err) {
        this.log.debug({ err: (err as Error).message }, "leader election attempt failed");
      }
      if (!this.leading) await sleep(jittered(this.opts.retryPeriodMs), signal);
    }
    if (!this.leading) return false;
    this.log.info({ identity: this.opts.identity }, "became leader");
    onStartedLeading();
    let lastRenew = this.now();
    while (!signal.aborted) {
      await sleep(this.opts.retryPeriodMs, signal);
      if (signal.aborted) break;
      let renewed = false;
      try {
        renewed = await withTimeout(
          this.tryAcquireOrRenew(),
          Math.max(1, lastRenew + this.opts.renewDeadlineMs - this.now()),
        );
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, "failed to renew the leader lease");
      }
      if (renewed) {
        lastRenew = this.now();
      } else if (this.observed && (this.observed.record.holderIdentity ?? "") !== this.opts.identity) {
        this.log.error({ holder: this.observed.record.holderIdentity }, "lease taken by another process");
        this.leading = false;
        return true;
      } else if (this.now() - lastRenew >= this.opts.renewDeadlineMs) {
        this.log.error({ renewDeadlineMs: this.opts.renewDeadlineMs }, "could not renew the lease in time");
        this.leading = false;
        return true;
      }
    }
    return true;
  }

  /** Gives the lease up so a successor need not wait for it to expire. */
  async release(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    const current = await this.store.get();
    if (!current || current.record.holderIdentity !== this.opts.identity) return;
    const now = formatMicroTime(this.now());
    await this.store.update(current.version, {
      ...current.record,
      holderIdentity: "",
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
    });
    this.log.info("released the leader lease");
  }
}

function jittered(ms: number): number {
  return ms * (1 + Math.random() * 0.2);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
