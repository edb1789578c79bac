import { API_VERSION, KIND, type WebApp } from "../api/index.js";

/** Value of app.kubernetes.io/managed-by on every child; the controller's caches filter on it. */
export const MANAGED_BY = "webapp-operator";
/** Value of app.kubernetes.io/name on every child. */
export const APP_NAME = "webapp";

export type Component = "app" | "web" | "config" | "static" | "media" | "ingress" | "network";

/** Names of the children of a WebApp. Every name derives from the WebApp's (at most 57 characters). */
export function childNames(webappName: string) {
  return {
    entryService: webappName,
    appService: `${webappName}-app`,
    appDeployment: `${webappName}-app`,
    webDeployment: `${webappName}-web`,
    nginxConfig: `${webappName}-nginx`,
    staticClaim: `${webappName}-static`,
    mediaClaim: `${webappName}-media`,
    appNetworkPolicy: `${webappName}-app`,
    appDisruptionBudget: `${webappName}-app`,
    webDisruptionBudget: `${webappName}-web`,
    appAutoscaler: `${webappName}-app`,
    ingress: webappName,
  };
}

/** The labels that select a tier's pods. Kept small: Deployment selectors can never change. */
export function selectorFor(webapp: WebApp, component: "app" | "web"): Record<string, string> {
  return {
    "app.kubernetes.io/name": APP_NAME,
    "app.kubernetes.io/instance": webapp.metadata.name,
    "app.kubernetes.io/component": component,
  };
}

/** The labels every child carries. */
export function labelsFor(webapp: WebApp, component: Component): Record<string, string> {
  return {
    "app.kubernetes.io/name": APP_NAME,
    "app.kubernetes.io/instance": webapp.metadata.name,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/managed-by": MANAGED_BY,
    "app.kubernetes.io/part-of": webapp.metadata.name,
  };
}

/** `status.selector`: the app pods' selector as a string, for the scale subresource and the HPA. */
export function appSelectorString(webapp: WebApp): string {
  return Object.entries(selectorFor(webapp, "app"))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** The controller ownerReference that lets garbage collection delete a child with its WebApp. */
export function ownerReference(webapp: WebApp) {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: webapp.metadata.name,
    uid: webapp.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: ReturnType<typeof ownerReference>[];
}

/**
 * Metadata of a child: name, namespace, labels and (unless `owned` is false) the ownerReference.
 * Offline rendering of a manifest has no uid yet; then there is no ownerReference to write.
 */
export function childMeta(webapp: WebApp, name: string, component: Component, owned = true): ObjectMeta {
  return {
    name,
    ...(webapp.metadata.namespace ? { namespace: webapp.metadata.namespace } : {}),
    labels: labelsFor(webapp, component),
    ...(owned && webapp.metadata.uid ? { ownerReferences: [ownerReference(webapp)] } : {}),
  };
}

/** In-cluster DNS name of a Service of this WebApp. */
export function serviceHost(webapp: WebApp, serviceName: string): string {
  return `${serviceName}.${webapp.metadata.namespace ?? "default"}.svc`;
}
