import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { KubeApiError } from "../../src/kube/errors.js";
import {
  formatMicroTime,
  LeaderElector,
  type LeaseRecord,
  type LeaseStore,
} from "../../src/runtime/leader.js";

const log = pino({ level: "silent" });

/** An in-memory Lease with optimistic concurrency, like the API server's. */
class MemoryLease implements LeaseStore {
  record: LeaseRecord | undefined;
  version = 0;
  failing = false;
  async get() {
    if (this.failing) throw new KubeApiError(500, "down");
    return this.record ? { record: { ...this.record }, version: this.version } : undefined;
  }
  async create(record: LeaseRecord) {
    if (this.failing) throw new KubeApiError(500, "down");
    if (this.record) throw new KubeApiError(409, "exists");
    this.record = { ...record };
    this.version++;
  }
  async update(version: unknown, record: LeaseRecord) {
    if (this.failing) throw new KubeApiError(500, "down");
    if (version !== this.version) throw new KubeApiError(409, "conflict");
    this.record = { ...record };
    this.version++;
  }
}

const timing = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

describe("formatMicroTime", () => {
  it("writes RFC 3339 with six fractional digits", () => {
    expect(formatMicroTime(Date.UTC(2025, 0, 2, 3, 4, 5, 678))).toBe("2025-01-02T03:04:05.678000Z");
  });
});

