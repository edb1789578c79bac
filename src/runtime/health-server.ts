import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** Parses `host:port`, `:port` or `port`; "0" (or an empty string) disables the server. */
export function parseBindAddress(value: string): { host: string; port: number } | undefined {
  if (value === "0" || value === "") return undefined;
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d+)$/.exec(value);
  if (!m) throw new Error(`invalid bind address "${value}": expected host:port, :port or 0 to disable`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`invalid bind address "${value}": port out of range`);
  return { host: m[1] || "0.0.0.0", port };
}

export interface ProbeHandlers {
  /** The process is alive (the event loop answers). */
  healthy(): boolean;
  /** Caches synced: the operator can act on what it sees. */
  ready(): boolean;
}

/** One HTTP server; which routes it serves depends on what it is given (probes, metrics or both). */
export async function startHttpServer(
  bind: { host: string; port: number },
  routes: { probes?: ProbeHandlers; registry?: Registry },
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const reply = (code: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(code, { "Content-Type": type });
      res.end(body);
    };
    if (routes.probes && path === "/healthz") {
      return routes.probes.healthy() ? reply(200, "ok\n") : reply(500, "unhealthy\n");
    }
    if (routes.probes && path === "/readyz") {
      return routes.probes.ready() ? reply(200, "ok\n") : reply(503, "caches not synced\n");
    }
    if (routes.registry && path === "/metrics") {
      const registry = routes.registry;
      registry.metrics().then(
        (text) => reply(200, text, registry.contentType),
        (err: Error) => reply(500, `${err.message}\n`),
      );
      return;
    }
    reply(404, "not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(bind.port, bind.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
