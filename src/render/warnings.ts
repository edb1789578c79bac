import { autoscalingBounds, type ResolvedSpec } from "../api/resolve.js";
import { servesHttps } from "../api/resolve-exposure.js";

/**
 * Advice for specs that are valid but unwise. The CLI prints these; the controller shows them in a
 * condition. Each names the field to change.
 */
export function specWarnings(spec: ResolvedSpec): string[] {
  const out: string[] = [];
  const app = spec.app;
  if (app) {
    const dev = developmentServer([...(app.command ?? []), ...(app.args ?? [])]);
    if (dev) {
      out.push(
        `spec.app.command: ${dev} starts a framework's development server, which is not built for production (one process, no timeouts, debug features); use server: gunicorn or uwsgi`,
      );
    }
    if (spec.web?.websockets && app.server === "gunicorn" && app.workerClass === "sync") {
      out.push(
        "spec.app.workerClass: websockets are on but Gunicorn sync workers hold one connection each for its whole life; use gevent, eventlet or an ASGI server",
      );
    }
    if (spec.web?.websockets && app.server === "uwsgi") {
      out.push(
        "spec.web.websockets: uWSGI's http-socket does not pass WebSocket upgrades to WSGI apps; use gunicorn with gevent/eventlet, or an ASGI server with server: command",
      );
    }
    if (!autoscalingBounds(app.autoscaling) && app.replicas === 1) {
      out.push(
        "spec.app.replicas: a single app replica without autoscaling goes down on every rollout failure and node drain; use 2 or more, or autoscaling",
      );
    }
    if (app.workersDefaulted && app.resources?.requests?.cpu === undefined && app.server !== "command") {
      out.push(
        `spec.app.workers: no CPU request, so ${app.workers} workers were assumed for one core; set spec.app.resources.requests.cpu or spec.app.workers`,
      );
    }
    if (spec.web && spec.web.proxyTimeouts.readSeconds < app.timeoutSeconds) {
      out.push(
        `spec.web.proxyTimeouts.readSeconds (${spec.web.proxyTimeouts.readSeconds}) is shorter than spec.app.timeoutSeconds (${app.timeoutSeconds}): NGINX answers 504 while the app is still working`,
      );
    }
  }
  out.push(...forwardedHeaderWarnings(spec));
  if (spec.web?.clientMaxBodySize === "0" || /^0[kKmMgG]$/.test(spec.web?.clientMaxBodySize ?? "")) {
    out.push(
      "spec.web.clientMaxBodySize: 0 accepts uploads of any size, and NGINX buffers them on the pod's temp volume (4 GiB); a larger upload gets the pod evicted. Set a limit",
    );
  }
  if (spec.web && spec.web.replicas === 1) {
    out.push("spec.web.replicas: a single NGINX replica has no redundancy during node drains; use 2 or more");
  }
  if (spec.media && spec.media.accessMode !== "ReadWriteMany" && spec.media.size !== undefined) {
    out.push(
      `spec.media.accessMode: ${spec.media.accessMode} lets only one node mount the uploads; pods of both tiers on other nodes will not start`,
    );
  }
  const wildcards = (spec.ingress?.hosts ?? []).filter((h) => h.tls && h.host.startsWith("*."));
  if (spec.ingress?.certManager && wildcards.length > 0) {
    out.push(
      `spec.ingress.certManager: cert-manager can issue a certificate for ${wildcards.map((h) => h.host).join(", ")} only through a DNS-01 solver (ACME's HTTP-01 challenge cannot prove a wildcard); make sure the issuer has one`,
    );
  }
  return out;
}

/** Where the client's scheme cannot reach the app, or where forwarded headers are believed from anyone. */
function forwardedHeaderWarnings(spec: ResolvedSpec): string[] {
  const out: string[] = [];
  const { web, app } = spec;
  if (web && app && !app.networkPolicy) {
    out.push(
      "spec.app.networkPolicy: off, so any pod can reach the app servers and claim any scheme or client address in forwarded headers; Gunicorn now believes them from no one outside the pod. Turn it on (the cluster's network plugin must enforce NetworkPolicies)",
    );
  }
  const everyone = (web?.trustedProxies ?? []).filter((c) => /\/0$/.test(c));
  if (everyone.length > 0) {
    out.push(
      `spec.web.trustedProxies: ${everyone.join(", ")} trusts every address, so any client can claim any address and https; list only your proxies' networks`,
    );
  }
  if (!servesHttps(spec)) return out;
  const front = spec.httpRoute ? "spec.httpRoute.https" : "spec.ingress";
  if (!web) {
    out.push(
      `${front}: without a web tier the app server believes X-Forwarded-Proto from no one, so the app sees http behind the TLS Ingress or Gateway unless it reads the header itself (Django's SECURE_PROXY_SSL_HEADER, Werkzeug's ProxyFix)`,
    );
  } else if (web.trustedProxies.length === 0 && !web.forwardedProtoFromAnyPeer) {
    const why =
      spec.service.type === "ClusterIP"
        ? "it is empty"
        : `the entry Service is a ${spec.service.type}, which clients reach without the ingress controller`;
    out.push(
      `spec.web.trustedProxies: the TLS Ingress or Gateway serves https, but ${why}, so NGINX believes X-Forwarded-Proto from no one and the app sees every request as http; list the ingress controller's or gateway's addresses`,
    );
  }
  return out;
}

/** The development server a command line starts, if any (e.g. "flask run"). */
export function developmentServer(argv: string[]): string | undefined {
  const words = argv.flatMap((a) => a.split(/\s+/)).filter((w) => w !== "");
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const base = w.split("/").pop()!;
    if (w === "runserver" || w.endsWith(".runserver")) return "`manage.py runserver`";
    if (base === "flask" && words[i + 1] === "run") return "`flask run`";
    if (w.includes("app.run(") || w.includes(".run(debug")) return "`app.run()`";
    if (base === "pserve" && words.includes("--reload")) return "`pserve --reload`";
  }
  return undefined;
}
