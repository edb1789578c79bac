/** JSON patch (RFC 6902) with JSON pointers (RFC 6901). */
import { deepClone, deepEqual, isObject, type JsonObject } from "../types.js";

export class JsonPatchError extends Error {}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new JsonPatchError(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function container(doc: unknown, tokens: string[], pointer: string): unknown {
  let cur = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw new JsonPatchError(`doc is missing path: "${pointer}": missing value`);
  }
  return cur;
}

function arrayIndex(arr: unknown[], token: string, forAdd: boolean, pointer: string): number {
  if (forAdd && token === "-") return arr.length;
  if (!/^\d+$/.test(token))
    throw new JsonPatchError(`invalid array index ${JSON.stringify(token)} in "${pointer}"`);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i === arr.length))
    throw new JsonPatchError(`unable to access invalid index: ${i} in "${pointer}"`);
  return i;
}

function getValue(doc: unknown, pointer: string): unknown {
  return container(doc, parsePointer(pointer), pointer);
}

function add(doc: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = container(doc, tokens.slice(0, -1), pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true, pointer), 0, value);
  else if (isObject(parent)) parent[last] = value;
  else throw new JsonPatchError(`doc is missing path: "${pointer}": missing value`);
  return doc;
}

function remove(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  const parent = container(doc, tokens.slice(0, -1), pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, false, pointer), 1);
  else if (isObject(parent) && Object.hasOwn(parent, last)) delete (parent as JsonObject)[last];
  else throw new JsonPatchError(`Unable to remove nonexistent key: ${last}: missing value`);
  return doc;
}

export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw new JsonPatchError("a JSON patch must be a list of operations");
  let doc = deepClone(target);
  for (const raw of patch as Operation[]) {
    if (!isObject(raw) || typeof raw.op !== "string" || typeof raw.path !== "string")
      throw new JsonPatchError("each operation needs an op and a path");
    switch (raw.op) {
      case "add":
        doc = add(doc, raw.path, deepClone(raw.value));
        break;
      case "remove":
        doc = remove(doc, raw.path);
        break;
      case "replace":
        getValue(doc, raw.path);
        doc = add(remove(doc, raw.path), raw.path, deepClone(raw.value));
        break;
      case "move": {
        const v = getValue(doc, raw.from ?? "");
        doc = add(remove(doc, raw.from ?? ""), raw.path, v);
        break;
      }
      case "copy":
        doc = add(doc, raw.path, deepClone(getValue(doc, raw.from ?? "")));
        break;
      case "test":
        if (!deepEqual(getValue(doc, raw.path), raw.value))
          throw new JsonPatchError(`testing value ${raw.path} failed: test failed`);
        break;
      default:
        throw new JsonPatchError(`Unexpected kind: ${raw.op}`);
    }
  }
  return doc;
}
