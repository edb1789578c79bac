import { describe, expect, it } from "vitest";
import { backoffDelay, KeyedBackoff } from "../../src/runtime/backoff.js";
import { WorkQueue } from "../../src/runtime/queue.js";

describe("backoffDelay", () => {
  it("doubles from the base up to the ceiling", () => {
    const opts = { baseMs: 5, maxMs: 300_000, jitter: 0, random: () => 0.5 };
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, opts))).toEqual([5, 10, 20, 40]);
    expect(backoffDelay(40, opts)).toBe(300_000);
  });

  it("spreads delays by the jitter fraction and never exceeds the ceiling", () => {
    expect(backoffDelay(3, { baseMs: 100, maxMs: 10_000, jitter: 0.2, random: () => 0 })).toBe(640);
    expect(backoffDelay(3, { baseMs: 100, maxMs: 10_000, jitter: 0.2, random: () => 1 })).toBe(960);
    expect(backoffDelay(30, { baseMs: 100, maxMs: 10_000, jitter: 0.2, random: () => 1 })).toBe(10_000);
  });

  it("counts failures per key and forgets them after a success", () => {
    const b = new KeyedBackoff({ baseMs: 10, maxMs: 1000, jitter: 0 });
    expect(b.next("a")).toBe(10);
    expect(b.next("a")).toBe(20);
    expect(b.next("b")).toBe(10);
    b.forget("a");
    expect(b.next("a")).toBe(10);
  });
});

describe("WorkQueue", () => {
  it("deduplicates a key added many times before it is taken", async () => {
    const q = new WorkQueue();
    q.add("ns/a");
    q.add("ns/a");
    q.add("ns/b");
    expect(q.length).toBe(2);
    expect(await q.get()).toBe("ns/a");
    expect(await q.get()).toBe("ns/b");
  });

  it("never hands out a key being processed; re-adds it when done", async () => {
    const q = new WorkQueue();
    q.add("ns/a");
    const first = await q.get();
    q.add("ns/a");
    expect(q.length).toBe(0);
    let second: string | undefined;
    const waiting = q.get().then((k) => {
      second = k;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(second).toBeUndefined();
    q.done(first!);
    await waiting;
    expect(second).toBe("ns/a");
  });

  it("retries failed keys after a growing backoff and resets it on forget", async () => {
    const q = new WorkQueue({ baseMs: 20, maxMs: 1000, jitter: 0 });
    q.add("k");
    const k = (await q.get())!;
    const t0 = performance.now();
    q.addRateLimited(k);
    q.done(k);
    expect(await q.get()).toBe("k");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
    expect(q.retries("k")).toBe(1);
    q.addRateLimited("k");
    expect(q.retries("k")).toBe(2);
    q.forget("k");
    expect(q.retries("k")).toBe(0);
    q.done("k");
    await q.shutDownWithDrain();
  });

  it("honours a minimum delay such as a server's Retry-After", async () => {
    const q = new WorkQueue({ baseMs: 1, maxMs: 1000, jitter: 0 });
    const t0 = performance.now();
    q.addRateLimited("k", 60);
    expect(await q.get()).toBe("k");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it("on shutdown stops handing out work and waits for in-flight keys", async () => {
    const q = new WorkQueue();
    q.add("a");
    q.add("b");
    const a = (await q.get())!;
    let drained = false;
    const drain = q.shutDownWithDrain().then(() => {
      drained = true;
    });
    expect(await q.get()).toBeUndefined();
    await new Promise((r) => setTimeout(r, 10));
    expect(drained).toBe(false);
    q.done(a);
    await drain;
    expect(drained).toBe(true);
    q.add("c");
    expect(q.length).toBe(1);
  });

  it("reports depth, adds, retries and latencies to its observer", async () => {
    const seen = { depth: [] as number[], adds: 0, retries: 0, queued: 0, worked: 0 };
    const q = new WorkQueue(
      { baseMs: 1, maxMs: 10, jitter: 0 },
      {
        depth: (n) => seen.depth.push(n),
        added: () => seen.adds++,
        retried: () => seen.retries++,
        queued: () => seen.queued++,
        worked: () => seen.worked++,
      },
    );
    q.add("a");
    q.add("a");
    const k = (await q.get())!;
    q.addRateLimited(k);
    q.done(k);
    expect(seen.adds).toBe(1);
    expect(seen.retries).toBe(1);
    expect(seen.queued).toBe(1);
    expect(seen.worked).toBe(1);
    expect(seen.depth).toEqual([1, 0]);
  });

  it("hands out work in flight before new work, and new work before resyncs; a key added sooner moves up", async () => {
    const q = new WorkQueue();
    q.add("resync-1", "low");
    q.add("new-1");
    q.add("resync-2", "low");
    q.add("new-2");
    q.add("in-flight", "high");
    q.add("resync-2", "high"); // an event arrived for it: no longer just a resync
    q.add("new-1", "low"); // a lower priority never moves a key down
    const order: string[] = [];
    while (q.length > 0) {
      const k = (await q.get())!;
      order.push(k);
      q.done(k);
    }
    expect(order).toEqual(["in-flight", "resync-2", "new-1", "new-2", "resync-1"]);
  });

  it("a key added with a higher priority while being processed comes back in that lane", async () => {
    const q = new WorkQueue();
    q.add("a");
    const a = (await q.get())!;
    q.add("b");
    q.add("a", "high");
    q.done(a);
    expect(await q.get()).toBe("a");
    expect(q.length).toBe(1);
  });
});
