import { resolveSpec } from "../api/defaults.js";
import type { WebApp } from "../api/index.js";
import { renderAppTier } from "./app-tier.js";
import { serviceUrl as entryUrl, renderEntryService, renderIngress } from "./exposure.js";
import { renderClaims } from "./storage.js";
import { specWarnings } from "./warnings.js";
import { renderWebTier } from "./web-tier.js";

export { appSelectorString, childNames, labelsFor, MANAGED_BY, selectorFor } from "./names.js";
export { UnsafeNginxValue } from "./nginx/conf.js";
export { NGINX_HEALTH_PATH, NGINX_PATHS, UPSTREAM_NAME, WEB_PORT } from "./nginx/paths.js";
export { developmentServer } from "./warnings.js";
export { CONFIG_HASH_ANNOTATION, configHash } from "./web-tier.js";

/** A Kubernetes object as the renderer produces it: plain data, ready to be applied. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  };
  [field: string]: unknown;
}

export interface RenderResult {
  /** Every child the WebApp should have, in apply order (config and storage before workloads). */
  objects: KubeObject[];
  /** Advice about valid but unwise settings, each starting with the field path. */
  warnings: string[];
}

/** The child objects of a (valid, parsed) WebApp. Pure: same input, same output; no I/O. */
export function render(webapp: WebApp): RenderResult {
  const spec = resolveSpec(webapp.spec);
  const objects: object[] = [
    ...renderClaims(webapp, spec.static, spec.media),
    ...(spec.web ? renderWebTier(webapp, spec, spec.web) : []),
    ...(spec.app ? renderAppTier(webapp, spec, spec.app) : []),
    renderEntryService(webapp, spec),
    ...renderIngress(webapp, spec),
  ];
  return { objects: objects as KubeObject[], warnings: specWarnings(spec) };
}

/** `status.url` of a WebApp: its entry Service inside the cluster. */
export function serviceUrl(webapp: WebApp): string {
  return entryUrl(webapp, resolveSpec(webapp.spec));
}

/** Whether an autoscaler owns the app tier's replica count (then the operator never writes it). */
export function hasAutoscaling(webapp: WebApp): boolean {
  return webapp.spec.app?.autoscaling !== undefined;
}
