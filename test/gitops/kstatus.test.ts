/**
 * Flux (and any kstatus user) reads a WebApp's health from the standard status shape: the Ready
 * condition and status.observedGeneration. The statuses the controller writes must have that shape
 * and lead kstatus to the right answer in every situation.
 */
import { describe, expect, it } from "vitest";
import { webAppStatus } from "../../src/api/status.js";
import { type KStatus, kstatusCompute } from "./support/kstatus.js";
import { SCENARIOS, type ScenarioName } from "./support/statuses.js";

// metav1.Condition's own validation (k8s.io/apimachinery/pkg/apis/meta/v1, Condition.Reason).
const REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const expected: Record<ScenarioName, KStatus> = {
  // kstatus takes an object without status for Current; the operator writes one on its first
  // reconcile, and a Flux health check polls, so it then sees Ready=False until the pods are up.
  "just created, no status yet": "Current",
  "rolling out: app pods not ready yet": "InProgress",
  "ready: every tier ready and updated": "Current",
  "ready with warnings": "Current",
  "spec changed, the operator has not seen it yet": "InProgress",
  "new image rolling out after a spec change": "InProgress",
  // Stalled=True (kstatus's failure condition) on the states that need a person: Flux fails the
  // health check at once instead of waiting for its timeout.
  "rollout stuck: progress deadline exceeded": "Failed",
  // Apply errors are retried with backoff and often clear by themselves (a conflict, a quota).
  "a child could not be applied": "InProgress",
  // The Job runs; the WebApp is not yet what its spec says. A failed one needs a person.
  "new version migrating its database (the previous version serves)": "InProgress",
  "migration failed (the previous version serves)": "Failed",
  "invalid spec (children left as they were)": "Failed",
};

describe("kstatus on the statuses the controller writes", () => {
  it.each(Object.keys(SCENARIOS) as ScenarioName[])("%s", (name) => {
    expect(kstatusCompute(SCENARIOS[name]).status).toBe(expected[name]);
  });

  it("shows a not-ready WebApp with the Ready condition's message (what Flux prints)", () => {
    const result = kstatusCompute(SCENARIOS["rollout stuck: progress deadline exceeded"]);
    expect(result.message).toContain("Deployment shop-app");
    expect(result.message).toContain("timed out progressing");
  });

  it("reports the generation gap while the operator has not observed a spec change", () => {
    expect(kstatusCompute(SCENARIOS["spec changed, the operator has not seen it yet"]).message).toBe(
      "WebApp generation is 2, but latest observed generation is 1",
    );
  });

  it("ends as Terminating while a WebApp is being deleted", () => {
    const obj = structuredClone(SCENARIOS["ready: every tier ready and updated"]);
    obj.metadata.deletionTimestamp = "2026-01-15T11:00:00Z";
    expect(kstatusCompute(obj).status).toBe("Terminating");
  });
});

describe("the status shape", () => {
  const written = Object.entries(SCENARIOS).filter(([, obj]) => obj.status !== undefined);

  it.each(written)("%s: valid against the CRD's status schema", (_name, obj) => {
    expect(webAppStatus.safeParse(obj.status).success).toBe(true);
  });

  it.each(written)("%s: Ready, Progressing, Degraded and Stalled as metav1.Conditions", (_name, obj) => {
    const conditions = obj.status!.conditions!;
    expect(conditions.map((c) => c.type).sort()).toEqual(["Degraded", "Progressing", "Ready", "Stalled"]);
    for (const c of conditions) {
      expect(["True", "False", "Unknown"]).toContain(c.status);
      expect(c.reason).toMatch(REASON);
      expect(typeof c.message).toBe("string");
      expect(c.lastTransitionTime).toMatch(RFC3339);
      expect(c.observedGeneration).toBe(obj.status!.observedGeneration);
    }
  });

  it.each(written)("%s: status.observedGeneration is an integer generation", (_name, obj) => {
    expect(Number.isInteger(obj.status!.observedGeneration)).toBe(true);
    expect(obj.status!.observedGeneration).toBeLessThanOrEqual(obj.metadata.generation);
  });

  it("uses Stalled only as kstatus means it, and not Reconciling", () => {
    for (const [name, obj] of written) {
      const types = obj.status!.conditions!.map((c) => c.type);
      expect(types).not.toContain("Reconciling");
      const stalled = obj.status!.conditions!.find((c) => c.type === "Stalled");
      const degraded = obj.status!.conditions!.find((c) => c.type === "Degraded");
      if (stalled?.status === "True") expect(degraded?.status, name).toBe("True");
    }
  });
});
