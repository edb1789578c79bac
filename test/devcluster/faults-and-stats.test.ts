/** Fault injection (500, 429 + Retry-After, 409, resets, latency, silent and closed watches) and accounting. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { call, NS_CONFIGMAPS, readWatch } from "./helpers.js";

describe("fault injection", () => {
  let c: DevCluster;
  beforeAll(async () => {
    c = await startDevCluster();
  });
  afterAll(async () => {
    await c.stop();
  });

  it("fails the next N matching requests with 500, then recovers", async () => {
    const f = c.faults.add({ verb: "list", resource: "configmaps", count: 2, respond: { status: 500 } });
    expect((await call(c, "GET", NS_CONFIGMAPS("default"))).status).toBe(500);
    expect((await call(c, "GET", `${NS_CONFIGMAPS("default")}/x`)).status).toBe(404);
    const second = await call(c, "GET", NS_CONFIGMAPS("default"));
    expect(second.body).toMatchObject({ kind: "Status", reason: "InternalError", code: 500 });
    expect((await call(c, "GET", NS_CONFIGMAPS("default"))).status).toBe(200);
    expect(f.hits).toBe(2);
    expect(f.remaining).toBe(0);
  });

  it("answers 429 with Retry-After, 409 and 422", async () => {
    c.faults.add({ verb: "create", count: 1, respond: { status: 429, retryAfterSeconds: 3 } });
    const r = await call(c, "POST", NS_CONFIGMAPS("default"), { metadata: { name: "a" } });
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("3");
    expect(r.body.details.retryAfterSeconds).toBe(3);
    c.faults.add({ verb: "create", resource: "configmaps", count: 1, respond: { status: 409 } });
    expect((await call(c, "POST", NS_CONFIGMAPS("default"), { metadata: { name: "a" } })).body.reason).toBe(
      "Conflict",
    );
    expect((await call(c, "POST", NS_CONFIGMAPS("default"), { metadata: { name: "a" } })).status).toBe(201);
    c.faults.add({ verb: "get", resource: "configmaps", count: 1, respond: { status: 422 } });
    expect((await call(c, "GET", `${NS_CONFIGMAPS("default")}/a`)).body).toMatchObject({
      code: 422,
      reason: "Invalid",
    });
  });

  it("resets connections and adds latency", async () => {
    c.faults.add({ verb: "get", resource: "configmaps", count: 1, respond: "reset" });
    await expect(fetch(`${c.url}${NS_CONFIGMAPS("default")}/a`)).rejects.toThrow();
    c.faults.add({ verb: "get", resource: "configmaps", count: 1, respond: { latencyMs: 200 } });
    const started = Date.now();
    expect((await call(c, "GET", `${NS_CONFIGMAPS("default")}/a`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("hits a matching request only with the fault's probability", async () => {
    let draw = 0;
    // Every fourth draw is below the probability: exactly one request in four fails.
    const random = () => [0.9, 0.5, 0.3, 0.1][draw++ % 4]!;
    const f = c.faults.add({
      verb: "get",
      resource: "configmaps",
      count: Number.POSITIVE_INFINITY,
      probability: 0.25,
      random,
      respond: { status: 500 },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await call(c, "GET", `${NS_CONFIGMAPS("default")}/a`)).status);
    f.cancel();
    expect(statuses).toEqual([200, 200, 200, 500, 200, 200, 200, 500]);
    expect(f.hits).toBe(2);
  });

  it("drops the answer of a request it carried out (a response lost on the way)", async () => {
    c.faults.add({ verb: "create", resource: "configmaps", count: 1, respond: "drop-answer" });
    await expect(
      fetch(`${c.url}${NS_CONFIGMAPS("default")}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ metadata: { name: "answer-lost" } }),
      }),
    ).rejects.toThrow();
    expect((await call(c, "GET", `${NS_CONFIGMAPS("default")}/answer-lost`)).status).toBe(200);
    const again = await call(c, "POST", NS_CONFIGMAPS("default"), { metadata: { name: "answer-lost" } });
    expect(again.body.reason).toBe("AlreadyExists");
  });

  it("keeps watches open but silent while stalled, and closes them early on demand", async () => {
    const stall = c.faults.stallWatches({ resource: "configmaps" });
    const silent = await readWatch(c, `${NS_CONFIGMAPS("default")}?watch=true`, 1, {
      timeoutMs: 400,
      during: async () => {
        await call(c, "POST", NS_CONFIGMAPS("default"), { metadata: { name: "unseen" } });
      },
    });
    expect(silent.status).toBe(200);
    expect(silent.events).toEqual([]);
    stall.release();
    const closed = await readWatch(
      c,
      `${NS_CONFIGMAPS("default")}?watch=true&resourceVersion=${(await call(c, "GET", NS_CONFIGMAPS("default"))).body.metadata.resourceVersion}`,
      1,
      {
        timeoutMs: 3000,
        during: async () => {
          await new Promise((r) => setTimeout(r, 50));
          expect(c.faults.closeWatches({ resource: "configmaps" })).toBe(1);
        },
      },
    );
    expect(closed.events).toEqual([]);
  });
});

describe("request accounting", () => {
  let c: DevCluster;
  beforeAll(async () => {
    c = await startDevCluster();
  });
  afterAll(async () => {
    await c.stop();
  });

  it("counts by verb, resource, user agent, and reads vs writes", async () => {
    c.stats.reset();
    await call(
      c,
      "POST",
      NS_CONFIGMAPS("default"),
      { metadata: { name: "s" } },
      { headers: { "User-Agent": "tester/1.0" } },
    );
    await call(c, "GET", `${NS_CONFIGMAPS("default")}/s`, undefined, {
      headers: { "User-Agent": "tester/1.0" },
    });
    await call(c, "GET", NS_CONFIGMAPS("default"), undefined, { headers: { "User-Agent": "other" } });
    await call(c, "PUT", "/apis/apps/v1/namespaces/default/deployments/x/status", {});
    expect(c.stats.snapshot()).toMatchObject({
      total: 4,
      reads: 2,
      writes: 2,
      byVerb: { create: 1, get: 1, list: 1, update: 1 },
      byResource: { configmaps: 3, "deployments/status": 1 },
      byUserAgent: { "tester/1.0": 2, other: 1 },
    });
    expect(c.stats.count("list", "configmaps")).toBe(1);
    c.stats.reset();
    expect(c.stats.total).toBe(0);
  });
});
