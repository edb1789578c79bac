// The Events about the WebApps of a namespace, counted per WebApp and reason: how often each reason
// was reported (the sum of the Events' counts) and in how many Event objects. For hack/bench-chaos.ts.
import { Kinds } from "../../src/kube/resources.js";
import type { Env } from "./operator-env.js";

export interface ReasonTally {
  /** Event objects of this reason. */
  objects: number;
  /** WebApp name → occurrences (the sum of its Events' counts). */
  perWebApp: Map<string, number>;
  /** One of the messages, to show what they say. */
  example: string;
}

/** reason → its tally, for Events whose involved object is a WebApp. */
export async function tallyEvents(env: Env, namespace: string): Promise<Map<string, ReasonTally>> {
  const events = (await env.client.list(Kinds.Event, namespace)).items as unknown as {
    reason?: string;
    message?: string;
    count?: number;
    involvedObject?: { kind?: string; name?: string };
  }[];
  const out = new Map<string, ReasonTally>();
  for (const e of events) {
    if (e.involvedObject?.kind !== "WebApp") continue;
    const reason = e.reason ?? "";
    const tally = out.get(reason) ?? {
      objects: 0,
      perWebApp: new Map<string, number>(),
      example: e.message ?? "",
    };
    out.set(reason, tally);
    tally.objects++;
    const name = e.involvedObject.name ?? "";
    tally.perWebApp.set(name, (tally.perWebApp.get(name) ?? 0) + (e.count ?? 1));
  }
  return out;
}

/** Occurrences beyond the first, per WebApp, summed; and how many WebApps had any. */
export function duplicates(tally: ReasonTally | undefined): { extra: number; webapps: number } {
  let extra = 0;
  let webapps = 0;
  for (const n of tally?.perWebApp.values() ?? []) {
    if (n > 1) {
      extra += n - 1;
      webapps++;
    }
  }
  return { extra, webapps };
}
