// The Django sample behind the rendered NGINX, under Gunicorn and uWSGI: its page links
// content-hashed static files (ManifestStaticFilesStorage), which the rendered init
// container's copy step lays out and NGINX must serve, each with the long cache lifetime.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
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
  "rendered Django topology tests (test/dataplane/django.test.ts)",
  DATA_PLANE_REQUIREMENTS,
);

const SITE_HOST = "shop.example.com";

for (const server of ["gunicorn", "uwsgi"] as const) {
  describe.skipIf(availability.skip)(`django under ${server} behind NGINX`, () => {
    let topology: Topology | undefined;
    const port = () => topology?.entryPort ?? 0;

    beforeAll(async () => {
      topology = await startTopology({
        manifest: webAppManifest("mysite", {
          app: {
            image: "registry.example.com/django-sample:1",
            server,
            module: "mysite.wsgi:application",
            workers: 2,
            replicas: 1,
          },
          web: {},
          static: { fromImage: { path: "/app/staticfiles" } },
        }),
        app: "django",
        allowedHosts: [SITE_HOST],
      });
    });

    afterAll(async () => {
      await topology?.stop();
    });

    it("serves every hashed static file the page links through NGINX, none through the app", async () => {
      const page = await httpRequest({ port: port(), path: "/", headers: { Host: SITE_HOST } });
      expect(page.status).toBe(200);
      const links = [...new Set([...page.text().matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1] ?? ""))];
      expect(links).toHaveLength(3);
      for (const link of links) {
        expect(link).toMatch(/^\/static\/.+\.[0-9a-f]{12}\.(css|js|svg)$/);
        const res = await httpRequest({ port: port(), path: link, headers: { Host: SITE_HOST } });
        expect(res.status, link).toBe(200);
        expect(res.headers.server).toBe("nginx");
        expect(res.headers["cache-control"]).toBe("max-age=604800");
        const file = join(topology?.staticRoot ?? "", link.slice("/static/".length));
        expect(res.body.equals(await readFile(file))).toBe(true);
      }
      const appLog = (await topology?.replicas[0]?.log()) ?? "";
      expect(appLog).toMatch(/GET \/ /);
      expect(appLog).not.toContain("/static/");
    });

    it("sees the site's Host and scheme, and the client in X-Real-IP", async () => {
      const info = (
        await httpRequest({ port: port(), path: "/api/info", headers: { Host: SITE_HOST } })
      ).json<InfoJson>();
      expect(info.framework).toBe("django");
      expect(info.host).toBe(SITE_HOST);
      expect(info.scheme).toBe("http");
      expect(info.remote_addr).toBe("127.0.0.1");
      expect(info.forwarded["X-Real-IP"]).toBe("127.0.0.1");
      expect(info.forwarded["X-Forwarded-Host"]).toBe(SITE_HOST);
    });

    it("lets Django refuse a Host it does not serve", async () => {
      const res = await httpRequest({
        port: port(),
        path: "/api/info",
        headers: { Host: "attacker.example" },
      });
      expect(res.status).toBe(400);
    });
  });
}
