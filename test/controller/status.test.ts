import { describe, expect, it } from "vitest";
import { mergeConditions } from "../../src/controller/conditions.js";
import {
  computeStatus,
  invalidSpecStatus,
  jsonEqual,
  observeTier,
  statusPatch,
} from "../../src/controller/status.js";
import type { KubeObject } from "../../src/kube/resources.js";

function deployment(spec: number, st: Record<string, unknown>, generation = 2): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "shop-app", generation },
    spec: { replicas: spec },
    status: st,
  };
}

describe("observeTier", () => {
  it("is complete only when the controller saw the latest spec and every pod is updated and ready", () => {
    const done = {
      observedGeneration: 2,
      replicas: 2,
      readyReplicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
    };
    expect(observeTier("app", "shop-app", deployment(2, done)).complete).toBe(true);
    expect(observeTier("app", "shop-app", deployment(2, { ...done, observedGeneration: 1 })).complete).toBe(
      false,
    );
    expect(observeTier("app", "shop-app", deployment(2, { ...done, updatedReplicas: 1 })).complete).toBe(
      false,
    );
    expect(observeTier("app", "shop-app", deployment(2, { ...done, replicas: 3 })).complete).toBe(false);
    expect(observeTier("app", "shop-app", undefined).complete).toBe(false);
  });

  it("reports a rollout past its progress deadline", () => {
    const t = observeTier(
      "app",
      "shop-app",
      deployment(2, {
        observedGeneration: 2,
        conditions: [
          { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "too slow" },
        ],
      }),
    );
    expect(t.failedMessage).toBe("Deployment shop-app: too slow");
  });
});

const tier = (complete: boolean, failedMessage?: string) => ({
  tier: "app" as const,
  deploymentName: "shop-app",
  desiredReplicas: 2,
  replicas: 2,
  readyReplicas: complete ? 2 : 1,
  updatedReplicas: 2,
  observed: true,
  complete,
  ...(failedMessage ? { failedMessage } : {}),
});

const base = {
  generation: 3,
  previous: undefined,
  applyErrors: [],
  warnings: [],
  selector: "a=b",
  url: "http://x",
  now: "T1",
};
const cond = (s: ReturnType<typeof computeStatus>, type: string) =>
  s.conditions?.find((c) => c.type === type);

describe("computeStatus", () => {
  it("Ready=True with observedGeneration once every tier is complete", () => {
    const s = computeStatus({ ...base, tiers: [tier(true)] });
    expect(s.observedGeneration).toBe(3);
    expect(cond(s, "Ready")).toMatchObject({ status: "True", reason: "Ready", observedGeneration: 3 });
    expect(cond(s, "Progressing")?.status).toBe("False");
    expect(cond(s, "Degraded")?.status).toBe("False");
    expect(s).toMatchObject({ replicas: 2, selector: "a=b", url: "http://x", app: { ready: "2/2" } });
  });

  it("Progressing=True while rolling out", () => {
    const s = computeStatus({ ...base, tiers: [tier(false)] });
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "RollingOut" });
    expect(cond(s, "Progressing")).toMatchObject({ status: "True", reason: "RollingOut" });
  });

  it("Degraded=True on a failed rollout or an apply error", () => {
    const failed = computeStatus({ ...base, tiers: [tier(false, "Deployment shop-app: too slow")] });
    expect(cond(failed, "Degraded")).toMatchObject({ status: "True", reason: "RolloutFailed" });
    expect(cond(failed, "Progressing")?.status).toBe("False");
    const applyFailed = computeStatus({
      ...base,
      tiers: [tier(true)],
      applyErrors: ["Service shop: 422 bad"],
    });
    expect(cond(applyFailed, "Degraded")).toMatchObject({ status: "True", reason: "ApplyFailed" });
    expect(cond(applyFailed, "Ready")?.message).toContain("Service shop: 422 bad");
  });

  it("puts render warnings in Ready's message", () => {
    const s = computeStatus({ ...base, tiers: [tier(true)], warnings: ["spec.app.workers: high"] });
    expect(cond(s, "Ready")).toMatchObject({ status: "True", reason: "ReadyWithWarnings" });
    expect(cond(s, "Ready")?.message).toContain("spec.app.workers: high");
  });

  it("is unchanged (so not written) when recomputed from the same observations later", () => {
    const first = computeStatus({ ...base, tiers: [tier(true)] });
    const again = computeStatus({ ...base, previous: first, now: "T2", tiers: [tier(true)] });
    expect(jsonEqual(first, again)).toBe(true);
  });
});

describe("mergeConditions", () => {
  it("moves lastTransitionTime only when the status flips", () => {
    const t1 = mergeConditions(
      undefined,
      [{ type: "Ready", status: "False", reason: "A", message: "a" }],
      1,
      "T1",
    );
    const t2 = mergeConditions(t1, [{ type: "Ready", status: "False", reason: "B", message: "b" }], 2, "T2");
    expect(t2[0]).toMatchObject({ reason: "B", lastTransitionTime: "T1", observedGeneration: 2 });
    const t3 = mergeConditions(t2, [{ type: "Ready", status: "True", reason: "C", message: "c" }], 2, "T3");
    expect(t3[0]?.lastTransitionTime).toBe("T3");
  });
});

describe("invalidSpecStatus", () => {
  it("says InvalidSpec with the message and keeps observed counts", () => {
    const previous = computeStatus({ ...base, tiers: [tier(true)] });
    const s = invalidSpecStatus(previous, 4, "spec.app.workers: must be at least 1", "T9");
    expect(s.app).toEqual(previous.app);
    expect(s.observedGeneration).toBe(4);
    expect(cond(s, "Ready")).toMatchObject({
      status: "False",
      reason: "InvalidSpec",
      lastTransitionTime: "T9",
    });
    expect(cond(s, "Ready")?.message).toContain("spec.app.workers");
  });
});

describe("statusPatch", () => {
  it("nulls top-level fields that disappeared", () => {
    expect(statusPatch({ app: { replicas: 1 }, url: "u" }, { url: "u" })).toEqual({
      status: { url: "u", app: null },
    });
  });
});
