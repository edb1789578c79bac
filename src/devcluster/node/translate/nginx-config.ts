/**
 * An nginx.conf made runnable on this machine: the same text, byte for byte, except the arguments that
 * name container paths, listen addresses and Service host names. The config is tokenized the way NGINX
 * reads it (quotes, comments, `${var}`), so only whole directive arguments are ever rewritten.
 */
import { posix } from "node:path";
import {
  isIpAddress,
  isPodLocalHost,
  isWildcardHost,
  type ListenMapping,
  parseHostPort,
  type ServiceResolver,
} from "./addresses.js";
import type { PathMap } from "./path-map.js";

interface Token {
  value: string;
  start: number;
  end: number;
  quoted: boolean;
}

export interface Directive {
  name: string;
  args: Token[];
  /** The enclosing blocks' directive names, outermost first ("http", "server", ...). */
  context: string[];
  /** Offsets of the whole directive, from its name to its `;` (or `{` for a block). */
  start: number;
  end: number;
  block: boolean;
  /** For a block: offset just after its `{`. */
  bodyStart?: number;
}

export class NginxSyntaxError extends Error {}

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r";
}

function tokenize(text: string): (Token | { special: ";" | "{" | "}"; start: number })[] {
  const out: (Token | { special: ";" | "{" | "}"; start: number })[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (c === ";" || c === "{" || c === "}") {
      out.push({ special: c, start: i });
      i++;
      continue;
    }
    const start = i;
    if (c === '"' || c === "'") {
      let value = "";
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === "\\" && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else value += text[i++];
      }
      if (i >= text.length) throw new NginxSyntaxError(`unterminated quoted string at offset ${start}`);
      i++;
      out.push({ value, start, end: i, quoted: true });
      continue;
    }
    let value = "";
    while (i < text.length) {
      const d = text[i]!;
      if (isSpace(d) || d === ";" || d === "{" || d === "}") {
        if (d === "{" && value.endsWith("$")) {
          // ${variable}: the braces belong to the token.
          const close = text.indexOf("}", i);
          if (close < 0) throw new NginxSyntaxError(`unterminated \${ at offset ${i}`);
          value += text.slice(i, close + 1);
          i = close + 1;
          continue;
        }
        break;
      }
      if (d === "\\" && i + 1 < text.length) {
        value += text.slice(i, i + 2);
        i += 2;
        continue;
      }
      value += d;
      i++;
    }
    out.push({ value, start, end: i, quoted: false });
  }
  return out;
}

/** Every directive of a config, in order, with its context. */
export function parseNginxConfig(text: string): Directive[] {
  const directives: Directive[] = [];
  const stack: string[] = [];
  let current: Token[] = [];
  for (const t of tokenize(text)) {
    if ("special" in t) {
      if (t.special === "}") {
        if (current.length) throw new NginxSyntaxError(`unexpected "}" at offset ${t.start}`);
        if (!stack.length) throw new NginxSyntaxError(`unexpected "}" at offset ${t.start}`);
        stack.pop();
        continue;
      }
      const [name, ...args] = current;
      if (!name) throw new NginxSyntaxError(`unexpected "${t.special}" at offset ${t.start}`);
      const d: Directive = {
        name: name.value,
        args,
        context: [...stack],
        start: name.start,
        end: t.start + 1,
        block: t.special === "{",
      };
      if (d.block) {
        d.bodyStart = t.start + 1;
        stack.push(name.value);
      }
      directives.push(d);
      current = [];
      continue;
    }
    current.push(t);
  }
  if (current.length) throw new NginxSyntaxError('unexpected end of file, expecting ";" or "}"');
  if (stack.length) throw new NginxSyntaxError('unexpected end of file, expecting "}"');
  return directives;
}

export interface NginxTranslation {
  paths: PathMap;
  listen: ListenMapping;
  resolve: ServiceResolver;
  /** The container directory relative `include`s are read from (that of the main config file). */
  configDir: string;
  /**
   * Only for the main config file: add what the image's compiled-in defaults would otherwise make NGINX
   * write where it may not (pid, temp paths, access log), as container paths.
   */
  main?: boolean;
  /** Where an `include` of this container path should point instead (a translated copy); default: the path map. */
  include?: (containerPath: string) => string;
}

