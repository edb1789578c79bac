// A steady, bounded stream of HTTP requests for tests that change a running app under load: a few
// concurrent clients, each sending one request at a time with a short pause, every answer counted.
// Unlike wrk it tallies what each answer says (which version served it) and keeps failed samples.
import { type HttpResponse, httpRequest } from "../../../hack/lib/http.js";

export interface LoadOptions {
  port: number;
  host?: string;
  path: string;
  headers?: Record<string, string>;
  /** Concurrent clients; default 4. */
  clients?: number;
  /** Pause of each client between two requests; default 20 ms (about 50 requests/s per client). */
  pauseMs?: number;
  /** The load stops by itself after this long, whatever happens to the test; default 5 minutes. */
  maxDurationMs?: number;
  /** A name for a successful answer (e.g. the app version that served it), counted in `byKind`. */
  classify?: (response: HttpResponse) => string;
}

export interface LoadReport {
  requests: number;
  ok: number;
  /** Answers that were not 2xx, and requests that got no answer. */
  failed: number;
  /** A few failures, as `status body` or the error. */
  failures: string[];
  byKind: Record<string, number>;
  durationMs: number;
}

export interface RunningLoad {
  /** Requests answered (or failed) so far. */
  readonly requests: number;
  /** Stops the clients and reports, once every request in flight has ended. */
  stop(): Promise<LoadReport>;
}

export function startLoad(options: LoadOptions): RunningLoad {
  const started = Date.now();
  const deadline = started + (options.maxDurationMs ?? 5 * 60_000);
  const report: LoadReport = { requests: 0, ok: 0, failed: 0, failures: [], byKind: {}, durationMs: 0 };
  let stopped = false;
  const fail = (what: string) => {
    report.failed++;
    if (report.failures.length < 10) report.failures.push(what);
  };
  const client = async () => {
    while (!stopped && Date.now() < deadline) {
      try {
        const res = await httpRequest({
          port: options.port,
          path: options.path,
          timeoutMs: 10_000,
          ...(options.host ? { host: options.host } : {}),
          ...(options.headers ? { headers: options.headers } : {}),
        });
        report.requests++;
        if (res.status >= 200 && res.status < 300) {
          report.ok++;
          const kind = options.classify?.(res);
          if (kind !== undefined) report.byKind[kind] = (report.byKind[kind] ?? 0) + 1;
        } else fail(`${res.status} ${res.text().slice(0, 300)}`);
      } catch (err) {
        report.requests++;
        fail((err as Error).message);
      }
      await new Promise((r) => setTimeout(r, options.pauseMs ?? 20));
    }
  };
  const clients = Array.from({ length: options.clients ?? 4 }, client);
  return {
    get requests() {
      return report.requests;
    },
    async stop() {
      stopped = true;
      await Promise.all(clients);
      report.durationMs = Date.now() - started;
      return report;
    },
  };
}
