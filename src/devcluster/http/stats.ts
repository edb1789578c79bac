/** Request accounting for benchmarks and tests: counts by verb, resource, user agent, and reads vs writes. */
import { READ_VERBS } from "./routes.js";

export interface RequestRecord {
  verb: string;
  /** "deployments", "deployments/status", or the path of a non-resource request ("/version"). */
  resource: string;
  userAgent: string;
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

export class RequestStats {
  total = 0;
  reads = 0;
  writes = 0;
  byVerb: Record<string, number> = {};
  byResource: Record<string, number> = {};
  byUserAgent: Record<string, number> = {};
  /** "verb resource" -> count, e.g. "patch deployments". */
  byVerbResource: Record<string, number> = {};
  /** user agent -> "verb resource" -> count: one client's requests, e.g. the operator's. */
  byUserAgentVerbResource: Record<string, Record<string, number>> = {};

  record(r: RequestRecord): void {
    this.total++;
    if (READ_VERBS.has(r.verb)) this.reads++;
    else this.writes++;
    bump(this.byVerb, r.verb);
    bump(this.byResource, r.resource);
    bump(this.byUserAgent, r.userAgent);
    bump(this.byVerbResource, `${r.verb} ${r.resource}`);
    this.byUserAgentVerbResource[r.userAgent] ??= {};
    bump(this.byUserAgentVerbResource[r.userAgent]!, `${r.verb} ${r.resource}`);
  }

  count(verb: string, resource?: string): number {
    return resource === undefined
      ? (this.byVerb[verb] ?? 0)
      : (this.byVerbResource[`${verb} ${resource}`] ?? 0);
  }

  reset(): void {
    this.total = 0;
    this.reads = 0;
    this.writes = 0;
    this.byVerb = {};
    this.byResource = {};
    this.byUserAgent = {};
    this.byVerbResource = {};
    this.byUserAgentVerbResource = {};
  }

  snapshot() {
    return {
      total: this.total,
      reads: this.reads,
      writes: this.writes,
      byVerb: { ...this.byVerb },
      byResource: { ...this.byResource },
      byUserAgent: { ...this.byUserAgent },
      byVerbResource: { ...this.byVerbResource },
      byUserAgentVerbResource: Object.fromEntries(
        Object.entries(this.byUserAgentVerbResource).map(([ua, m]) => [ua, { ...m }]),
      ),
    };
  }
}
