/**
 * A command run in a running container's context (exec probes, exec hooks): the same translation, the
 * container's environment and user, with output kept for the probe's message and killed at its timeout.
 */
import { existsSync } from "node:fs";
import { spawnGroup } from "./process-group.js";
import { type CommandTranslation, type LocalProcess, localProcess } from "./translate/index.js";

export interface ExecContext {
  translation: CommandTranslation;
  /** The container's environment as the pod spec gives it (container paths). */
  containerEnv: Record<string, string>;
  user: { uid?: number; gid?: number };
}

export interface ExecResult {
  code: number | null;
  output: string;
  timedOut: boolean;
}

const KEPT_OUTPUT = 10_000;

export async function execInContainer(
  ctx: ExecContext,
  command: string[],
  timeoutMs: number,
): Promise<ExecResult> {
  let p: LocalProcess;
  try {
    p = localProcess({ command, env: ctx.containerEnv }, ctx.translation);
  } catch (e) {
    return { code: 126, output: (e as Error).message, timedOut: false };
  }
  const child = spawnGroup(p.program, p.args, {
    cwd: existsSync(p.cwd) ? p.cwd : ctx.translation.scratchDir,
    env: p.env,
    stdio: ["ignore", "pipe", "pipe"],
    ...ctx.user,
  });
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-KEPT_OUTPUT);
  };
  child.child.stdout?.on("data", keep);
  child.child.stderr?.on("data", keep);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.signalGroup("SIGKILL");
  }, timeoutMs);
  const exit = await child.exited;
  clearTimeout(timer);
  return { code: exit.code, output, timedOut };
}
