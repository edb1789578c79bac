/**
 * Paths of fields inside an object, and the two ways the real server prints them: the decoder's
 * (`spec.template.spec.containers[0].foo`, in strict decoding errors and warnings) and server-side
 * apply's typed paths (`.spec.template.spec.containers[name="web"].foo`, keyed by the list's keys).
 */
import { isObject } from "../types.js";
import type { FieldType } from "../writes/field-types.js";

/** Field names and list positions from the object's root. */
export type FieldPath = (string | number)[];

/** `spec.template.spec.containers[0].foo` */
export function decoderPath(path: FieldPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

/** Orders paths as a walk over objects with sorted keys meets them. */
export function comparePaths(a: FieldPath, b: FieldPath): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

/** `.spec.template.spec.containers[name="web"].foo`: list items named by their keys where the list has some. */
export function typedPath(obj: unknown, path: FieldPath, type: FieldType): string {
  let out = "";
  let value = obj;
  let t = type;
  for (const seg of path) {
    if (typeof seg === "string") {
      out += `.${seg}`;
      value = isObject(value) ? value[seg] : undefined;
      t = t.child(seg);
      continue;
    }
    const item = Array.isArray(value) ? value[seg] : undefined;
    const list = t.listType();
    if (list.type === "map" && isObject(item)) {
      const keys = list.keys.filter((k) => item[k] !== undefined);
      out += `[${keys.map((k) => `${k}=${JSON.stringify(item[k])}`).join(",")}]`;
    } else if (list.type === "set") out += `[=${JSON.stringify(item)}]`;
    else out += `[${seg}]`;
    value = item;
    t = t.item();
  }
  return out;
}
