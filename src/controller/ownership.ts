import { KIND } from "../api/index.js";
import type { KubeObject } from "../api/kube-object.js";
import { childKindOf, LABELS, MANAGED_BY } from "../render/index.js";

/** `Kind/namespace/name`: identifies a child across kinds. */
export function childId(obj: KubeObject): string {
  return `${obj.kind}/${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
}

/** The uid of the object's controller owner, if that owner is a WebApp. */
export function controllerOwnerUid(obj: KubeObject): string | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === KIND)?.uid;
}

/** The controller ownerReference of any kind, if the object has one. */
export function controllerOf(obj: KubeObject) {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/**
 * namespace/name of the WebApp a child belongs to: its controller owner, else (a kept claim, which
 * has no owner) its instance label. The cache indexes children by this and child events map to it.
 */
export function ownerKeyOf(obj: KubeObject): string | undefined {
  const ns = obj.metadata.namespace ?? "";
  const ref = controllerOf(obj);
  if (ref) return ref.kind === KIND ? `${ns}/${ref.name}` : undefined;
  const instance = obj.metadata.labels?.[LABELS.instance.key];
  return instance ? `${ns}/${instance}` : undefined;
}

/**
 * Whether an existing object of a name a WebApp wants may be written by it: one it controls, or one
 * without any controller that carries its labels (a kept media claim of an earlier WebApp of the same
 * name). Anything else belongs to someone else and is never written.
 */
export function mayWrite(existing: KubeObject, owner: { name: string; uid: string }): boolean {
  const controller = controllerOf(existing);
  if (controller) return controller.kind === KIND && controller.uid === owner.uid;
  const labels = existing.metadata.labels ?? {};
  return labels[LABELS.instance.key] === owner.name && labels[LABELS.managedBy.key] === MANAGED_BY;
}

/** Who an object belongs to, for a conflict message: its controller, else who wrote it. */
export function describeController(obj: KubeObject): string {
  const ref = controllerOf(obj);
  if (ref) return ref.kind === KIND ? `WebApp ${ref.name}` : `${ref.kind} ${ref.name}`;
  const labels = obj.metadata.labels ?? {};
  const instance = labels[LABELS.instance.key];
  if (labels[LABELS.managedBy.key] === MANAGED_BY && instance)
    return `WebApp ${instance} (kept when it was deleted)`;
  const writers = [
    ...new Set((obj.metadata.managedFields ?? []).filter((m) => !m.subresource).map((m) => m.manager)),
  ].filter((m) => m !== undefined && m !== MANAGED_BY);
  return writers.length > 0 ? `another tool (written by ${writers.join(", ")})` : "another tool";
}

/**
 * Live children to delete: those this WebApp owns (its instance label AND a controller reference to
 * its uid, of a kind we render) that the current render no longer produces. Anything else is left
 * alone: objects of other tools, another WebApp's children, a kept PVC (it has no owner reference).
 */
export function selectPrunable(
  owner: { name: string; uid: string },
  live: readonly KubeObject[],
  desired: readonly KubeObject[],
): KubeObject[] {
  const wanted = new Set(desired.map(childId));
  return live.filter(
    (obj) =>
      childKindOf(obj) !== undefined &&
      obj.metadata.labels?.[LABELS.instance.key] === owner.name &&
      controllerOwnerUid(obj) === owner.uid &&
      !obj.metadata.deletionTimestamp &&
      !wanted.has(childId(obj)),
  );
}
