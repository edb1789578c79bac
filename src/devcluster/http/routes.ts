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

/** The resource addressed by `parts` from index `from` on (after the group and version). */
function resourceRoute(group: string, version: string, parts: string[], from: number): Route | undefined {
  let i = from;
  const watchPath = parts[i] === "watch";
  if (watchPath) i++;
  const left = parts.length - i;
  let namespace: string | undefined;
  if (
    parts[i] === "namespaces" &&
    left >= 3 &&
    !(group === "" && left === 3 && NAMESPACE_SUBRESOURCES.has(parts[i + 2]!))
  ) {
    if (left > 5) return undefined;
    namespace = parts[i + 1]!;
    i += 2;
  } else if (!parts[i] || left > 3) return undefined;
  const r: Route = { type: "resource", group, version, watchPath, plural: parts[i]! };
  if (namespace !== undefined) r.namespace = namespace;
  if (parts[i + 1] !== undefined) r.name = parts[i + 1]!;
  if (parts[i + 2] !== undefined) r.subresource = parts[i + 2]!;
  return r;
}

/** The non-empty segments of a path, decoded. */
function segments(pathname: string): string[] {
  const parts: string[] = [];
  for (const p of pathname.split("/")) if (p) parts.push(p.includes("%") ? decodeURIComponent(p) : p);
  return parts;
}

export function parseRoute(pathname: string): Route {
  const parts = segments(pathname);
  if (parts[0] === "api") {
    if (parts.length === 1) return { type: "nonResource", path: pathname };
    if (parts.length === 2) return { type: "discoveryGroupVersion", group: "", version: parts[1]! };
    return resourceRoute("", parts[1]!, parts, 2) ?? { type: "nonResource", path: pathname };
  }
  if (parts[0] === "apis") {
    if (parts.length === 1) return { type: "nonResource", path: pathname };
    if (parts.length === 2) return { type: "discoveryGroup", group: parts[1]! };
    if (parts.length === 3) return { type: "discoveryGroupVersion", group: parts[1]!, version: parts[2]! };
    return resourceRoute(parts[1]!, parts[2]!, parts, 3) ?? { type: "nonResource", path: pathname };
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
