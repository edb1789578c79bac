/**
 * Every change of a WebApp's conditions, as the API server stored them, with the time it happened: a
 * passing state (Degraded for the few seconds a container restarts) is seen however briefly it lasts,
 * which polling could miss.
 */
import type { NodeAgentEnv } from "../../../hack/lib/node-agent-env.js";

export interface ConditionChange {
  /** performance.now() when the API server stored it. */
  at: number;
  type: string;
  status: string;
  reason: string;
  message: string;
}

interface StoredCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface ConditionHistory {
  changes: ConditionChange[];
  /** The first change after `since` that matches, or undefined. */
  find(since: number, match: (c: ConditionChange) => boolean): ConditionChange | undefined;
  stop(): void;
}

export function recordConditions(env: NodeAgentEnv, namespace: string, name: string): ConditionHistory {
  const changes: ConditionChange[] = [];
  const last = new Map<string, string>();
  const unsubscribe = env.dc.store.subscribe((e) => {
    const o = e.object;
    if (o.kind !== "WebApp" || o.metadata.namespace !== namespace || o.metadata.name !== name) return;
    const conditions = (o.status as { conditions?: StoredCondition[] } | undefined)?.conditions ?? [];
    for (const c of conditions) {
      const change = {
        type: c.type,
        status: c.status,
        reason: c.reason ?? "",
        message: c.message ?? "",
      };
      const key = JSON.stringify(change);
      if (last.get(c.type) === key) continue;
      last.set(c.type, key);
      changes.push({ at: performance.now(), ...change });
    }
  });
  return {
    changes,
    find: (since, match) => changes.find((c) => c.at >= since && match(c)),
    stop: unsubscribe,
  };
}
