/**
 * Decoding of the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown) for the request bodies kubectl's
 * typed clients send as protobuf: `kubectl auth can-i` / `auth whoami` reviews and the `kubectl create`
 * generators for namespaces, configmaps, secrets, service accounts and RBAC objects. Answers are always JSON
 * (kubectl accepts both). Other kinds get a 415 naming the kind.
 */
import { unsupportedMediaType } from "../errors.js";
import type { JsonObject } from "../types.js";

type Scalar = "string" | "int" | "bool" | "bytes" | "time";
type FieldType = Scalar | { message: string } | { map: [Scalar, Scalar] };
type Field = [name: string, type: FieldType, repeated?: boolean];
type MessageDef = Record<number, Field>;

const str: FieldType = "string";
const msg = (message: string): FieldType => ({ message });
const strMap: FieldType = { map: ["string", "string"] };

const MESSAGES: Record<string, MessageDef> = {
  ObjectMeta: {
    1: ["name", str],
    2: ["generateName", str],
    3: ["namespace", str],
    5: ["uid", str],
    6: ["resourceVersion", str],
    7: ["generation", "int"],
    8: ["creationTimestamp", "time"],
    11: ["labels", strMap],
    12: ["annotations", strMap],
    13: ["ownerReferences", msg("OwnerReference"), true],
    14: ["finalizers", str, true],
  },
  OwnerReference: {
    1: ["kind", str],
    3: ["name", str],
    4: ["uid", str],
    5: ["apiVersion", str],
    6: ["controller", "bool"],
    7: ["blockOwnerDeletion", "bool"],
  },
  Namespace: { 1: ["metadata", msg("ObjectMeta")], 2: ["spec", msg("NamespaceSpec")] },
  NamespaceSpec: { 1: ["finalizers", str, true] },
  ConfigMap: {
    1: ["metadata", msg("ObjectMeta")],
    2: ["data", strMap],
    3: ["binaryData", { map: ["string", "bytes"] }],
    4: ["immutable", "bool"],
  },
  Secret: {
    1: ["metadata", msg("ObjectMeta")],
    2: ["data", { map: ["string", "bytes"] }],
    3: ["type", str],
    4: ["stringData", strMap],
    5: ["immutable", "bool"],
  },
  ServiceAccount: {
    1: ["metadata", msg("ObjectMeta")],
    3: ["imagePullSecrets", msg("LocalObjectReference"), true],
    4: ["automountServiceAccountToken", "bool"],
  },
  LocalObjectReference: { 1: ["name", str] },
  SelfSubjectAccessReview: {
    1: ["metadata", msg("ObjectMeta")],
    2: ["spec", msg("SelfSubjectAccessReviewSpec")],
  },
  SelfSubjectAccessReviewSpec: {
    1: ["resourceAttributes", msg("ResourceAttributes")],
    2: ["nonResourceAttributes", msg("NonResourceAttributes")],
  },
  SubjectAccessReview: { 1: ["metadata", msg("ObjectMeta")], 2: ["spec", msg("SubjectAccessReviewSpec")] },
  SubjectAccessReviewSpec: {
    1: ["resourceAttributes", msg("ResourceAttributes")],
    2: ["nonResourceAttributes", msg("NonResourceAttributes")],
    3: ["user", str],
    4: ["groups", str, true],
    6: ["uid", str],
  },
  ResourceAttributes: {
    1: ["namespace", str],
    2: ["verb", str],
    3: ["group", str],
    4: ["version", str],
    5: ["resource", str],
    6: ["subresource", str],
    7: ["name", str],
  },
  NonResourceAttributes: { 1: ["path", str], 2: ["verb", str] },
  SelfSubjectRulesReview: {
    1: ["metadata", msg("ObjectMeta")],
    2: ["spec", msg("SelfSubjectRulesReviewSpec")],
  },
  SelfSubjectRulesReviewSpec: { 1: ["namespace", str] },
  SelfSubjectReview: { 1: ["metadata", msg("ObjectMeta")] },
  Role: { 1: ["metadata", msg("ObjectMeta")], 2: ["rules", msg("PolicyRule"), true] },
  ClusterRole: {
    1: ["metadata", msg("ObjectMeta")],
    2: ["rules", msg("PolicyRule"), true],
    3: ["aggregationRule", msg("AggregationRule")],
  },
  AggregationRule: { 1: ["clusterRoleSelectors", msg("LabelSelector"), true] },
  LabelSelector: {
    1: ["matchLabels", strMap],
    2: ["matchExpressions", msg("LabelSelectorRequirement"), true],
  },
  LabelSelectorRequirement: { 1: ["key", str], 2: ["operator", str], 3: ["values", str, true] },
  PolicyRule: {
    1: ["verbs", str, true],
    2: ["apiGroups", str, true],
    3: ["resources", str, true],
    4: ["resourceNames", str, true],
    5: ["nonResourceURLs", str, true],
  },
  RoleBinding: {
    1: ["metadata", msg("ObjectMeta")],
    2: ["subjects", msg("Subject"), true],
    3: ["roleRef", msg("RoleRef")],
  },
  ClusterRoleBinding: {
    1: ["metadata", msg("ObjectMeta")],
    2: ["subjects", msg("Subject"), true],
    3: ["roleRef", msg("RoleRef")],
  },
  Subject: { 1: ["kind", str], 2: ["apiGroup", str], 3: ["name", str], 4: ["namespace", str] },
  RoleRef: { 1: ["apiGroup", str], 2: ["kind", str], 3: ["name", str] },
  Time: { 1: ["seconds", "int"], 2: ["nanos", "int"] },
  Unknown: { 1: ["typeMeta", msg("TypeMeta")], 2: ["raw", "bytes"] },
  TypeMeta: { 1: ["apiVersion", str], 2: ["kind", str] },
};

