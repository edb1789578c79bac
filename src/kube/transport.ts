import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";
import { type Connection, connectionFromKubeConfig } from "./connection.js";
import { errorFromResponse, KubeApiError } from "./errors.js";

/** Called once per finished request, for the rest_client_requests_total metric. */
export type RequestObserver = (info: { method: string; host: string; code: string }) => void;

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Accept header; kubectl-style tables ask for `application/json;as=Table;v=v1;g=meta.k8s.io`. */
  accept?: string;
  /** Gives up (and closes the connection) after this long; default the transport's `timeoutMs`. */
  timeoutMs?: number;
  /** Aborts the request (and closes its connection) when it fires. */
  signal?: AbortSignal;
}

/** How a transport's connections are pooled and how long its requests may take. */
export interface TransportOptions {
  /** Connections open at once to the server; more requests wait for one. Default unlimited. */
  maxSockets?: number;
  /** Default request timeout. Default 30 s. */
  timeoutMs?: number;
}

/** A connection, or a client-node KubeConfig (what tests and the development tools build). */
export type ConnectionSource = Connection | KubeConfig;

function isKubeConfig(source: ConnectionSource): source is KubeConfig {
  return typeof (source as KubeConfig).applyToHTTPSOptions === "function";
}

/**
 * Raw JSON over HTTP(S) with the credentials and TLS settings of a Connection.
 *
 * Why not the generated client-node API classes: their typed serializer drops fields it does not know
 * (custom resources, newer API fields) and turns timestamps into Date objects, and their watch has no
 * client-side timeout. The cache must hold objects exactly as the server sent them, so requests go out
 * as plain JSON; who we are comes from connection.ts (the kubeconfig or the in-cluster service account).
 */
export class Transport {
  private agent: http.Agent | undefined;
  readonly server: URL;
  private readonly connection: Connection;

  constructor(
    source: ConnectionSource,
    private readonly observe?: RequestObserver,
    readonly userAgent = "webapp-operator",
    private readonly options: TransportOptions = {},
  ) {
    this.connection = isKubeConfig(source) ? connectionFromKubeConfig(source) : source;
    this.server = this.connection.server;
    this.basePath = this.server.pathname.replace(/\/$/, "");
    this.lib = this.server.protocol === "http:" ? http : https;
    // The TLS server name, given once: left to node:http it is worked out again for every request.
    this.servername =
      this.server.protocol === "https:"
        ? (this.connection.tls.servername ?? (isIP(this.server.hostname) ? "" : this.server.hostname))
        : "";
  }

  private readonly basePath: string;
  private readonly lib: typeof http | typeof https;
  private readonly servername: string;

  /** Who we are, per request (tokens rotate); the first call also sets up the pooled agent. */
  private async authHeaders(): Promise<Record<string, string>> {
    const headers = await this.connection.authHeaders();
    if (!this.agent) {
      const { tls, agent } = this.connection;
      const pool = { keepAlive: true, maxSockets: this.options.maxSockets ?? Number.POSITIVE_INFINITY };
      if (agent) this.agent = agent as http.Agent;
      else if (this.server.protocol === "http:") this.agent = new http.Agent(pool);
      else
        this.agent = new https.Agent({
          ...pool,
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          servername: tls.servername,
          rejectUnauthorized: tls.rejectUnauthorized,
        });
    }
    return headers;
  }

