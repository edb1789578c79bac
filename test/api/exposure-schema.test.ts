/**
 * The exposure part of the schema: the Ingress (one-host shorthand and several hosts, TLS, cert-manager,
 * annotations) and the Gateway API route. Every rule is refused by zod and by the CRD's CEL rules with
 * the same message, and every accepted form is accepted by both.
 */
import { describe, expect, it } from "vitest";
import { webAppCrd } from "../../src/api/crd.js";
import { parseWebApp } from "../../src/api/index.js";
import { webappObject } from "../fixtures/webapps.js";
import { celViolations } from "../support/cel-walk.js";

// biome-ignore lint/suspicious/noExplicitAny: walks the generated schema
const schema = (webAppCrd() as any).spec.versions[0].schema.openAPIV3Schema;
const app = { image: "reg.example.com/shop:1", module: "shop.wsgi:application" };
const withIngress = (ingress: object) => ({ app, web: {}, ingress });
const withAnnotations = (annotations: Record<string, string>) =>
  withIngress({ host: "shop.example.com", annotations });
const gateway = { parentRefs: [{ name: "public" }] };

function zodMessages(spec: object): string[] {
  const parsed = parseWebApp(webappObject(spec as Record<string, unknown>));
  return parsed.ok ? [] : parsed.errors.map((e) => `${e.path}: ${e.message}`);
}

const refused: [string, object, string][] = [
  [
    "host and hosts together",
    withIngress({ host: "a.example.com", hosts: [{ host: "b.example.com" }] }),
    "exactly one of them",
  ],
  ["neither host nor hosts", withIngress({ className: "nginx" }), "exactly one of them"],
  [
    "tlsSecretName beside hosts",
    withIngress({ hosts: [{ host: "a.example.com" }], tlsSecretName: "a-tls" }),
    "ingress.tlsSecretName goes with ingress.host",
  ],
  [
    "both issuers",
    withIngress({ host: "a.example.com", certManager: { issuer: "a", clusterIssuer: "b" } }),
    "exactly one of issuer and clusterIssuer",
  ],
  [
    "no issuer",
    withIngress({ host: "a.example.com", certManager: {} }),
    "exactly one of issuer and clusterIssuer",
  ],
  [
    "configuration-snippet",
    withAnnotations({ "nginx.ingress.kubernetes.io/configuration-snippet": "deny all;" }),
    "snippet annotations",
  ],
  [
    "server-snippet, any value",
    withAnnotations({ "nginx.ingress.kubernetes.io/server-snippet": "x" }),
    "snippet annotations",
  ],
  [
    "nginx.org location-snippets",
    withAnnotations({ "nginx.org/location-snippets": "x" }),
    "snippet annotations",
  ],
  [
    "haproxy backend snippet",
    withAnnotations({ "haproxy.org/backend-config-snippet": "x" }),
    "snippet annotations",
  ],
  ["key with a space", withAnnotations({ "bad key": "x" }), "qualified names"],
  ["key with two slashes", withAnnotations({ "a.io/b/c": "x" }), "qualified names"],
  ["key name over 63", withAnnotations({ [`example.com/${"a".repeat(64)}`]: "x" }), "qualified names"],
  ["key prefix uppercase", withAnnotations({ "Example.com/a": "x" }), "qualified names"],
  ["key ending with a dash", withAnnotations({ "example.com/a-": "x" }), "qualified names"],
  ["newline in a value", withAnnotations({ "example.com/a": "x\ny" }), "control characters"],
  ["NUL in a value", withAnnotations({ "example.com/a": "x\u0000" }), "control characters"],
  [
    "IngressNightmare: auth-url breaking out of its string",
    withAnnotations({ "nginx.ingress.kubernetes.io/auth-url": "http://x/#;load_module /tmp/evil.so;" }),
    "must not contain ; { } #",
  ],
  [
    "auth-tls-match-cn closing a block",
    withAnnotations({ "nginx.ingress.kubernetes.io/auth-tls-match-cn": "CN=a){}" }),
    "must not contain ; { } #",
  ],
  [
    "mirror-target with a quote",
    withAnnotations({ "nginx.ingress.kubernetes.io/mirror-target": 'http://a"' }),
    "must not contain ; { } #",
  ],
  [
    "permanent-redirect with ;",
    withAnnotations({ "nginx.ingress.kubernetes.io/permanent-redirect": "https://a; return 200" }),
    "must not contain ; { } #",
  ],
  [
    "nginx.org with a backslash",
    withAnnotations({ "nginx.org/rewrites": "a\\b" }),
    "must not contain ; { } #",
  ],
  [
    "cert-manager issuer annotation",
    withAnnotations({ "cert-manager.io/cluster-issuer": "le" }),
    "ingress.certManager",
  ],
  [
    "proxy-body-size beside a web tier",
    withAnnotations({ "nginx.ingress.kubernetes.io/proxy-body-size": "50m" }),
    "set web.clientMaxBodySize instead",
  ],
  [
    "ingress and httpRoute",
    { app, web: {}, ingress: { host: "a.example.com" }, httpRoute: gateway },
    "set ingress or httpRoute, not both",
  ],
  [
    "the same Gateway twice",
    { app, httpRoute: { parentRefs: [{ name: "public" }, { name: "public" }] } },
    "the same Gateway and listener twice",
  ],
  [
    "one Gateway once with, once without a listener",
    { app, httpRoute: { parentRefs: [{ name: "public", sectionName: "https" }, { name: "public" }] } },
    "each entry needs a sectionName",
  ],
];

