// The data-plane benchmark's one table: measured rows, each optionally compared with another
// row of the same run and checked against a target, printed as Markdown so it can go into
// the README as it is.
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
  const { ratio } = row.comparison;
  return (target.kind === "min" ? ratio >= target.value : ratio <= target.value) ? "PASS" : "MISS";
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
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [format(header), format(widths.map((w) => "-".repeat(w))), ...lines.map(format)].join("\n");
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
