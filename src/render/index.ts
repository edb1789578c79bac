import type { WebApp } from "../api/index.js";
import type { KubeObject } from "../api/kube-object.js";
import { renderAppLifecycle, runsAppVersion } from "./app-lifecycle.js";
import { renderAppTier } from "./app-tier.js";
import type { Child } from "./child-kinds.js";
import { renderContext } from "./context.js";
import { clusterUrl, externalUrl, renderEntryService } from "./exposure.js";
import { renderHttpRoute } from "./http-route.js";
import { renderIngress } from "./ingress.js";
import type { RenderInputs } from "./inputs.js";
import { renderClaims } from "./storage.js";
import { specWarnings } from "./warnings.js";
import { renderWebTier } from "./web-tier.js";

export type { KubeObject } from "../api/kube-object.js";
export { APP_VERSION_ANNOTATION } from "./app-version.js";
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
export { InvalidRenderInput, type RenderInputs } from "./inputs.js";
export { type Component, childLabels, LABELS, MANAGED_BY, tierSelector } from "./labels.js";
export { UnsafeNginxValue } from "./nginx/conf.js";
export { NGINX_HEALTH_PATH, NGINX_PATHS, UPSTREAM_NAME, WEB_PORT } from "./nginx/paths.js";
export { developmentServer } from "./warnings.js";
export { CONFIG_HASH_ANNOTATION, configHash } from "./web-tier.js";

export interface RenderResult {
  /** Every child the WebApp should have, in apply order (config and storage before workloads). */
  children: Child[];
  /** The same children's objects, in the same order. */
  objects: KubeObject[];
  /** Advice about valid but unwise settings, each starting with the field path. */
  warnings: string[];
  /** `status.url`: where users reach the WebApp (its Ingress or route URL, else the in-cluster one). */
  url: string;
  /** `status.clusterURL`: the entry Service inside the cluster. */
  clusterUrl: string;
  /** `status.selector`: the app pods' selector, when there is an app tier. */
  appSelector: string | undefined;
  /** Whether an autoscaler owns the app tier's replica count (then the operator never writes it). */
  autoscaled: boolean;
  /**
   * The app version (a hash of the image and of the command, env and envFrom its migration sees), when
   * the app has a migration; its Job is the child in role `migration-job`.
   */
  appVersion: string | undefined;
}

/**
 * The child objects of a (valid, parsed) WebApp. Pure: same input, same output; no I/O. `inputs`
 * carries what only the cluster knows (see RenderInputs); an invalid one throws InvalidRenderInput.
 */
export function render(webapp: WebApp, inputs: RenderInputs = {}): RenderResult {
  const ctx = renderContext(webapp, inputs);
  const { spec } = ctx;
  const lifecycle = spec.app ? renderAppLifecycle(ctx, spec.app, renderAppTier(ctx, spec.app)) : undefined;
  const children: Child[] = [
    ...renderClaims(ctx),
    ...(spec.web ? renderWebTier(ctx, spec.web) : []),
    ...(lifecycle?.children ?? []),
    renderEntryService(ctx),
    ...renderIngress(ctx),
    ...renderHttpRoute(ctx),
  ].map((c) => (runsAppVersion(ctx, c.role) ? { ...c, versioned: true } : c));
  return {
    children,
    objects: children.map((c) => c.object),
    warnings: specWarnings(spec),
    url: externalUrl(ctx) ?? clusterUrl(ctx),
    clusterUrl: clusterUrl(ctx),
    appSelector: spec.app ? ctx.appSelector : undefined,
    autoscaled: spec.app?.autoscaling !== undefined,
    appVersion: lifecycle?.version,
  };
}
