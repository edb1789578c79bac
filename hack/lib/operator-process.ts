// The operator as its own process, as in production: the compiled CLI (`npm run build` first), for
// the benchmarks that measure it from outside (hack/bench-controller.ts, bench-handover.ts,
// bench-chaos.ts). Metrics come from its /metrics, CPU and memory from /proc.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./operator-env.js";
import { freePort } from "./process.js";

export interface OperatorProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Port of its /metrics (and of /healthz and /readyz when started with `probes`). */
  readonly metricsPort: number;
  /** Settles when it exited: its exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What it wrote to stderr (the logs), when started with `captureLogs`. */
  logs(): string;
  /** SIGTERM, then waits for the exit (a graceful stop). */
  stop(): Promise<void>;
  /** SIGKILL (kill -9), then waits for the exit. */
  kill(): Promise<void>;
}

export interface OperatorProcessOptions {
  kubeconfigPath: string;
  /** Flags of `webapp-operator run` beyond the kubeconfig, metrics and probes. */
  args?: string[];
  /** Keep stderr in memory (for logs()) instead of passing it through. */
  captureLogs?: boolean;
  /** Serve /healthz and /readyz on the metrics port. */
  probes?: boolean;
  /** Node options, e.g. from BENCH_OPERATOR_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=.tmp/prof". */
  nodeOptions?: string[];
}

const COMPILED_CLI = join(ROOT, "bin", "webapp-operator.js");

/** The node flags of the image's ENTRYPOINT (between node and the CLI): the operator runs as it ships. */
export function imageNodeFlags(): string[] {
  const line = readFileSync(join(ROOT, "Dockerfile"), "utf8")
    .split("\n")
    .filter((l) => l.startsWith("ENTRYPOINT "))
    .at(-1);
  const argv = line ? (JSON.parse(line.slice("ENTRYPOINT ".length)) as string[]) : [];
  return argv.slice(1, -1);
}

/** Starts `webapp-operator run` from the compiled CLI, metrics on a free loopback port. */
export async function startOperatorProcess(opts: OperatorProcessOptions): Promise<OperatorProcess> {
  if (!existsSync(join(ROOT, "dist", "cli", "main.js"))) {
    throw new Error("the compiled CLI is missing: run `npm run build` first");
  }
  const metricsPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...imageNodeFlags(),
      ...(opts.nodeOptions ?? []),
      COMPILED_CLI,
      "run",
      `--kubeconfig=${opts.kubeconfigPath}`,
      `--metrics-bind-address=127.0.0.1:${metricsPort}`,
      `--health-probe-bind-address=${opts.probes ? `127.0.0.1:${metricsPort}` : "0"}`,
      ...(opts.args ?? []),
    ],
    { stdio: ["ignore", "ignore", opts.captureLogs ? "pipe" : "inherit"] },
  );
  let logs = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    logs += chunk.toString("utf8");
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const signalAndWait = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    child,
    pid: child.pid!,
    metricsPort,
    exited,
    logs: () => logs,
    stop: () => signalAndWait("SIGTERM"),
    kill: () => signalAndWait("SIGKILL"),
  };
}

/** Sum of a Prometheus metric's samples on the operator's /metrics (0 when it does not answer). */
export async function operatorMetric(port: number, name: string): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => r.text(),
    () => "",
  );
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
}

/** Whether the operator's caches are synced (its /readyz answers 200; needs `probes`). */
export async function operatorReady(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/readyz`).then(
    (r) => r.status === 200,
    () => false,
  );
}

const CLK_TCK = 100; // Linux's USER_HZ

/** utime + stime of a process, in milliseconds. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/** Peak resident set size of a process so far (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}
