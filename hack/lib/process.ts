// Starting and stopping the real servers (app servers, NGINX) that data-plane tests and
// benchmarks run on loopback. The process-group core is the kubelet's own
// (src/devcluster/node/process-group.ts): every process runs in its own process group, so
// stopping it also stops the workers it forked, and nothing outlives the Node process that
// started it.
import { closeSync, openSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { type ProcessExit, spawnGroup } from "../../src/devcluster/node/process-group.js";

export type { ProcessExit } from "../../src/devcluster/node/process-group.js";

export interface SpawnOptions {
  /** Used in error messages; defaults to the command's base name. */
  name?: string;
  cwd?: string;
  /** The complete environment (merge process.env in yourself if the process needs PATH etc.). */
  env?: NodeJS.ProcessEnv;
  /**
   * Send stdout and stderr straight to this file. Cheaper than capturing under load (a
   * benchmark's access logs), and the file stays for inspection. Default: capture in memory.
   */
  logFile?: string;
  /** In-memory capture keeps only the last this-many bytes. Default 1 MiB. */
  maxCapturedBytes?: number;
}

export interface RunningProcess {
  readonly name: string;
  readonly pid: number;
  readonly commandLine: readonly string[];
  /** Settles when the main process exits. */
  readonly exited: Promise<ProcessExit>;
  exitStatus(): ProcessExit | undefined;
  /** Everything the process (and its workers) wrote to stdout and stderr so far. */
  output(): string;
  /**
   * Signals only the main process, e.g. SIGTERM to Gunicorn's master to watch a graceful
   * shutdown. Its workers get what the master decides to send them.
   */
  signal(signal: NodeJS.Signals): void;
  /**
   * Signals the whole process group, waits up to graceMs for the main process to exit, then
   * SIGKILLs the group. Safe to call more than once.
   */
  stop(options?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<ProcessExit>;
}

const DEFAULT_CAPTURE_BYTES = 1024 * 1024;

export function spawnProcess(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): RunningProcess {
  const name = options.name ?? command.split("/").pop() ?? command;
  let logFd: number | undefined;
  if (options.logFile !== undefined) logFd = openSync(options.logFile, "a");
  let group: ReturnType<typeof spawnGroup>;
  try {
    group = spawnGroup(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", logFd ?? "pipe", logFd ?? "pipe"],
    });
  } finally {
    if (logFd !== undefined) closeSync(logFd); // the child holds its own copy
  }
  const limit = options.maxCapturedBytes ?? DEFAULT_CAPTURE_BYTES;
  let captured = "";
  const capture = (chunk: Buffer) => {
    captured += chunk.toString("utf8");
    if (captured.length > limit) captured = captured.slice(captured.length - limit);
  };
  group.child.stdout?.on("data", capture);
  group.child.stderr?.on("data", capture);
  group.child.on("error", (err) => capture(Buffer.from(`\n[${name}] failed to start: ${err.message}\n`)));

  return {
    name,
    pid: group.pid,
    commandLine: [command, ...args],
    exited: group.exited,
    exitStatus: () => group.exitStatus(),
    output: () => (options.logFile !== undefined ? readLogFile(options.logFile) + captured : captured),
    signal: (signal) => group.signal(signal),
    stop: (stopOptions) => group.stop(stopOptions),
  };
}

function readLogFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

export interface WaitForHttpOptions {
  port: number;
  host?: string;
  path?: string;
  headers?: Record<string, string>;
  /** Default 15 s. */
  timeoutMs?: number;
  /** Pause between attempts; default 50 ms. */
  intervalMs?: number;
  /** Stop waiting as soon as this process exits (and say so, with its output). */
  process?: RunningProcess;
}

/** Resolves with the status of the first HTTP response (any status) from host:port. */
export async function waitForHttp(options: WaitForHttpOptions): Promise<number> {
  const host = options.host ?? "127.0.0.1";
  const path = options.path ?? "/";
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  let lastError = "no attempt made";
  while (Date.now() < deadline) {
    const exit = options.process?.exitStatus();
    if (exit !== undefined && options.process !== undefined) {
      throw new Error(
        `${options.process.name} exited (code ${exit.code}, signal ${exit.signal}) before answering HTTP on ` +
          `${host}:${options.port}\n--- output ---\n${options.process.output()}`,
      );
    }
    try {
      return await probe(host, options.port, path, options.headers ?? {});
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
  const output = options.process
    ? `\n--- ${options.process.name} output ---\n${options.process.output()}`
    : "";
  throw new Error(
    `no HTTP answer from http://${host}:${options.port}${path} within ${timeoutMs} ms (last error: ${lastError})${output}`,
  );
}

function probe(host: string, port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, headers, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("attempt timed out")));
    req.on("error", reject);
    req.end();
  });
}

export interface StartServerOptions extends SpawnOptions {
  port: number;
  host?: string;
  /** Path probed until it answers; default "/". */
  readyPath?: string;
  readyHeaders?: Record<string, string>;
  /** Default 15 s. */
  timeoutMs?: number;
}

/**
 * Spawns a server and resolves once it answers HTTP on host:port. On failure (early exit or
 * timeout) the process group is killed and the error carries the server's output.
 */
export async function startServer(
  command: string,
  args: readonly string[],
  options: StartServerOptions,
): Promise<RunningProcess> {
  const server = spawnProcess(command, args, options);
  try {
    await waitForHttp({
      port: options.port,
      host: options.host,
      path: options.readyPath,
      headers: options.readyHeaders,
      timeoutMs: options.timeoutMs,
      process: server,
    });
    return server;
  } catch (err) {
    await server.stop({ signal: "SIGKILL", graceMs: 1000 });
    throw new Error(
      `could not start ${server.name} (${server.commandLine.join(" ")}): ${(err as Error).message}`,
    );
  }
}

/**
 * A TCP port that was free a moment ago on host. Another process can still take it before
 * the caller binds it, so callers that can retry should.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error(`could not read the port of a listener on ${host}`));
      });
    });
  });
}
