import type { KubeObject, ManagedFieldsEntry } from "../kube/resources.js";

/**
 * True when applying `desired` would change nothing we care about, so the apply can be skipped and a
 * converged WebApp costs no writes.
 *
 * Only the fields we send are compared: the server adds defaults (imagePullPolicy, strategy, ...)
 * and other managers add their own fields, and neither is drift. Lists must match element by element
 * (a removed env var shows as a length change). A field we applied before but no longer send is found
 * through managedFields: it would stay behind unless we apply again, so that also counts as a change.
 */
/**
 * Comparisons already made: the rendered objects keep their identity while the spec does not change
 * (render-cache.ts) and a live object's resourceVersion names its content, so a WebApp reconciled
 * again with nothing new compares nothing again.
 */
const seen = new WeakMap<KubeObject, { resourceVersion: string; matches: boolean }>();

export function desiredMatchesLive(desired: KubeObject, live: KubeObject, fieldManager: string): boolean {
  const rv = live.metadata.resourceVersion;
  const known = seen.get(desired);
  if (rv !== undefined && known?.resourceVersion === rv) return known.matches;
  const matches = compare(desired, live, fieldManager);
  if (rv !== undefined) seen.set(desired, { resourceVersion: rv, matches });
  return matches;
}

function compare(desired: KubeObject, live: KubeObject, fieldManager: string): boolean {
  if (!subsetMatches(desired, live, [])) return false;
  const owned = live.metadata.managedFields?.find(
    (m: ManagedFieldsEntry) => m.manager === fieldManager && m.operation === "Apply" && !m.subresource,
  );
  const paths = owned ? ownedPathsOf(owned) : [];
  for (const path of paths) {
    if (!hasPath(desired, path)) return false;
  }
  return true;
}

/**
 * A managedFields entry as the controller's cache keeps it (cache-trim.ts): instead of the fieldsV1
 * tree (hundreds of small objects per Deployment), the owned paths as one string, the only thing
 * read from it. Paths are separated by a newline, their segments by U+0000 (neither occurs in keys).
 */
export interface CompactManagedFieldsEntry extends ManagedFieldsEntry {
  ownedPaths?: string;
}

const PATH_SEPARATOR = "\n";
const SEGMENT_SEPARATOR = "\u0000";

/** The compact form of an entry's owned paths. */
export function compactOwnedPaths(fieldsV1: Record<string, unknown>): string {
  return ownedFieldPaths(fieldsV1)
    .map((p) => p.join(SEGMENT_SEPARATOR))
    .join(PATH_SEPARATOR);
}

function ownedPathsOf(entry: CompactManagedFieldsEntry): string[][] {
  if (entry.ownedPaths !== undefined) {
    return entry.ownedPaths === ""
      ? []
      : entry.ownedPaths.split(PATH_SEPARATOR).map((p) => p.split(SEGMENT_SEPARATOR));
  }
  return entry.fieldsV1 ? ownedFieldPaths(entry.fieldsV1) : [];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isEmpty(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    (Array.isArray(v) && v.length === 0) ||
    (isPlainObject(v) && Object.keys(v).length === 0)
  );
}

function subsetMatches(desired: unknown, live: unknown, path: string[]): boolean {
  if (desired === undefined || desired === null) return true;
  if (isEmpty(desired) && isEmpty(live)) return true;
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((d, i) => subsetMatches(d, live[i], path));
  }
  if (isPlainObject(desired)) {
    if (!isPlainObject(live)) return false;
    return Object.entries(desired).every(([k, v]) => subsetMatches(v, live[k], [...path, k]));
  }
  if (desired === live) return true;
  // The server normalises quantities ("0.5" is stored as "500m", "1024Mi" as "1Gi").
  if (path.includes("resources") || path.includes("capacity")) {
    const a = parseQuantity(desired);
    const b = parseQuantity(live);
    return a !== undefined && b !== undefined && Math.abs(a - b) <= Math.abs(a) * 1e-9;
  }
  return false;
}

const SUFFIXES: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity as a number, or undefined if it is not one. */
export function parseQuantity(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v !== "string") return undefined;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(v);
  if (!m) return undefined;
  const factor = SUFFIXES[m[2] ?? ""];
  return factor === undefined ? undefined : Number(m[1]) * factor;
}

/**
 * Paths of the fields a managedFields entry owns, down to maps' keys; a list counts as one field
 * (its elements are compared by subsetMatches).
 */
export function ownedFieldPaths(fields: Record<string, unknown>, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [key, child] of Object.entries(fields)) {
    if (!key.startsWith("f:")) continue;
    const path = [...prefix, key.slice(2)];
    const keys = isPlainObject(child) ? Object.keys(child).filter((k) => k !== ".") : [];
    const isList = keys.some((k) => k.startsWith("k:") || k.startsWith("v:") || k.startsWith("i:"));
    if (isList || keys.length === 0) out.push(path);
    else out.push(...ownedFieldPaths(child as Record<string, unknown>, path));
  }
  return out;
}

function hasPath(obj: unknown, path: string[]): boolean {
  let cur: unknown = obj;
  for (const part of path) {
    if (Array.isArray(cur)) return true;
    if (!isPlainObject(cur) || !(part in cur) || cur[part] === undefined) return false;
    cur = cur[part];
  }
  return true;
}
