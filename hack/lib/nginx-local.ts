import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PathMap, translateNginxConfig } from "../../src/devcluster/node/translate/index.js";
import { NGINX_PATHS, WEB_PORT } from "../../src/render/index.js";
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
 * The rendered nginx.conf made runnable on this machine by the kubelet's own translation
 * (src/devcluster/node/translate): container paths become local directories, the listen port a
 * local one, and the app Service's address the local app servers. Everything else stays byte for
 * byte as rendered. The pid file, the listen port and (when given) the upstream must each have
 * been translated, so a renderer change that moves one of them fails here loudly instead of
 * testing something else.
 */
export function localizeNginxConf(conf: string, local: LocalPaths): string {
  mkdirSync(local.runtimeDir, { recursive: true });
  const mappings = [
    { containerPath: "/tmp", hostPath: local.runtimeDir, source: "mount" as const },
    { containerPath: "/etc/nginx", hostPath: "/etc/nginx", source: "image" as const },
  ];
  if (local.staticRoot)
    mappings.push({ containerPath: NGINX_PATHS.staticRoot, hostPath: local.staticRoot, source: "mount" });
  if (local.mediaRoot)
    mappings.push({ containerPath: NGINX_PATHS.mediaRoot, hostPath: local.mediaRoot, source: "mount" });
  const listenAddress = local.listen ?? "127.0.0.1:18080";
  const out = translateNginxConfig(conf, {
    paths: new PathMap(mappings),
    listen: (port) => {
      if (port !== WEB_PORT) throw new Error(`localizeNginxConf: unexpected listen port ${port}`);
      return listenAddress;
    },
    resolve: () => local.upstreamServers ?? [],
    configDir: "/etc/nginx",
  }).text;
  const expect = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`localizeNginxConf: ${what} not found in the rendered nginx.conf`);
  };
  expect(out.includes(`pid ${join(local.runtimeDir, "nginx.pid")};`), "pid");
  expect(out.includes(`listen ${listenAddress}`), "listen");
  if (local.upstreamServers)
    expect(
      local.upstreamServers.every((s) => out.includes(`server ${s};`)),
      "upstream block",
    );
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
