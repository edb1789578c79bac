// Runs a real NGINX on a given nginx.conf text, isolated in a work directory, for the data
// plane tests and benchmarks. It does not change the config; global directives that only
// this machine needs (foreground, pid file) go on the command line with -g.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type RunningProcess, startServer } from "./process.js";
import { DEBIAN_TOOLS } from "./tools.js";

export interface NginxRunOptions {
  /** Holds nginx.conf, the pid file, logs and temp files; NGINX's prefix (-p). */
  workDir: string;
  /** The full nginx.conf text. */
  config: string;
  nginx?: string;
  /**
   * Passed with -g. Default: `daemon off;`, a pid file in workDir and, when running as
   * root, `user root;` (without it the workers drop to nobody, who cannot read files under
   * a 0700 temp directory; in a container master and workers share one unprivileged uid
   * too). Pass your own list when the config already sets any of these: NGINX rejects a
   * directive given twice. A rendered nginx.conf sets daemon and pid itself: pass [] for it.
   */
  globalDirectives?: readonly string[];
  /** Port probed until NGINX answers HTTP. */
  port: number;
  readyPath?: string;
  readyHeaders?: Record<string, string>;
  timeoutMs?: number;
  /**
   * NGINX's stdout/stderr go to this file instead of memory. Needed when the config logs to
   * /dev/stdout (a rendered one does): NGINX cannot open /dev/stdout when it is a socket, as
   * Node's pipes are, while a file (or a container's pipe) works.
   */
  logFile?: string;
}

export function defaultGlobalDirectives(workDir: string): string[] {
  const directives = ["daemon off;", `pid ${join(resolve(workDir), "nginx.pid")};`];
  if (process.getuid?.() === 0) directives.push("user root;");
  return directives;
}

interface WrittenConfig {
  configPath: string;
  /** NGINX's arguments for this config (prefix, file, global directives). */
  args: string[];
}

async function writeConfig(options: NginxRunOptions): Promise<WrittenConfig> {
  const workDir = resolve(options.workDir);
  await mkdir(join(workDir, "logs"), { recursive: true });
  const configPath = join(workDir, "nginx.conf");
  await writeFile(configPath, options.config);
  const globals = (options.globalDirectives ?? defaultGlobalDirectives(workDir)).join(" ");
  // -e stderr: startup errors go to the captured output, not to the compiled-in
  // /var/log/nginx/error.log.
  const args = ["-p", `${workDir}/`, "-c", configPath, "-e", "stderr"];
  if (globals !== "") args.push("-g", globals);
  return { configPath, args };
}

/**
 * `nginx -t` on a written config; throws with NGINX's message when it is rejected. Its output goes
 * through a file, not a pipe, for the /dev/stdout reason given at logFile.
 */
async function checkConfig(nginx: string, workDir: string, written: WrittenConfig): Promise<void> {
  const outputPath = join(resolve(workDir), "logs", "nginx-t.log");
  const fd = openSync(outputPath, "w");
  let exit: { code: number | null; error?: Error };
  try {
    const child = spawn(nginx, ["-t", ...written.args], { stdio: ["ignore", fd, fd], timeout: 30_000 });
    exit = await new Promise((done) => {
      child.on("error", (error) => done({ code: null, error }));
      child.on("exit", (code) => done({ code }));
    });
  } finally {
    closeSync(fd);
  }
  if (exit.code !== 0) {
    const output = await readFile(outputPath, "utf8").catch(() => "");
    throw new Error(`nginx -t rejected ${written.configPath}:\n${exit.error?.message ?? ""}${output}`);
  }
}

/** Checks the config with `nginx -t`, starts NGINX in the foreground and waits until it answers. */
export async function startNginx(options: NginxRunOptions): Promise<RunningProcess> {
  const nginx = options.nginx ?? DEBIAN_TOOLS.nginx;
  const written = await writeConfig(options);
  await checkConfig(nginx, options.workDir, written);
  return startServer(nginx, written.args, {
    name: "nginx",
    port: options.port,
    readyPath: options.readyPath,
    readyHeaders: options.readyHeaders,
    timeoutMs: options.timeoutMs,
    logFile: options.logFile,
  });
}
