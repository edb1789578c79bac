import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { ROOT } from "../../../hack/lib/operator-env.js";

export interface OperatorProcess {
  child: ChildProcess;
  metricsUrl: string;
  output(): string;
  exited: Promise<number | null>;
}

/** A port free right now on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** `webapp-operator run` (or another command) in its own process; `run` gets metrics and probes on one local port. */
export async function spawnOperator(args: string[], command = "run"): Promise<OperatorProcess> {
  const port = await freePort();
  let out = "";
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(ROOT, "test", "controller", "support", "operator-main.ts"),
      command,
      ...(command === "run"
        ? [`--metrics-bind-address=127.0.0.1:${port}`, `--health-probe-bind-address=127.0.0.1:${port}`]
        : []),
      ...args,
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, metricsUrl: `http://127.0.0.1:${port}`, output: () => out, exited };
}

/** Sum of a metric's samples (all label sets) from a /metrics page; 0 when absent or unreachable. */
export async function metricValue(url: string, name: string, labelFilter = ""): Promise<number> {
  const text = await fetch(`${url}/metrics`).then(
    (r) => r.text(),
    () => "",
  );
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith("{") || rest.startsWith(" "))) continue;
    if (labelFilter && !line.includes(labelFilter)) continue;
    sum += Number(line.split(" ").at(-1));
  }
  return sum;
}