const PATH_DIRECTIVES = new Set([
  "pid",
  "include",
  "root",
  "alias",
  "client_body_temp_path",
  "proxy_temp_path",
  "fastcgi_temp_path",
  "uwsgi_temp_path",
  "scgi_temp_path",
  "ssl_certificate",
  "ssl_certificate_key",
  "ssl_trusted_certificate",
  "ssl_client_certificate",
  "ssl_dhparam",
  "ssl_crl",
  "auth_basic_user_file",
  "load_module",
  "lock_file",
  "working_directory",
]);

const LOG_DIRECTIVES = new Set(["access_log", "error_log"]);
const LOG_TARGETS_KEPT = new Set(["off", "/dev/stdout", "/dev/stderr", "stderr"]);
const PASS_DIRECTIVES = new Set(["proxy_pass", "uwsgi_pass", "fastcgi_pass", "scgi_pass", "grpc_pass"]);

/** The defaults of the NGINX images (nginx-unprivileged's compiled-in paths), added when a config omits them. */
const IMAGE_DEFAULT_TEMP_PATHS: Record<string, string> = {
  client_body_temp_path: "/tmp/client_temp",
  proxy_temp_path: "/tmp/proxy_temp",
  fastcgi_temp_path: "/tmp/fastcgi_temp",
  uwsgi_temp_path: "/tmp/uwsgi_temp",
  scgi_temp_path: "/tmp/scgi_temp",
};
const IMAGE_DEFAULT_PID = "/tmp/nginx.pid";

