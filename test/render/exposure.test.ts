/**
 * What the renderer makes of spec.ingress and spec.httpRoute: the Ingress (hosts, TLS, cert-manager,
 * annotations, ingress-nginx's body size), the HTTPRoute, and status.url.
 */
import { describe, expect, it } from "vitest";
import { type KubeObject, render } from "../../src/render/index.js";
import { validWebApp } from "../fixtures/webapps.js";

// biome-ignore lint/suspicious/noExplicitAny: tests read deep into rendered objects
type Obj = KubeObject & Record<string, any>;
const app = { image: "registry.example.com/shop:1.4.2", module: "shop.wsgi:application" };

function rendered(spec: Record<string, unknown>) {
  return render(validWebApp(spec, "shop"));
}
function only(spec: Record<string, unknown>, kind: string): Obj {
  const found = rendered(spec).objects.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as Obj;
}
const ingressOf = (spec: Record<string, unknown>) => only(spec, "Ingress");

describe("the Ingress", () => {
  it("keeps today's one-host shorthand (its full Ingress is in render.test.ts) free of annotations", () => {
    const ing = ingressOf({ app, web: {}, ingress: { host: "shop.example.com", tlsSecretName: "shop-tls" } });
    expect(ing.metadata.annotations).toBeUndefined();
    expect(ing.spec.tls).toEqual([{ hosts: ["shop.example.com"], secretName: "shop-tls" }]);
  });

  it("routes every host to the entry Service, groups TLS hosts by Secret, leaves plain-HTTP hosts out of TLS", () => {
    const ing = ingressOf({
      app,
      web: {},
      service: { port: 8080 },
      ingress: {
        hosts: [
          { host: "shop.example.com", tlsSecretName: "shop-tls" },
          { host: "shop.example.org", tlsSecretName: "org-tls" },
          { host: "www.shop.example.com", tlsSecretName: "shop-tls" },
          { host: "preview.example.com" },
        ],
      },
    });
    expect(ing.spec.rules.map((r: Obj) => r.host)).toEqual([
      "shop.example.com",
      "shop.example.org",
      "www.shop.example.com",
      "preview.example.com",
    ]);
    for (const rule of ing.spec.rules) {
      expect(rule.http.paths).toEqual([
        { path: "/", pathType: "Prefix", backend: { service: { name: "shop", port: { number: 8080 } } } },
      ]);
    }
    expect(ing.spec.tls).toEqual([
      { hosts: ["shop.example.com", "www.shop.example.com"], secretName: "shop-tls" },
      { hosts: ["shop.example.org"], secretName: "org-tls" },
    ]);
  });

  it("with cert-manager: its issuer annotation, every host over TLS, <name>-tls where no Secret is named", () => {
    const ing = ingressOf({
      app,
      web: {},
      ingress: {
        hosts: [
          { host: "shop.example.com" },
          { host: "*.shop.example.com", tlsSecretName: "wildcard-tls" },
          { host: "www.shop.example.com" },
        ],
        certManager: { clusterIssuer: "letsencrypt" },
      },
    });
    expect(ing.metadata.annotations).toEqual({ "cert-manager.io/cluster-issuer": "letsencrypt" });
    expect(ing.spec.tls).toEqual([
      { hosts: ["shop.example.com", "www.shop.example.com"], secretName: "shop-tls" },
      { hosts: ["*.shop.example.com"], secretName: "wildcard-tls" },
    ]);
    const issuer = ingressOf({ app, ingress: { host: "a.example.com", certManager: { issuer: "ca" } } });
    expect(issuer.metadata.annotations).toEqual({ "cert-manager.io/issuer": "ca" });
    expect(issuer.spec.tls).toEqual([{ hosts: ["a.example.com"], secretName: "shop-tls" }]);
  });

  it("nothing mentions cert-manager when it is not asked for", () => {
    const text = JSON.stringify(
      rendered({
        app,
        web: {},
        ingress: { host: "a.example.com", tlsSecretName: "a-tls", className: "nginx" },
      }).objects,
    );
    expect(text).not.toContain("cert-manager");
  });

  it("passes the user's annotations as they are, beside the operator's", () => {
    const annotations = {
      "nginx.ingress.kubernetes.io/rewrite-target": "/$2",
      "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]',
    };
    const ing = ingressOf({
      app,
      web: {},
      ingress: { host: "a.example.com", className: "nginx", certManager: { issuer: "ca" }, annotations },
    });
    expect(ing.metadata.annotations).toEqual({
      ...annotations,
      "cert-manager.io/issuer": "ca",
      "nginx.ingress.kubernetes.io/proxy-body-size": "10m",
    });
  });

  describe("ingress-nginx's body size follows the web tier's", () => {
    const bodySize = (spec: Record<string, unknown>) =>
      ingressOf(spec).metadata.annotations?.["nginx.ingress.kubernetes.io/proxy-body-size"];

    it("with className nginx: the web tier's clientMaxBodySize, its default included, and 0 (no limit) as 0", () => {
      expect(bodySize({ app, web: {}, ingress: { host: "a.example.com", className: "nginx" } })).toBe("10m");
      for (const size of ["50m", "512k", "0", "2g"]) {
        const spec = {
          app,
          web: { clientMaxBodySize: size },
          ingress: { host: "a.example.com", className: "nginx" },
        };
        expect(bodySize(spec)).toBe(size);
        const conf = rendered(spec).objects.find((o) => o.kind === "ConfigMap") as Obj;
        expect(conf.data["nginx.conf"]).toContain(`client_max_body_size ${size};`);
      }
    });

    it("not for other classes or the cluster's default class (their controllers ignore ingress-nginx's annotations)", () => {
      expect(
        bodySize({ app, web: {}, ingress: { host: "a.example.com", className: "traefik" } }),
      ).toBeUndefined();
      expect(bodySize({ app, web: {}, ingress: { host: "a.example.com" } })).toBeUndefined();
    });

    it("not without a web tier: there is no limit to carry, so the controller's default or the user's annotation stays", () => {
      expect(bodySize({ app, ingress: { host: "a.example.com", className: "nginx" } })).toBeUndefined();
      const user = { "nginx.ingress.kubernetes.io/proxy-body-size": "100m" };
      expect(
        bodySize({ app, ingress: { host: "a.example.com", className: "nginx", annotations: user } }),
      ).toBe("100m");
    });
  });
});