type Wire = { field: number; wire: number; value: bigint | Uint8Array };

function* fields(buf: Uint8Array): Generator<Wire> {
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error("truncated varint");
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const wire = key & 7;
    const field = key >>> 3;
    if (wire === 0) yield { field, wire, value: varint() };
    else if (wire === 2) {
      const len = Number(varint());
      yield { field, wire, value: buf.subarray(i, i + len) };
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

const text = (v: bigint | Uint8Array) =>
  v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : String(v);

function scalar(type: Scalar, v: bigint | Uint8Array): unknown {
  switch (type) {
    case "string":
      return text(v);
    case "int":
      return typeof v === "bigint" ? Number(BigInt.asIntN(64, v)) : 0;
    case "bool":
      return v !== 0n;
    case "bytes":
      return Buffer.from(v as Uint8Array).toString("base64");
    case "time": {
      const t = decodeMessage("Time", v as Uint8Array);
      return `${new Date(Number(t.seconds ?? 0) * 1000).toISOString().slice(0, 19)}Z`;
    }
  }
}

function decodeMessage(name: string, buf: Uint8Array): JsonObject {
  const def = MESSAGES[name]!;
  const out: JsonObject = {};
  for (const f of fields(buf)) {
    const d = def[f.field];
    if (!d) continue;
    const [key, type, repeated] = d;
    let value: unknown;
    if (typeof type === "string") value = scalar(type, f.value);
    else if ("message" in type) value = decodeMessage(type.message, f.value as Uint8Array);
    else {
      let k: unknown = "";
      let v: unknown = type.map[1] === "bytes" ? "" : "";
      for (const e of fields(f.value as Uint8Array)) {
        if (e.field === 1) k = scalar(type.map[0], e.value);
        if (e.field === 2) v = scalar(type.map[1], e.value);
      }
      const m = (out[key] as JsonObject | undefined) ?? {};
      m[String(k)] = v;
      out[key] = m;
      continue;
    }
    if (repeated) out[key] = [...((out[key] as unknown[] | undefined) ?? []), value];
    else out[key] = value;
  }
  return out;
}

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

/** Decodes a protobuf request body into the JSON object it stands for. */
export function decodeProtobufObject(body: Buffer, contentType: string): JsonObject {
  if (body.length < 4 || MAGIC.some((b, i) => body[i] !== b))
    throw unsupportedMediaType(contentType, ["application/json", "application/yaml"]);
  const unknown = decodeMessage("Unknown", body.subarray(4));
  const typeMeta = (unknown.typeMeta as JsonObject | undefined) ?? {};
  const kind = String(typeMeta.kind ?? "");
  if (!MESSAGES[kind] || ["Unknown", "TypeMeta", "Time"].includes(kind)) {
    throw unsupportedMediaType(`${contentType} (kind ${kind || "unknown"}: send it as application/json)`, [
      "application/json",
      "application/yaml",
    ]);
  }
  const raw = Buffer.from(String(unknown.raw ?? ""), "base64");
  return { apiVersion: typeMeta.apiVersion, kind, ...decodeMessage(kind, raw) };
}
