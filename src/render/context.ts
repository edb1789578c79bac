import { API_VERSION, KIND, type WebApp } from "../api/index.js";
import type { OwnerReference } from "../api/kube-object.js";
import { type ResolvedSpec, resolveSpec } from "../api/resolve.js";
import { CHILD_KINDS, CHILD_ROLES, type Child, type ChildRole, childName } from "./child-kinds.js";
import { type RenderInputs, upstreamHostFromClusterIP } from "./inputs.js";
import { type Component, childLabels, selectorString, tierSelector } from "./labels.js";

/** Metadata of a child as the renderer writes it. */
export interface ChildMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

/**
 * Everything about one WebApp that more than one builder needs, worked out once: the resolved spec
 * (defaults applied), the namespace, child names, labels, selectors and the owner reference. Every
 * builder takes this and nothing else, so the way through the renderer is one pass down.
 */
export interface RenderContext {
  readonly name: string;
  readonly namespace: string;
  readonly spec: ResolvedSpec;
  /** The controller ownerReference, or undefined when rendering offline (no uid yet). */
  readonly owner: OwnerReference | undefined;
  /** Pod selectors of the tiers; also the NetworkPolicy's peers. */
  readonly selectors: { readonly app: Record<string, string>; readonly web: Record<string, string> };
  /** `status.selector`: the app pods' selector as a string. */
  readonly appSelector: string;
  /** The name of the child in a role (`instance` picks one of several: a worker, a scheduled job...). */
  childName(role: ChildRole, instance?: string): string;
  /** In-cluster DNS name of one of this WebApp's Services. */
  serviceHost(role: "entry-service" | "app-service"): string;
  /**
   * Where NGINX sends dynamic requests: the app Service's cluster IP when the controller knows it,
   * else (offline) its DNS name; `resolvedByNginx` tells which.
   */
  readonly appServiceAddress: { host: string; resolvedByNginx: boolean };
  /** Whether preStop hooks may use the pod lifecycle's sleep action (RenderInputs). */
  readonly lifecycleSleepAction: boolean;
  /** Metadata for the child in a role; `owned: false` leaves the ownerReference out (a kept claim). */
  meta(role: ChildRole, opts?: { component?: Component; owned?: boolean; instance?: string }): ChildMeta;
  /** A child in a role, with its kind from the table. */
  child(role: ChildRole, object: object): Child;
}

export function renderContext(webapp: WebApp, inputs: RenderInputs = {}): RenderContext {
  const name = webapp.metadata.name;
  const namespace = webapp.metadata.namespace ?? "default";
  const owner: OwnerReference | undefined = webapp.metadata.uid
    ? {
        apiVersion: API_VERSION,
        kind: KIND,
        name,
        uid: webapp.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      }
    : undefined;
  const selectors = { app: tierSelector(name, "app"), web: tierSelector(name, "web") };
  const serviceHost = (role: "entry-service" | "app-service") => `${childName(name, role)}.${namespace}.svc`;
  return {
    name,
    namespace,
    spec: resolveSpec(webapp.spec),
    owner,
    selectors,
    appSelector: selectorString(selectors.app),
    childName: (role, instance) => childName(name, role, instance),
    serviceHost,
    appServiceAddress:
      inputs.appServiceClusterIP === undefined
        ? { host: serviceHost("app-service"), resolvedByNginx: true }
        : { host: upstreamHostFromClusterIP(inputs.appServiceClusterIP), resolvedByNginx: false },
    lifecycleSleepAction: inputs.lifecycleSleepAction ?? true,
    meta(role, opts = {}) {
      return {
        name: childName(name, role, opts.instance),
        namespace,
        labels: childLabels(name, opts.component ?? CHILD_ROLES[role].component),
        ...(owner && opts.owned !== false ? { ownerReferences: [owner] } : {}),
      };
    },
    child(role, object) {
      return { role, kind: CHILD_KINDS[CHILD_ROLES[role].kind], object: object as Child["object"] };
    },
  };
}
