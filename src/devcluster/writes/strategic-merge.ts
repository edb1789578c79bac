/**
 * Strategic merge patch for the built-in kinds: keyed lists (containers by name, ports, env, volumes,
 * conditions...) merge item by item, primitive merge lists take a union, other lists are replaced; with the
 * directives kubectl sends: `$patch` (replace/delete/merge), `$retainKeys`, `$setElementOrder/<list>` and
 * `$deleteFromPrimitiveList/<list>`.
 */

import { deepClone, deepEqual, isObject, type JsonObject } from "../types.js";
import type { FieldType } from "./field-types.js";

export class StrategicMergeError extends Error {}

const SET_ORDER = "$setElementOrder/";
const DELETE_FROM = "$deleteFromPrimitiveList/";

function mergeKey(type: FieldType): string | undefined {
  const lt = type.listType();
  return lt.type === "map" ? lt.keys[0] : undefined;
}

function mergeList(live: unknown, patch: unknown[], type: FieldType): unknown[] {
  const lt = type.listType();
  if (patch.some((p) => isObject(p) && p.$patch === "replace")) {
    return patch.filter((p) => !(isObject(p) && p.$patch === "replace")).map(deepClone);
  }
  if (!Array.isArray(live) || lt.type === "atomic") {
    return patch.filter((p) => !(isObject(p) && p.$patch === "delete")).map((p) => stripDirectives(p));
  }
  if (lt.type === "set") {
    const out = [...live];
    for (const v of patch) if (!out.some((x) => deepEqual(x, v))) out.push(deepClone(v));
    return out;
  }
  const key = mergeKey(type)!;
  const out = [...live];
  for (const item of patch) {
    if (!isObject(item) || item[key] === undefined)
      throw new StrategicMergeError(
        `map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`,
      );
    const i = out.findIndex((x) => isObject(x) && deepEqual(x[key], item[key]));
    if (item.$patch === "delete") {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) out[i] = strategicMerge(out[i], item, type.item());
    else out.push(stripDirectives(item));
  }
  return out;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith("$")) continue;
    if (x !== null) out[k] = stripDirectives(x);
  }
  return out;
}

function order(list: unknown[], wanted: unknown[], key: string | undefined): unknown[] {
  const id = (x: unknown) => (key && isObject(x) ? x[key] : x);
  const pos = (x: unknown) => wanted.findIndex((w) => deepEqual(isObject(w) && key ? w[key] : w, id(x)));
  const listed = list.filter((x) => pos(x) >= 0).sort((a, b) => pos(a) - pos(b));
  return [...listed, ...list.filter((x) => pos(x) < 0)];
}

export function strategicMerge(live: unknown, patch: unknown, type: FieldType): unknown {
  if (!isObject(patch)) return deepClone(patch);
  if (patch.$patch === "replace") return stripDirectives(patch);
  if (patch.$patch === "delete") return undefined;
  const out: JsonObject = isObject(live) ? { ...live } : {};
  const orders: [string, unknown[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === "$patch" || k === "$retainKeys") continue;
    if (k.startsWith(SET_ORDER)) {
      if (Array.isArray(v)) orders.push([k.slice(SET_ORDER.length), v]);
      continue;
    }
    if (k.startsWith(DELETE_FROM)) {
      const field = k.slice(DELETE_FROM.length);
      if (Array.isArray(out[field]) && Array.isArray(v))
        out[field] = (out[field] as unknown[]).filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const childType = type.child(k);
    if (Array.isArray(v)) out[k] = mergeList(out[k], v, childType);
    else if (isObject(v)) {
      const merged = childType.isAtomic() ? stripDirectives(v) : strategicMerge(out[k], v, childType);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = v;
  }
  for (const [field, wanted] of orders) {
    if (Array.isArray(out[field]))
      out[field] = order(out[field] as unknown[], wanted, mergeKey(type.child(field)));
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  return out;
}
