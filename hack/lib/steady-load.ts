// A constant-rate HTTP load on a loopback address, for rollouts measured under load (the e2e
// tests and hack/bench-rollout.ts). Unlike wrk, which sends as fast as answers come back, it
// sends at a fixed rate whatever the latency (an open loop, as real users arrive), so a slow
// moment shows up as latency instead of as fewer requests, and every request is one record:
// when it left, how long it took, its status or its error, and the replica that answered.
// Each request opens its own connection (as a new client would), so a connection the server
// resets or refuses is always counted, never hidden by a reused one.
import { request } from "node:http";

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export interface SteadyLoadOptions {
  /** An address in 127.0.0.0/8: load only ever goes to loopback. */
  host: string;
  port: number;
  path: string;
  /** Requests started per second. */
  ratePerSecond: number;
  /** A request that takes longer is a failure ("timeout"). Default 10 s. */
  timeoutMs?: number;
  /** Requests in flight at most; a request due while this many are open is counted as `skipped`. Default 64. */
  maxInFlight?: number;
  /** The load stops by itself after this long, whatever the caller does. Default 5 minutes. */
  maxDurationMs?: number;
  /** Answers are counted by this response header's value (e.g. X-Served-By). */
  countByHeader?: string;
}

/** One request's outcome. */
export interface Sample {
  /** When it was sent, in ms since the load started. */
  startMs: number;
  latencyMs: number;
  /** The HTTP status, or 0 when there was no answer. */
  status: number;
  /** The connection error (ECONNRESET, ECONNREFUSED, timeout, ...) when there was no answer. */
  error?: string;
  /** The value of `countByHeader`, when asked for. */
  servedBy?: string;
}

export interface LoadReport {
  /** Requests sent and answered or failed (in-flight ones at stop are waited for). */
  requests: number;
  ok: number;
  /** Connection errors, timeouts and 5xx answers. */
  failed: number;
  /** Requests that were due while `maxInFlight` were open, so were never sent. */
  skipped: number;
  durationSeconds: number;
  /** Requests sent per second over the window. */
  ratePerSecond: number;
  /** The fewest requests sent in one whole second of the window (the rate held throughout, or not). */
  minPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  statuses: Record<string, number>;
  /** Answers per value of `countByHeader`. */
  servedBy: Record<string, number>;
  /** The first failures, for the message of a failed test. */
  firstFailures: Sample[];
}

export interface SteadyLoad {
  /** Milliseconds since the load started. */
  elapsedMs(): number;
  /** A report of the samples sent in [fromMs, toMs) so far (default: everything). */
  report(fromMs?: number, toMs?: number): LoadReport;
  samples(): readonly Sample[];
  /** Stops sending, waits for the requests in flight and reports on everything. */
  stop(): Promise<LoadReport>;
}

export function isFailure(s: Sample): boolean {
  return s.status === 0 || s.status >= 500;
}

