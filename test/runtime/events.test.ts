import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { KubeApiError } from "../../src/kube/errors.js";
import type { KubeObject } from "../../src/kube/resources.js";
import { EVENT_CORRELATION, EventRecorder } from "../../src/runtime/events.js";

const webapp: KubeObject = {
  apiVersion: "webapp-operator.dev/v1alpha1",
  kind: "WebApp",
  metadata: { name: "shop", namespace: "ns", uid: "u1", resourceVersion: "3" },
};
const silent = pino({ level: "silent" });

/** An Event store behind create and merge patch, as the API server keeps them. */
function eventStore() {
  const events = new Map<string, Record<string, unknown>>();
  const calls: string[] = [];
  return {
    events,
    calls,
    sink: {
      create: async (_t: unknown, _ns: string, body: object) => {
        const e = body as { metadata: { name: string } };
        calls.push(`create ${e.metadata.name}`);
        if (events.has(e.metadata.name)) throw new KubeApiError(409, "already exists", "AlreadyExists");
        events.set(e.metadata.name, structuredClone(body) as Record<string, unknown>);
      },
      patch: async (_t: unknown, _ns: string, name: string, body: object) => {
        calls.push(`patch ${name}`);
        const e = events.get(name);
        if (!e) throw new KubeApiError(404, "not found", "NotFound");
        Object.assign(e, body);
      },
    },
  };
}

