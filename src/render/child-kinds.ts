import { createHash } from "node:crypto";
import type { KubeObject, ResourceType } from "../api/kube-object.js";
import type { Component } from "./labels.js";

/*
 * The one table of the kinds a WebApp's children can be, and of the roles children play. The renderer
 * builds children by role, the controller watches, applies and prunes by kind (with a policy per kind,
 * in controller/child-policies.ts), and the chart's RBAC test checks that the chart grants exactly
 * these kinds. A new child kind is an entry here, a builder, and its policy.
 */

export interface ChildKind extends ResourceType {
  /**
   * A kind not every cluster serves (found through discovery). WebApps that do not ask for it are
   * never affected by its absence; those that do say why they have none.
   */
  optional?: boolean;
  /** What a user can do when an optional kind is not served (said in the WebApp's status). */
  notServedHint?: string;
}

export const CHILD_KINDS = {
  ConfigMap: { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps" },
  PersistentVolumeClaim: {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    plural: "persistentvolumeclaims",
  },
  Deployment: { apiVersion: "apps/v1", kind: "Deployment", plural: "deployments" },
  Service: { apiVersion: "v1", kind: "Service", plural: "services" },
  HorizontalPodAutoscaler: {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    plural: "horizontalpodautoscalers",
  },
  PodDisruptionBudget: {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    plural: "poddisruptionbudgets",
  },
  NetworkPolicy: { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", plural: "networkpolicies" },
  Ingress: { apiVersion: "networking.k8s.io/v1", kind: "Ingress", plural: "ingresses" },
  HTTPRoute: {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    plural: "httproutes",
    optional: true,
    notServedHint:
      "install the Gateway API CRDs (standard channel, v1.0 or later) in the cluster, or publish the WebApp through spec.ingress instead of spec.httpRoute",
  },
  Job: { apiVersion: "batch/v1", kind: "Job", plural: "jobs" },
  CronJob: { apiVersion: "batch/v1", kind: "CronJob", plural: "cronjobs" },
} as const satisfies Record<string, ChildKind>;

export type ChildKindName = keyof typeof CHILD_KINDS;

/** Every child kind, in the table's order. */
export const ALL_CHILD_KINDS: readonly ChildKind[] = Object.values(CHILD_KINDS);

/**
 * The roles children play: each has one kind, a name derived from the WebApp's, and the component
 * label it carries. Names are `<webapp>` or `<webapp>-<suffix>`, and `<webapp>-<suffix>-<instance>`
 * for roles with several children (a worker, a scheduled job, a migration per app version); two
 * WebApps whose names would give the same kind and name (say `shop`'s app Service and `shop-app`'s
 * entry Service) are told apart by the controller's ownership check, which refuses to write an object
 * another WebApp controls. `maxLength` is the kind's own limit where it is below 253: a Job's name
 * is a label value on its pods (63), a CronJob's gets 11 more characters for its Jobs (52).
 */
export const CHILD_ROLES = {
  "static-claim": { kind: "PersistentVolumeClaim", suffix: "-static", component: "static" },
  "media-claim": { kind: "PersistentVolumeClaim", suffix: "-media", component: "media" },
  "nginx-config": { kind: "ConfigMap", suffix: "-nginx", component: "config" },
  "web-deployment": { kind: "Deployment", suffix: "-web", component: "web" },
  "web-disruption-budget": { kind: "PodDisruptionBudget", suffix: "-web", component: "web" },
  "app-deployment": { kind: "Deployment", suffix: "-app", component: "app" },
  "app-service": { kind: "Service", suffix: "-app", component: "app" },
  "app-autoscaler": { kind: "HorizontalPodAutoscaler", suffix: "-app", component: "app" },
  "app-disruption-budget": { kind: "PodDisruptionBudget", suffix: "-app", component: "app" },
  "app-network-policy": { kind: "NetworkPolicy", suffix: "-app", component: "network" },
  "entry-service": { kind: "Service", suffix: "", component: "web" },
  ingress: { kind: "Ingress", suffix: "", component: "ingress" },
  "http-route": { kind: "HTTPRoute", suffix: "", component: "ingress" },
  "migration-job": { kind: "Job", suffix: "-migrate-", component: "migrate", maxLength: 63 },
  "worker-deployment": { kind: "Deployment", suffix: "-worker-", component: "worker" },
  "worker-autoscaler": { kind: "HorizontalPodAutoscaler", suffix: "-worker-", component: "worker" },
  "cron-job": { kind: "CronJob", suffix: "-cron-", component: "cron", maxLength: 52 },
} as const satisfies Record<
  string,
  { kind: ChildKindName; suffix: string; component: Component; maxLength?: number }
>;

export type ChildRole = keyof typeof CHILD_ROLES;

/** The tiers whose Deployments make a WebApp serve; status reports each. */
export const TIER_ROLES = { web: "web-deployment", app: "app-deployment" } as const satisfies Record<
  "web" | "app",
  ChildRole
>;
export type TierName = keyof typeof TIER_ROLES;

/** One rendered child: what it is for, its kind, and the object to apply. */
export interface Child {
  role: ChildRole;
  kind: ChildKind;
  object: KubeObject;
  /**
   * Runs the app's code, or files from its image: with migrations, it stays at the version that last
   * migrated until the migration of the new version succeeds.
   */
  versioned?: boolean;
}

/**
 * The name of a child in its role (`instance` names one of several: a worker, a scheduled job, an app
 * version). A name longer than its kind allows keeps its role and instance and shortens the WebApp's
 * name, with a hash of the whole name so that two long names stay apart.
 */
export function childName(webappName: string, role: ChildRole, instance = ""): string {
  const spec: { suffix: string; maxLength?: number } = CHILD_ROLES[role];
  const tail = `${spec.suffix}${instance}`;
  const max = spec.maxLength ?? 253;
  if (webappName.length + tail.length <= max) return `${webappName}${tail}`;
  const hash = createHash("sha256").update(webappName).digest("hex").slice(0, 8);
  const head = webappName.slice(0, Math.max(1, max - tail.length - hash.length - 1)).replace(/-+$/, "");
  return `${head}-${hash}${tail}`;
}

/** The kind of a live object, if it is one the operator renders. */
export function childKindOf(obj: { apiVersion: string; kind: string }): ChildKind | undefined {
  return ALL_CHILD_KINDS.find((k) => k.kind === obj.kind && k.apiVersion === obj.apiVersion);
}
