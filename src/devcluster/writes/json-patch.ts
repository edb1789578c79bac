/**
 * JSON patch (RFC 6902), applied by the `rfc6902` library, with kube-apiserver's all-or-nothing rule
 * and its words for a failure (those of the Go JSON patch library it uses), which kubectl prints
 * after "the server rejected our request due to an error in our request".
 */
import { applyPatch, type Operation, Pointer } from "rfc6902";
import { deepClone, isObject } from "../types.js";

export class JsonPatchError extends Error {}

const OPS = new Set(["add", "remove", "replace", "move", "copy", "test"]);

/** The document with `patch` applied; the target is never changed, and a failed operation fails all. */
export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw new JsonPatchError("a JSON patch must be a list of operations");
  const operations: Operation[] = [];
  for (const op of patch) {
    if (!isObject(op) || typeof op.op !== "string" || typeof op.path !== "string")
      throw new JsonPatchError("each operation needs an op and a path");
    if (!OPS.has(op.op)) throw new JsonPatchError(`Unexpected kind: ${op.op}`);
    // The document sits under a member of a box, so an operation on the whole document ("") is one
    // on that member, which the library can replace.
    const boxed = { ...op, path: `/doc${op.path}` } as Operation & { from?: string };
    if (typeof op.from === "string") boxed.from = `/doc${op.from}`;
    operations.push(boxed);
  }
  const box = { doc: deepClone(target) };
  for (const [i, result] of applyPatch(box, operations).entries()) {
    if (result !== null) throw failure(patch[i] as { op: string; path: string; from?: string }, result, box);
  }
  return box.doc;
}

/** The Go library's message for a failed operation (the box at its state when the operation ran). */
function failure(op: { op: string; path: string; from?: string }, error: Error, box: object): JsonPatchError {
  if (error.name === "TestError") return new JsonPatchError(`testing value ${op.path} failed: test failed`);
  if (error.name === "InvalidOperationError")
    return new JsonPatchError(`invalid ${op.op} operation: ${error.message}`);
  // A move or copy may fail on its source: the error names the pointer that was missing.
  const missing = (error as { path?: string }).path;
  const path = op.from !== undefined && missing === `/doc${op.from}` ? op.from : op.path;
  const { parent, key } = Pointer.fromJSON(`/doc${path}`).evaluate(box);
  if (Array.isArray(parent)) return new JsonPatchError(`unable to access invalid index: ${key} in "${path}"`);
  if (op.op === "remove" && isObject(parent))
    return new JsonPatchError(`Unable to remove nonexistent key: ${key}: missing value`);
  return new JsonPatchError(`doc is missing path: "${path}": missing value`);
}