describe("the HTTPRoute", () => {
  const gateway = {
    parentRefs: [{ name: "public", namespace: "infra", sectionName: "https" }, { name: "internal" }],
  };

  it("is rendered only when asked for, and then instead of an Ingress", () => {
    expect(rendered({ app, web: {} }).objects.map((o) => o.kind)).not.toContain("HTTPRoute");
    expect(
      rendered({ app, web: {}, ingress: { host: "a.example.com" } }).objects.map((o) => o.kind),
    ).not.toContain("HTTPRoute");
    expect(rendered({ app, web: {}, httpRoute: gateway }).objects.map((o) => o.kind)).not.toContain(
      "Ingress",
    );
  });

  it("attaches to the named Gateways and sends every path of its hosts to the entry Service", () => {
    const route = only(
      { app, web: {}, service: { port: 8080 }, httpRoute: { ...gateway, hostnames: ["shop.example.com"] } },
      "HTTPRoute",
    );
    expect(route.apiVersion).toBe("gateway.networking.k8s.io/v1");
    expect(route.metadata).toMatchObject({
      name: "shop",
      namespace: "store",
      labels: { "app.kubernetes.io/instance": "shop", "app.kubernetes.io/managed-by": "webapp-operator" },
    });
    expect(route.metadata.ownerReferences?.[0]).toMatchObject({
      kind: "WebApp",
      name: "shop",
      controller: true,
    });
    expect(route.spec).toEqual({
      parentRefs: [{ name: "public", namespace: "infra", sectionName: "https" }, { name: "internal" }],
      hostnames: ["shop.example.com"],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: "/" } }],
          backendRefs: [{ name: "shop", port: 8080 }],
        },
      ],
    });
  });

  it("leaves hostnames out when none are given (the listeners' host names apply)", () => {
    expect(only({ app, httpRoute: gateway }, "HTTPRoute").spec).not.toHaveProperty("hostnames");
  });
});

