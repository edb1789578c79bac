import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NGINX_PATHS, UPSTREAM_NAME, WEB_PORT } from "../../src/render/index.js";
import { DEBIAN_TOOLS, isCI, missingTools } from "./tools.js";

export const NGINX_BIN = DEBIAN_TOOLS.nginx;

/**
 * Whether real nginx can run here. Outside CI a missing binary skips the data-plane tests with a
 * warning; in CI (CI=true) it fails them, so a broken install cannot pass unnoticed.
 */
export function nginxAvailable(): boolean {
  if (missingTools({ executables: [NGINX_BIN] }).length === 0) return true;
  if (isCI()) throw new Error(`${NGINX_BIN} is missing in CI: .ci/run must install nginx-light`);
  console.warn(`SKIPPING nginx tests: ${NGINX_BIN} not found (apt-get install nginx-light)`);
  return false;
}

export interface LocalPaths {
  /** Directory for the pid file and temp files (the pod's /tmp emptyDir). */
  runtimeDir: string;
  staticRoot?: string;
  mediaRoot?: string;
  /** Address NGINX listens on instead of the pod's port 8080, e.g. 127.0.0.1:18080. */
  listen?: string;
  /** `host:port` of each local app server, replacing the app Service in the upstream block. */
  upstreamServers?: string[];
}

/**
 * The rendered nginx.conf made runnable on this machine: container paths become local directories,
 * the listen port a local one, and the app Service's address the local app servers. Everything else
 * stays byte for byte as rendered. Each replacement must match, so a renderer change that moves one
 * of these fails here loudly instead of testing something else.
 */
export function localizeNginxConf(conf: string, local: LocalPaths): string {
  let out = conf;
  const replace = (from: string | RegExp, to: string, what: string) => {
    const next = out.replace(from, to);
    if (next === out) throw new Error(`localizeNginxConf: ${what} not found in the rendered nginx.conf`);
    out = next;
  };
  mkdirSync(local.runtimeDir, { recursive: true });
  replace(`pid ${NGINX_PATHS.pidFile};`, `pid ${join(local.runtimeDir, "nginx.pid")};`, "pid");
  replace(/_temp_path \/tmp\//g, `_temp_path ${local.runtimeDir}/`, "temp paths");
  replace(
    `listen ${WEB_PORT} default_server;`,
    `listen ${local.listen ?? "127.0.0.1:18080"} default_server;`,
    "listen",
  );
  // The IPv6 listener would bind the wildcard address on the pod's port; locally NGINX listens on IPv4 loopback only.
  out = out.replace(new RegExp(`\\n *listen \\[::\\]:${WEB_PORT} default_server;`), "");
  if (local.staticRoot && out.includes(NGINX_PATHS.staticRoot)) {
    out = out.split(`${NGINX_PATHS.staticRoot}`).join(local.staticRoot.replace(/\/$/, ""));
  }
  if (local.mediaRoot && out.includes(NGINX_PATHS.mediaRoot)) {
    out = out.split(`${NGINX_PATHS.mediaRoot}`).join(local.mediaRoot.replace(/\/$/, ""));
  }
  if (local.upstreamServers) {
    const servers = local.upstreamServers.map((s) => `        server ${s};`).join("\n");
    replace(
      new RegExp(`(upstream ${UPSTREAM_NAME} \\{\\n)        server [^;]+;\\n`),
      `$1${servers}\n`,
      "upstream block",
    );
  }
  return out;
}

/**
 * Runs `nginx -t` on a config file; returns nginx's verdict and output. Output goes through a file:
 * the config logs to /dev/stdout, which cannot be opened when the descriptor is a socket (as Node's
 * pipes are), while a container's stdout is a pipe or file.
 */
export function nginxTest(confPath: string, prefix: string): { ok: boolean; output: string } {
  const logPath = join(prefix, "nginx-t.log");
  const fd = openSync(logPath, "w");
  try {
    const r = spawnSync(NGINX_BIN, ["-t", "-p", prefix, "-c", confPath], { stdio: ["ignore", fd, fd] });
    return { ok: r.status === 0, output: readFileSync(logPath, "utf8") };
  } finally {
    closeSync(fd);
  }
}
