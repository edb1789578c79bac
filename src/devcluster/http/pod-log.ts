/**
 * The `pods/{name}/log` subresource: the API server's part (which container, the options and their
 * validation) here; the node's part (which log file, reading and following it) behind PodLogSource, as
 * the real API server hands the request to the kubelet of the pod's node.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, badRequest } from "../errors.js";
import { isObject, type JsonObject, type KubeObject } from "../types.js";

export interface PodLogOptions {
  container: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  /** Only lines at or after this time (ms since the epoch), from sinceSeconds or sinceTime. */
  sinceMs?: number;
}

export interface PodLogSource {
  /** The node this source serves; other nodes' pods cannot be reached. */
  readonly nodeName: string;
  /**
   * Writes the container's log to `write`, following it when asked until the container stops or `signal`
   * aborts. Throws ApiError (400) with the kubelet's message when there is no log to give.
   */
  streamLogs(
    pod: KubeObject,
    options: PodLogOptions,
    write: (chunk: string) => Promise<void>,
    signal: AbortSignal,
  ): Promise<void>;
}

function intParam(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)}`);
  if (n < min)
    throw badRequest(
      `${name}: Invalid value: ${n}: must be greater than ${min === 0 ? "or equal to 0" : min - 1}`,
    );
  return n;
}

function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === "true" || v === "1";
}

/** The container a log request is for, as the API server picks it (validateContainer). */
export function logContainer(pod: KubeObject, requested: string | null): string {
  const spec = isObject(pod.spec) ? pod.spec : {};
  const names = (key: string) =>
    Array.isArray(spec[key]) ? (spec[key] as JsonObject[]).map((c) => String(c.name)) : [];
  const containers = names("containers");
  const all = [...names("initContainers"), ...containers, ...names("ephemeralContainers")];
  const name = pod.metadata.name;
  if (!requested) {
    if (containers.length === 1) return containers[0]!;
    if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${all.join(" ")}]`);
  }
  if (!all.includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

export function podLogOptions(pod: KubeObject, q: URLSearchParams): PodLogOptions {
  const options: PodLogOptions = {
    container: logContainer(pod, q.get("container")),
    follow: flag(q, "follow"),
    previous: flag(q, "previous"),
    timestamps: flag(q, "timestamps"),
  };
  const tail = intParam(q, "tailLines", 0);
  if (tail !== undefined) options.tailLines = tail;
  const limit = intParam(q, "limitBytes", 1);
  if (limit !== undefined) options.limitBytes = limit;
  const sinceSeconds = intParam(q, "sinceSeconds", 1);
  const sinceTime = q.get("sinceTime");
  if (sinceSeconds !== undefined && sinceTime)
    throw badRequest("at most one of `sinceTime` or `sinceSeconds` may be specified");
  if (sinceSeconds !== undefined) options.sinceMs = Date.now() - sinceSeconds * 1000;
  if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t)) throw badRequest(`invalid value for sinceTime: ${JSON.stringify(sinceTime)}`);
    options.sinceMs = t;
  }
  return options;
}

/** Answers GET pods/{name}/log: text/plain, streamed (and kept open with follow=true). */
export async function servePodLog(
  req: IncomingMessage,
  res: ServerResponse,
  pod: KubeObject,
  q: URLSearchParams,
  source: PodLogSource | undefined,
): Promise<void> {
  const options = podLogOptions(pod, q);
  const spec = isObject(pod.spec) ? pod.spec : {};
  const nodeName = typeof spec.nodeName === "string" ? spec.nodeName : "";
  // A pod no node runs yet has no log: an empty answer, as the real server gives.
  if (!nodeName) {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end();
    return;
  }
  if (!source || source.nodeName !== nodeName) {
    throw new ApiError(
      500,
      "InternalError",
      `Get "https://${nodeName}:10250/containerLogs/${pod.metadata.namespace}/${pod.metadata.name}/${options.container}": dial tcp: lookup ${nodeName}: no such host`,
    );
  }
  const abort = new AbortController();
  const onClose = () => abort.abort();
  res.on("close", onClose);
  req.on("close", onClose);
  let started = false;
  const write = async (chunk: string) => {
    if (!started) {
      started = true;
      res.writeHead(200, { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" });
    }
    if (res.write(chunk) || abort.signal.aborted) return;
    await new Promise<void>((r) => {
      res.once("drain", () => r());
      abort.signal.addEventListener("abort", () => r(), { once: true });
    });
  };
  try {
    await source.streamLogs(pod, options, write, abort.signal);
  } finally {
    res.off("close", onClose);
  }
  if (!started) res.writeHead(200, { "Content-Type": "text/plain" });
  res.end();
}
