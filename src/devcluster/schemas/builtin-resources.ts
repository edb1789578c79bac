/** The built-in kinds this server serves, with their defaulting, validation and table columns. */

import { builtinTables } from "../http/builtin-tables.js";
import type { ResourceType, ScaleSubresource } from "../storage/resource-type.js";
import { BuiltinFieldType } from "../writes/field-types.js";
import {
  defaultCronJob,
  defaultDeployment,
  defaultJob,
  defaultNamespace,
  defaultPersistentVolume,
  defaultPersistentVolumeClaim,
  defaultPod,
  defaultReplicaSet,
  defaultSecret,
  defaultService,
} from "./builtin-defaults.js";
import {
  leaseDecodeError,
  validateConfigMapKeys,
  validateCronJob,
  validateDeployment,
  validateJob,
  validateLease,
  validatePod,
  validateReplicaSet,
  validateService,
} from "./builtin-validation.js";
import { podDeletionGracePeriod } from "./pod-deletion.js";

export const STANDARD_VERBS = [
  "create",
  "delete",
  "deletecollection",
  "get",
  "list",
  "patch",
  "update",
  "watch",
];

interface BuiltinSpec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  status?: boolean;
  scale?: ScaleSubresource;
  generation?: boolean;
  verbs?: string[];
  prepare?: ResourceType["prepare"];
  validate?: ResourceType["validate"];
  decodeError?: ResourceType["decodeError"];
  deletionGracePeriod?: ResourceType["deletionGracePeriod"];
}

function builtin(s: BuiltinSpec): ResourceType {
  const rt: ResourceType = {
    group: s.group,
    version: s.version,
    kind: s.kind,
    listKind: `${s.kind}List`,
    plural: s.plural,
    singular: s.kind.toLowerCase(),
    namespaced: s.namespaced,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    verbs: s.verbs ?? STANDARD_VERBS,
    storageKey: `${s.group}/${s.plural}`,
    storageVersion: s.group ? `${s.group}/${s.version}` : s.version,
    subresources: { status: s.status ?? false },
    tracksGeneration: s.generation ?? false,
    fieldType: new BuiltinFieldType(),
    strategicMerge: true,
  };
  if (s.scale) rt.subresources.scale = s.scale;
  if (s.prepare) rt.prepare = s.prepare;
  if (s.validate) rt.validate = s.validate;
  if (s.decodeError) rt.decodeError = s.decodeError;
  if (s.deletionGracePeriod) rt.deletionGracePeriod = s.deletionGracePeriod;
  const table = builtinTables[s.kind];
  if (table) rt.table = table;
  return rt;
}

const CREATE_ONLY = ["create"];
const ALL = ["all"];

