import { cpuCores } from "../../api/formats.js";
import type { ResolvedMedia, ResolvedStatic, ResolvedWeb } from "../../api/resolve.js";
import { REQUEST_LIMITS } from "../request-limits.js";
import { UPSTREAM_KEEPALIVE } from "../upstream-keepalive.js";
import { type Arg, block, comment, d, entry, literal, type Node, serialize } from "./conf.js";
import { NGINX_HEALTH_PATH, NGINX_PATHS, UPSTREAM_NAME, WEB_PORT } from "./paths.js";

export interface NginxConfInput {
  /** `namespace/name` of the WebApp, for the header comment. */
  webapp: string;
  web: ResolvedWeb;
  /**
   * `host:port` of the app Service (its cluster IP, or its DNS name when `resolvedByNginx`);
   * absent for a static-only site.
   */
  upstream?: { server: string; resolvedByNginx: boolean; keepalive: boolean };
  static?: ResolvedStatic;
  media?: ResolvedMedia;
}

const GZIP_TYPES = [
  "text/plain",
  "text/css",
  "text/xml",
  "application/javascript",
  "application/json",
  "application/xml",
  "application/rss+xml",
  "image/svg+xml",
  "font/ttf",
  "font/otf",
];

/** JSON access log, one object per request, readable by log pipelines without parsing rules. */
const LOG_FORMAT = literal(
  '{"time":"$time_iso8601","remote_addr":"$remote_addr","method":"$request_method","uri":"$request_uri",' +
    '"status":$status,"bytes":$body_bytes_sent,"request_time":$request_time,' +
    '"upstream_time":"$upstream_response_time","user_agent":"$http_user_agent","referer":"$http_referer"}',
);

/**
 * Room for idle and slow clients. Every listener of a worker shares its connections, so a separate
 * health listener would not keep probes answering once they are used up; what does is room to spare
 * (an idle connection costs NGINX a few kilobytes) and dropping clients that stall.
 */
const SLOW_CLIENTS = {
  workerConnections: 16_384,
  headerTimeoutSeconds: 10,
  bodyTimeoutSeconds: 20,
  sendTimeoutSeconds: 20,
} as const;

/** The access log's write buffer (at most a pipe's atomic write) and how long a line may wait in it. */
export const ACCESS_LOG = { bufferKiB: 4, flushSeconds: 1 } as const;

/** The scheme the app is told about: the client's, believed only from a trusted proxy and only http/https. */
const FORWARDED_PROTO = "$webapp_forwarded_proto";

export function renderNginxConf(input: NginxConfInput): string {
  const { web } = input;
  const http: Node[] = [
    d("include", NGINX_PATHS.mimeTypes),
    d("default_type", "application/octet-stream"),
    d("server_tokens", "off"),
    d("sendfile", "on"),
    d("tcp_nopush", "on"),
    // Slow clients: a client that stops sending its request line and headers, its body, or stops
    // reading the answer is dropped after these, not after NGINX's default minute, and its memory is
    // freed at once. The keep-alive timeout stays longer than the 60 s idle timeout of the usual
    // ingress controllers and load balancers, so they never reuse a connection NGINX is closing.
    d("client_header_timeout", `${SLOW_CLIENTS.headerTimeoutSeconds}s`),
    d("client_body_timeout", `${SLOW_CLIENTS.bodyTimeoutSeconds}s`),
    d("send_timeout", `${SLOW_CLIENTS.sendTimeoutSeconds}s`),
    d("reset_timedout_connection", "on"),
    d("keepalive_timeout", "65s"),
    d("keepalive_requests", 1000),
    // Redirects NGINX makes itself (a directory without its slash) carry only the path, so the
    // client keeps the scheme, host and port it used; an absolute one would name port 8080 and http.
    d("absolute_redirect", "off"),
    ...tempPaths(),
    d("log_format", "webapp", "escape=json", LOG_FORMAT),
    // Lines are gathered in a 4 KB buffer and written at most a second later, instead of one write
    // per request: on a busy pod that write was about a fifth of NGINX's proxying throughput. 4 KB is
    // the size a pipe (the container runtime's stdout) writes whole, so several workers' lines never
    // interleave. A worker that is killed (not stopped) loses at most its last second of lines.
    d(
      "access_log",
      "/dev/stdout",
      "webapp",
      `buffer=${ACCESS_LOG.bufferKiB}k`,
      `flush=${ACCESS_LOG.flushSeconds}s`,
    ),
    d("client_max_body_size", web.clientMaxBodySize),
    // The request line and each header must fit one of these buffers, all headers together four:
    // NGINX answers 414 or 400 beyond that, and the app servers are set to accept anything within.
    d(
      "large_client_header_buffers",
      REQUEST_LIMITS.nginxHeaderBuffers,
      `${REQUEST_LIMITS.nginxHeaderBufferKiB}k`,
    ),
    ...gzip(web.gzip),
    ...clientAddress(web.trustedProxies, web.forwardedProtoFromAnyPeer),
    ...(web.websockets ? websocketMap() : []),
  ];
  if (input.upstream) {
    http.push(
      block(
        "upstream",
        [UPSTREAM_NAME],
        [
          d("server", input.upstream.server),
          input.upstream.resolvedByNginx &&
            comment(
              "Rendered offline: NGINX resolves the name above once, at start. The operator writes the Service's cluster IP instead.",
            ),
          ...(input.upstream.keepalive ? upstreamKeepalive() : []),
        ],
      ),
    );
  }
  http.push(server(input));

  const conf: Node[] = [
    comment(`nginx.conf of WebApp ${input.webapp}, rendered by webapp-operator. Edits are overwritten.`),
    d("worker_processes", workerProcesses(web)),
    d("pid", NGINX_PATHS.pidFile),
    // `stderr` writes to fd 2 itself; /dev/stderr cannot be opened when fd 2 is a socket.
    d("error_log", "stderr", "warn"),
    d("daemon", "off"),
    // Each proxied request holds two descriptors (client and app), so twice the connections.
    d("worker_rlimit_nofile", 2 * SLOW_CLIENTS.workerConnections),
    block("events", [], [d("worker_connections", SLOW_CLIENTS.workerConnections)]),
    block("http", [], http),
  ];
  return serialize(conf);
}

