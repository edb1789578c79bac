import { isConflict } from "../kube/errors.js";
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

/**
 * Reads and writes the one Lease; `update` must fail (409) if the Lease changed since `get`. Each call
 * takes a signal that aborts it: an attempt never outlives the time the elector gives it.
 */
export interface LeaseStore {
  get(signal?: AbortSignal): Promise<{ record: LeaseRecord; version: unknown } | undefined>;
  create(record: LeaseRecord, signal?: AbortSignal): Promise<void>;
  update(version: unknown, record: LeaseRecord, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `onReleased` whenever the Lease is seen without a holder (released) or deleted, until the
   * returned function is called. Optional: without it a candidate finds a release on its next attempt.
   */
  watchReleases?(onReleased: () => void): () => void | Promise<void>;
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

/** Release attempts: a 409 means the Lease changed since we read it; read again and retry. */
const RELEASE_ATTEMPTS = 3;

/**
 * client-go's leader election over a Lease. Expiry is judged by when *we* last saw the record change
 * (observedAt, our clock), never by comparing the holder's timestamps with our clock, so clock skew
 * between nodes cannot cause two leaders.
 *
 * Each attempt (a read and a write) gets at most half the renew deadline and is aborted then, as
 * kube-scheduler and kube-controller-manager bound their leader-election client by the renew
 * deadline: a request whose answer is lost (a dead connection) costs one attempt, and the next one,
 * on a fresh connection, still fits in the deadline.
 */
export class LeaderElector {
  private observed: { record: LeaseRecord; at: number; raw: string } | undefined;
  private leading = false;
  private readonly now: () => number;
  /** The campaign and renew loop, while it runs. */
  private loop: Promise<boolean> | undefined;
  /** The attempt in flight: a release waits for it, so the two never race on one resourceVersion. */
  private inFlight: Promise<unknown> | undefined;
  /** Ends the loop from inside (release), besides the caller's signal. */
  private readonly stopping = new AbortController();
  /** Cuts a candidate's wait short when the Lease is seen released. */
  private wake: (() => void) | undefined;
  private releaseSeen = false;

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

  private get attemptTimeoutMs(): number {
    return Math.max(1, this.opts.renewDeadlineMs / 2);
  }

  /** One attempt to take or keep the lease; true when we hold it afterwards. */
  async tryAcquireOrRenew(signal?: AbortSignal): Promise<boolean> {
    const now = this.now();
    const mine: LeaseRecord = {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.opts.leaseDurationMs / 1000)),
      acquireTime: formatMicroTime(now),
      renewTime: formatMicroTime(now),
      leaseTransitions: 0,
    };
    const current = await this.store.get(signal);
    if (!current) {
      await this.store.create(mine, signal);
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
    await this.store.update(current.version, record, signal);
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

  /** One attempt, aborted after `timeoutMs` (also when the store does not honour the signal). */
  private attempt(timeoutMs: number): Promise<boolean> {
    const abort = new AbortController();
    const attempt = this.tryAcquireOrRenew(abort.signal);
    this.inFlight = attempt.catch(() => undefined);
    return withTimeout(attempt, timeoutMs, () => abort.abort());
  }

  /**
   * Campaigns until elected, then renews every retry period. Resolves when leadership is lost (no
   * successful renew within the renew deadline, or someone else holds the Lease), `signal` aborts or
   * `release` is called. Returns true if it ever led.
   */
  run(signal: AbortSignal, onStartedLeading: () => void): Promise<boolean> {
    if (signal.aborted) this.stopping.abort();
    else signal.addEventListener("abort", () => this.stopping.abort(), { once: true });
    this.loop ??= this.campaignAndRenew(this.stopping.signal, onStartedLeading);
    return this.loop;
  }

  private async campaignAndRenew(signal: AbortSignal, onStartedLeading: () => void): Promise<boolean> {
    if (!(await this.campaign(signal))) return false;
    this.log.info({ identity: this.opts.identity }, "became leader");
    onStartedLeading();
    await this.renew(signal);
    return true;
  }

  /** Tries every retry period (jittered) until elected; a Lease seen released is tried at once. */
  private async campaign(signal: AbortSignal): Promise<boolean> {
    const stopWatching = this.store.watchReleases?.(() => {
      this.releaseSeen = true;
      this.wake?.();
    });
    try {
      while (!signal.aborted && !this.leading) {
        this.releaseSeen = false;
        try {
          this.leading = await this.attempt(this.attemptTimeoutMs);
        } catch (err) {
          this.log.debug({ err: (err as Error).message }, "leader election attempt failed");
        }
        if (!this.leading) await this.nap(jittered(this.opts.retryPeriodMs), signal);
      }
    } finally {
      await stopWatching?.();
    }
    return this.leading;
  }

  /** Sleeps `ms`, less when stopped or when the Lease is seen released (also just before the nap). */
  private nap(ms: number, signal: AbortSignal): Promise<void> {
    if (this.releaseSeen) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.wake = done;
    });
  }

