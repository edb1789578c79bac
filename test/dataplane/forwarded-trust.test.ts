// Whom the rendered tiers believe about the client's scheme, run for real. Behind the WebApp's own
// TLS Ingress the app must learn that the client used https (or a Django app with SECURE_SSL_REDIRECT
// redirects forever), yet a client that reaches NGINX or the app servers without a proxy in between
// must not be able to claim it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DATA_PLANE_REQUIREMENTS,
  type InfoJson,
  startTopology,
  type Topology,
  webAppManifest,
} from "../../hack/lib/harness/index.js";
import { httpRequest } from "../../hack/lib/http.js";
import { dataPlaneAvailability } from "../../hack/lib/tools.js";

const availability = dataPlaneAvailability(
  "forwarded header trust tests (test/dataplane/forwarded-trust.test.ts)",
  DATA_PLANE_REQUIREMENTS,
);

const SITE_HOST = "shop.example.com";
const ingress = { host: SITE_HOST, className: "nginx", tlsSecretName: "shop-tls" };
const app = (extra: Record<string, unknown> = {}) => ({
  image: "registry.example.com/sample:1",
  workers: 1,
  replicas: 1,
  ...extra,
});

/** Another pod's address on loopback: anything but the app server's own 127.0.0.1. */
const OTHER_POD = "127.0.0.2";

describe.skipIf(availability.skip)("django behind NGINX and its own TLS Ingress, no trustedProxies", () => {
  let topology: Topology | undefined;
  const info = async (headers: Record<string, string>) => {
    const res = await httpRequest({
      port: topology?.entryPort ?? 0,
      path: "/api/info",
      headers: { Host: SITE_HOST, ...headers },
    });
    expect(res.status).toBe(200);
    return res.json<InfoJson>();
  };

  beforeAll(async () => {
    topology = await startTopology({
      manifest: webAppManifest("shop", {
        app: app({ module: "mysite.wsgi:application" }),
        web: {},
        ingress,
      }),
      app: "django",
      allowedHosts: [SITE_HOST],
    });
  });

  afterAll(async () => {
    await topology?.stop();
  });

  it("tells the app a request the ingress controller got over https was https", async () => {
    const secure = await info({ "X-Forwarded-Proto": "https" });
    expect(secure.scheme).toBe("https");
    expect(secure.is_secure).toBe(true);
  });

  it("tells it plain http otherwise, and believes nothing but http or https", async () => {
    expect((await info({})).scheme).toBe("http");
    expect((await info({ "X-Forwarded-Proto": "javascript" })).forwarded["X-Forwarded-Proto"]).toBe("http");
  });

  it("believes no client address from the header: that needs trustedProxies", async () => {
    expect((await info({ "X-Forwarded-For": "203.0.113.9" })).forwarded["X-Real-IP"]).toBe("127.0.0.1");
  });
});

describe.skipIf(availability.skip)(
  "a TLS Ingress but a LoadBalancer entry Service, no trustedProxies",
  () => {
    let topology: Topology | undefined;

    beforeAll(async () => {
      topology = await startTopology({
        manifest: webAppManifest("shop", {
          app: app({ module: "app:app" }),
          web: {},
          service: { type: "LoadBalancer" },
          ingress,
        }),
        app: "flask",
      });
    });

    afterAll(async () => {
      await topology?.stop();
    });

    it("does not let a client that reaches NGINX directly claim https, and warns", async () => {
      const res = await httpRequest({
        port: topology?.entryPort ?? 0,
        path: "/api/info",
        headers: { Host: SITE_HOST, "X-Forwarded-Proto": "https" },
      });
      expect(res.json<InfoJson>().scheme).toBe("http");
      expect(topology?.rendered.warnings.join("\n")).toMatch(/^spec\.web\.trustedProxies: .*https/m);
    });
  },
);

for (const networkPolicy of [true, false]) {
  describe.skipIf(availability.skip)(`gunicorn behind NGINX with networkPolicy: ${networkPolicy}`, () => {
    let topology: Topology | undefined;

    beforeAll(async () => {
      topology = await startTopology({
        manifest: webAppManifest("shop", {
          app: app({ module: "app:app", networkPolicy }),
          web: {},
          ingress,
        }),
        app: "flask",
      });
    });

    afterAll(async () => {
      await topology?.stop();
    });

    it(
      networkPolicy
        ? "believes X-Forwarded-Proto from any peer, since only the web pods can reach it"
        : "believes X-Forwarded-Proto from no other pod, since any pod can reach it, and warns",
      async () => {
        const res = await httpRequest({
          port: topology?.replicas[0]?.port ?? 0,
          path: "/api/info",
          headers: { "X-Forwarded-Proto": "https" },
          localAddress: OTHER_POD,
        });
        // `direct` is what Gunicorn itself made of the request (wsgi.url_scheme), before the app's own proxy handling.
        expect(res.json<InfoJson>().direct?.scheme).toBe(networkPolicy ? "https" : "http");
        const warned = /^spec\.app\.networkPolicy: /m.test(topology?.rendered.warnings.join("\n") ?? "");
        expect(warned).toBe(!networkPolicy);
      },
    );
  });
}