/** The p-th percentile (0..100) of ascending numbers, nearest rank; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** A report on the samples sent in [fromMs, toMs). */
export function summarize(samples: readonly Sample[], fromMs: number, toMs: number, skipped = 0): LoadReport {
  const durationMs = Math.max(0, toMs - fromMs);
  const perSecond = new Array<number>(Math.floor(durationMs / 1000)).fill(0);
  const latencies = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  const servedBy: Record<string, number> = {};
  const failures: Sample[] = [];
  for (const s of samples) {
    const key = s.status === 0 ? (s.error ?? "error") : String(s.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
    if (s.servedBy !== undefined) servedBy[s.servedBy] = (servedBy[s.servedBy] ?? 0) + 1;
    if (isFailure(s)) failures.push(s);
    const second = Math.floor((s.startMs - fromMs) / 1000);
    if (second < perSecond.length) perSecond[second]! += 1;
  }
  const durationSeconds = durationMs / 1000;
  return {
    requests: samples.length,
    ok: samples.length - failures.length,
    failed: failures.length,
    skipped,
    durationSeconds,
    ratePerSecond: durationSeconds > 0 ? samples.length / durationSeconds : 0,
    minPerSecond: perSecond.length > 0 ? Math.min(...perSecond) : 0,
    latencyMs: {
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? 0,
    },
    statuses,
    servedBy,
    firstFailures: failures.slice(0, 10),
  };
}

/** One line for a log: requests, rate, failures by kind, p99. */
export function describeLoad(r: LoadReport): string {
  const kinds = Object.entries(r.statuses)
    .map(([k, n]) => `${k}: ${n}`)
    .join(", ");
  return (
    `${r.requests} requests in ${r.durationSeconds.toFixed(1)} s (${r.ratePerSecond.toFixed(1)}/s, ` +
    `at least ${r.minPerSecond} in every second), ` +
    `${r.failed} failed, ${r.skipped} skipped; p50 ${r.latencyMs.p50.toFixed(1)} ms, ` +
    `p99 ${r.latencyMs.p99.toFixed(1)} ms, max ${r.latencyMs.max.toFixed(1)} ms; ${kinds}`
  );
}

export function startSteadyLoad(options: SteadyLoadOptions): SteadyLoad {
  if (!LOOPBACK.test(options.host)) throw new Error(`host must be in 127.0.0.0/8, got ${options.host}`);
  if (!(options.ratePerSecond > 0 && options.ratePerSecond <= 2000))
    throw new Error(`ratePerSecond must be above 0 and at most 2000, got ${options.ratePerSecond}`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxInFlight = options.maxInFlight ?? 64;
  const maxDurationMs = options.maxDurationMs ?? 300_000;
  const header = options.countByHeader?.toLowerCase();
  const started = performance.now();
  const elapsedMs = () => performance.now() - started;
  const samples: Sample[] = [];
  const inFlight = new Set<Promise<void>>();
  const skippedAt: number[] = [];
  let due = 0;
  let stoppedAt: number | undefined;

  const send = () => {
    const startMs = elapsedMs();
    const done = new Promise<void>((resolve) => {
      let settled = false;
      const finish = (status: number, error?: string, servedBy?: string) => {
        if (settled) return;
        settled = true;
        const sample: Sample = { startMs, latencyMs: elapsedMs() - startMs, status };
        if (error !== undefined) sample.error = error;
        if (servedBy !== undefined) sample.servedBy = servedBy;
        samples.push(sample);
        resolve();
      };
      const req = request(
        { host: options.host, port: options.port, path: options.path, agent: false },
        (res) => {
          const value = header === undefined ? undefined : res.headers[header];
          res.on("data", () => {});
          res.on("error", (e: NodeJS.ErrnoException) => finish(0, e.code ?? e.message));
          res.on("end", () =>
            finish(res.statusCode ?? 0, undefined, Array.isArray(value) ? value[0] : value),
          );
        },
      );
      req.setTimeout(timeoutMs, () => {
        finish(0, "timeout");
        req.destroy();
      });
      req.on("error", (e: NodeJS.ErrnoException) => finish(0, e.code ?? e.message));
      req.end();
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };

  // Sends what is due by now, so a stalled event loop catches up instead of lowering the rate.
  const tick = () => {
    const now = elapsedMs();
    if (now >= maxDurationMs) {
      stop();
      return;
    }
    const target = Math.floor((now / 1000) * options.ratePerSecond);
    for (; due < target; due++) {
      if (inFlight.size >= maxInFlight) skippedAt.push(now);
      else send();
    }
  };
  const timer = setInterval(tick, Math.max(1, Math.min(20, 1000 / options.ratePerSecond / 2)));
  const stop = () => {
    if (stoppedAt !== undefined) return;
    stoppedAt = elapsedMs();
    clearInterval(timer);
  };

  return {
    elapsedMs,
    report(fromMs = 0, toMs = Number.POSITIVE_INFINITY) {
      const end = Math.min(toMs, stoppedAt ?? elapsedMs());
      const inWindow = (t: number) => t >= fromMs && t < end;
      const window = samples.filter((s) => inWindow(s.startMs));
      return summarize(window, fromMs, Math.max(fromMs, end), skippedAt.filter(inWindow).length);
    },
    samples: () => samples,
    async stop() {
      stop();
      await Promise.all([...inFlight]);
      return summarize(samples, 0, stoppedAt!, skippedAt.length);
    },
  };
}
