/** A JSON object as it travels over the wire. */
export type JsonObject = Record<string, unknown>;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  fieldsType: "FieldsV1";
  fieldsV1: JsonObject;
  subresource?: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

/** Any Kubernetes object. Stored objects are never mutated: every write stores a fresh copy. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

/** Who is asking: the authenticated user of a request, or an in-process controller. */
export interface UserInfo {
  name: string;
  groups: string[];
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A copy of a JSON value. Through JSON text rather than structuredClone: for plain JSON objects it is
 * several times faster (the server copies every object it stores and hands out), and the result is
 * exactly what a client would receive.
 */
export function deepClone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/**
 * A private, mutable copy of an object about to be written. A stored object's managedFields are the one
 * part shared instead of copied: deep-frozen and never changed in place (every write replaces them
 * whole), they keep the field sets read from them cached (writes/fieldset.ts). Key order is kept.
 */
export function copyForWrite<T>(obj: T): T {
  const meta = isObject(obj) ? obj.metadata : undefined;
  const managedFields = isObject(meta) ? meta.managedFields : undefined;
  if (!Array.isArray(managedFields) || !Object.isFrozen(managedFields)) return deepClone(obj);
  const placeholder: JsonObject = {};
  for (const k of Object.keys(meta as JsonObject))
    placeholder[k] = k === "managedFields" ? null : (meta as JsonObject)[k];
  const copy = deepClone({ ...(obj as JsonObject), metadata: placeholder });
  (copy.metadata as JsonObject).managedFields = managedFields;
  return copy as T;
}

/** A YAML or JSON request body: JSON (what most clients send, YAML's subset) parsed the fast way. */
export function parseYamlOrJson(text: string, loadYaml: (text: string) => unknown): unknown {
  return readYamlOrJson(text, loadYaml).value;
}

/** parseYamlOrJson, saying whether the text was JSON (then the value is plain JSON, nothing else). */
export function readYamlOrJson(
  text: string,
  loadYaml: (text: string) => unknown,
): { value: unknown; json: boolean } {
  const first = text.trimStart()[0];
  if (first === "{" || first === "[") {
    try {
      return { value: JSON.parse(text), json: true };
    } catch {
      // Flow-style YAML that is not JSON: the YAML parser decides.
    }
  }
  return { value: loadYaml(text), json: false };
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
}

/**
 * Whether two JSON values would serialize to the same text: deepEqual, and object keys in the same
 * order. A copy that passes can stand for the other value's own copy.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) return false;
  for (let i = 0; i < ak.length; i++) {
    const k = ak[i]!;
    if (k !== bk[i] || !sameJson((a as JsonObject)[k], (b as JsonObject)[k])) return false;
  }
  return true;
}
