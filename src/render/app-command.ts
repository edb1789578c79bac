import type { ResolvedApp } from "../api/resolve.js";
import { REQUEST_LIMITS } from "./request-limits.js";
import { keepsConnectionsAlive, UPSTREAM_KEEPALIVE } from "./upstream-keepalive.js";

/**
 * The app container's command line, built from the spec. No shell is involved: every element is one
 * argv entry, so no value can inject a second command.
 *
 * `trustForwardedFrom` is what Gunicorn's --forwarded-allow-ips gets: with a web tier in front and the
 * NetworkPolicy on, any peer ("*"), because only the web pods can reach the app pods and pod IPs are
 * not known in advance; otherwise only loopback (nothing outside the pod).
 */
export function appCommand(app: ResolvedApp, trustForwardedFrom: string): string[] {
  const extra = app.args ?? [];
  switch (app.server) {
    case "gunicorn":
      return [
        "gunicorn",
        "--bind",
        // One dual-stack socket: IPv6 and IPv4 (mapped) where the pod has IPv6, and it binds where
        // IPv6 is switched off too; two sockets on the same port would collide.
        `[::]:${app.port}`,
        "--workers",
        String(app.workers),
        "--threads",
        String(app.threads),
        "--worker-class",
        app.workerClass,
        "--timeout",
        String(app.timeoutSeconds),
        "--graceful-timeout",
        String(app.gracefulTimeoutSeconds),
        "--forwarded-allow-ips",
        trustForwardedFrom,
        ...(keepsConnectionsAlive(app)
          ? ["--keep-alive", String(UPSTREAM_KEEPALIVE.appServerIdleSeconds)]
          : []),
        // Heartbeat files on a tmpfs: on a disk-backed /tmp a slow fsync can get healthy workers killed.
        "--worker-tmp-dir",
        "/dev/shm",
        // NGINX (REQUEST_LIMITS) answers requests that are too large itself; these let through every
        // request it passes on, which Gunicorn's defaults (4094-byte line, 100 headers) would refuse with a bare 400.
        "--limit-request-line",
        String(REQUEST_LIMITS.appRequestLineBytes),
        "--limit-request-fields",
        String(REQUEST_LIMITS.appHeaderFields),
        "--limit-request-field_size",
        String(REQUEST_LIMITS.appRequestLineBytes),
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        ...extra,
        app.module!,
      ];
    case "uwsgi":
      return [
        "uwsgi",
        "--master",
        "--processes",
        String(app.workers),
        "--threads",
        String(app.threads),
        // Plain HTTP, so NGINX uses the same proxy_pass for every server.
        "--http-socket",
        `[::]:${app.port}`,
        "--module",
        app.module!,
        // SIGTERM stops uWSGI instead of reloading it...
        "--die-on-term",
        // ...and lets in-flight requests finish first (plain die-on-term kills the workers at once).
        "--hook-master-start",
        "unix_signal:15 gracefully_kill_them_all",
        "--worker-reload-mercy",
        String(app.gracefulTimeoutSeconds),
        // Exit instead of serving 500s when the module cannot be imported.
        "--need-app",
        "--harakiri",
        String(app.timeoutSeconds),
        "--single-interpreter",
        "--enable-threads",
        "--vacuum",
        // Room for every request NGINX passes on (REQUEST_LIMITS): uWSGI's 4 KB buffer and 64
        // variables would answer large cookies or many headers with a dropped connection (a 502).
        "--buffer-size",
        String(REQUEST_LIMITS.uwsgiBufferBytes),
        "--max-vars",
        String(REQUEST_LIMITS.appHeaderFields),
        ...extra,
      ];
    case "command":
      return [...app.command!, ...extra];
  }
}