  /** The request path with its query, built as a string: URL objects cost more than the request. */
  private path(path: string, query?: RequestOptions["query"]): string {
    let out = this.basePath + path;
    let sep = "?";
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined) continue;
      out += `${sep}${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`;
      sep = "&";
    }
    return out;
  }

  private async start(
    method: string,
    path: string,
    options: RequestOptions,
    accept = "application/json",
  ): Promise<{ req: http.ClientRequest; res: Promise<http.IncomingMessage> }> {
    const auth = await this.authHeaders();
    const headers: Record<string, string> = { Accept: accept, "User-Agent": this.userAgent, ...auth };
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers["Content-Type"] = options.contentType ?? "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(payload));
    }
    const req = this.lib.request({
      protocol: this.server.protocol,
      hostname: this.server.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: this.server.port || (this.server.protocol === "https:" ? 443 : 80),
      path: this.path(path, options.query),
      method,
      headers,
      agent: this.agent,
      servername: this.servername,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const res = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.once("response", resolve);
      req.once("error", reject);
    });
    req.end(payload);
    return { req, res };
  }

  private record(method: string, code: string): void {
    this.observe?.({ method, host: this.server.host, code });
  }

  /** One request; resolves to the parsed JSON body, rejects with KubeApiError on any non-2xx or failure. */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const what = `${method} ${path}`;
    let code = "<error>";
    try {
      const { req, res } = await this.start(method, path, options, options.accept);
      const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 30_000;
      const timeout = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      try {
        const response = await res;
        const text = await readBody(response);
        const status = response.statusCode ?? 0;
        code = String(status);
        if (status < 200 || status >= 300) {
          const retryAfter = response.headers["retry-after"];
          throw errorFromResponse(status, text, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, what);
        }
        return (text ? JSON.parse(text) : undefined) as T;
      } finally {
        clearTimeout(timeout);
      }
    } catch (err) {
      if (err instanceof KubeApiError) throw err;
      throw new KubeApiError(0, `${what}: ${(err as Error).message}`);
    } finally {
      this.record(method, code);
    }
  }

  /**
   * Opens a streaming request and hands each JSON line to `onLine`. Resolves when the stream opened,
   * with `stop()` to abort it and `closed`, which settles when the stream ends (cleanly or not).
   */
  async stream(
    path: string,
    query: RequestOptions["query"],
    onLine: (value: unknown) => void,
  ): Promise<{ stop: () => void; closed: Promise<void> }> {
    const what = `WATCH ${path}`;
    let code = "<error>";
    let req: http.ClientRequest | undefined;
    try {
      const started = await this.start("GET", path, { query });
      req = started.req;
      const response = await started.res;
      const status = response.statusCode ?? 0;
      code = String(status);
      if (status !== 200) {
        const chunks: Buffer[] = [];
        for await (const chunk of response) chunks.push(chunk as Buffer);
        const retryAfter = response.headers["retry-after"];
        throw errorFromResponse(
          status,
          Buffer.concat(chunks).toString("utf8"),
          Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
          what,
        );
      }
      const request = req;
      const closed = new Promise<void>((resolve, reject) => {
        let buffered = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          // Lines are cut out by index and the remainder kept once per chunk: slicing the buffer after
          // every line copies it again and again when one chunk holds many events.
          buffered = buffered.length === 0 ? chunk : buffered + chunk;
          let from = 0;
          let nl = buffered.indexOf("\n", from);
          while (nl >= 0) {
            const line = buffered.slice(from, nl);
            from = nl + 1;
            if (line.trim()) {
              let value: unknown;
              try {
                value = JSON.parse(line);
              } catch {
                request.destroy(new Error(`malformed watch line: ${line.slice(0, 100)}`));
                return;
              }
              onLine(value);
            }
            nl = buffered.indexOf("\n", from);
          }
          buffered = from === 0 ? buffered : buffered.slice(from);
        });
        let ended = false;
        response.once("end", () => {
          ended = true;
          resolve();
        });
        response.once("close", () => {
          if (!ended) reject(new KubeApiError(0, `${what}: connection closed`));
        });
        response.once("error", (e) => reject(new KubeApiError(0, `${what}: ${e.message}`)));
        response.once("aborted", () => reject(new KubeApiError(0, `${what}: connection aborted`)));
        request.once("error", (e) => reject(new KubeApiError(0, `${what}: ${e.message}`)));
      });
      return { stop: () => request.destroy(), closed };
    } catch (err) {
      req?.destroy();
      if (err instanceof KubeApiError) throw err;
      throw new KubeApiError(0, `${what}: ${(err as Error).message}`);
    } finally {
      this.record("WATCH", code);
    }
  }

  /** Closes pooled connections so the process can exit. */
  close(): void {
    this.agent?.destroy();
  }
}

/** A response body as text, read with plain events (cheaper than async iteration, per request). */
function readBody(response: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.once("end", () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")),
    );
    response.once("error", reject);
    response.once("aborted", () => reject(new Error("response aborted")));
  });
}
