/**
 * The core of running a local program the way a container runtime runs a container's main process: in a
 * process group of its own, so that signalling the group reaches every worker it forked (as a signal to a
 * container reaches its whole PID namespace), and so that nothing outlives the Node process that started it.
 * The kubelet's container runner and the data-plane harness (hack/lib/process.ts) both build on this.
 */
import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GroupSpawnOptions {
  cwd?: string;
  /** The complete environment. */
  env?: NodeJS.ProcessEnv;
  /** stdin, stdout, stderr as for child_process.spawn (numbers are open file descriptors). */
  stdio?: StdioOptions;
  uid?: number;
  gid?: number;
}

export interface GroupProcess {
  /** -1 when the program could not be started at all (see startError). */
  readonly pid: number;
  readonly child: ChildProcess;
  /** Settles when the main process exits (or fails to start). */
  readonly exited: Promise<ProcessExit>;
  exitStatus(): ProcessExit | undefined;
  /** Why the program could not be started (ENOENT, EACCES, ...), once known. */
  startError(): NodeJS.ErrnoException | undefined;
  /** Signals the main process only. */
  signal(signal: NodeJS.Signals): void;
  /** Signals every process in the group. */
  signalGroup(signal: NodeJS.Signals): void;
  /**
   * Signals the group, waits up to graceMs for the main process to exit, then SIGKILLs the group (workers
   * can outlive a main process that was killed hard). Safe to call more than once.
   */
  stop(options?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<ProcessExit>;
}

const live = new Set<GroupProcess>();
let exitHookInstalled = false;

/** Signals a process group; a group that is already gone is not an error. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test runner that crashes or times out must not leave servers holding ports.
  process.on("exit", () => {
    for (const p of live) killGroup(p.pid, "SIGKILL");
  });
}

/** How many process groups started here are still tracked (not yet stopped); for leak checks. */
export function liveProcessGroups(): number {
  return live.size;
}

export function spawnGroup(
  command: string,
  args: readonly string[],
  options: GroupSpawnOptions = {},
): GroupProcess {
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true, // its own process group
    stdio: options.stdio ?? ["ignore", "pipe", "pipe"],
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  });
  let status: ProcessExit | undefined;
  let error: NodeJS.ErrnoException | undefined;
  const pid = child.pid ?? -1;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.on("error", (err) => {
      error = err as NodeJS.ErrnoException;
      status ??= { code: null, signal: null };
      resolve(status);
    });
    child.on("exit", (code, signal) => {
      status = { code, signal };
      resolve(status);
    });
  });
  const handle: GroupProcess = {
    pid,
    child,
    exited,
    exitStatus: () => status,
    startError: () => error,
    signal(signal) {
      if (status === undefined && pid > 0) {
        try {
          process.kill(pid, signal);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
        }
      }
    },
    signalGroup(signal) {
      killGroup(pid, signal);
    },
    async stop({ signal = "SIGTERM", graceMs = 5000 } = {}) {
      if (pid <= 0) return exited;
      if (status === undefined) killGroup(pid, signal);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((r) => {
        timer = setTimeout(r, graceMs, "timeout");
        timer.unref();
      });
      await Promise.race([exited, timeout]);
      clearTimeout(timer);
      killGroup(pid, "SIGKILL");
      live.delete(handle);
      return exited;
    },
  };
  if (pid > 0) {
    live.add(handle);
    installExitHook();
    // Once the main process is gone, the group goes too: a container ends with its main process.
    void exited.then(() => {
      killGroup(pid, "SIGKILL");
      live.delete(handle);
    });
  }
  return handle;
}
