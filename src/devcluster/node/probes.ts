/**
 * One probe attempt, for real: httpGet (a port number or a container port's name, path, headers with
 * Host, HTTP or HTTPS without verification), tcpSocket and exec, each within timeoutSeconds, with the
 * kubelet's failure messages (`HTTP probe failed with statuscode: 500`, `dial tcp ...: connect:
 * connection refused`).
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { isObject, type JsonObject } from "../types.js";

export interface ProbeResult {
  ok: boolean;
  /** Why it failed (the Unhealthy event's text after "<kind> probe failed: "). */
  message: string;
}

export interface ProbeContext {
  podIP: string;
  /** The container's ports, for a port given by name. */
  ports: JsonObject[];
  /** Runs an exec probe's command in the container's context. */
  exec: (
    command: string[],
    timeoutMs: number,
  ) => Promise<{ code: number | null; output: string; timedOut: boolean }>;
}

const KUBE_PROBE_AGENT = "kube-probe/1.35";

function resolvePort(port: unknown, ports: JsonObject[]): number | undefined {
  if (typeof port === "number") return port;
  if (typeof port === "string" && /^\d+$/.test(port)) return Number(port);
  const named = ports.find((p) => p.name === port);
  return typeof named?.containerPort === "number" ? named.containerPort : undefined;
}

export function probeTimeoutMs(probe: JsonObject): number {
  return (
    (typeof probe.timeoutSeconds === "number" && probe.timeoutSeconds > 0 ? probe.timeoutSeconds : 1) * 1000
  );
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function httpProbe(spec: JsonObject, ctx: ProbeContext, timeoutMs: number): Promise<ProbeResult> {
  const port = resolvePort(spec.port, ctx.ports);
  if (port === undefined)
    return Promise.resolve({ ok: false, message: `unable to resolve port ${String(spec.port)}` });
  const host = typeof spec.host === "string" && spec.host ? spec.host : ctx.podIP;
  const scheme = String(spec.scheme ?? "HTTP").toLowerCase() === "https" ? "https" : "http";
  const path = typeof spec.path === "string" && spec.path ? spec.path : "/";
  const url = `${scheme}://${hostPort(host, port)}${path.startsWith("/") ? path : `/${path}`}`;
  const headers: Record<string, string> = { "User-Agent": KUBE_PROBE_AGENT, Accept: "*/*" };
  for (const h of Array.isArray(spec.httpHeaders) ? spec.httpHeaders : [])
    if (isObject(h) && typeof h.name === "string") headers[h.name] = String(h.value ?? "");
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = (scheme === "https" ? httpsRequest : httpRequest)(
      url,
      { method: "GET", headers, agent: false, ...(scheme === "https" ? { rejectUnauthorized: false } : {}) },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 400) done({ ok: true, message: "" });
        else done({ ok: false, message: `HTTP probe failed with statuscode: ${code}` });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({
        ok: false,
        message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      });
    }, timeoutMs);
    req.on("error", (e: NodeJS.ErrnoException) =>
      done({ ok: false, message: `Get "${url}": ${dialError(host, port, e)}` }),
    );
    req.end();
  });
}

function dialError(host: string, port: number, e: NodeJS.ErrnoException): string {
  const why =
    e.code === "ECONNREFUSED"
      ? "connect: connection refused"
      : e.code === "ECONNRESET"
        ? "read: connection reset by peer"
        : e.message;
  return `dial tcp ${hostPort(host, port)}: ${why}`;
}

function tcpProbe(spec: JsonObject, ctx: ProbeContext, timeoutMs: number): Promise<ProbeResult> {
  const port = resolvePort(spec.port, ctx.ports);
  if (port === undefined)
    return Promise.resolve({ ok: false, message: `unable to resolve port ${String(spec.port)}` });
  const host = typeof spec.host === "string" && spec.host ? spec.host : ctx.podIP;
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, message: `dial tcp ${hostPort(host, port)}: i/o timeout` });
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: true, message: "" });
    });
    socket.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, message: dialError(host, port, e) });
    });
  });
}

async function execProbe(spec: JsonObject, ctx: ProbeContext, timeoutMs: number): Promise<ProbeResult> {
  const command = Array.isArray(spec.command) ? spec.command.map(String) : [];
  const r = await ctx.exec(command, timeoutMs);
  if (r.timedOut) return { ok: false, message: `command ${JSON.stringify(command.join(" "))} timed out` };
  if (r.code === 0) return { ok: true, message: "" };
  return { ok: false, message: r.output.trim() || `command exited with code ${r.code ?? "unknown"}` };
}

/** Runs one attempt of a probe (or of a lifecycle handler's httpGet / tcpSocket / exec action). */
export function runProbe(
  probe: JsonObject,
  ctx: ProbeContext,
  timeoutMs = probeTimeoutMs(probe),
): Promise<ProbeResult> {
  if (isObject(probe.httpGet)) return httpProbe(probe.httpGet, ctx, timeoutMs);
  if (isObject(probe.tcpSocket)) return tcpProbe(probe.tcpSocket, ctx, timeoutMs);
  if (isObject(probe.exec)) return execProbe(probe.exec, ctx, timeoutMs);
  return Promise.resolve({ ok: false, message: "this node runs httpGet, tcpSocket and exec probes only" });
}
