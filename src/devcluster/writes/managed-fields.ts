/**
 * managedFields bookkeeping for non-apply writes (create, update, patch): the writer becomes the owner of
 * every field it changed, previous owners lose those fields, and removed fields leave every set.
 */

import { nowTimestamp } from "../time-format.js";
import { deepEqual, type KubeObject, type ManagedFieldsEntry } from "../types.js";
import type { FieldType } from "./field-types.js";
import { type FieldScope, FieldSet, fieldSetOf, isContainerPath, valueAt } from "./fieldset.js";

export interface ManagerEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  subresource?: string;
  set: FieldSet;
}

export function decodeManagedFields(entries: ManagedFieldsEntry[] | undefined): ManagerEntry[] {
  return (entries ?? [])
    .filter((e) => e && typeof e.manager === "string")
    .map((e) => {
      const m: ManagerEntry = {
        manager: e.manager,
        operation: e.operation,
        apiVersion: e.apiVersion,
        time: e.time,
        set: FieldSet.fromFieldsV1(e.fieldsV1),
      };
      if (e.subresource) m.subresource = e.subresource;
      return m;
    });
}

export function encodeManagedFields(entries: ManagerEntry[]): ManagedFieldsEntry[] {
  return entries
    .filter((e) => e.set.size > 0)
    .map((e) => {
      const out: ManagedFieldsEntry = {
        manager: e.manager,
        operation: e.operation,
        apiVersion: e.apiVersion,
        time: e.time,
        fieldsType: "FieldsV1",
        fieldsV1: e.set.toFieldsV1(),
      };
      if (e.subresource) out.subresource = e.subresource;
      return out;
    });
}

/** Paths of `next` whose value is new or different from `old`. */
export function changedFields(
  old: KubeObject | undefined,
  next: KubeObject,
  type: FieldType,
  scope: FieldScope,
) {
  const nextSet = fieldSetOf(next, type, scope);
  const changed = new FieldSet();
  for (const p of nextSet.paths()) {
    const before = old === undefined ? undefined : valueAt(old, p);
    if (before === undefined) changed.add(p);
    else if (!isContainerPath(next, p) && !deepEqual(before, valueAt(next, p))) changed.add(p);
  }
  const removed = old ? fieldSetOf(old, type, scope).difference(nextSet) : new FieldSet();
  return { changed, removed };
}

export interface WriterInfo {
  manager: string;
  apiVersion: string;
  subresource?: string;
}

/** The managedFields after a non-apply write by `writer`. */
export function trackUpdate(
  old: KubeObject | undefined,
  next: KubeObject,
  type: FieldType,
  scope: FieldScope,
  writer: WriterInfo,
  base: ManagedFieldsEntry[] | undefined,
): ManagedFieldsEntry[] {
  const entries = decodeManagedFields(base);
  const { changed, removed } = changedFields(old, next, type, scope);
  if (changed.size === 0 && removed.size === 0) return encodeManagedFields(entries);
  const now = nowTimestamp();
  let mine = entries.find(
    (e) =>
      e.manager === writer.manager &&
      e.operation === "Update" &&
      e.apiVersion === writer.apiVersion &&
      (e.subresource ?? "") === (writer.subresource ?? ""),
  );
  for (const e of entries) {
    if (e !== mine) e.set = e.set.difference(changed).difference(removed);
  }
  if (!mine) {
    mine = {
      manager: writer.manager,
      operation: "Update",
      apiVersion: writer.apiVersion,
      time: now,
      set: new FieldSet(),
    };
    if (writer.subresource) mine.subresource = writer.subresource;
    entries.push(mine);
  }
  mine.set = mine.set.union(changed).difference(removed);
  mine.time = now;
  return encodeManagedFields(entries);
}