function quote(value: string): string {
  return /^[^\s;{}"'#\\]+$/.test(value) ? value : `"${value.replace(/(["\\])/g, "\\$1")}"`;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

export interface TranslatedNginxConfig {
  text: string;
  /** Container paths of the files `include` names (after glob expansion is the caller's job). */
  includes: string[];
}

/**
 * Translates one config file's text. Paths (pid, temp paths, include, root, alias, log files, certificates)
 * go through the path map, every `listen` through the listen mapping (several listen directives that land
 * on the same address in one server are merged), and Service names in `upstream { server ... }` and
 * `*_pass` through the resolver (one name may become several `server` lines).
 */
export function translateNginxConfig(text: string, t: NginxTranslation): TranslatedNginxConfig {
  const directives = parseNginxConfig(text);
  const edits: Edit[] = [];
  const includes: string[] = [];
  const upstreamNames = new Set(
    directives.filter((d) => d.name === "upstream" && d.block).map((d) => d.args[0]?.value ?? ""),
  );
  const absolute = (p: string, base: string) => (p.startsWith("/") ? p : posix.join(base, p));
  const replaceArg = (tok: Token, value: string) => {
    if (value !== tok.value) edits.push({ start: tok.start, end: tok.end, text: quote(value) });
  };
  const listensPerServer = new Map<number, Set<string>>();
  let serverIndex = -1;

  for (const d of directives) {
    const first = d.args[0];
    if (d.name === "server" && d.block && d.context.at(-1) === "http") serverIndex++;
    if (!first) continue;
    if (PATH_DIRECTIVES.has(d.name)) {
      if (first.value.includes("$") && !first.value.startsWith("/")) continue;
      if (d.name === "include") {
        const container = absolute(first.value, t.configDir);
        includes.push(container);
        replaceArg(first, t.include ? t.include(container) : t.paths.translate(container));
      } else if (first.value.startsWith("/")) replaceArg(first, t.paths.translate(first.value));
      continue;
    }
    if (LOG_DIRECTIVES.has(d.name)) {
      const v = first.value;
      if (LOG_TARGETS_KEPT.has(v) || v.startsWith("syslog:") || v.startsWith("memory:")) continue;
      if (v.startsWith("/")) replaceArg(first, t.paths.translate(v));
      continue;
    }
    if (d.name === "listen" && d.context.at(-1) === "server") {
      edits.push(...translateListen(d, first, t, listensPerServer, serverIndex));
      continue;
    }
    if (d.name === "server" && !d.block && d.context.at(-1) === "upstream") {
      const e = translateUpstreamServer(d, first, text, t);
      if (e) edits.push(e);
      continue;
    }
    if (PASS_DIRECTIVES.has(d.name)) {
      const v = translatePassTarget(first.value, upstreamNames, t);
      if (v !== undefined) replaceArg(first, v);
    }
  }
  if (t.main) edits.push(...imageDefaults(directives, t));
  edits.sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { text: out, includes };
}

function translateListen(
  d: Directive,
  first: Token,
  t: NginxTranslation,
  seen: Map<number, Set<string>>,
  serverIndex: number,
): Edit[] {
  const v = first.value;
  let address: string;
  if (v.startsWith("unix:")) address = `unix:${t.paths.translate(v.slice(5))}`;
  else if (/^\d+$/.test(v)) address = t.listen(Number(v));
  else {
    const hp = parseHostPort(v);
    if (!hp) return [];
    address = isWildcardHost(hp.host) || isPodLocalHost(hp.host) ? t.listen(hp.port) : v;
  }
  const inServer = seen.get(serverIndex) ?? new Set<string>();
  seen.set(serverIndex, inServer);
  if (inServer.has(address)) {
    // `listen 8080; listen [::]:8080;` is one address here (the pod has one): NGINX refuses a duplicate.
    return [{ start: d.start, end: d.end, text: "" }];
  }
  inServer.add(address);
  const wasV6 = v.startsWith("[");
  const params = d.args
    .slice(1)
    .map((a) => a.value)
    .filter((p) => !(wasV6 && !address.startsWith("[") && p.startsWith("ipv6only=")));
  return [
    { start: d.start, end: d.end, text: `${["listen", quote(address), ...params.map(quote)].join(" ")};` },
  ];
}

function translateUpstreamServer(
  d: Directive,
  first: Token,
  text: string,
  t: NginxTranslation,
): Edit | undefined {
  const v = first.value;
  const params = d.args.slice(1).map((a) => quote(a.value));
  const line = (address: string) => `${["server", quote(address), ...params].join(" ")};`;
  if (v.startsWith("unix:"))
    return { start: d.start, end: d.end, text: line(`unix:${t.paths.translate(v.slice(5))}`) };
  const hp = parseHostPort(v) ?? (/^[A-Za-z0-9.-]+$/.test(v) ? { host: v, port: 80 } : undefined);
  if (!hp) return undefined;
  let addresses: string[];
  if (isPodLocalHost(hp.host)) addresses = [t.listen(hp.port)];
  else if (isIpAddress(hp.host)) return undefined;
  else addresses = t.resolve(hp.host, hp.port);
  // A name nothing resolves stays as written: NGINX then fails to start on it, as it would on a cluster.
  if (addresses.length === 0) return undefined;
  const lineStart = text.lastIndexOf("\n", d.start) + 1;
  const indent = /^[ \t]*$/.test(text.slice(lineStart, d.start)) ? text.slice(lineStart, d.start) : "";
  return { start: d.start, end: d.end, text: addresses.map(line).join(`\n${indent}`) };
}

function translatePassTarget(value: string, upstreams: Set<string>, t: NginxTranslation): string | undefined {
  const m = /^([a-z]+:\/\/)?([^/:$]+)(?::(\d{1,5}))?(\/.*)?$/.exec(value);
  if (!m) return undefined;
  const [, scheme = "", host = "", portText, rest = ""] = m;
  if (upstreams.has(host) && portText === undefined) return undefined;
  const port = portText ? Number(portText) : scheme === "https://" ? 443 : 80;
  let address: string | undefined;
  if (isPodLocalHost(host)) address = t.listen(port);
  else if (isIpAddress(host)) return undefined;
  else address = t.resolve(host, port)[0];
  return address === undefined ? undefined : `${scheme}${address}${rest}`;
}

function imageDefaults(directives: Directive[], t: NginxTranslation): Edit[] {
  const edits: Edit[] = [];
  const main = directives.filter((d) => d.context.length === 0);
  if (!main.some((d) => d.name === "pid"))
    edits.push({ start: 0, end: 0, text: `pid ${quote(t.paths.translate(IMAGE_DEFAULT_PID))};\n` });
  const http = main.find((d) => d.name === "http" && d.block);
  if (http?.bodyStart !== undefined) {
    const inHttp = new Set(
      directives.filter((d) => d.context.length === 1 && d.context[0] === "http").map((d) => d.name),
    );
    const added: string[] = [];
    for (const [name, path] of Object.entries(IMAGE_DEFAULT_TEMP_PATHS))
      if (!inHttp.has(name)) added.push(`${name} ${quote(t.paths.translate(path))};`);
    // The images link their default access log to the container's stdout.
    if (!inHttp.has("access_log")) added.push("access_log /dev/stdout;");
    if (added.length) edits.push({ start: http.bodyStart, end: http.bodyStart, text: ` ${added.join(" ")}` });
  }
  return edits;
}
