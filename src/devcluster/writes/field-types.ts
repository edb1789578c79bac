/**
 * What merges need to know about a field: how a list merges (atomic, set, or map keyed by some fields) and
 * whether an object is a free-form map (labels) or a struct. Built-in kinds use the list semantics of their
 * Go struct tags (patchMergeKey / listType) for the fields the project uses; custom resources use their
 * OpenAPI schema's x-kubernetes-list-type / x-kubernetes-map-type, as the real server does.
 */
import type { JsonObject } from "../types.js";

export type ListType = { type: "atomic" } | { type: "set" } | { type: "map"; keys: string[] };

export interface FieldType {
  child(name: string): FieldType;
  item(): FieldType;
  listType(): ListType;
  /** A free-form map (labels, annotations, data): its own presence is a member of a field set (".") */
  isMap(): boolean;
  /** x-kubernetes-map-type: atomic; the whole object is replaced and owned as one field. */
  isAtomic(): boolean;
}

const ATOMIC: ListType = { type: "atomic" };
const SET: ListType = { type: "set" };
const mapKeyed = (...keys: string[]): ListType => ({ type: "map", keys });

const MAP_FIELDS = new Set([
  "labels",
  "annotations",
  "matchLabels",
  "nodeSelector",
  "data",
  "binaryData",
  "stringData",
  "limits",
  "requests",
]);

/** How a list of a built-in kind merges, by the names of the fields leading to it. */
export function builtinListType(path: readonly string[]): ListType {
  const name = path[path.length - 1];
  const parent = path[path.length - 2];
  switch (name) {
    case "containers":
    case "initContainers":
    case "ephemeralContainers":
    case "env":
    case "volumes":
    case "imagePullSecrets":
    case "resourceClaims":
    case "secrets":
      return mapKeyed("name");
    case "volumeMounts":
      return mapKeyed("mountPath");
    case "volumeDevices":
      return mapKeyed("devicePath");
    case "conditions":
      return mapKeyed("type");
    case "ownerReferences":
      return mapKeyed("uid");
    case "finalizers":
      return SET;
    case "hostAliases":
      return mapKeyed("ip");
    case "topologySpreadConstraints":
      return mapKeyed("topologyKey", "whenUnsatisfiable");
    case "ports":
      if (path.includes("containers") || path.includes("initContainers"))
        return mapKeyed("containerPort", "protocol");
      if (parent === "spec" && path.length === 2) return mapKeyed("port", "protocol");
      return ATOMIC;
    default:
      return ATOMIC;
  }
}

const MAX_KEPT_CHILDREN = 256;

/** Field semantics of the built-in kinds, decided by the path of field names (list positions left out). */
export class BuiltinFieldType implements FieldType {
  /**
   * Children already asked for: a struct's field names are few (unknown ones are dropped before any
   * merge), so they are kept, up to a bound; a map's keys are anybody's (labels, data), so they are not.
   */
  private readonly children = new Map<string, BuiltinFieldType>();
  private readonly list: ListType;
  private readonly map: boolean;

  constructor(private readonly path: readonly string[] = []) {
    this.list = builtinListType(path);
    const name = path[path.length - 1];
    this.map = name !== undefined && MAP_FIELDS.has(name);
  }
  child(name: string): FieldType {
    if (this.map) return new BuiltinFieldType([...this.path, name]);
    let child = this.children.get(name);
    if (!child) {
      child = new BuiltinFieldType([...this.path, name]);
      if (this.children.size < MAX_KEPT_CHILDREN) this.children.set(name, child);
    }
    return child;
  }
  item(): FieldType {
    return this;
  }
  listType(): ListType {
    return this.list;
  }
  isMap(): boolean {
    return this.map;
  }
  isAtomic(): boolean {
    return false;
  }
}

/** Anything under x-kubernetes-preserve-unknown-fields without a schema: maps granular, lists atomic. */
class UntypedFieldType implements FieldType {
  child(): FieldType {
    return this;
  }
  item(): FieldType {
    return this;
  }
  listType(): ListType {
    return ATOMIC;
  }
  isMap(): boolean {
    return true;
  }
  isAtomic(): boolean {
    return false;
  }
}
const UNTYPED = new UntypedFieldType();

/** Field semantics read from a structural OpenAPI v3 schema (a CRD version's openAPIV3Schema). */
export class SchemaFieldType implements FieldType {
  constructor(private readonly schema: JsonObject | undefined) {}
  child(name: string): FieldType {
    const s = this.schema;
    if (!s) return UNTYPED;
    const props = s.properties as Record<string, JsonObject> | undefined;
    if (props?.[name]) return new SchemaFieldType(props[name]);
    const additional = s.additionalProperties;
    if (additional && typeof additional === "object") return new SchemaFieldType(additional as JsonObject);
    return UNTYPED;
  }
  item(): FieldType {
    const items = this.schema?.items;
    return items && typeof items === "object" ? new SchemaFieldType(items as JsonObject) : UNTYPED;
  }
  listType(): ListType {
    const t = this.schema?.["x-kubernetes-list-type"];
    if (t === "set") return SET;
    if (t === "map") return mapKeyed(...((this.schema?.["x-kubernetes-list-map-keys"] as string[]) ?? []));
    return ATOMIC;
  }
  isMap(): boolean {
    const s = this.schema;
    if (!s) return true;
    if (s.properties) return false;
    return s.additionalProperties !== undefined || s["x-kubernetes-preserve-unknown-fields"] === true;
  }
  isAtomic(): boolean {
    return this.schema?.["x-kubernetes-map-type"] === "atomic";
  }
}

const CUSTOM_RESOURCE_METADATA = new BuiltinFieldType(["metadata"]);

/** The root type of a custom resource: metadata follows the built-in rules, the rest its schema. */
export class CustomResourceFieldType implements FieldType {
  private readonly body: SchemaFieldType;
  constructor(schema: JsonObject | undefined) {
    this.body = new SchemaFieldType(schema);
  }
  child(name: string): FieldType {
    return name === "metadata" ? CUSTOM_RESOURCE_METADATA : this.body.child(name);
  }
  item(): FieldType {
    return this.body.item();
  }
  listType(): ListType {
    return ATOMIC;
  }
  isMap(): boolean {
    return false;
  }
  isAtomic(): boolean {
    return false;
  }
}

/** The list item's key as fieldsV1 writes it: `{"name":"web"}` with the key fields in sorted order. */
export function itemKey(item: unknown, keys: string[]): string | undefined {
  if (typeof item !== "object" || item === null) return undefined;
  const o = item as JsonObject;
  const parts: string[] = [];
  for (const k of [...keys].sort()) {
    if (o[k] === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${JSON.stringify(o[k])}`);
  }
  return parts.length ? `{${parts.join(",")}}` : undefined;
}
