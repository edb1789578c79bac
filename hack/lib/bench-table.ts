// The benchmarks' tables: measured rows, each optionally compared with another row of the same
// run and checked against a target, printed as Markdown so they can go into the README as they
// are. The data-plane benchmark's rows come from wrk; markdownGrid, meets and targetsLine serve
// any other.
import type { WrkResult } from "./wrk.js";

export interface Target {
  /** "min": the ratio must be at least `value`; "max": at most. */
  kind: "min" | "max";
  value: number;
}

export interface Comparison {
  /** How the ratio is formed, for the reader, e.g. "rendered ÷ this". */
  label: string;
  ratio: number;
  target?: Target;
}

export interface BenchRow {
  group: string;
  server: string;
  result?: WrkResult;
  /** Requests per replica, e.g. "34% / 33% / 33%". */
  shares?: string;
  comparison?: Comparison;
}

export type Verdict = "PASS" | "MISS" | "INVALID" | "";

/** Errors of any kind (including non-2xx answers) make a figure meaningless: a 404 is fast. */
export function errorCount(result: WrkResult | undefined): number {
  if (!result) return 0;
  const e = result.errors;
  return e.connect + e.read + e.write + e.status + e.timeout;
}

export function verdict(row: BenchRow, related: readonly (WrkResult | undefined)[] = []): Verdict {
  const target = row.comparison?.target;
  if (!target || !row.comparison) return "";
  if ([row.result, ...related].some((r) => errorCount(r) > 0)) return "INVALID";
  return meets(row.comparison.ratio, target) ? "PASS" : "MISS";
}

export function meets(value: number, target: Target): boolean {
  return target.kind === "min" ? value >= target.value : value <= target.value;
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

export function formatTarget(target: Target | undefined): string {
  if (!target) return "";
  return `${target.kind === "min" ? "≥" : "≤"} ${fixed(target.value, 2)}x`;
}

export function markdownTable(rows: readonly (BenchRow & { verdict: Verdict })[]): string {
  const header = [
    "case",
    "server",
    "req/s",
    "MB/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "replica shares",
    "compared",
    "ratio",
    "target",
    "verdict",
  ];
  const lines = rows.map((row) => {
    const r = row.result;
    return [
      row.group,
      row.server,
      r ? integer.format(r.requestsPerSecond) : "",
      r ? fixed(r.bytes / r.durationSeconds / 1e6, 1) : "",
      r ? fixed(r.latencyMs.p50, 2) : "",
      r ? fixed(r.latencyMs.p99, 2) : "",
      r ? String(errorCount(r)) : "",
      row.shares ?? "",
      row.comparison?.label ?? "",
      row.comparison ? `${fixed(row.comparison.ratio, 2)}x` : "",
      formatTarget(row.comparison?.target),
      row.verdict,
    ];
  });
  return markdownGrid(header, lines);
}

/** A Markdown table with aligned columns, readable as text and pasteable into the README. */
export function markdownGrid(header: readonly string[], lines: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const format = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [format(header), format(widths.map((w) => "-".repeat(w))), ...lines.map(format)].join("\n");
}

/** The closing line of a benchmark: how many of its targets the run met. */
export function targetsLine(verdicts: readonly Verdict[]): string {
  const judged = verdicts.filter((v) => v !== "");
  return `Targets: ${judged.filter((v) => v === "PASS").length} of ${judged.length} met.`;
}

/** Each replica's share of the requests (in replica order), and busiest ÷ least busy. */
export function replicaShares(
  counts: Record<string, number>,
  instances: readonly string[],
): { text: string; spread: number } {
  const perReplica = instances.map((i) => counts[i] ?? 0);
  const total = perReplica.reduce((a, b) => a + b, 0);
  const text = perReplica.map((n) => `${total === 0 ? 0 : Math.round((100 * n) / total)}%`).join(" / ");
  const least = Math.min(...perReplica);
  return { text, spread: least === 0 ? Number.POSITIVE_INFINITY : Math.max(...perReplica) / least };
}
