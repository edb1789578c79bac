/**
 * Listen and connect addresses. Every pod has an address of its own, so a container that binds a wildcard
 * address (`0.0.0.0:8000`, `:8000`, `[::]:8000`, `*:8000`) or the pod's own loopback (`127.0.0.1:8000`,
 * `localhost:8000`, which its sibling containers share) binds the pod's address instead. Where that is
 * decided is a function (`ListenMapping`), so the data-plane harness can hand out free loopback ports.
 */

/** Container port -> the `host:port` the process binds (or connects to) on this machine. */
export type ListenMapping = (port: number) => string;

/** A Service host name and port -> the `ip:port` addresses that reach it (empty: unknown name). */
export type ServiceResolver = (host: string, port: number) => string[];

const WILDCARD_HOSTS = new Set(["", "0.0.0.0", "*", "[::]", "::", "[::0]"]);
const POD_LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port`, `:port`, `[v6]:port`; undefined for anything else (a bare port is not an address here). */
export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(\[[0-9a-fA-F:.]*\]|[^:[\]/\s]*):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1]!, port };
}

/** Whether a host, as a listen address, means "every address of this pod". */
export function isWildcardHost(host: string): boolean {
  return WILDCARD_HOSTS.has(host);
}

/** Whether a host means "this pod" to a container: its loopback, shared by the pod's containers. */
export function isPodLocalHost(host: string): boolean {
  return POD_LOOPBACK_HOSTS.has(host);
}

export function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith("[");
}

/**
 * One argv token that is a listen address of the pod (`0.0.0.0:8000`, `:8000`, `[::]:8000`,
 * `127.0.0.1:8000`, `localhost:8000`), possibly as `--flag=value`: returned translated, or undefined when
 * the token is not such an address.
 */
export function translateAddressToken(token: string, listen: ListenMapping): string | undefined {
  const eq = token.startsWith("-") ? token.indexOf("=") : -1;
  const prefix = eq >= 0 ? token.slice(0, eq + 1) : "";
  const value = eq >= 0 ? token.slice(eq + 1) : token;
  const hp = parseHostPort(value);
  if (hp && (isWildcardHost(hp.host) || isPodLocalHost(hp.host))) return prefix + listen(hp.port);
  const url = /^(https?:\/\/)(127\.0\.0\.1|localhost|\[::1\]):(\d{1,5})(\/.*)?$/.exec(value);
  if (url) return `${prefix}${url[1]}${listen(Number(url[3]))}${url[4] ?? ""}`;
  return undefined;
}
