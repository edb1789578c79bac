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

/**
 * Sets read from a stored object's managedFields, by their (deep-frozen) fieldsV1, and the other way
 * round: neither side ever changes, so an owner whose fields a write leaves alone costs that write no
 * decoding or encoding, and its entry in the new object is the very same frozen fieldsV1.
 */
const decodedSets = new WeakMap<object, FieldSet>();
const storedEncodings = new WeakMap<FieldSet, JsonObject>();
/**
 * The set each encoding was made from: when the encoding comes back frozen in a stored object, that set
 * is its decoding, without reading it again. Nothing changes an encoding on its way into the store.
 */
const encodedFrom = new WeakMap<JsonObject, FieldSet>();

/**
 * The fieldsV1 of members sorted as strings, in one pass: each member's nodes are made right after its
 * parent's and before anything that sorts after it, so keys are created in their final order ("." before
 * the children of a member, then the children in plain string order, as the real server writes them).
 * That holds unless an element has a character sorting before SEP (a control character in a field
 * name): a node's children would then come out of order, and the answer is undefined.
 */
function encodeSorted(sorted: readonly string[]): JsonObject | undefined {
  const root: JsonObject = {};
  // The path from the root to the last member: each entry's joined path, node, last child's key, and
  // whether it is a member.
  const stack: { path: string; node: JsonObject; lastChild: string | undefined; member: boolean }[] = [
    { path: "", node: root, lastChild: undefined, member: false },
  ];
  for (const m of sorted) {
    // The empty path stands for the object itself (it sorts first).
    if (m === "") {
      stack[0]!.member = true;
      continue;
    }
    let top = stack[stack.length - 1]!;
    while (stack.length > 1 && !(m.startsWith(top.path) && m.charCodeAt(top.path.length) === 10)) {
      stack.pop();
      top = stack[stack.length - 1]!;
    }
    let from = stack.length === 1 ? 0 : top.path.length + 1;
    for (;;) {
      const end = m.indexOf(SEP, from);
      const el = end < 0 ? m.slice(from) : m.slice(from, end);
      if (top.lastChild === undefined) {
        // A member that has children gets a "." entry, so membership survives the encoding.
        if (top.member) top.node["."] = {};
      } else if (el <= top.lastChild) return undefined;
      top.lastChild = el;
      const node: JsonObject = {};
      top.node[el] = node;
      top = { path: end < 0 ? m : m.slice(0, end), node, lastChild: undefined, member: false };
      stack.push(top);
      if (end < 0) break;
      from = end + 1;
    }
    top.member = true;
  }
  return root;
}

/** A node of the tree encodeByTree builds: whether its path is a member, and its children. */
interface TreeNode {
  member: boolean;
  children: Map<string, TreeNode>;
}

function encodeNode(node: TreeNode): JsonObject {
  const out: JsonObject = {};
  if (node.member && node.children.size > 0) out["."] = {};
  // Plain string order: "." would come first anyway, before "f:", "k:" and "v:".
  for (const k of [...node.children.keys()].sort()) out[k] = encodeNode(node.children.get(k)!);
  return out;
}

/** The same encoding for any members (field names may hold any character): a tree, sorted level by level. */
function encodeByTree(members: Iterable<string>): JsonObject {
  const root: TreeNode = { member: false, children: new Map() };
  for (const m of members) {
    let node = root;
    let from = 0;
    for (;;) {
      const end = m.indexOf(SEP, from);
      const el = end < 0 ? m.slice(from) : m.slice(from, end);
      let child = node.children.get(el);
      if (!child) {
        child = { member: false, children: new Map() };
        node.children.set(el, child);
      }
      node = child;
      if (end < 0) break;
      from = end + 1;
    }
    node.member = true;
  }
  return encodeNode(root);
}

export class FieldSet {
  private readonly members: Set<string>;

  constructor(members?: Iterable<string>) {
    this.members = new Set(members);
  }

  static ofPaths(paths: FieldPath[]): FieldSet {
    return new FieldSet(paths.map(join));
  }

  /** Adds a path to a set being built (never to one read from a stored object: those are shared). */
  add(path: FieldPath): void {
    this.addJoined(join(path));
  }