/**
 * One worker per core the container may use. NGINX's `auto` counts the node's cores, not the
 * container's share: on a 64-core node a half-core pod would start 64 workers. Without a CPU
 * figure, one worker: it serves tens of thousands of requests a second, and the tier scales out
 * with replicas; more workers than cores only adds contention (measured by the data-plane benchmark).
 */
function workerProcesses(web: ResolvedWeb): number {
  const cpu = web.resources?.limits?.cpu ?? web.resources?.requests?.cpu;
  if (cpu === undefined) return 1;
  const cores = cpuCores(cpu);
  return Number.isFinite(cores) ? Math.min(16, Math.max(1, Math.ceil(cores))) : 1;
}

function tempPaths(): Node[] {
  const dir = NGINX_PATHS.runtimeDir;
  return ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) =>
    d(`${kind}_temp_path`, `${dir}/nginx-${kind.replace("_", "-")}`),
  );
}

function gzip(on: boolean): Node[] {
  if (!on) return [d("gzip", "off")];
  return [
    d("gzip", "on"),
    d("gzip_vary", "on"),
    d("gzip_proxied", "any"),
    d("gzip_comp_level", 5),
    d("gzip_min_length", 1024),
    d("gzip_types", ...GZIP_TYPES),
  ];
}

/**
 * The real client address and scheme. Without trusted proxies NGINX's peer is the client. With them,
 * the realip module takes the address from X-Forwarded-For, and X-Forwarded-Proto is believed only
 * when the direct peer is one of them ($realip_remote_addr is the peer before realip rewrote it).
 * X-Forwarded-For then ends with the resolved client rather than the trusted proxy, so the app always
 * trusts exactly one hop (NGINX), however many proxies stand in front.
 */
function clientAddress(trusted: string[], protoFromAnyPeer: boolean): Node[] {
  if (trusted.length === 0 && protoFromAnyPeer) {
    // Behind the WebApp's own TLS Ingress with a ClusterIP entry Service: every peer is in the
    // cluster, so the scheme alone is believed from any of them; the client address is not.
    return [
      block(
        "map",
        ["$http_x_forwarded_proto", FORWARDED_PROTO],
        [entry("default", "$scheme"), entry("https", "https"), entry("http", "http")],
      ),
    ];
  }
  if (trusted.length === 0) {
    return [block("map", ["$scheme", FORWARDED_PROTO], [entry("default", "$scheme")])];
  }
  return [
    ...trusted.map((cidr) => d("set_real_ip_from", cidr)),
    d("real_ip_header", "X-Forwarded-For"),
    d("real_ip_recursive", "on"),
    block(
      "geo",
      ["$realip_remote_addr", "$webapp_trusted_peer"],
      [entry("default", 0), ...trusted.map((cidr) => entry(cidr, 1))],
    ),
    block(
      "map",
      ["$webapp_trusted_peer:$http_x_forwarded_proto", FORWARDED_PROTO],
      [entry("default", "$scheme"), entry("1:https", "https"), entry("1:http", "http")],
    ),
  ];
}

/** Idle connections to the app server kept for reuse (see upstream-keepalive.ts for when and why). */
function upstreamKeepalive(): Node[] {
  const k = UPSTREAM_KEEPALIVE;
  return [
    d("keepalive", k.idleConnections),
    d("keepalive_timeout", `${k.nginxIdleSeconds}s`),
    d("keepalive_time", `${k.connectionLifetimeSeconds}s`),
    d("keepalive_requests", k.requestsPerConnection),
  ];
}

