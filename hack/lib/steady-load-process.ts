// Runs the constant-rate load (hack/lib/steady-load.ts) in a child process, for measurements that
// must not depend on the measuring process: the benchmark's own thread runs the API server, the
// operator and the kubelet, and their busy moments would otherwise show up as latency.
import { fork } from "node:child_process";
import { join } from "node:path";
import type { LoadReport, SteadyLoadOptions } from "./steady-load.js";
import type { ChildMessage, ChildRequest } from "./steady-load-child.js";

const ROOT = join(import.meta.dirname, "..", "..");
const CHILD = join(ROOT, "hack", "lib", "steady-load-child.ts");

export interface LoadProcess {
  /** Milliseconds since the load started, on the child's clock (as the samples are). */
  elapsedMs(): number;
  /** Stops the load; reports on everything and on each [from, to) window asked for. */
  stop(windows?: [number, number][]): Promise<{ total: LoadReport; windows: LoadReport[] }>;
  /** Kills the child at once (cleanup after a failure). */
  kill(): void;
}

/** Forks the load; resolves once it sends. */
export async function startLoadProcess(options: SteadyLoadOptions): Promise<LoadProcess> {
  const child = fork(CHILD, [JSON.stringify(options)], {
    // tsx runs the TypeScript child, whoever the parent is (tsx, vitest); resolved from the repository.
    execArgv: ["--import", "tsx"],
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = <T extends ChildMessage["op"]>(op: T) =>
    new Promise<Extract<ChildMessage, { op: T }>>((resolve, reject) => {
      const onMessage = (m: ChildMessage) => {
        if (m.op !== op) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(m as Extract<ChildMessage, { op: T }>);
      };
      const onExit = (code: number | null) => {
        child.off("message", onMessage);
        reject(new Error(`the load process exited (${code}) before it said ${op}`));
      };
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  const { originMs } = await next("started");
  return {
    elapsedMs: () => performance.timeOrigin + performance.now() - originMs,
    async stop(windows = []) {
      const stopped = next("stopped");
      // JSON has no Infinity: an open end becomes the largest number it has.
      const sent = windows.map(([from, to]): [number, number] => [from, Math.min(to, Number.MAX_VALUE)]);
      child.send({ op: "stop", windows: sent } satisfies ChildRequest);
      const { total, windows: reports } = await stopped;
      return { total, windows: reports };
    },
    kill: () => {
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