  /** add() for a path already joined with SEP. */
  addJoined(member: string): void {
    if (storedEncodings.has(this)) throw new Error("a field set read from a stored object cannot change");
    this.members.add(member);
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

  /** Whether both sets have the same members. */
  equals(other: FieldSet): boolean {
    if (other === this) return true;
    if (other.members.size !== this.members.size) return false;
    for (const m of other.members) if (!this.members.has(m)) return false;
    return true;
  }

  /** The union; `this` itself (or `other`) when the other adds nothing, so unchanged sets keep their identity. */
  union(other: FieldSet): FieldSet {
    if (other.members.size === 0 || other === this) return this;
    if (this.members.size === 0) return other;
    const added: string[] = [];
    for (const m of other.members) if (!this.members.has(m)) added.push(m);
    if (added.length === 0) return this;
    return new FieldSet([...this.members, ...added]);
  }

  /** The difference; `this` itself when nothing is taken away. */
  difference(other: FieldSet): FieldSet {
    if (other.members.size === 0 || this.members.size === 0) return this;
    const kept = [...this.members].filter((m) => !other.members.has(m));
    return kept.length === this.members.size ? this : new FieldSet(kept);
  }

  intersection(other: FieldSet): FieldSet {
    if (this.members.size === 0 || other.members.size === 0) return new FieldSet();
    return new FieldSet([...this.members].filter((m) => other.members.has(m)));
  }

  /** Whether any member lies strictly below `path`. */
  hasDescendant(path: FieldPath): boolean {
    const prefix = join(path) + SEP;
    for (const m of this.members) if (m.startsWith(prefix)) return true;
    return false;
  }

  toFieldsV1(): JsonObject {
    const stored = storedEncodings.get(this);
    if (stored) return stored;
    const sorted = [...this.members].sort();
    const encoded = encodeSorted(sorted) ?? encodeByTree(sorted);
    encodedFrom.set(encoded, this);
    return encoded;
  }

  static fromFieldsV1(fields: unknown): FieldSet {
    const frozen = isObject(fields) && Object.isFrozen(fields);
    if (frozen) {
      const known = decodedSets.get(fields) ?? encodedFrom.get(fields);
      if (known) {
        decodedSets.set(fields, known);
        storedEncodings.set(known, fields);
        return known;
      }
    }
    const set = new FieldSet();
    const walk = (node: JsonObject, path: string | undefined) => {
      const keys = Object.keys(node);
      if (path !== undefined && (keys.length === 0 || "." in node)) set.members.add(path);
      for (const k of keys) {
        const child = node[k];
        if (k !== "." && isObject(child)) walk(child, path === undefined ? k : `${path}${SEP}${k}`);
      }
    };
    if (isObject(fields)) walk(fields, undefined);
    if (frozen) {
      decodedSets.set(fields, set);
      storedEncodings.set(set, fields);
    }
    return set;
  }
}

/** Which part of an object a request may touch: the status subresource splits it in two. */
export type FieldScope = "all" | "main" | "status";

// The walks below build members as joined strings (SEP between elements): no array per path.
function walk(value: unknown, type: FieldType, path: string, set: FieldSet): void {
  if (Array.isArray(value)) {
    const lt = type.listType();
    if (lt.type === "atomic" || value.length === 0) {
      set.addJoined(path);
      return;
    }
    if (lt.type === "set") {
      for (const item of value) set.addJoined(`${path}${SEP}v:${JSON.stringify(item)}`);
      return;
    }
    for (const item of value) {
      const key = itemKey(item, lt.keys);
      if (!key) {
        set.addJoined(path);
        return;
      }
      const itemPath = `${path}${SEP}k:${key}`;
      set.addJoined(itemPath);
      walkObject(item as JsonObject, type.item(), itemPath, set);
    }
    return;
  }
  if (isObject(value)) {
    if (type.isAtomic()) {
      set.addJoined(path);
      return;
    }
    if (type.isMap() || Object.keys(value).length === 0) set.addJoined(path);
    walkObject(value, type, path, set);
    return;
  }
  set.addJoined(path);
}

function walkObject(o: JsonObject, type: FieldType, path: string, set: FieldSet): void {
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === undefined) continue;
    walk(v, type.child(k), `${path}${SEP}f:${k}`, set);
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
      if (Object.keys(meta).length) walkObject(meta, type.child("metadata"), "f:metadata", set);
      continue;
    }
    walk(v, type.child(k), `f:${k}`, set);
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