describe("refused by zod and by the CRD, with the same message", () => {
  it.each(refused)("%s", (_name, spec, message) => {
    expect(zodMessages(spec).join("\n")).toContain(message);
    expect(celViolations(schema, webappObject(spec as Record<string, unknown>)).join("\n")).toContain(
      message,
    );
  });

  it("more annotations than the bound, a value longer than the bound (schema bounds, zod alike)", () => {
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`example.com/a${i}`, "x"]));
    expect(zodMessages(withAnnotations(many)).join()).toContain("at most 32 annotations");
    expect(zodMessages(withAnnotations({ "example.com/a": "x".repeat(4097) })).join()).toContain(
      "spec.ingress.annotations",
    );
    const ann = schema.properties.spec.properties.ingress.properties.annotations;
    expect(ann.maxProperties).toBe(32);
    expect(ann.additionalProperties).toMatchObject({ type: "string", maxLength: 4096 });
  });

  it("duplicate hosts: zod refuses them, and the CRD declares hosts a map keyed by host (the API server refuses duplicates)", () => {
    expect(
      zodMessages(withIngress({ hosts: [{ host: "a.example.com" }, { host: "a.example.com" }] })).join(),
    ).toContain("same host twice");
    const hosts = schema.properties.spec.properties.ingress.properties.hosts;
    expect(hosts["x-kubernetes-list-type"]).toBe("map");
    expect(hosts["x-kubernetes-list-map-keys"]).toEqual(["host"]);
  });

  it("an IP address is not a host name (Ingress and Gateway API refuse them too)", () => {
    expect(zodMessages(withIngress({ host: "10.1.2.3" })).join()).toContain("spec.ingress.host");
    expect(zodMessages({ app, httpRoute: { ...gateway, hostnames: ["10.1.2.3"] } }).join()).toContain(
      "spec.httpRoute.hostnames[0]",
    );
  });
});

const accepted: [string, object][] = [
  [
    "today's one-host shorthand with TLS",
    withIngress({ host: "shop.example.com", className: "nginx", tlsSecretName: "shop-tls" }),
  ],
  [
    "several hosts, TLS per host",
    withIngress({
      hosts: [{ host: "shop.example.com", tlsSecretName: "shop-tls" }, { host: "www.shop.example.com" }],
    }),
  ],
  [
    "cert-manager cluster issuer",
    withIngress({ hosts: [{ host: "shop.example.com" }], certManager: { clusterIssuer: "letsencrypt" } }),
  ],
  ["cert-manager issuer, one host", withIngress({ host: "shop.example.com", certManager: { issuer: "le" } })],
  [
    "ordinary annotations",
    withAnnotations({
      "nginx.ingress.kubernetes.io/rewrite-target": "/$2",
      "nginx.ingress.kubernetes.io/whitelist-source-range": "10.0.0.0/8,192.168.0.0/16",
      "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
      "cert-manager.io/duration": "2160h",
      "kubernetes.io/ingress.class": "nginx",
      simple: "yes",
    }),
  ],
  [
    "proxy-body-size on an app-only WebApp (no web tier to carry)",
    {
      app,
      ingress: {
        host: "a.example.com",
        annotations: { "nginx.ingress.kubernetes.io/proxy-body-size": "50m" },
      },
    },
  ],
  ["a route", { app, web: {}, httpRoute: { ...gateway, hostnames: ["shop.example.com"], https: true } }],
  [
    "a route on two listeners of one Gateway and another Gateway",
    {
      app,
      httpRoute: {
        parentRefs: [
          { name: "public", namespace: "infra", sectionName: "http" },
          { name: "public", namespace: "infra", sectionName: "https" },
          { name: "internal" },
        ],
      },
    },
  ],
];

describe("accepted by zod and by the CRD", () => {
  it.each(accepted)("%s", (_name, spec) => {
    expect(zodMessages(spec)).toEqual([]);
    expect(celViolations(schema, webappObject(spec as Record<string, unknown>))).toEqual([]);
  });
});
