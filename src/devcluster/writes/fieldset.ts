/**
 * Sets of field paths in the `FieldsV1` encoding of managedFields: `f:name` for a struct or map field,
 * `k:{"name":"web"}` for an item of a keyed list, `v:"value"` for an item of a set list. A member with
 * children is written with a "." entry, as the real server writes it.
 */

import { deepEqual, isObject, type JsonObject } from "../types.js";
import { type FieldType, itemKey } from "./field-types.js";

export type FieldPath = string[];

const SEP = "\n";
const join = (p: FieldPath) => p.join(SEP);
const split = (s: string): FieldPath => (s === "" ? [] : s.split(SEP));

/** Metadata the server owns: never part of anybody's field set. */
const SERVER_METADATA = new Set([
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "managedFields",
  "selfLink",
  "generateName",
]);

export class FieldSet {
  private readonly members: Set<string>;

  constructor(members?: Iterable<string>) {
    this.members = new Set(members);
  }

  static ofPaths(paths: FieldPath[]): FieldSet {
    return new FieldSet(paths.map(join));
  }

  add(path: FieldPath): void {
    this.members.add(join(path));
  }

  has(path: FieldPath): boolean {
    return this.members.has(join(path));
  }

  get size(): number {
    return this.members.size;
  }

  paths(): FieldPath[] {
    return [...this.members].map(split);
  }

  union(other: FieldSet): FieldSet {
    return new FieldSet([...this.members, ...other.members]);
  }

  difference(other: FieldSet): FieldSet {
    return new FieldSet([...this.members].filter((m) => !other.members.has(m)));
  }

  intersection(other: FieldSet): FieldSet {
    return new FieldSet([...this.members].filter((m) => other.members.has(m)));
  }

  /** Whether any member lies strictly below `path`. */
  hasDescendant(path: FieldPath): boolean {
    const prefix = join(path) + SEP;
    for (const m of this.members) if (m.startsWith(prefix)) return true;
    return false;
  }

  toFieldsV1(): JsonObject {
    const root: JsonObject = {};
    const sorted = [...this.members].sort();
    for (const m of sorted) {
      let node = root;
      for (const el of split(m)) {
        if (!isObject(node[el])) node[el] = {};
        node = node[el] as JsonObject;
      }
    }
    // A member that has children gets a "." entry, so membership survives the encoding.
    for (const m of sorted) {
      let node = root;
      for (const el of split(m)) node = node[el] as JsonObject;
      if (Object.keys(node).some((k) => k !== ".")) node["."] = {};
    }
    return sortKeys(root);
  }

  static fromFieldsV1(fields: unknown): FieldSet {
    const set = new FieldSet();
    const walk = (node: unknown, path: FieldPath) => {
      if (!isObject(node)) return;
      const keys = Object.keys(node);
      if (path.length > 0 && (keys.length === 0 || keys.includes("."))) set.add(path);
      for (const k of keys) if (k !== ".") walk(node[k], [...path, k]);
    };
    walk(fields, []);
    return set;
  }
}

function sortKeys(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(o).sort((a, b) =>
    a === "." ? -1 : b === "." ? 1 : a < b ? -1 : a > b ? 1 : 0,
  )) {
    const v = o[k];
    out[k] = isObject(v) ? sortKeys(v) : v;
  }
  return out;
}

/** Which part of an object a request may touch: the status subresource splits it in two. */
export type FieldScope = "all" | "main" | "status";

function walk(value: unknown, type: FieldType, path: FieldPath, set: FieldSet): void {
  if (Array.isArray(value)) {
    const lt = type.listType();
    if (lt.type === "atomic" || value.length === 0) {
      set.add(path);
      return;
    }
    if (lt.type === "set") {
      for (const item of value) set.add([...path, `v:${JSON.stringify(item)}`]);
      return;
    }
    for (const item of value) {
      const key = itemKey(item, lt.keys);
      if (!key) {
        set.add(path);
        return;
      }
      const itemPath = [...path, `k:${key}`];
      set.add(itemPath);
      walkObject(item as JsonObject, type.item(), itemPath, set);
    }
    return;
  }
  if (isObject(value)) {
    if (type.isAtomic()) {
      set.add(path);
      return;
    }
    if (type.isMap() || Object.keys(value).length === 0) set.add(path);
    walkObject(value, type, path, set);
    return;
  }
  set.add(path);
}

function walkObject(o: JsonObject, type: FieldType, path: FieldPath, set: FieldSet): void {
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    walk(v, type.child(k), [...path, `f:${k}`], set);
  }
}

/** Every field path set in `obj`, leaving out server-owned metadata, limited to `scope`. */
export function fieldSetOf(obj: JsonObject, type: FieldType, scope: FieldScope): FieldSet {
  const set = new FieldSet();
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || k === "apiVersion" || k === "kind") continue;
    if (scope === "main" && k === "status") continue;
    if (scope === "status" && k !== "status") continue;
    if (k === "metadata" && isObject(v)) {
      const meta: JsonObject = {};
      for (const [mk, mv] of Object.entries(v))
        if (!SERVER_METADATA.has(mk) && mv !== undefined) meta[mk] = mv;
      if (Object.keys(meta).length) walkObject(meta, type.child("metadata"), ["f:metadata"], set);
      continue;
    }
    walk(v, type.child(k), [`f:${k}`], set);
  }
  return set;
}

type Step =
  | { kind: "field"; name: string }
  | { kind: "key"; key: JsonObject }
  | { kind: "value"; value: unknown };

function parseElement(el: string): Step {
  const body = el.slice(2);
  if (el.startsWith("f:")) return { kind: "field", name: body };
  if (el.startsWith("k:")) return { kind: "key", key: JSON.parse(body) as JsonObject };
  return { kind: "value", value: JSON.parse(body) };
}

function findItem(list: unknown[], step: Step): number {
  if (step.kind === "key") {
    return list.findIndex(
      (it) => isObject(it) && Object.entries(step.key).every(([k, v]) => deepEqual(it[k], v)),
    );
  }
  if (step.kind === "value") return list.findIndex((it) => deepEqual(it, step.value));
  return -1;
}

/** The value at a path, or undefined when absent. */
export function valueAt(obj: unknown, path: FieldPath): unknown {
  let cur: unknown = obj;
  for (const el of path) {
    const step = parseElement(el);
    if (step.kind === "field") {
      if (!isObject(cur)) return undefined;
      cur = cur[step.name];
    } else {
      if (!Array.isArray(cur)) return undefined;
      const i = findItem(cur, step);
      if (i < 0) return undefined;
      cur = cur[i];
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Removes the field or list item at `path` from a mutable object. */
export function removeAt(obj: JsonObject, path: FieldPath): void {
  if (path.length === 0) return;
  const parent = valueAt(obj, path.slice(0, -1));
  const step = parseElement(path[path.length - 1]!);
  if (step.kind === "field") {
    if (isObject(parent)) delete parent[step.name];
  } else if (Array.isArray(parent)) {
    const i = findItem(parent, step);
    if (i >= 0) parent.splice(i, 1);
  }
}

/** Whether `path` names a list item, map or struct (compared by presence; only leaves compare values). */
export function isContainerPath(obj: unknown, path: FieldPath): boolean {
  const last = path[path.length - 1];
  if (last?.startsWith("k:")) return true;
  return isObject(valueAt(obj, path));
}