describe("status.url", () => {
  const url = (spec: Record<string, unknown>) => rendered(spec).url;
  const inCluster = "http://shop.store.svc:80";

  it.each([
    ["no exposure: the entry Service inside the cluster", { app }, inCluster],
    ["one host, no TLS", { app, ingress: { host: "a.example.com" } }, "http://a.example.com/"],
    [
      "one host with a TLS Secret",
      { app, ingress: { host: "a.example.com", tlsSecretName: "t" } },
      "https://a.example.com/",
    ],
    [
      "one host, cert-manager",
      { app, ingress: { host: "a.example.com", certManager: { issuer: "i" } } },
      "https://a.example.com/",
    ],
    [
      "several hosts: the first",
      { app, ingress: { hosts: [{ host: "a.example.com", tlsSecretName: "t" }, { host: "b.example.com" }] } },
      "https://a.example.com/",
    ],
    [
      "several hosts: the first that is not a wildcard, with its own TLS",
      { app, ingress: { hosts: [{ host: "*.example.com", tlsSecretName: "t" }, { host: "b.example.com" }] } },
      "http://b.example.com/",
    ],
    ["only a wildcard host", { app, ingress: { host: "*.example.com" } }, inCluster],
    [
      "a route, https",
      { app, httpRoute: { parentRefs: [{ name: "g" }], hostnames: ["a.example.com"], https: true } },
      "https://a.example.com/",
    ],
    [
      "a route, http by default",
      { app, httpRoute: { parentRefs: [{ name: "g" }], hostnames: ["a.example.com"] } },
      "http://a.example.com/",
    ],
    ["a route without host names", { app, httpRoute: { parentRefs: [{ name: "g" }] } }, inCluster],
  ])("%s", (_name, spec, expected) => {
    expect(url(spec as Record<string, unknown>)).toBe(expected);
  });
});

describe("the app's health-check Host", () => {
  const probeHost = (spec: Record<string, unknown>) => {
    const dep = rendered(spec).objects.find((o) => o.metadata.name === "shop-app") as Obj;
    const headers = dep.spec.template.spec.containers[0].readinessProbe.httpGet.httpHeaders ?? [];
    return headers.find((h: { name: string }) => h.name === "Host")?.value;
  };

  it("is the first public host of the Ingress or the route, as with the one-host form", () => {
    expect(probeHost({ app, ingress: { host: "a.example.com" } })).toBe("a.example.com");
    expect(
      probeHost({ app, ingress: { hosts: [{ host: "b.example.com" }, { host: "c.example.com" }] } }),
    ).toBe("b.example.com");
    expect(probeHost({ app, httpRoute: { parentRefs: [{ name: "g" }], hostnames: ["d.example.com"] } })).toBe(
      "d.example.com",
    );
    expect(probeHost({ app })).toBeUndefined();
  });
});

describe("warnings", () => {
  it("a wildcard host with cert-manager needs a DNS-01 solver; a wildcard with its own Secret or without TLS does not", () => {
    const warnings = (ingress: object) => rendered({ app, web: {}, ingress }).warnings.join("\n");
    const certManager = { clusterIssuer: "le" };
    expect(
      warnings({ hosts: [{ host: "*.example.com" }, { host: "a.example.com" }], certManager }),
    ).toContain(
      "spec.ingress.certManager: cert-manager can issue a certificate for *.example.com only through a DNS-01 solver",
    );
    expect(warnings({ host: "a.example.com", certManager })).not.toContain("DNS-01");
    expect(warnings({ host: "*.example.com", tlsSecretName: "wild" })).not.toContain("DNS-01");
    expect(warnings({ host: "*.example.com" })).not.toContain("DNS-01");
  });
});
