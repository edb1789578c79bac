// The operator environment of hack/lib/operator-env.ts in a child process of its own: a benchmark
// reads the embedded API server's CPU from /proc without counting the load it generates itself.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { ensureNamespace, KubeClient } from "../../src/kube/client.js";
import { loadConnection } from "../../src/kube/connection.js";
import type { EnvProcessMessage, EnvProcessRequest } from "./env-process-main.js";
import { ROOT } from "./operator-env.js";

type Stats = {
  byUserAgentVerbResource: Record<string, Record<string, number>>;
};

export interface EnvProcess {
  /** The child's process id, for /proc. */
  pid: number;
  kubeconfigPath: string;
  /** A client that is not the operator. */
  client: KubeClient;
  createNamespace(name: string): Promise<void>;
  /** The API server's request statistics (RequestStats.snapshot). */
  stats(): Promise<Stats>;
  resetStats(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the environment in a child process (`nodeOptions` e.g. `--cpu-prof` to profile the API
 * server alone) and resolves once it serves the WebApp API.
 */
export async function startEnvProcess(
  opts: { readyDelayMs?: number; nodeOptions?: string[]; userAgent?: string } = {},
): Promise<EnvProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...(opts.nodeOptions ?? []), "--import", "tsx", join(ROOT, "hack", "lib", "env-process-main.ts")],
    {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      env: { ...process.env, ENV_PROCESS_READY_DELAY_MS: String(opts.readyDelayMs ?? 0) },
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const ready = new Promise<string>((resolve, reject) => {
    child.once("exit", (code, signal) => {
      const err = new Error(`the environment process exited (code ${code}, signal ${signal})`);
      reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });
    child.on("message", (m: EnvProcessMessage) => {
      if ("ready" in m) return resolve(m.ready.kubeconfigPath);
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    });
  });
  const call = (op: EnvProcessRequest["op"]) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, op } satisfies EnvProcessRequest);
    });
  let kubeconfigPath: string;
  try {
    kubeconfigPath = await ready;
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  let client: KubeClient;
  try {
    client = new KubeClient(
      await loadConnection({ kubeconfig: kubeconfigPath }),
      undefined,
      opts.userAgent ?? "bench",
    );
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    pid: child.pid!,
    kubeconfigPath,
    client,
    createNamespace: (name) => ensureNamespace(client, name),
    stats: () => call("stats") as Promise<Stats>,
    resetStats: async () => void (await call("resetStats")),
    async stop() {
      client.close();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await call("stop").catch(() => undefined);
      await exited;
      clearTimeout(timer);
    },
  };
}
