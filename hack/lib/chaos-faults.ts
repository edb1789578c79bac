// A share of one client's requests failing, in every way the embedded API server can fail them: for
// hack/bench-chaos.ts. Faults are registered per kind of request (reads, child applies, status writes,
// Event writes, deletes), so the benchmark can tell where each one landed.
import type { FaultHandle, FaultResponse } from "../../src/devcluster/http/faults.js";
import type { DevCluster } from "../../src/devcluster/index.js";
import { ALL_CHILD_KINDS } from "../../src/render/index.js";

/** Each kind of fault's part of the failing requests. */
export const FAULT_MIX: readonly { kind: string; weight: number; respond: FaultResponse }[] = [
  { kind: "500", weight: 0.3, respond: { status: 500 } },
  { kind: "429 (Retry-After 1 s)", weight: 0.2, respond: { status: 429, retryAfterSeconds: 1 } },
  { kind: "409", weight: 0.2, respond: { status: 409 } },
  { kind: "connection reset", weight: 0.15, respond: "reset" },
  { kind: "answer dropped after the write", weight: 0.15, respond: "drop-answer" },
];

export type RequestGroup = "reads" | "child applies" | "deletes" | "status writes" | "Event writes";

/** Matchers that split the operator's requests into groups, no request in two. */
const GROUPS: readonly {
  group: RequestGroup;
  match: { verb: string; resource?: string; subresource?: string };
}[] = [
  { group: "reads", match: { verb: "get" } },
  { group: "reads", match: { verb: "list" } },
  { group: "reads", match: { verb: "watch" } },
  { group: "deletes", match: { verb: "delete" } },
  { group: "status writes", match: { verb: "patch", resource: "webapps", subresource: "status" } },
  { group: "Event writes", match: { verb: "create", resource: "events" } },
  { group: "Event writes", match: { verb: "patch", resource: "events" } },
  ...ALL_CHILD_KINDS.map((k) => ({
    group: "child applies" as const,
    match: { verb: "patch", resource: k.plural },
  })),
];

export interface InjectedFaults {
  /** Hits so far, by kind of fault and group of requests. */
  hits(): { kind: string; group: RequestGroup; hits: number }[];
  cancel(): void;
}

/**
 * Fails `rate` of the requests whose User-Agent contains `userAgent`, mixed as FAULT_MIX says. A
 * request meets the kinds in order, each drawing with its share of what the ones before left over,
 * so `rate` is the share failed in all.
 */
export function injectChaos(cluster: DevCluster, rate: number, userAgent: string): InjectedFaults {
  const handles: { kind: string; group: RequestGroup; handle: FaultHandle }[] = [];
  let taken = 0;
  for (const { kind, weight, respond } of FAULT_MIX) {
    const share = rate * weight;
    const probability = share / (1 - taken);
    taken += share;
    for (const { group, match } of GROUPS) {
      handles.push({
        kind,
        group,
        handle: cluster.faults.add({
          ...match,
          userAgent,
          count: Number.POSITIVE_INFINITY,
          probability,
          respond,
        }),
      });
    }
  }
  return {
    hits: () => {
      const sums = new Map<string, { kind: string; group: RequestGroup; hits: number }>();
      for (const { kind, group, handle } of handles) {
        const key = `${kind}|${group}`;
        const entry = sums.get(key) ?? { kind, group, hits: 0 };
        entry.hits += handle.hits;
        sums.set(key, entry);
      }
      return [...sums.values()];
    },
    cancel: () => {
      for (const { handle } of handles) handle.cancel();
    },
  };
}
