/**
 * Fault injection for tests: the next N requests matching a verb/resource (or a share of them, drawn at
 * random) fail with 500, 429 (with Retry-After), 409, 422, a connection reset, lose their answer after
 * being carried out, or are delayed; watches can be closed early or kept open and silent.
 */
import type { WatchHub, WatchSelector } from "../storage/watch.js";

export type FaultResponse =
  | { status: 500 }
  | { status: 429; retryAfterSeconds: number }
  | { status: 409 }
  /** A refusal no retry fixes, as for an object the server finds invalid. */
  | { status: 422 }
  | "reset"
  /** The request is carried out, then the connection is reset instead of answering. */
  | "drop-answer"
  | { latencyMs: number };

export interface FaultSpec {
  verb?: string;
  /** Plural resource name: "deployments", "webapps". */
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Matches when the request's User-Agent contains this text. */
  userAgent?: string;
  /** How many matching requests this fault applies to (Infinity for all). */
  count: number;
  /** Hit a matching request only with this probability (0 to 1); `count` counts the hits. Default 1. */
  probability?: number;
  /** The draw for `probability`, in [0, 1). Default Math.random. */
  random?: () => number;
  respond: FaultResponse;
}

export interface RequestAttributes {
  verb: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  userAgent: string;
}

export interface FaultHandle {
  /** Matching requests still to be failed. */
  readonly remaining: number;
  /** How many requests this fault has hit. */
  readonly hits: number;
  cancel(): void;
}

class ActiveFault implements FaultHandle {
  hits = 0;
  constructor(
    readonly spec: FaultSpec,
    private readonly owner: Faults,
  ) {}
  get remaining(): number {
    return Math.max(0, this.spec.count - this.hits);
  }
  cancel(): void {
    this.owner.remove(this);
  }
  matches(a: RequestAttributes): boolean {
    const s = this.spec;
    return (
      (s.verb === undefined || s.verb === a.verb) &&
      (s.resource === undefined || s.resource === a.resource) &&
      (s.subresource === undefined || s.subresource === a.subresource) &&
      (s.namespace === undefined || s.namespace === a.namespace) &&
      (s.name === undefined || s.name === a.name) &&
      (s.userAgent === undefined || a.userAgent.includes(s.userAgent))
    );
  }
}

export class Faults {
  private faults: ActiveFault[] = [];

  constructor(private readonly watches: WatchHub) {}

  add(spec: FaultSpec): FaultHandle {
    if (!(spec.count > 0)) throw new Error(`fault count must be a positive number, got ${spec.count}`);
    const f = new ActiveFault(spec, this);
    this.faults.push(f);
    return f;
  }

  remove(f: FaultHandle): void {
    this.faults = this.faults.filter((x) => x !== f);
  }

  clear(): void {
    this.faults = [];
  }

  /** The responses to inject into this request, in the order added (latency first, then a failure). */
  take(a: RequestAttributes): FaultResponse[] {
    const out: FaultResponse[] = [];
    for (const f of [...this.faults]) {
      if (!f.matches(a)) continue;
      const p = f.spec.probability;
      if (p !== undefined && (f.spec.random ?? Math.random)() >= p) continue;
      f.hits++;
      if (f.remaining === 0) this.remove(f);
      out.push(f.spec.respond);
      if (typeof f.spec.respond === "string" || "status" in f.spec.respond) break;
    }
    return out;
  }

  /** Keeps matching watches (open ones, and new ones unless told otherwise) open but silent until released. */
  stallWatches(sel: WatchSelector = {}, options: { includeNew?: boolean } = {}) {
    return this.watches.stall(sel, options.includeNew ?? true);
  }

  /** Ends matching open watches now, as a server that drops long requests does. Returns how many. */
  closeWatches(sel: WatchSelector = {}): number {
    return this.watches.closeMatching(sel);
  }
}
