import type { KubeObject } from "../api/kube-object.js";
import type { ChildKindName } from "../render/index.js";

/**
 * How the controller treats each child kind beyond applying it. A Record over every kind of the
 * render table, so a new kind does not compile without its policy.
 */
export interface KindPolicy {
  /**
   * Fields the API server refuses to change once the object exists. When the desired value differs
   * from the live one: `recreate` deletes the object and creates it anew (nothing is lost: the
   * controller makes it again from the spec); `refuse` leaves it alone and reports the field (the
   * object holds data a recreate would lose).
   */
  immutable?: { paths: readonly (readonly string[])[]; onChange: "recreate" | "refuse"; why: string };
  /**
   * Created once and never written again, whatever the render says later (the reason, for the next
   * engineer): the object is a record of something that happened, not a state to converge.
   */
  createOnly?: string;
  /**
   * What the WebApp's status reads from this kind's status. A kind without it is not reconciled for
   * a status-only change (an autoscaler's metrics every 15 s, a disruption budget's count at every
   * pod's readiness change): that would be work with nothing to do.
   */
  statusRead?: string;
}

export const CHILD_POLICIES: Record<ChildKindName, KindPolicy> = {
  ConfigMap: {},
  PersistentVolumeClaim: {
    immutable: {
      paths: [
        ["spec", "storageClassName"],
        ["spec", "accessModes"],
      ],
      onChange: "refuse",
      why: "a claim's storage class and access modes cannot change, and recreating it would delete its files; create a new claim (or WebApp) and move the data",
    },
  },
  Deployment: {
    statusRead: "the tiers' and workers' rollout and readiness (observedGeneration, replicas, conditions)",
    immutable: {
      paths: [["spec", "selector"]],
      onChange: "recreate",
      why: "a Deployment's selector cannot change",
    },
  },
  Service: {},
  HorizontalPodAutoscaler: {},
  PodDisruptionBudget: {},
  NetworkPolicy: {},
  Ingress: {},
  HTTPRoute: {},
  Job: {
    statusRead: "the migration's outcome (its Complete or Failed condition)",
    createOnly:
      "a migration Job runs once for its app version: its template cannot change, a new version is a new Job, and rewriting a finished one would change nothing",
  },
  CronJob: {},
};

/** The policy of a child kind of the render table. */
export function policyOf(kind: { kind: string }): KindPolicy {
  return CHILD_POLICIES[kind.kind as ChildKindName];
}

function at(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const part of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** The immutable fields whose desired value differs from the live one (dotted paths). */
export function changedImmutableFields(policy: KindPolicy, desired: KubeObject, live: KubeObject): string[] {
  if (!policy.immutable) return [];
  return policy.immutable.paths
    .filter((path) => {
      const want = at(desired, path);
      return want !== undefined && JSON.stringify(want) !== JSON.stringify(at(live, path));
    })
    .map((path) => path.join("."));
}
