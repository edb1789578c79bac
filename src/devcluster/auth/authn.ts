/**
 * Authentication for a local test server: the bearer token in a kubeconfig names its user. kubectl sends no
 * credentials over plain HTTP, so a kubeconfig's server URL also carries the user as a path prefix
 * (`/u/<user>`), which the server strips before routing. "admin" is in
 * system:masters (always allowed); any other user is an RBAC subject; a user named
 * `system:serviceaccount:<ns>:<name>` gets the service account groups, as on a cluster.
 */
import type { UserInfo } from "../types.js";

const PREFIX = "devcluster.";

export function userInfo(name: string): UserInfo {
  const groups = ["system:authenticated"];
  if (name === "admin") groups.unshift("system:masters");
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(name);
  if (sa) groups.unshift("system:serviceaccounts", `system:serviceaccounts:${sa[1]}`);
  return { name, groups };
}

export function tokenFor(user: string): string {
  return PREFIX + Buffer.from(user).toString("base64url");
}

/** The user of a request, undefined when its credentials are missing or not ours. */
export function authenticate(authorization: string | undefined): UserInfo | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
  if (!m?.[1]?.startsWith(PREFIX)) return undefined;
  const name = Buffer.from(m[1].slice(PREFIX.length), "base64url").toString();
  return name ? userInfo(name) : undefined;
}

export const USER_PATH_PREFIX = "/u/";

/** Splits `/u/<user>/rest` into the user and `/rest`; other paths have no user. */
export function userFromPath(pathname: string): { user?: string; path: string } {
  if (!pathname.startsWith(USER_PATH_PREFIX)) return { path: pathname };
  const rest = pathname.slice(USER_PATH_PREFIX.length);
  const slash = rest.indexOf("/");
  const user = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
  return { user, path: slash < 0 ? "/" : rest.slice(slash) };
}