describe("LeaderElector.tryAcquireOrRenew", () => {
  it("creates the lease when there is none, with MicroTime strings and whole seconds", async () => {
    const store = new MemoryLease();
    const a = new LeaderElector(store, { identity: "a", ...timing, now: () => 1_000_000 }, log);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(store.record).toMatchObject({
      holderIdentity: "a",
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    expect(store.record?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it("does not take a lease another holder renewed within the lease duration", async () => {
    const store = new MemoryLease();
    let now = 0;
    const a = new LeaderElector(store, { identity: "a", ...timing, now: () => now }, log);
    const b = new LeaderElector(store, { identity: "b", ...timing, now: () => now }, log);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    now = 5_000;
    expect(await b.tryAcquireOrRenew()).toBe(false);
    now = 10_000;
    expect(await a.tryAcquireOrRenew()).toBe(true); // renewal changes the record b observes
    now = 24_000;
    expect(await b.tryAcquireOrRenew()).toBe(false); // b first sees the renewal now
    now = 38_000;
    expect(await b.tryAcquireOrRenew()).toBe(false); // 14 s since b saw the last change
    now = 39_500;
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(store.record).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
  });

  it("judges expiry by its own observation time, not the holder's clock", async () => {
    const store = new MemoryLease();
    store.record = {
      holderIdentity: "skewed",
      leaseDurationSeconds: 15,
      renewTime: "2000-01-01T00:00:00.000000Z",
      acquireTime: "2000-01-01T00:00:00.000000Z",
    };
    let now = Date.now();
    const b = new LeaderElector(store, { identity: "b", ...timing, now: () => now }, log);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    now += 15_000;
    expect(await b.tryAcquireOrRenew()).toBe(true);
  });

  it("takes a released lease (empty holder) at once", async () => {
    const store = new MemoryLease();
    const a = new LeaderElector(store, { identity: "a", ...timing, retryPeriodMs: 5 }, log);
    const abort = new AbortController();
    const running = a.run(abort.signal, () => abort.abort());
    await running;
    expect(a.isLeader).toBe(true);
    await a.release();
    expect(store.record?.holderIdentity).toBe("");
    const b = new LeaderElector(store, { identity: "b", ...timing }, log);
    expect(await b.tryAcquireOrRenew()).toBe(true);
  });
});

describe("LeaderElector.run", () => {
  const fast = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100 };

  it("elects exactly one of two candidates, and the other takes over after the leader stops", async () => {
    const store = new MemoryLease();
    const started: string[] = [];
    const aStop = new AbortController();
    const bStop = new AbortController();
    const a = new LeaderElector(store, { identity: "a", ...fast }, log);
    const b = new LeaderElector(store, { identity: "b", ...fast }, log);
    const aRun = a.run(aStop.signal, () => started.push("a"));
    await new Promise((r) => setTimeout(r, 50));
    const bRun = b.run(bStop.signal, () => started.push("b"));
    await new Promise((r) => setTimeout(r, 500));
    expect(started).toEqual(["a"]);
    const killedAt = Date.now();
    aStop.abort(); // a dies without releasing
    await aRun;
    while (started.length < 2) await new Promise((r) => setTimeout(r, 20));
    expect(started).toEqual(["a", "b"]);
    expect(Date.now() - killedAt).toBeLessThan(fast.leaseDurationMs + 2 * fast.retryPeriodMs + 200);
    bStop.abort();
    await bRun;
  });

  it("steps down when it cannot renew within the renew deadline", async () => {
    const store = new MemoryLease();
    const a = new LeaderElector(store, { identity: "a", ...fast }, log);
    let led = false;
    const running = a.run(new AbortController().signal, () => {
      led = true;
      store.failing = true;
    });
    const t0 = Date.now();
    expect(await running).toBe(true);
    expect(led).toBe(true);
    expect(a.isLeader).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(fast.renewDeadlineMs - 50);
  });

  it("steps down at once when another process holds the lease", async () => {
    const store = new MemoryLease();
    const a = new LeaderElector(store, { identity: "a", ...fast }, log);
    const running = a.run(new AbortController().signal, () => {
      store.record = { ...store.record, holderIdentity: "intruder", renewTime: formatMicroTime(Date.now()) };
      store.version++;
    });
    const t0 = Date.now();
    expect(await running).toBe(true);
    expect(Date.now() - t0).toBeLessThan(fast.renewDeadlineMs);
  });
});

/** Resolves once `cond` holds; fails the test after `timeoutMs` (generous: the machine may be busy). */
async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs `elector` until it leads; returns the stop controller and the run's promise. */
async function lead(elector: LeaderElector) {
  const stop = new AbortController();
  let elected!: () => void;
  const leading = new Promise<void>((r) => {
    elected = r;
  });
  const state = { ended: false };
  const running = elector
    .run(stop.signal, () => elected())
    .then((led) => {
      state.ended = true;
      return led;
    });
  await leading;
  return { stop, running, state };
}

describe("LeaderElector with a slow, lost or racing Lease request", () => {
  const fast = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100 };

  it("gives up on a renewal whose answer never comes and tries again within the renew deadline", async () => {
    const store = new MemoryLease();
    let hangNext = false;
    let hung = 0;
    const lossy: LeaseStore = {
      get: (signal?: AbortSignal) => {
        if (!hangNext) return store.get();
        hangNext = false;
        hung++;
        // A request whose answer is lost: it ends only when the caller gives up on it.
        return new Promise((_, reject) =>
          signal?.addEventListener("abort", () => reject(new KubeApiError(0, "aborted"))),
        );
      },
      create: (record) => store.create(record),
      update: (version, record) => store.update(version, record),
    };
    const a = new LeaderElector(lossy, { identity: "a", ...fast }, log);
    const { stop, running, state } = await lead(a);
    hangNext = true;
    await until(() => hung === 1, "the lost renewal");
    const versionAtLoss = store.version;
    // Renewals go on: several more land although one attempt never got an answer.
    await until(() => store.version >= versionAtLoss + 5 || state.ended, "renewals after the lost one");
    expect(state.ended).toBe(false);
    expect(a.isLeader).toBe(true);
    stop.abort();
    expect(await running).toBe(true);
  });

  it("release waits for a renewal in flight instead of racing it into a 409", async () => {
    const store = new MemoryLease();
    let parkNextUpdate = false;
    let parked: (() => void) | undefined;
    let conflicts = 0;
    const racing: LeaseStore = {
      get: async () => {
        const read = await store.get();
        // The renewal sent earlier lands just after this read: a write based on it is stale.
        parked?.();
        return read;
      },
      create: (record) => store.create(record),
      update: (version, record) => {
        if (parkNextUpdate) {
          parkNextUpdate = false;
          return new Promise<void>((resolve, reject) => {
            const land = () => {
              parked = undefined;
              clearTimeout(timer);
              store.update(version, record).then(resolve, reject);
            };
            const timer = setTimeout(land, 50);
            parked = land;
          });
        }
        return store.update(version, record).catch((err: KubeApiError) => {
          if (err.code === 409) conflicts++;
          throw err;
        });
      },
    };
    const a = new LeaderElector(racing, { identity: "a", ...fast }, log);
    const { stop, running } = await lead(a);
    parkNextUpdate = true;
    await until(() => parked !== undefined, "a renewal in flight");
    stop.abort();
    await a.release();
    expect(conflicts).toBe(0);
    expect(store.record?.holderIdentity).toBe("");
    expect(await running).toBe(true);
  });

  /**
   * A leader that stopped renewing, over a Lease that someone writes (`change`) just before the
   * release's write lands: the release's read is then stale.
   */
  async function releaseWithInterference(change: (record: LeaseRecord) => LeaseRecord) {
    const store = new MemoryLease();
    const a = new LeaderElector(store, { identity: "a", ...fast }, log);
    const { stop, running } = await lead(a);
    stop.abort();
    await running;
    const original = store.update.bind(store);
    let interfered = false;
    store.update = async (version, record) => {
      if (!interfered) {
        interfered = true;
        await original(store.version, change({ ...store.record }));
      }
      return original(version, record);
    };
    await a.release();
    expect(interfered).toBe(true);
    return store.record;
  }

  it("release reads the Lease again after a 409 and retries while it still holds it", async () => {
    // A late renewal of ours wrote in between.
    const after = await releaseWithInterference((r) => ({ ...r, renewTime: formatMicroTime(Date.now()) }));
    expect(after?.holderIdentity).toBe("");
  });

  it("release writes nothing when, after a 409, someone else holds the Lease", async () => {
    const after = await releaseWithInterference((r) => ({ ...r, holderIdentity: "b" }));
    expect(after?.holderIdentity).toBe("b");
  });

  it("a candidate told that the Lease was released tries at once instead of waiting out its retry period", async () => {
    const store = new MemoryLease();
    const watchers = new Set<() => void>();
    const watched: LeaseStore = {
      get: () => store.get(),
      create: (record) => store.create(record),
      update: async (version, record) => {
        await store.update(version, record);
        if (!record.holderIdentity) for (const w of watchers) w();
      },
      watchReleases: (onReleased) => {
        watchers.add(onReleased);
        return () => {
          watchers.delete(onReleased);
        };
      },
    };
    const slow = { leaseDurationMs: 60_000, renewDeadlineMs: 40_000, retryPeriodMs: 30_000 };
    const a = new LeaderElector(watched, { identity: "a", ...slow }, log);
    const held = await lead(a);
    const b = new LeaderElector(watched, { identity: "b", ...slow }, log);
    const bStop = new AbortController();
    let bLeads = false;
    const bRun = b.run(bStop.signal, () => {
      bLeads = true;
    });
    await until(() => watchers.size === 1, "the candidate watching the Lease");
    held.stop.abort();
    const releasedAt = Date.now();
    await a.release();
    await until(() => bLeads, "the candidate elected", 10_000);
    // Well inside its 30 s retry period.
    expect(Date.now() - releasedAt).toBeLessThan(5_000);
    expect(watchers.size).toBe(0); // a leader no longer watches for releases
    bStop.abort();
    await bRun;
    await held.running;
  });
});
