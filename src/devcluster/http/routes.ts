/** URL paths of the Kubernetes API, parsed into what they address. */

export type Route =
  | { type: "nonResource"; path: string }
  | { type: "discoveryGroupVersion"; group: string; version: string }
  | { type: "discoveryGroup"; group: string }
  | {
      type: "resource";
      group: string;
      version: string;
      namespace?: string;
      plural: string;
      name?: string;
      subresource?: string;
      /** The legacy `/watch/` path prefix. */
      watchPath: boolean;
    };

const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

function resourceRoute(group: string, version: string, rest: string[]): Route | undefined {
  let watchPath = false;
  if (rest[0] === "watch") {
    watchPath = true;
    rest = rest.slice(1);
  }
  const base = { type: "resource" as const, group, version, watchPath };
  if (
    rest[0] === "namespaces" &&
    rest.length >= 3 &&
    !(group === "" && rest.length === 3 && NAMESPACE_SUBRESOURCES.has(rest[2]!))
  ) {
    const [, namespace, plural, name, subresource, ...extra] = rest;
    if (extra.length) return undefined;
    const r: Route = { ...base, namespace: namespace!, plural: plural! };
    if (name !== undefined) r.name = name;
    if (subresource !== undefined) r.subresource = subresource;
    return r;
  }
  const [plural, name, subresource, ...extra] = rest;
  if (!plural || extra.length) return undefined;
  const r: Route = { ...base, plural };
  if (name !== undefined) r.name = name;
  if (subresource !== undefined) r.subresource = subresource;
  return r;
}

export function parseRoute(pathname: string): Route {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "api") {
    if (parts.length === 1) return { type: "nonResource", path: pathname };
    if (parts.length === 2) return { type: "discoveryGroupVersion", group: "", version: parts[1]! };
    return resourceRoute("", parts[1]!, parts.slice(2)) ?? { type: "nonResource", path: pathname };
  }
  if (parts[0] === "apis") {
    if (parts.length === 1) return { type: "nonResource", path: pathname };
    if (parts.length === 2) return { type: "discoveryGroup", group: parts[1]! };
    if (parts.length === 3) return { type: "discoveryGroupVersion", group: parts[1]!, version: parts[2]! };
    return resourceRoute(parts[1]!, parts[2]!, parts.slice(3)) ?? { type: "nonResource", path: pathname };
  }
  return { type: "nonResource", path: pathname };
}

export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete" | "deletecollection";

/** The RBAC verb of a request on a resource. */
export function verbOf(
  method: string,
  route: Extract<Route, { type: "resource" }>,
  watchParam: boolean,
): Verb {
  switch (method) {
    case "GET":
    case "HEAD":
      if (route.watchPath || watchParam) return "watch";
      return route.name === undefined ? "list" : "get";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return route.name === undefined ? "deletecollection" : "delete";
    default:
      return "get";
  }
}

export const READ_VERBS = new Set<string>(["get", "list", "watch"]);