function websocketMap(): Node[] {
  return [
    block(
      "map",
      ["$http_upgrade", "$webapp_connection_upgrade"],
      [entry("default", "upgrade"), entry(literal(""), "close")],
    ),
  ];
}

function server(input: NginxConfInput): Node {
  const locations: Node[] = [
    block(
      "location",
      ["=", NGINX_HEALTH_PATH],
      [d("access_log", "off"), d("default_type", "text/plain"), d("return", 200, "ok")],
    ),
  ];
  const st = input.static;
  const staticAtRoot = st?.urlPath === "/";
  if (st && !staticAtRoot)
    locations.push(filesLocation(st.urlPath, NGINX_PATHS.staticRoot, cacheFor(st.maxAgeSeconds)));
  if (input.media) locations.push(filesLocation(input.media.urlPath, NGINX_PATHS.mediaRoot, mediaHeaders()));

  if (input.upstream) {
    if (st && staticAtRoot) {
      // Files that exist are served; every other path goes to the app.
      locations.push(
        block(
          "location",
          ["/"],
          [
            d("root", NGINX_PATHS.staticRoot),
            ...cacheFor(st.maxAgeSeconds),
            d("try_files", "$uri", "@app"),
            refuseDotPaths(),
          ],
        ),
        block("location", ["@app"], proxy(input)),
      );
    } else {
      locations.push(block("location", ["/"], proxy(input)));
    }
  } else if (st && staticAtRoot) {
    locations.push(
      block(
        "location",
        ["/"],
        [
          d("root", NGINX_PATHS.staticRoot),
          d("index", "index.html"),
          ...cacheFor(st.maxAgeSeconds),
          d("try_files", "$uri", "$uri/", "=404"),
          refuseDotPaths(),
        ],
      ),
    );
  } else {
    locations.push(block("location", ["/"], [d("return", 404)]));
  }

  return block(
    "server",
    [],
    [
      // IPv4 and IPv6, for single-stack clusters of either family and dual-stack ones. Binding the IPv6
      // wildcard works in a pod whose IPv6 is switched off too; only a node whose kernel has no IPv6 at
      // all (booted with ipv6.disable=1) cannot run it.
      d("listen", WEB_PORT, "default_server"),
      d("listen", `[::]:${WEB_PORT}`, "default_server"),
      d("server_name", "_"),
      ...locations,
    ],
  );
}

/** A prefix location served from a directory. `^~` keeps any regex location from taking these URLs. */
function filesLocation(urlPath: string, dir: string, headers: Node[]): Node {
  // Both the prefix and the alias end in '/', which rules out the alias path-traversal mistake.
  return block(
    "location",
    ["^~", urlPath],
    [d("alias", `${dir}/`), ...headers, d("access_log", "off"), refuseDotPaths()],
  );
}

/**
 * Hidden files and folders (`.git/`, `.env`) that a careless image build leaves among the files are
 * never served, except `/.well-known/` (ACME challenges, security.txt). NGINX matches the decoded,
 * normalized path, so `%2e` and `..` cannot get around it. `[.]` rather than `\.`: the writer refuses backslashes.
 */
function refuseDotPaths(): Node {
  return block("location", ["~", "/[.](?!well-known/)"], [d("return", 404)]);
}

function cacheFor(maxAgeSeconds: number): Node[] {
  return [d("expires", maxAgeSeconds === 0 ? "-1" : `${maxAgeSeconds}s`)];
}

/** Uploads are user content: never let a browser sniff them into HTML or run them as this origin. */
function mediaHeaders(): Node[] {
  return [
    d("add_header", "X-Content-Type-Options", "nosniff", "always"),
    d("add_header", "Content-Security-Policy", "sandbox", "always"),
  ];
}

function proxy(input: NginxConfInput): Node[] {
  const { web } = input;
  const t = web.proxyTimeouts;
  const connection: Arg[] = web.websockets ? ["$webapp_connection_upgrade"] : [literal("")];
  const nodes: (Node | undefined)[] = [
    d("proxy_pass", `http://${UPSTREAM_NAME}`),
    d("proxy_http_version", "1.1"),
    d("proxy_set_header", "Host", "$host"),
    d("proxy_set_header", "X-Real-IP", "$remote_addr"),
    d("proxy_set_header", "X-Forwarded-For", "$proxy_add_x_forwarded_for"),
    d("proxy_set_header", "X-Forwarded-Proto", FORWARDED_PROTO),
    d("proxy_set_header", "X-Forwarded-Host", "$host"),
    web.websockets ? d("proxy_set_header", "Upgrade", "$http_upgrade") : undefined,
    d("proxy_set_header", "Connection", ...connection),
    d("proxy_buffering", web.proxyBuffering ? "on" : "off"),
    d("proxy_connect_timeout", `${t.connectSeconds}s`),
    d("proxy_read_timeout", `${t.readSeconds}s`),
    d("proxy_send_timeout", `${t.sendSeconds}s`),
    d("proxy_redirect", "off"),
  ];
  return nodes.filter((n): n is Node => n !== undefined);
}
