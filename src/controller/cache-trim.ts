import type { KubeObject } from "../api/kube-object.js";
import { FIELD_MANAGER } from "../kube/client.js";

/** kubectl's client-side apply keeps the whole last applied object in this annotation. */
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * What the controller keeps of each object it caches: everything but what it never reads. Of
 * managedFields only its own Apply entry (it tells which fields a spec no longer asks for), without
 * kubectl's last-applied copy, and of a pod only its metadata and status (the containers' states).
 * At a thousand WebApps this halves the cache; objects are frozen afterwards, so this copies.
 */
export function trimForCache(obj: KubeObject): KubeObject {
  const meta = obj.metadata;
  const managedFields = meta.managedFields?.filter(
    (m) => m.manager === FIELD_MANAGER && m.operation === "Apply" && !m.subresource,
  );
  const annotations =
    meta.annotations?.[LAST_APPLIED] === undefined ? meta.annotations : withoutLastApplied(meta.annotations);
  const metadata = { ...meta, managedFields, annotations };
  if (!managedFields?.length) delete metadata.managedFields;
  if (annotations === undefined) delete metadata.annotations;
  if (obj.kind === "Pod") return { apiVersion: obj.apiVersion, kind: obj.kind, metadata, status: obj.status };
  return { ...obj, metadata };
}

function withoutLastApplied(annotations: Record<string, string>): Record<string, string> | undefined {
  const { [LAST_APPLIED]: _, ...rest } = annotations;
  return Object.keys(rest).length > 0 ? rest : undefined;
}