describe("EventRecorder", () => {
  it("creates a core/v1 Event about the object, then counts repeats on it instead of adding Events", async () => {
    const store = eventStore();
    let now = Date.parse("2026-12-01T10:00:00Z");
    const rec = new EventRecorder(store.sink, silent, "pod-1", () => now);
    await rec.record(webapp, "Warning", "ApplyFailed", "Service shop: 500");
    now += 30_000;
    await rec.record(webapp, "Warning", "ApplyFailed", "Service shop: 500");
    now += 30_000;
    await rec.record(webapp, "Warning", "ApplyFailed", "Service shop: 500");
    expect(store.events.size).toBe(1);
    const [event] = store.events.values();
    expect(event).toMatchObject({
      type: "Warning",
      reason: "ApplyFailed",
      count: 3,
      firstTimestamp: "2026-12-01T10:00:00Z",
      lastTimestamp: "2026-12-01T10:01:00Z",
      involvedObject: { kind: "WebApp", name: "shop", namespace: "ns", uid: "u1" },
      source: { component: "webapp-operator" },
      reportingInstance: "pod-1",
    });
    expect((event as { metadata: { name: string } }).metadata.name).toMatch(/^shop\.[0-9a-f]+$/);
    // Another message is another Event; after ten minutes the same one starts anew.
    await rec.record(webapp, "Warning", "ApplyFailed", "Service shop: 409");
    expect(store.events.size).toBe(2);
    now += EVENT_CORRELATION.windowMs + 1;
    await rec.record(webapp, "Warning", "ApplyFailed", "Service shop: 500");
    expect(store.events.size).toBe(3);
  });

  it("combines more than ten different messages of one reason into one Event", async () => {
    const store = eventStore();
    const rec = new EventRecorder(store.sink, silent, "pod-1");
    for (let i = 0; i < 25; i++) await rec.record(webapp, "Warning", "ApplyFailed", `child ${i}: 500`);
    expect(store.events.size).toBe(EVENT_CORRELATION.similarThreshold + 1);
    const combined = [...store.events.values()].find((e) => String(e.message).startsWith("(combined"));
    expect(combined).toMatchObject({
      count: 25 - EVENT_CORRELATION.similarThreshold,
      message: "(combined from similar events): child 24: 500",
    });
  });

  it("a retry after a lost answer finds the Event it made (409) instead of making a second", async () => {
    const store = eventStore();
    let loseAnswer = true;
    const sink = {
      ...store.sink,
      create: async (t: unknown, ns: string, body: object) => {
        await store.sink.create(t, ns, body);
        if (loseAnswer) {
          loseAnswer = false;
          throw new KubeApiError(0, "connection reset");
        }
      },
    };
    const rec = new EventRecorder(sink, silent, "pod-1");
    await rec.record(webapp, "Normal", "Ready", "All tiers ready");
    await rec.record(webapp, "Normal", "Ready", "All tiers ready");
    await rec.record(webapp, "Normal", "Ready", "All tiers ready");
    expect(store.events.size).toBe(1);
    expect(store.calls.filter((c) => c.startsWith("create"))).toHaveLength(2);
    expect([...store.events.values()][0]).toMatchObject({ count: 3 });
  });

  it("never throws when the API refuses", async () => {
    const rec = new EventRecorder(
      {
        create: async () => {
          throw new Error("down");
        },
      },
      silent,
      "pod-1",
    );
    await expect(rec.record(webapp, "Warning", "X", "m")).resolves.toBeUndefined();
  });

  /** The store's sink, failing the first `times` calls of `verb` with `error` before they reach it. */
  function failing(
    store: ReturnType<typeof eventStore>,
    verb: "create" | "patch",
    times: number,
    error: KubeApiError,
  ) {
    let left = times;
    const fail = () => {
      if (left <= 0) return;
      left--;
      throw error;
    };
    return {
      create: async (t: unknown, ns: string, body: object) => {
        if (verb === "create") fail();
        return store.sink.create(t, ns, body);
      },
      patch: async (t: unknown, ns: string, name: string, body: object) => {
        if (verb === "patch") fail();
        return store.sink.patch(t, ns, name, body);
      },
    };
  }

  it.each([
    ["a server error", new KubeApiError(500, "injected fault")],
    ["throttling", new KubeApiError(429, "too many requests", "TooManyRequests", 0)],
    ["no answer", new KubeApiError(0, "connection reset")],
    ["a conflict that is not AlreadyExists", new KubeApiError(409, "injected conflict", "Conflict")],
  ])("tries a create again after %s: the Event exists once", async (_what, error) => {
    const store = eventStore();
    const rec = new EventRecorder(failing(store, "create", 1, error), silent, "pod-1");
    await rec.record(webapp, "Normal", "Ready", "All tiers ready");
    expect(store.events.size).toBe(1);
    expect([...store.events.values()][0]).toMatchObject({ reason: "Ready", count: 1 });
    await rec.record(webapp, "Normal", "Ready", "All tiers ready");
    expect(store.events.size).toBe(1);
    expect([...store.events.values()][0]).toMatchObject({ count: 2 });
  });

  it("tries a count update again after no answer; the count is set, so a repeat cannot overcount", async () => {
    const store = eventStore();
    const sink = failing(store, "patch", 1, new KubeApiError(0, "connection reset"));
    const rec = new EventRecorder(sink, silent, "pod-1");
    await rec.record(webapp, "Warning", "ApplyFailed", "Service shop: 422");
    await rec.record(webapp, "Warning", "ApplyFailed", "Service shop: 422");
    expect([...store.events.values()][0]).toMatchObject({ count: 2 });
  });

  it("a repeat whose Event is gone from the server (404 on the count update) creates it again at once", async () => {
    const store = eventStore();
    const rec = new EventRecorder(store.sink, silent, "pod-1");
    await rec.record(webapp, "Warning", "ApplyFailed", "Service shop: 422");
    store.events.clear(); // expired on the server (event TTL)
    await rec.record(webapp, "Warning", "ApplyFailed", "Service shop: 422");
    expect(store.events.size).toBe(1);
    expect([...store.events.values()][0]).toMatchObject({ reason: "ApplyFailed" });
  });

  it("an occurrence that could not be delivered is not counted: the next one is the Event's first", async () => {
    const store = eventStore();
    let down = true;
    const sink = {
      ...store.sink,
      create: async (t: unknown, ns: string, body: object) => {
        if (down) throw new KubeApiError(503, "unavailable");
        return store.sink.create(t, ns, body);
      },
    };
    const rec = new EventRecorder(sink, silent, "pod-1");
    await rec.record(webapp, "Normal", "Ready", "All tiers ready");
    expect(store.events.size).toBe(0);
    down = false;
    await rec.record(webapp, "Normal", "Ready", "All tiers ready");
    expect([...store.events.values()]).toMatchObject([{ reason: "Ready", count: 1 }]);
  });

  it("does not retry what a retry cannot fix (a 4xx refusal)", async () => {
    const store = eventStore();
    const rec = new EventRecorder(
      failing(store, "create", 1, new KubeApiError(422, "invalid", "Invalid")),
      silent,
      "pod-1",
    );
    await rec.record(webapp, "Normal", "Ready", "All tiers ready");
    expect(store.events.size).toBe(0);
    expect(store.calls).toEqual([]);
  });

  it("records an occurrence with an identity once: again in this process, or in one restarted after a kill", async () => {
    const store = eventStore();
    const first = new EventRecorder(
      failing(store, "create", 1, new KubeApiError(0, "reset")),
      silent,
      "pod-1",
    );
    await first.recordOnce(webapp, "Normal", "Ready", "All tiers ready", "after RollingOut since 10:00");
    await first.recordOnce(webapp, "Normal", "Ready", "All tiers ready", "after RollingOut since 10:00");
    const restarted = new EventRecorder(store.sink, silent, "pod-2");
    await restarted.recordOnce(
      webapp,
      "Normal",
      "Ready",
      "All tiers ready (2/2)",
      "after RollingOut since 10:00",
    );
    expect(store.events.size).toBe(1);
    expect([...store.events.values()][0]).toMatchObject({
      reason: "Ready",
      count: 1,
      message: "All tiers ready",
    });
    // Another occurrence (Ready again after a later outage) is another Event.
    await restarted.recordOnce(
      webapp,
      "Normal",
      "Ready",
      "All tiers ready",
      "after ProgressDeadlineExceeded since 11:00",
    );
    expect(store.events.size).toBe(2);
  });
});
