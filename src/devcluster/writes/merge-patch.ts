/** JSON merge patch (RFC 7386): objects merge recursively, null deletes, everything else replaces. */
import { deepClone, isObject, type JsonObject } from "../types.js";

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return deepClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}
