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
} as const satisfies Record<string, ChildKind>;

export type ChildKindName = keyof typeof CHILD_KINDS;

/** Every child kind, in the table's order. */
export const ALL_CHILD_KINDS: readonly ChildKind[] = Object.values(CHILD_KINDS);

/**
 * The roles children play: each has one kind, a name derived from the WebApp's, and the component
 * label it carries. Names are `<webapp>` or `<webapp>-<suffix>`; two WebApps whose names would give
 * the same kind and name (say `shop`'s app Service and `shop-app`'s entry Service) are told apart by
 * the controller's ownership check, which refuses to write an object another WebApp controls.
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
} as const satisfies Record<string, { kind: ChildKindName; suffix: string; component: Component }>;

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
}

/** The name of a child in its role. */
export function childName(webappName: string, role: ChildRole): string {
  return `${webappName}${CHILD_ROLES[role].suffix}`;
}

/** The kind of a live object, if it is one the operator renders. */
export function childKindOf(obj: { apiVersion: string; kind: string }): ChildKind | undefined {
  return ALL_CHILD_KINDS.find((k) => k.kind === obj.kind && k.apiVersion === obj.apiVersion);
}
