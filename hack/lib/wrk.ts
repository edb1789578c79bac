// Runs wrk against a loopback URL and returns its results as numbers, read from the JSON
// line hack/lib/wrk-report.lua prints (wrk's own text output is for humans).
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DEBIAN_TOOLS } from "./tools.js";

const execFileAsync = promisify(execFile);
const REPORT_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "wrk-report.lua");
const LOOPBACK_URL = /^http:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost)(:\d+)?\//;

export interface WrkOptions {
  /** Must be an http:// URL on 127.0.0.0/8 or localhost: load only ever goes to loopback. */
  url: string;
  /** Default 1. */
  threads?: number;
  /** Default 32. */
  connections?: number;
  /** Default 5. */
  durationSeconds?: number;
  /** Per-request timeout; default 10 s. */
  timeoutSeconds?: number;
  headers?: Record<string, string>;
  /** Count responses by this header's value (slows wrk a little: it must parse every response). */
  countByHeader?: string;
  wrk?: string;
}

export interface WrkResult {
  url: string;
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  bytes: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  /** Latency in milliseconds. */
  latencyMs: { mean: number; stdev: number; max: number; p50: number; p90: number; p99: number };
  /** Responses per value of countByHeader ("(none)" when a response lacked it); empty otherwise. */
  counts: Record<string, number>;
  /** wrk's full stdout, for the record. */
  rawOutput: string;
}

interface WrkJson {
  duration_us: number;
  requests: number;
  bytes: number;
  errors: WrkResult["errors"];
  latency_us: WrkResult["latencyMs"];
  counts: Record<string, number>;
}

function positiveInteger(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${field} must be a positive integer, got ${value}`);
  return value;
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  if (!LOOPBACK_URL.test(options.url)) {
    throw new Error(`url must be http://127.x.x.x:port/... or http://localhost:port/..., got ${options.url}`);
  }
  const threads = positiveInteger("threads", options.threads ?? 1);
  const connections = positiveInteger("connections", options.connections ?? 32);
  const duration = positiveInteger("durationSeconds", options.durationSeconds ?? 5);
  const timeout = positiveInteger("timeoutSeconds", options.timeoutSeconds ?? 10);
  if (connections < threads)
    throw new Error(`connections (${connections}) must be at least threads (${threads})`);

  const args = [
    `-t${threads}`,
    `-c${connections}`,
    `-d${duration}s`,
    `--timeout`,
    `${timeout}s`,
    "-s",
    REPORT_SCRIPT,
  ];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push("-H", `${name}: ${value}`);
  args.push(options.url);
  if (options.countByHeader !== undefined) args.push("--", options.countByHeader);

  const wrk = options.wrk ?? DEBIAN_TOOLS.wrk;
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(wrk, args, { timeout: (duration + timeout + 30) * 1000 }));
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${wrk} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`.trimEnd(),
    );
  }
  return parseWrkOutput(options.url, stdout);
}

/** Reads the WRK_JSON line out of wrk's stdout. Exported for tests of the parser. */
export function parseWrkOutput(url: string, stdout: string): WrkResult {
  const line = stdout.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (line === undefined)
    throw new Error(`wrk printed no WRK_JSON line (was wrk-report.lua loaded?):\n${stdout}`);
  const data = JSON.parse(line.slice("WRK_JSON ".length)) as WrkJson;
  const durationSeconds = data.duration_us / 1e6;
  const ms = (us: number) => us / 1000;
  return {
    url,
    requests: data.requests,
    durationSeconds,
    requestsPerSecond: durationSeconds > 0 ? data.requests / durationSeconds : 0,
    bytes: data.bytes,
    errors: data.errors,
    latencyMs: {
      mean: ms(data.latency_us.mean),
      stdev: ms(data.latency_us.stdev),
      max: ms(data.latency_us.max),
      p50: ms(data.latency_us.p50),
      p90: ms(data.latency_us.p90),
      p99: ms(data.latency_us.p99),
    },
    counts: data.counts,
    rawOutput: stdout,
  };
}
