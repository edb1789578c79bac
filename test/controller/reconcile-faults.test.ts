/**
 * Status and Events of a reconcile under API faults: a transient error is retried silently, an error
 * that lasts or that retrying cannot fix is reported once, and a status write whose answer is lost
 * neither loses nor repeats the Events that go with it.
 */
import { describe, expect, it } from "vitest";
import { KubeApiError } from "../../src/kube/errors.js";
import { reconcileHarness } from "./support/reconcile-harness.js";

/** A spec without render warnings (each would be an Event of its own). */
const app = {
  image: "registry.example.com/shop:1.4.2",
  module: "shop.wsgi:application",
  replicas: 2,
  resources: { requests: { cpu: "500m" } },
};
const GRACE_MS = 30_000;

/** A harness on a clock the test moves, with `store/shop` Ready (one Ready event so far). */
async function readyShop() {
  const clock = { now: Date.parse("2026-03-01T10:00:00Z") };
  const h = reconcileHarness({ clock: () => clock.now, transientFailureGraceMs: GRACE_MS });
  h.webapp("shop", { app, web: {} });
  await h.reconciler.reconcile("store/shop");
  h.deploymentsReady();
  await h.reconciler.reconcile("store/shop");
  expect(h.condition("shop")).toMatchObject({ status: "True" });
  expect(reasons(h)).toEqual(["Ready"]);
  h.writes.length = 0;
  return { h, clock };
}

type Harness = ReturnType<typeof reconcileHarness>;

const reasons = (h: Harness) => h.events.map((e) => e.reason);

/** A one-field change of the WebApp's spec (a new generation). */
function scaleTo(h: Harness, replicas: number): void {
  h.webapp("shop", { app: { ...app, replicas }, web: {} });
}

/** Reconciles until it neither fails nor asks to come back, making the Deployments ready in between. */
async function converge(h: Harness): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const out = await h.reconciler.reconcile("store/shop").catch(() => ({ requeueAfterMs: 1 }));
    h.deploymentsReady();
    if (!out.requeueAfterMs) return;
  }
  throw new Error("did not converge in 5 reconciles");
}

describe("a reconcile under API faults", () => {
  it.each([
    ["a server error", new KubeApiError(500, "injected fault")],
    ["throttling", new KubeApiError(429, "slow down", "TooManyRequests", 1)],
    ["no answer", new KubeApiError(0, "connection reset")],
    ["a conflict", new KubeApiError(409, "injected conflict", "Conflict")],
  ])("retries after %s without a status write or an Event, and Ready is not repeated", async (_w, error) => {
    const { h } = await readyShop();
    scaleTo(h, 3);
    h.failNext({ write: "apply", kind: "Deployment", when: "before", error });
    await expect(h.reconciler.reconcile("store/shop")).rejects.toThrow();
    expect(h.writes.filter((w) => w.startsWith("status"))).toEqual([]);
    expect(reasons(h)).toEqual(["Ready"]);
    expect(h.condition("shop")).toMatchObject({ status: "True" });
    await converge(h);
    expect(h.get("Deployment", "shop-app").spec.replicas).toBe(3);
    expect(h.condition("shop")).toMatchObject({ status: "True", observedGeneration: 2 });
    expect(reasons(h)).toEqual(["Ready"]);
  });

  it("reports a transient error that lasts past the grace period: Ready=False, ApplyFailed, one Warning", async () => {
    const { h, clock } = await readyShop();
    scaleTo(h, 3);
    h.failNext({
      write: "apply",
      kind: "Deployment",
      when: "before",
      error: new KubeApiError(503, "unavailable"),
      times: Number.POSITIVE_INFINITY,
    });
    await expect(h.reconciler.reconcile("store/shop")).rejects.toThrow();
    clock.now += GRACE_MS - 1000;
    await expect(h.reconciler.reconcile("store/shop")).rejects.toThrow();
    expect(reasons(h)).toEqual(["Ready"]);
    clock.now += 1000;
    await expect(h.reconciler.reconcile("store/shop")).rejects.toThrow();
    expect(h.condition("shop")).toMatchObject({ status: "False", reason: "ApplyFailed" });
    expect(h.condition("shop", "Degraded")).toMatchObject({ status: "True", reason: "ApplyFailed" });
    expect(reasons(h)).toEqual(["Ready", "ApplyFailed"]);
    expect(h.events.at(-1)?.message).toContain("unavailable");
  });

  it("reports at once what retrying cannot fix (422), and the later success is no 'taken back'", async () => {
    const { h } = await readyShop();
    scaleTo(h, 3);
    h.failNext({
      write: "apply",
      kind: "Deployment",
      when: "before",
      error: new KubeApiError(422, 'Deployment.apps "shop-app" is invalid', "Invalid"),
    });
    await expect(h.reconciler.reconcile("store/shop")).rejects.toThrow();
    expect(h.condition("shop")).toMatchObject({ status: "False", reason: "ApplyFailed" });
    expect(reasons(h)).toEqual(["Ready", "ApplyFailed"]);
    await converge(h);
    expect(h.condition("shop")).toMatchObject({ status: "True", observedGeneration: 2 });
    // The Deployment was behind because our apply failed, not because someone changed it.
    expect(reasons(h)).toEqual(["Ready", "ApplyFailed", "Ready"]);
  });

  it.each([
    ["landed", "after"],
    ["did not land", "before"],
  ] as const)(
    "a status write whose answer is lost (it %s) gets its Ready event exactly once",
    async (_w, when) => {
      const clock = { now: Date.parse("2026-03-01T10:00:00Z") };
      const h = reconcileHarness({ clock: () => clock.now, transientFailureGraceMs: GRACE_MS });
      h.webapp("shop", { app, web: {} });
      await h.reconciler.reconcile("store/shop");
      h.deploymentsReady();
      h.failNext({ write: "status", when, error: new KubeApiError(0, "connection reset") });
      await expect(h.reconciler.reconcile("store/shop")).rejects.toThrow();
      await converge(h);
      await h.reconciler.reconcile("store/shop");
      expect(h.condition("shop")).toMatchObject({ status: "True" });
      expect(reasons(h)).toEqual(["Ready"]);
    },
  );

  it("a 409 on creating a child that names no other field manager is a conflict to retry, not a name taken", async () => {
    const h = reconcileHarness();
    h.webapp("shop", { app, web: {} });
    h.failNext({
      write: "apply",
      kind: "ConfigMap",
      when: "before",
      error: new KubeApiError(409, "Operation cannot be fulfilled: injected conflict", "Conflict"),
    });
    await expect(h.reconciler.reconcile("store/shop")).rejects.toThrow(/injected conflict/);
    expect(h.condition("shop", "Degraded")).toBeUndefined();
    await converge(h);
    expect(h.condition("shop")).toMatchObject({ status: "True" });
    expect(reasons(h)).toEqual(["Ready"]);
  });

  it.each([
    ["before", "before the status write lands"],
    ["after", "after the status write landed"],
  ] as const)(
    "a process killed %s the status write (%s): Ready is recorded exactly once",
    async (when, _why) => {
      const h = reconcileHarness();
      h.webapp("shop", { app, web: {} });
      await h.reconciler.reconcile("store/shop");
      h.deploymentsReady();
      // The process dies with the status write in flight: it never hears how it went.
      h.failNext({ write: "status", when, error: new KubeApiError(0, "killed") });
      await expect(h.reconciler.reconcile("store/shop")).rejects.toThrow();
      h.restart();
      await converge(h);
      expect(h.condition("shop")).toMatchObject({ status: "True" });
      expect(reasons(h)).toEqual(["Ready"]);
    },
  );
});
