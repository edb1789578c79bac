import type { ResolvedApp } from "../api/resolve.js";

/*
 * Connections from NGINX to the app servers, kept alive where the app server can hold an idle one
 * without tying up a worker: Gunicorn's gthread workers (idle connections wait in a selector, not in
 * a thread) and its gevent and eventlet workers. Sync workers close every connection. uWSGI's
 * HTTP/1.1 socket (--http11-socket, what Debian's 2.0.21 has) keeps a core waiting on each idle
 * connection until its socket timeout, so other requests queue behind idle connections: not used.
 */
export const UPSTREAM_KEEPALIVE = {
  /** Idle connections each NGINX worker keeps. */
  idleConnections: 32,
  /** NGINX closes an idle connection after this... */
  nginxIdleSeconds: 20,
  /** ...before the app server would (Gunicorn's --keep-alive), so NGINX never reuses one being closed. */
  appServerIdleSeconds: 25,
  /**
   * A connection is retired after this long or this many requests: through a ClusterIP Service each
   * connection sticks to one pod, and retiring them spreads load onto pods that were added since.
   */
  connectionLifetimeSeconds: 60,
  requestsPerConnection: 1000,
} as const;

const KEEPALIVE_WORKERS: readonly ResolvedApp["workerClass"][] = ["gthread", "gevent", "eventlet"];

/** Whether NGINX keeps connections to this app server alive (and the server is told to hold them). */
export function keepsConnectionsAlive(app: ResolvedApp): boolean {
  return app.server === "gunicorn" && KEEPALIVE_WORKERS.includes(app.workerClass);
}
