/*
 * The shape of any Kubernetes object as the operator handles it: plain JSON, exactly as the API server
 * sends it (the cache keeps it that way) and as the renderer builds it. One type for every layer; the
 * typed kinds (`kubernetes-models`' IDeployment, ...) are used where an object is built.
 */

/** Where a kind lives in the REST API. */
export interface ResourceType {
  apiVersion: string;
  kind: string;
  plural: string;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
  managedFields?: ManagedFieldsEntry[];
  [field: string]: unknown;
}

/** The minimal shape every Kubernetes object has; everything else is read defensively. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** `namespace/name`, the work-queue key and cache key of a namespaced object. */
export function objectKey(obj: { metadata: { name: string; namespace?: string } }): string {
  return `${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
}
