import { z } from "zod";
import { withDefault } from "../defaults.js";
import { dnsLabel, dnsSubdomain, hostName, setOf } from "../formats.js";
import { withRules } from "../rules.js";
import { ingressAnnotations } from "./ingress-annotations.js";

export const MAX_HOSTS = 16;

export const serviceSpec = z
  .object({
    type: z
      .enum(["ClusterIP", "NodePort", "LoadBalancer"])
      .optional()
      .describe(withDefault("service.type", "Type of the entry Service `<name>`.")),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(withDefault("service.port", "Port of the entry Service.")),
  })
  .strict()
  .describe("The entry Service, in front of the web tier (or the app tier when there is no web tier).");

const tlsSecretName = (key: "ingress.tlsSecretName" | "ingress.hosts.tlsSecretName", what: string) =>
  dnsSubdomain(
    withDefault(
      key,
      `Secret holding the TLS certificate for ${what}; enables HTTPS. With certManager set, cert-manager issues the certificate into this Secret. The ingress controller ends TLS and tells NGINX the scheme in X-Forwarded-Proto, which the app then sees (see web.trustedProxies for whom NGINX believes).`,
    ),
  ).optional();

const ingressHost = z
  .object({
    host: hostName("Host name routed to this WebApp, e.g. shop.example.com, or *.shop.example.com."),
    tlsSecretName: tlsSecretName("ingress.hosts.tlsSecretName", "this host"),
  })
  .strict();

const certManagerSpec = withRules(
  z
    .object({
      issuer: dnsSubdomain("A cert-manager Issuer in the WebApp's namespace.").optional(),
      clusterIssuer: dnsSubdomain("A cert-manager ClusterIssuer.").optional(),
    })
    .strict(),
  [
    {
      cel: "has(self.issuer) != has(self.clusterIssuer)",
      message: "certManager needs exactly one of issuer and clusterIssuer",
      holds: (c) => (c.issuer !== undefined) !== (c.clusterIssuer !== undefined),
    },
  ],
).describe(
  "Have cert-manager issue the certificates: the operator sets cert-manager's issuer annotation on the Ingress, and every host is served over TLS (cert-manager issues the certificate of each TLS entry, into the host's tlsSecretName or the default one). Needs cert-manager in the cluster; nothing else depends on it.",
);

export const ingressSpec = withRules(
  z
    .object({
      host: hostName(
        "The one host the Ingress routes to this WebApp, e.g. shop.example.com (the one-host form; use hosts for several).",
      ).optional(),
      tlsSecretName: tlsSecretName("ingress.tlsSecretName", "host"),
      hosts: z
        .array(ingressHost)
        .min(1)
        .max(MAX_HOSTS)
        .refine((hs) => new Set(hs.map((h) => h.host)).size === hs.length, {
          message: "must not list the same host twice",
        })
        .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["host"] })
        .optional()
        .describe(
          "The hosts the Ingress routes to this WebApp, each with its own TLS Secret (or none, for plain HTTP). Every host routes / to the entry Service: the web tier does the routing by path.",
        ),
      className: dnsSubdomain(
        withDefault(
          "ingress.className",
          "IngressClass to use, e.g. nginx. With nginx (ingress-nginx), the web tier's clientMaxBodySize is carried to the nginx.ingress.kubernetes.io/proxy-body-size annotation.",
        ),
      ).optional(),
      certManager: certManagerSpec.optional(),
      annotations: ingressAnnotations.optional(),
    })
    .strict(),
  [
    {
      cel: "has(self.host) != has(self.hosts)",
      message: "set ingress.host (one host) or ingress.hosts (several), exactly one of them",
      holds: (i) => (i.host !== undefined) !== (i.hosts !== undefined),
    },
    {
      cel: "!has(self.tlsSecretName) || has(self.host)",
      message:
        "ingress.tlsSecretName goes with ingress.host; with ingress.hosts, set each host's tlsSecretName",
      fieldPath: ".tlsSecretName",
      holds: (i) => i.tlsSecretName === undefined || i.host !== undefined,
    },
  ],
).describe(
  "Publish the WebApp through an Ingress: one host (host, tlsSecretName) or several (hosts), TLS from existing Secrets or issued by cert-manager.",
);

const parentRef = z
  .object({
    name: dnsSubdomain("Name of the Gateway."),
    namespace: dnsLabel("Namespace of the Gateway; the WebApp's namespace when left out.").optional(),
    sectionName: dnsSubdomain(
      "Name of the Gateway listener to attach to; every listener that allows the route when left out.",
    ).optional(),
  })
  .strict();
type ParentRef = z.output<typeof parentRef>;

const sameGateway = (a: ParentRef, b: ParentRef) => a.name === b.name && a.namespace === b.namespace;

export const httpRouteSpec = z
  .object({
    parentRefs: withRules(z.array(parentRef).min(1).max(8), [
      {
        cel: "self.all(a, self.exists_one(b, a.name == b.name && (has(a.namespace) ? has(b.namespace) && a.namespace == b.namespace : !has(b.namespace)) && (has(a.sectionName) ? has(b.sectionName) && a.sectionName == b.sectionName : !has(b.sectionName))))",
        message: "must not list the same Gateway and listener twice",
        holds: (refs) =>
          refs.every(
            (a) => refs.filter((b) => sameGateway(a, b) && a.sectionName === b.sectionName).length === 1,
          ),
      },
      {
        cel: "self.all(a, self.all(b, !(a.name == b.name && (has(a.namespace) ? has(b.namespace) && a.namespace == b.namespace : !has(b.namespace))) || has(a.sectionName) == has(b.sectionName)))",
        message: "when a Gateway is listed more than once, each entry needs a sectionName",
        holds: (refs) =>
          refs.every((a) =>
            refs.every(
              (b) => !sameGateway(a, b) || (a.sectionName !== undefined) === (b.sectionName !== undefined),
            ),
          ),
      },
    ]).describe("The Gateways (and optionally their listeners) the route attaches to."),
    hostnames: setOf(hostName("A host name, e.g. shop.example.com, or *.shop.example.com."), MAX_HOSTS)
      .optional()
      .describe(
        "Host names the route serves; empty means every host name of the listeners it attaches to. The first one gives status.url.",
      ),
    https: z
      .boolean()
      .optional()
      .describe(
        withDefault(
          "httpRoute.https",
          "Whether clients reach these listeners over HTTPS (the Gateway's listener terminates TLS, not the route). Sets the scheme of status.url.",
        ),
      ),
  })
  .strict()
  .describe(
    "Publish the WebApp through a Gateway API HTTPRoute (gateway.networking.k8s.io/v1) attached to existing Gateways; the alternative to ingress. Needs the Gateway API CRDs in the cluster; without them the WebApp says why it has no route and everything else still runs.",
  );

export type ServiceSpec = z.output<typeof serviceSpec>;
export type IngressSpec = z.output<typeof ingressSpec>;
export type CertManagerSpec = z.output<typeof certManagerSpec>;
export type HttpRouteSpec = z.output<typeof httpRouteSpec>;
export type GatewayParentRef = ParentRef;