export function builtinResourceTypes(): ResourceType[] {
  return [
    builtin({
      group: "",
      version: "v1",
      kind: "Namespace",
      plural: "namespaces",
      namespaced: false,
      shortNames: ["ns"],
      status: true,
      verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
      prepare: defaultNamespace,
    }),
    builtin({
      group: "",
      version: "v1",
      kind: "ConfigMap",
      plural: "configmaps",
      namespaced: true,
      shortNames: ["cm"],
      validate: validateConfigMapKeys,
    }),
    builtin({
      group: "",
      version: "v1",
      kind: "Secret",
      plural: "secrets",
      namespaced: true,
      prepare: defaultSecret,
    }),
    builtin({
      group: "",
      version: "v1",
      kind: "Service",
      plural: "services",
      namespaced: true,
      shortNames: ["svc"],
      categories: ALL,
      status: true,
      prepare: defaultService,
      validate: validateService,
    }),
    builtin({
      group: "",
      version: "v1",
      kind: "PersistentVolumeClaim",
      plural: "persistentvolumeclaims",
      namespaced: true,
      shortNames: ["pvc"],
      status: true,
      prepare: defaultPersistentVolumeClaim,
    }),
    builtin({
      group: "",
      version: "v1",
      kind: "Pod",
      plural: "pods",
      namespaced: true,
      shortNames: ["po"],
      categories: ALL,
      status: true,
      prepare: defaultPod,
      validate: validatePod,
      deletionGracePeriod: podDeletionGracePeriod,
    }),
    builtin({
      group: "",
      version: "v1",
      kind: "Node",
      plural: "nodes",
      namespaced: false,
      shortNames: ["no"],
      status: true,
    }),
    builtin({
      group: "",
      version: "v1",
      kind: "ServiceAccount",
      plural: "serviceaccounts",
      namespaced: true,
      shortNames: ["sa"],
    }),
    builtin({
      group: "",
      version: "v1",
      kind: "Event",
      plural: "events",
      namespaced: true,
      shortNames: ["ev"],
    }),
    builtin({
      group: "apps",
      version: "v1",
      kind: "Deployment",
      plural: "deployments",
      namespaced: true,
      shortNames: ["deploy"],
      categories: ALL,
      status: true,
      generation: true,
      scale: {
        specReplicasPath: ".spec.replicas",
        statusReplicasPath: ".status.replicas",
        labelSelectorPath: ".status.selector",
      },
      prepare: defaultDeployment,
      validate: validateDeployment,
    }),
    builtin({
      group: "autoscaling",
      version: "v2",
      kind: "HorizontalPodAutoscaler",
      plural: "horizontalpodautoscalers",
      namespaced: true,
      shortNames: ["hpa"],
      categories: ALL,
      status: true,
      generation: true,
    }),
    builtin({
      group: "policy",
      version: "v1",
      kind: "PodDisruptionBudget",
      plural: "poddisruptionbudgets",
      namespaced: true,
      shortNames: ["pdb"],
      status: true,
      generation: true,
    }),
    builtin({
      group: "networking.k8s.io",
      version: "v1",
      kind: "Ingress",
      plural: "ingresses",
      namespaced: true,
      shortNames: ["ing"],
      status: true,
      generation: true,
    }),
    builtin({
      group: "networking.k8s.io",
      version: "v1",
      kind: "NetworkPolicy",
      plural: "networkpolicies",
      namespaced: true,
      shortNames: ["netpol"],
      generation: true,
    }),
    builtin({
      group: "coordination.k8s.io",
      version: "v1",
      kind: "Lease",
      plural: "leases",
      namespaced: true,
      validate: validateLease,
      decodeError: leaseDecodeError,
    }),
    builtin({
      group: "events.k8s.io",
      version: "v1",
      kind: "Event",
      plural: "events",
      namespaced: true,
      shortNames: ["ev"],
    }),
    builtin({
      group: "rbac.authorization.k8s.io",
      version: "v1",
      kind: "Role",
      plural: "roles",
      namespaced: true,
    }),
    builtin({
      group: "rbac.authorization.k8s.io",
      version: "v1",
      kind: "RoleBinding",
      plural: "rolebindings",
      namespaced: true,
    }),
    builtin({
      group: "rbac.authorization.k8s.io",
      version: "v1",
      kind: "ClusterRole",
      plural: "clusterroles",
      namespaced: false,
    }),
    builtin({
      group: "rbac.authorization.k8s.io",
      version: "v1",
      kind: "ClusterRoleBinding",
      plural: "clusterrolebindings",
      namespaced: false,
    }),
    builtin({
      group: "apiextensions.k8s.io",
      version: "v1",
      kind: "CustomResourceDefinition",
      plural: "customresourcedefinitions",
      namespaced: false,
      shortNames: ["crd", "crds"],
      categories: ["api-extensions"],
      status: true,
      generation: true,
    }),
    builtin({
      group: "apps",
      version: "v1",
      kind: "ReplicaSet",
      plural: "replicasets",
      namespaced: true,
      shortNames: ["rs"],
      categories: ALL,
      status: true,
      generation: true,
      scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" },
      prepare: defaultReplicaSet,
      validate: validateReplicaSet,
    }),
    builtin({
      group: "batch",
      version: "v1",
      kind: "Job",
      plural: "jobs",
      namespaced: true,
      categories: ALL,
      status: true,
      generation: true,
      prepare: defaultJob,
      validate: validateJob,
    }),
    builtin({
      group: "batch",
      version: "v1",
      kind: "CronJob",
      plural: "cronjobs",
      namespaced: true,
      shortNames: ["cj"],
      categories: ALL,
      status: true,
      generation: true,
      prepare: defaultCronJob,
      validate: validateCronJob,
    }),
    builtin({
      group: "discovery.k8s.io",
      version: "v1",
      kind: "EndpointSlice",
      plural: "endpointslices",
      namespaced: true,
      generation: true,
    }),
    builtin({
      group: "",
      version: "v1",
      kind: "PersistentVolume",
      plural: "persistentvolumes",
      namespaced: false,
      shortNames: ["pv"],
      status: true,
      prepare: defaultPersistentVolume,
    }),
    builtin({
      group: "authorization.k8s.io",
      version: "v1",
      kind: "SelfSubjectAccessReview",
      plural: "selfsubjectaccessreviews",
      namespaced: false,
      verbs: CREATE_ONLY,
    }),
    builtin({
      group: "authorization.k8s.io",
      version: "v1",
      kind: "SubjectAccessReview",
      plural: "subjectaccessreviews",
      namespaced: false,
      verbs: CREATE_ONLY,
    }),
    builtin({
      group: "authorization.k8s.io",
      version: "v1",
      kind: "SelfSubjectRulesReview",
      plural: "selfsubjectrulesreviews",
      namespaced: false,
      verbs: CREATE_ONLY,
    }),
    builtin({
      group: "authentication.k8s.io",
      version: "v1",
      kind: "SelfSubjectReview",
      plural: "selfsubjectreviews",
      namespaced: false,
      verbs: CREATE_ONLY,
    }),
  ];
}

/** Kinds answered by computing a result instead of storing the object. */
export const VIRTUAL_KINDS = new Set([
  "SelfSubjectAccessReview",
  "SubjectAccessReview",
  "SelfSubjectRulesReview",
  "SelfSubjectReview",
]);
