import type { WebApp } from "../api/index.js";
import type { KubeObject } from "../api/kube-object.js";
import { renderAppTier } from "./app-tier.js";
import type { Child } from "./child-kinds.js";
import { renderContext } from "./context.js";
import { clusterUrl, externalUrl, renderEntryService, renderIngress } from "./exposure.js";
import { renderClaims } from "./storage.js";
import { specWarnings } from "./warnings.js";
import { renderWebTier } from "./web-tier.js";

export type { KubeObject } from "../api/kube-object.js";
export {
  ALL_CHILD_KINDS,
  CHILD_KINDS,
  CHILD_ROLES,
  type Child,
  type ChildKind,
  type ChildKindName,
  type ChildRole,
  childKindOf,
  childName,
  TIER_ROLES,
  type TierName,
} from "./child-kinds.js";
export { type RenderContext, renderContext } from "./context.js";
export { type Component, childLabels, LABELS, MANAGED_BY, tierSelector } from "./labels.js";
export { UnsafeNginxValue } from "./nginx/conf.js";
export { NGINX_HEALTH_PATH, NGINX_PATHS, UPSTREAM_NAME, WEB_PORT } from "./nginx/paths.js";
export { developmentServer } from "./warnings.js";
export { CONFIG_HASH_ANNOTATION, configHash } from "./web-tier.js";

export interface RenderResult {
  /**
   * Every child the WebApp should have, in apply order: config and storage before the workloads that
   * mount them, the app Service before the NGINX pods that proxy to it.
   */
  children: Child[];
  /** The same children's objects, in the same order. */
  objects: KubeObject[];
  /** Advice about valid but unwise settings, each starting with the field path. */
  warnings: string[];
  /** `status.url`: where users reach the WebApp (its Ingress URL, else the in-cluster one). */
  url: string;
  /** `status.clusterURL`: the entry Service inside the cluster. */
  clusterUrl: string;
  /** `status.selector`: the app pods' selector, when there is an app tier. */
  appSelector: string | undefined;
  /** Whether an autoscaler owns the app tier's replica count (then the operator never writes it). */
  autoscaled: boolean;
}

/** The child objects of a (valid, parsed) WebApp. Pure: same input, same output; no I/O. */
export function render(webapp: WebApp): RenderResult {
  const ctx = renderContext(webapp);
  const { spec } = ctx;
  // The app tier (its Service included) before the web tier: NGINX resolves the app Service's name
  // once, when it starts, and fails if it does not exist yet.
  const children: Child[] = [
    ...renderClaims(ctx),
    ...(spec.app ? renderAppTier(ctx, spec.app) : []),
    ...(spec.web ? renderWebTier(ctx, spec.web) : []),
    renderEntryService(ctx),
    ...renderIngress(ctx),
  ];
  return {
    children,
    objects: children.map((c) => c.object),
    warnings: specWarnings(spec),
    url: externalUrl(ctx) ?? clusterUrl(ctx),
    clusterUrl: clusterUrl(ctx),
    appSelector: spec.app ? ctx.appSelector : undefined,
    autoscaled: spec.app?.autoscaling !== undefined,
  };
}
