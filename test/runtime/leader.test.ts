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
