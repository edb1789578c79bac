// A plain HTTP/1.1 client for loopback tests: any Host header, raw bodies, no connection
// reuse (so each request is what a fresh client would send), and the body as bytes.
import { type IncomingHttpHeaders, request } from "node:http";

export interface HttpRequestOptions {
  port: number;
  host?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string | number>;
  body?: Buffer | string;
  /** Whole-request limit; default 30 s. */
  timeoutMs?: number;
  /**
   * Source address, e.g. 127.0.0.2: on loopback every client is 127.0.0.1 otherwise, which would
   * make a client look like the server's own pod.
   */
  localAddress?: string;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text(): string;
  /** Parses the body as JSON; the error names the request when it is not JSON. */
  json<T = unknown>(): T;
}

export function httpRequest(options: HttpRequestOptions): Promise<HttpResponse> {
  const host = options.host ?? "127.0.0.1";
  const path = options.path ?? "/";
  const method = options.method ?? "GET";
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    const req = request(
      {
        host,
        port: options.port,
        path,
        method,
        headers: options.headers,
        agent: false,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", fail);
        res.on("end", () => {
          clearTimeout(timer);
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text: () => body.toString("utf8"),
            json<T>(): T {
              try {
                return JSON.parse(body.toString("utf8")) as T;
              } catch {
                throw new Error(
                  `${method} ${path} on port ${options.port} answered ${res.statusCode} with a body that is not JSON: ` +
                    body.toString("utf8").slice(0, 500),
                );
              }
            },
          });
        });
      },
    );
    timer = setTimeout(
      () =>
        req.destroy(new Error(`${method} ${path} on ${host}:${options.port} took more than ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on("error", fail);
    req.end(options.body);
  });
}
