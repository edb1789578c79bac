import { DEFAULTS } from "./defaults.js";
import type { CertManagerSpec, GatewayParentRef, HttpRouteSpec, IngressSpec } from "./spec/exposure.js";

/** One host of the Ingress, and whether (and how) it is served over TLS. */
export interface IngressHost {
  host: string;
  /** The Secret named in the spec; undefined with TLS means the default `<name>-tls` (cert-manager's). */
  tlsSecretName?: string;
  tls: boolean;
}

/** The Ingress with the one-host shorthand and the several-hosts form made one list. */
export interface ResolvedIngress {
  hosts: IngressHost[];
  className?: string;
  certManager?: CertManagerSpec;
  annotations: Record<string, string>;
}

export interface ResolvedHttpRoute {
  parentRefs: GatewayParentRef[];
  hostnames: string[];
  https: boolean;
}

/** A host name users reach the WebApp by, and whether they do over HTTPS. */
export interface PublicHost {
  host: string;
  https: boolean;
}

export function resolveIngress(ing: IngressSpec): ResolvedIngress {
  const listed = ing.hosts ?? (ing.host ? [{ host: ing.host, tlsSecretName: ing.tlsSecretName }] : []);
  return {
    hosts: listed.map((h) => ({
      host: h.host,
      ...(h.tlsSecretName ? { tlsSecretName: h.tlsSecretName } : {}),
      tls: h.tlsSecretName !== undefined || ing.certManager !== undefined,
    })),
    ...(ing.className ? { className: ing.className } : {}),
    ...(ing.certManager ? { certManager: ing.certManager } : {}),
    annotations: ing.annotations ?? {},
  };
}

export function resolveHttpRoute(route: HttpRouteSpec): ResolvedHttpRoute {
  return {
    parentRefs: route.parentRefs,
    hostnames: route.hostnames ?? [],
    https: route.https ?? DEFAULTS["httpRoute.https"].value,
  };
}

/** The hosts of the Ingress or the route, in spec order (wildcards included). */
export function publicHosts(exposure: {
  ingress?: ResolvedIngress;
  httpRoute?: ResolvedHttpRoute;
}): PublicHost[] {
  if (exposure.ingress) return exposure.ingress.hosts.map((h) => ({ host: h.host, https: h.tls }));
  const route = exposure.httpRoute;
  return route ? route.hostnames.map((host) => ({ host, https: route.https })) : [];
}

/** Whether clients reach the WebApp over HTTPS through its Ingress or route (any host). */
export function servesHttps(exposure: { ingress?: ResolvedIngress; httpRoute?: ResolvedHttpRoute }): boolean {
  return publicHosts(exposure).some((h) => h.https);
}