  /**
   * Renews every retry period (sooner after an attempt that took longer) until the renew deadline
   * passes without a renewal, someone else holds the Lease, or `signal` aborts.
   */
  private async renew(signal: AbortSignal): Promise<void> {
    let lastRenew = this.now();
    let nextAttemptAt = lastRenew + this.opts.retryPeriodMs;
    while (!signal.aborted) {
      await sleep(Math.max(0, nextAttemptAt - this.now()), signal);
      if (signal.aborted) break;
      const started = this.now();
      nextAttemptAt = started + this.opts.retryPeriodMs;
      const remaining = lastRenew + this.opts.renewDeadlineMs - started;
      let renewed = false;
      try {
        renewed = await this.attempt(Math.max(1, Math.min(this.attemptTimeoutMs, remaining)));
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, "failed to renew the leader lease");
      }
      if (renewed) {
        lastRenew = this.now();
      } else if (this.observed && (this.observed.record.holderIdentity ?? "") !== this.opts.identity) {
        this.log.error({ holder: this.observed.record.holderIdentity }, "lease taken by another process");
        this.leading = false;
        return;
      } else if (this.now() - lastRenew >= this.opts.renewDeadlineMs) {
        this.log.error({ renewDeadlineMs: this.opts.renewDeadlineMs }, "could not renew the lease in time");
        this.leading = false;
        return;
      }
    }
  }

  /**
   * Gives the lease up so a successor need not wait for it to expire. Stops renewing first and waits
   * for an attempt in flight (bounded by its timeout): a renewal landing after the release would take
   * the Lease back, and one landing between the release's read and write would make it fail with 409.
   * A 409 still means someone wrote meanwhile: read again and retry while we are the holder.
   */
  async release(): Promise<void> {
    if (!this.leading) return;
    this.stopping.abort();
    await this.loop;
    await this.inFlight;
    if (!this.leading) return;
    this.leading = false;
    for (let attempt = 1; ; attempt++) {
      const signal = AbortSignal.timeout(this.attemptTimeoutMs);
      const current = await this.store.get(signal);
      if (!current || current.record.holderIdentity !== this.opts.identity) return;
      const now = formatMicroTime(this.now());
      try {
        await this.store.update(
          current.version,
          {
            ...current.record,
            holderIdentity: "",
            leaseDurationSeconds: 1,
            acquireTime: now,
            renewTime: now,
          },
          signal,
        );
        this.log.info("released the leader lease");
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= RELEASE_ATTEMPTS) throw err;
        this.log.info({ attempt }, "the lease changed while releasing it; reading it again");
      }
    }
  }
}

function jittered(ms: number): number {
  return ms * (1 + Math.random() * 0.2);
}

/** `promise`, or a rejection after `ms` (calling `onTimeout` first, to abort the work). */
function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`timed out after ${Math.round(ms)} ms`));
    }, ms);
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
