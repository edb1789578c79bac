import type { KubeObject } from "../api/kube-object.js";
import { FIELD_MANAGER } from "../kube/client.js";
import { type CompactManagedFieldsEntry, compactOwnedPaths } from "./diff.js";

/** kubectl's client-side apply keeps the whole last applied object in this annotation. */
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * What the controller keeps of each object it caches: everything but what it never reads. Of
 * managedFields only its own Apply entry (it tells which fields a spec no longer asks for), in a
 * compact form (the owned paths as one string, see diff.ts), without
 * kubectl's last-applied copy, and of a pod only its metadata and status (the containers' states).
 * At a thousand WebApps this halves the cache; objects are frozen afterwards, so this copies.
 */
export function trimForCache(obj: KubeObject): KubeObject {
  const meta = obj.metadata;
  const managedFields = meta.managedFields
    ?.filter((m) => m.manager === FIELD_MANAGER && m.operation === "Apply" && !m.subresource)
    .map(compactEntry);
  const annotations =
    meta.annotations?.[LAST_APPLIED] === undefined ? meta.annotations : withoutLastApplied(meta.annotations);
  const metadata = { ...meta, managedFields, annotations };
  if (!managedFields?.length) delete metadata.managedFields;
  if (annotations === undefined) delete metadata.annotations;
  if (obj.kind === "Pod") return { apiVersion: obj.apiVersion, kind: obj.kind, metadata, status: obj.status };
  return { ...obj, metadata };
}

/** Our entry with its owned paths as one string in place of the fieldsV1 tree (diff.ts reads it). */
function compactEntry(entry: CompactManagedFieldsEntry): CompactManagedFieldsEntry {
  if (entry.ownedPaths !== undefined || !entry.fieldsV1) return entry;
  const { fieldsV1, ...rest } = entry;
  return { ...rest, ownedPaths: interned(compactOwnedPaths(fieldsV1)) };
}

/**
 * One copy of each distinct owned-paths string: the children of one kind mostly own the same fields,
 * so a thousand WebApps share a few dozen strings. Bounded, in case specs vary without end.
 */
const INTERNED = new Map<string, string>();
const INTERNED_LIMIT = 2000;
function interned(s: string): string {
  const known = INTERNED.get(s);
  if (known !== undefined) return known;
  if (INTERNED.size < INTERNED_LIMIT) INTERNED.set(s, s);
  return s;
}

function withoutLastApplied(annotations: Record<string, string>): Record<string, string> | undefined {
  const { [LAST_APPLIED]: _, ...rest } = annotations;
  return Object.keys(rest).length > 0 ? rest : undefined;
}
