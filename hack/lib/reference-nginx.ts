// The bare NGINX config the benchmark measures the rendered one against: one static
// location and a plain proxy_pass, nothing tuned. The few proxy headers are there because
// every real reverse proxy sets them (Django answers 400 to a Host it does not know), and
// their cost is part of any fair "proxy versus direct" figure.
import { resolve } from "node:path";

export interface ReferenceNginxOptions {
  /** 127.0.0.1 port NGINX listens on. */
  listenPort: number;
  /** URL prefix of the static location, e.g. "/static/". */
  staticUrlPath: string;
  /** Folder the static location serves. */
  staticDir: string;
  /** App servers as host:port, e.g. ["127.0.0.1:8001"]. */
  upstreams: readonly string[];
  /** Where NGINX keeps request-body and proxy temp files (the Debian defaults are in /var/lib/nginx). */
  workDir: string;
  /** Default 1, NGINX's own default; pass what the rendered config uses for a like-for-like figure. */
  workerProcesses?: number | "auto";
  /** A log file path, or off (default): a benchmark should not measure disk writes. */
  accessLog?: string;
}

const SAFE_PATH = /^\/[A-Za-z0-9._\-/]*$/;
const SAFE_URL_PATH = /^\/([A-Za-z0-9._-]+\/)*$/;
const UPSTREAM = /^[A-Za-z0-9.-]+:\d{1,5}$/;

function check(field: string, value: string, pattern: RegExp, rule: string): string {
  if (!pattern.test(value)) throw new Error(`${field} ${rule}, got ${JSON.stringify(value)}`);
  return value;
}

export function referenceNginxConfig(options: ReferenceNginxOptions): string {
  if (!Number.isInteger(options.listenPort) || options.listenPort < 1 || options.listenPort > 65535) {
    throw new Error(`listenPort must be an integer from 1 to 65535, got ${options.listenPort}`);
  }
  if (options.upstreams.length === 0) throw new Error("upstreams must list at least one host:port");
  const urlPath = check(
    "staticUrlPath",
    options.staticUrlPath,
    SAFE_URL_PATH,
    "must be a path that starts and ends with '/'",
  );
  const staticDir = check(
    "staticDir",
    resolve(options.staticDir),
    SAFE_PATH,
    "must be an absolute path of [A-Za-z0-9._-/]",
  );
  // NGINX creates each temp folder itself but not its parents: keep them directly in workDir.
  const workDir = check(
    "workDir",
    resolve(options.workDir),
    SAFE_PATH,
    "must be an absolute path of [A-Za-z0-9._-/]",
  );
  const servers = options.upstreams.map(
    (u) => `    server ${check("upstreams[]", u, UPSTREAM, "must be host:port")};`,
  );
  const accessLog =
    options.accessLog === undefined
      ? "off"
      : check("accessLog", options.accessLog, SAFE_PATH, "must be an absolute path of [A-Za-z0-9._-/]");

  return `worker_processes ${options.workerProcesses ?? 1};
error_log stderr warn;

events {
  worker_connections 1024;
}

http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  access_log ${accessLog};

  client_body_temp_path ${workDir}/client_body_temp;
  proxy_temp_path ${workDir}/proxy_temp;
  fastcgi_temp_path ${workDir}/fastcgi_temp;
  uwsgi_temp_path ${workDir}/uwsgi_temp;
  scgi_temp_path ${workDir}/scgi_temp;

  upstream app {
${servers.join("\n")}
  }

  server {
    listen 127.0.0.1:${options.listenPort};

    location ${urlPath} {
      alias ${staticDir}/;
    }

    location / {
      proxy_pass http://app;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`;
}
