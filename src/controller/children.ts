import { Kinds, type KubeObject, type ResourceType } from "../kube/resources.js";

/** Every kind the renderer can produce: the child informers and the prune candidates. */
export const CHILD_KINDS: readonly ResourceType[] = [
  Kinds.ConfigMap,
  Kinds.Deployment,
  Kinds.Service,
  Kinds.HorizontalPodAutoscaler,
  Kinds.PodDisruptionBudget,
  Kinds.PersistentVolumeClaim,
  Kinds.NetworkPolicy,
  Kinds.Ingress,
];

export const INSTANCE_LABEL = "app.kubernetes.io/instance";
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";

export function childKindOf(obj: { apiVersion: string; kind: string }): ResourceType | undefined {
  return CHILD_KINDS.find((k) => k.kind === obj.kind && k.apiVersion === obj.apiVersion);
}

/** `Kind/namespace/name`: identifies a child across kinds. */
export function childId(obj: KubeObject): string {
  return `${obj.kind}/${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
}

/** The uid of the object's controller owner, if that owner is a WebApp. */
export function controllerOwnerUid(obj: KubeObject, ownerKind: string): string | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === ownerKind)?.uid;
}

/**
 * Live children to delete: those this WebApp owns (its instance label AND a controller reference to
 * its uid, of a kind we render) that the current render no longer produces. Anything else is left
 * alone: objects of other tools, another WebApp's children, a kept PVC (it has no owner reference).
 */
export function selectPrunable(
  owner: { name: string; uid: string; kind: string },
  live: readonly KubeObject[],
  desired: readonly KubeObject[],
): KubeObject[] {
  const wanted = new Set(desired.map(childId));
  return live.filter(
    (obj) =>
      childKindOf(obj) !== undefined &&
      obj.metadata.labels?.[INSTANCE_LABEL] === owner.name &&
      controllerOwnerUid(obj, owner.kind) === owner.uid &&
      !obj.metadata.deletionTimestamp &&
      !wanted.has(childId(obj)),
  );
}
