import type { ResourceType } from "../api/kube-object.js";

export type {
  KubeObject,
  ManagedFieldsEntry,
  ObjectMeta,
  OwnerReference,
  ResourceType,
} from "../api/kube-object.js";
export { objectKey } from "../api/kube-object.js";

/** Kinds the operator's own machinery uses besides its children (those are in render/child-kinds.ts). */
export const Kinds = {
  Namespace: { apiVersion: "v1", kind: "Namespace", plural: "namespaces" },
  Event: { apiVersion: "v1", kind: "Event", plural: "events" },
  Pod: { apiVersion: "v1", kind: "Pod", plural: "pods" },
  Lease: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", plural: "leases" },
  CustomResourceDefinition: {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    plural: "customresourcedefinitions",
  },
} as const satisfies Record<string, ResourceType>;

/**
 * REST path of a collection or of one object. `namespace` undefined means all namespaces (collections only).
 */
export function resourcePath(
  type: ResourceType,
  namespace: string | undefined,
  name?: string,
  subresource?: string,
): string {
  const base = type.apiVersion.includes("/") ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  let path = namespace === undefined ? base : `${base}/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${type.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}
