/**
 * Server-side apply: merges an applied configuration into the live object by the field semantics of its
 * type, refuses (or with force, takes over) fields another manager owns with a different value, and
 * removes fields the manager applied before but no longer applies, unless somebody else owns them.
 */
import { ApiError } from "../errors.js";
import { nowTimestamp } from "../time-format.js";
import { deepEqual, isObject, type JsonObject, type KubeObject } from "../types.js";
import { type FieldType, itemKey } from "./field-types.js";
import {
  type FieldPath,
  type FieldScope,
  FieldSet,
  fieldSetOf,
  isContainerPath,
  removeAt,
  valueAt,
} from "./fieldset.js";
import { decodeManagedFields, encodeManagedFields, type ManagerEntry } from "./managed-fields.js";

/**
 * Merges `applied` into `live` following list and map semantics. Neither is changed, but the result
 * takes parts of both: `applied` must be the request's own copy, not used after.
 */
export function mergeApplied(live: unknown, applied: unknown, type: FieldType): unknown {
  if (Array.isArray(applied)) {
    const lt = type.listType();
    if (!Array.isArray(live) || lt.type === "atomic") return applied;
    if (lt.type === "set") {
      const out = [...live];
      for (const v of applied) if (!out.some((x) => deepEqual(x, v))) out.push(v);
      return out;
    }
    const out = [...live];
    for (const item of applied) {
      const key = itemKey(item, lt.keys);
      const i = key === undefined ? -1 : out.findIndex((x) => itemKey(x, lt.keys) === key);
      if (i >= 0) out[i] = mergeApplied(out[i], item, type.item());
      else out.push(item);
    }
    return out;
  }
  if (isObject(applied)) {
    if (type.isAtomic() || !isObject(live)) return applied;
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(applied)) {
      if (v === null) delete out[k];
      else if (v !== undefined) out[k] = mergeApplied(out[k], v, type.child(k));
    }
    return out;
  }
  return applied;
}

export interface ApplyRequest {
  live: KubeObject;
  applied: KubeObject;
  type: FieldType;
  manager: string;
  apiVersion: string;
  force: boolean;
  subresource?: string;
  scope: FieldScope;
}

function formatPath(path: FieldPath): string {
  return path
    .map((el) =>
      el.startsWith("f:")
        ? `.${el.slice(2)}`
        : `[${el
            .slice(2)
            .replace(/^\{(.*)\}$/, "$1")
            .replace(/"(\w+)":/g, "$1=")}]`,
    )
    .join("");
}

function conflictError(conflicts: { manager: ManagerEntry; path: FieldPath }[]): ApiError {
  const causes = conflicts.map((c) => ({
    reason: "FieldManagerConflict",
    message: `conflict with "${c.manager.manager}"${c.manager.operation === "Update" ? ` using ${c.manager.apiVersion}` : ""}${c.manager.subresource ? ` with subresource "${c.manager.subresource}"` : ""}`,
    field: formatPath(c.path),
  }));
  const lines = causes.map((c) => `${c.message}: ${c.field}`);
  const message =
    conflicts.length === 1
      ? `Apply failed with 1 conflict: ${lines[0]}`
      : `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
  return new ApiError(409, "Conflict", message, { causes });
}

/** The merged object with its new managedFields, or a 409 listing every conflict. */
export function serverSideApply(req: ApplyRequest): KubeObject {
  const { live, applied, type, manager, force, scope } = req;
  const entries = decodeManagedFields(live.metadata.managedFields);
  const sub = req.subresource ?? "";
  const isMine = (e: ManagerEntry) => e.manager === manager && (e.subresource ?? "") === sub;
  const previous = entries.find((e) => isMine(e) && e.operation === "Apply")?.set ?? new FieldSet();
  // The same configuration applied again keeps the set it had (and its stored encoding).
  const fresh = fieldSetOf(applied, type, scope);
  const appliedSet = previous.equals(fresh) ? previous : fresh;

  const conflicts: { manager: ManagerEntry; path: FieldPath }[] = [];
  for (const e of entries) {
    if (isMine(e)) continue;
    for (const p of appliedSet.intersection(e.set).paths()) {
      if (isContainerPath(applied, p)) continue;
      if (!deepEqual(valueAt(live, p), valueAt(applied, p))) conflicts.push({ manager: e, path: p });
    }
  }
  if (conflicts.length && !force) throw conflictError(conflicts);

  const { managedFields: _live, ...liveMeta } = live.metadata;
  const base = { ...live, metadata: liveMeta } as JsonObject;
  const { managedFields: _applied, ...appliedMeta } = applied.metadata;
  const merged = mergeApplied(base, { ...applied, metadata: appliedMeta }, type) as KubeObject;

  let others = new FieldSet();
  for (const e of entries) if (!(isMine(e) && e.operation === "Apply")) others = others.union(e.set);
  const toRemove = previous.difference(appliedSet).difference(others);
  // List items first (whole, while their key fields are still there to find them), then other fields
  // deepest first, so a map or struct goes only once nothing is left in it.
  const keep = (p: FieldPath) => others.hasDescendant(p) || appliedSet.hasDescendant(p);
  const removedItems: string[] = [];
  const under = (p: FieldPath) => removedItems.some((r) => p.join("\n").startsWith(`${r}\n`));
  for (const p of toRemove.paths().sort((a, b) => a.length - b.length)) {
    if (!p[p.length - 1]?.startsWith("k:") || keep(p) || under(p)) continue;
    removeAt(merged as JsonObject, p);
    removedItems.push(p.join("\n"));
  }
  for (const p of toRemove.paths().sort((a, b) => b.length - a.length)) {
    if (p[p.length - 1]?.startsWith("k:") || keep(p) || under(p)) continue;
    const v = valueAt(merged, p);
    if (isObject(v) && Object.keys(v).length > 0) continue;
    removeAt(merged as JsonObject, p);
  }

  const conflicting = FieldSet.ofPaths(conflicts.map((c) => c.path));
  const now = nowTimestamp();
  const next: ManagerEntry[] = [];
  let placed = false;
  for (const e of entries) {
    if (isMine(e) && e.operation === "Apply") {
      next.push({ ...e, set: appliedSet, time: now, apiVersion: req.apiVersion });
      placed = true;
    } else {
      next.push({ ...e, set: e.set.difference(conflicting) });
    }
  }
  if (!placed) {
    const entry: ManagerEntry = {
      manager,
      operation: "Apply",
      apiVersion: req.apiVersion,
      time: now,
      set: appliedSet,
    };
    if (req.subresource) entry.subresource = req.subresource;
    next.push(entry);
  }
  merged.metadata.managedFields = encodeManagedFields(next);
  return merged;
}
