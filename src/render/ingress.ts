import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { IIngressTLS } from "kubernetes-models/networking.k8s.io/v1/IngressTLS";
import { type IngressHost, OPERATOR_ANNOTATIONS, type ResolvedIngress } from "../api/index.js";
import type { Child } from "./child-kinds.js";
import type { RenderContext } from "./context.js";

/** The IngressClass name under which ingress-nginx reads its `nginx.ingress.kubernetes.io/*` annotations. */
export const INGRESS_NGINX_CLASS = "nginx";

/** The Secret cert-manager issues into for hosts that name none: one certificate for all of them. */
export function defaultTlsSecretName(ctx: RenderContext): string {
  return `${ctx.name}-tls`;
}

/**
 * The Ingress `<name>`: every host routes `/` to the entry Service (the web tier routes by path, so
 * the edge needs no paths), TLS entries grouped by Secret, and the annotations: the user's, as they
 * are, then the operator's own (cert-manager's issuer; ingress-nginx's body size, so the edge does not
 * refuse a body the web tier accepts). The schema keeps the user's keys apart from the operator's.
 */
export function renderIngress(ctx: RenderContext): Child[] {
  const ing = ctx.spec.ingress;
  if (!ing) return [];
  const annotations = { ...ing.annotations, ...operatorAnnotations(ctx, ing) };
  const tls = tlsEntries(ctx, ing.hosts);
  const backend = {
    service: { name: ctx.childName("entry-service"), port: { number: ctx.spec.service.port } },
  };
  const ingress: IIngress = {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      ...ctx.meta("ingress"),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      ...(ing.className ? { ingressClassName: ing.className } : {}),
      ...(tls.length > 0 ? { tls } : {}),
      rules: ing.hosts.map((h) => ({
        host: h.host,
        http: { paths: [{ path: "/", pathType: "Prefix", backend }] },
      })),
    },
  };
  return [ctx.child("ingress", ingress)];
}

function operatorAnnotations(ctx: RenderContext, ing: ResolvedIngress): Record<string, string> {
  const out: Record<string, string> = {};
  if (ing.certManager?.issuer) out[OPERATOR_ANNOTATIONS.issuer] = ing.certManager.issuer;
  if (ing.certManager?.clusterIssuer) out[OPERATOR_ANNOTATIONS.clusterIssuer] = ing.certManager.clusterIssuer;
  // Without a web tier there is no limit of ours to carry: the controller's own default stays, and
  // the user may set the annotation (the schema allows it only then).
  if (ing.className === INGRESS_NGINX_CLASS && ctx.spec.web) {
    out[OPERATOR_ANNOTATIONS.proxyBodySize] = ctx.spec.web.clientMaxBodySize;
  }
  return out;
}

/** One TLS entry per Secret, holding its hosts, in the order the hosts are listed. */
function tlsEntries(ctx: RenderContext, hosts: readonly IngressHost[]): IIngressTLS[] {
  const bySecret = new Map<string, string[]>();
  for (const h of hosts) {
    if (!h.tls) continue;
    const secret = h.tlsSecretName ?? defaultTlsSecretName(ctx);
    bySecret.set(secret, [...(bySecret.get(secret) ?? []), h.host]);
  }
  return [...bySecret].map(([secretName, tlsHosts]) => ({ hosts: tlsHosts, secretName }));
}
