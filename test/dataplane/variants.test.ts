// The two other shapes a WebApp can take, run for real: a static-only site (NGINX alone,
// files copied out of a site image) and an app-only prototype (the app server reached
// directly, no web tier), under Gunicorn and uWSGI.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
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
  "rendered static-only and app-only tests (test/dataplane/variants.test.ts)",
  DATA_PLANE_REQUIREMENTS,
);

describe.skipIf(availability.skip)("static-only site: NGINX serves / from the copied site files", () => {
  let site: string;
  let topology: Topology | undefined;
  const get = (path: string) => httpRequest({ port: topology?.entryPort ?? 0, path });

  beforeAll(async () => {
    // What a Hugo or Jekyll build leaves in the site image.
    site = await mkdtemp(join(tmpdir(), "webapp-site-"));
    await mkdir(join(site, "docs"), { recursive: true });
    await mkdir(join(site, "css"), { recursive: true });
    await writeFile(join(site, "index.html"), "<h1>home page</h1>\n");
    await writeFile(join(site, "docs", "index.html"), "<h1>docs page</h1>\n");
    await writeFile(join(site, "css", "site.css"), "body { color: #123456 }\n");
    topology = await startTopology({
      manifest: webAppManifest("docs-site", {
        web: {},
        static: {
          fromImage: { image: "registry.example.com/docs-site:1", path: "/site/public" },
          maxAgeSeconds: 3600,
        },
      }),
      staticSource: site,
    });
  });

  afterAll(async () => {
    await topology?.stop();
    if (site) await rm(site, { recursive: true, force: true });
  });

  it("renders no app tier and runs only NGINX", () => {
    expect(topology?.replicas).toEqual([]);
    expect(topology?.nginxConf).not.toMatch(/^\s*upstream /m);
    expect(topology?.nginxConf).not.toContain("proxy_pass");
  });

  it("answers / and a folder with its index.html, with the cache headers", async () => {
    const home = await get("/");
    expect(home.status).toBe(200);
    expect(home.text()).toBe("<h1>home page</h1>\n");
    expect(home.headers["content-type"]).toContain("text/html");
    expect(home.headers["cache-control"]).toBe("max-age=3600");
    expect((await get("/docs/")).text()).toBe("<h1>docs page</h1>\n");
  });

  it("serves assets with their MIME type and 404s what the site does not have", async () => {
    const css = await get("/css/site.css");
    expect(css.status).toBe(200);
    expect(css.headers["content-type"]).toContain("text/css");
    expect(css.text()).toBe("body { color: #123456 }\n");
    expect((await get("/missing.html")).status).toBe(404);
    expect((await get("/../../etc/passwd")).status).not.toBe(200);
  });
});

for (const server of ["gunicorn", "uwsgi"] as const) {
  describe.skipIf(availability.skip)(
    `app-only prototype under ${server}: the app server reached directly`,
    () => {
      let topology: Topology | undefined;
      const get = (path: string) => httpRequest({ port: topology?.entryPort ?? 0, path });

      beforeAll(async () => {
        topology = await startTopology({
          manifest: webAppManifest("api-prototype", {
            app: {
              image: "registry.example.com/flask-sample:1",
              server,
              module: "app:app",
              workers: 2,
              replicas: 1,
            },
          }),
          app: "flask",
        });
      });

      afterAll(async () => {
        await topology?.stop();
      });

      it("renders no web tier and runs only the app server", () => {
        expect(topology?.nginx).toBeUndefined();
        expect(topology?.replicas).toHaveLength(1);
        expect(topology?.entryPort).toBe(topology?.replicas[0]?.port);
      });

      it("answers dynamic requests from the rendered command's workers", async () => {
        const res = await get("/api/info");
        expect(res.status).toBe(200);
        const info = res.json<InfoJson>();
        expect(info.server.toLowerCase()).toMatch(new RegExp(`^${server}/`));
        expect(info.remote_addr).toBe("127.0.0.1");
        expect(info.instance).toBe("api-prototype-app-0");
        expect((await get("/healthz")).text()).toBe("ok");
        const slow = await get("/slow?ms=50");
        expect(slow.json<{ slept_ms: number }>().slept_ms).toBe(50);
      });

      it("stops on SIGTERM with exit code 0", async () => {
        const replica = topology?.replicas[0];
        if (!replica) throw new Error("no replica started");
        replica.process.signal("SIGTERM");
        const exit = await Promise.race([
          replica.process.exited,
          new Promise<"still running">((r) => setTimeout(r, 10_000, "still running")),
        ]);
        expect(exit).toEqual({ code: 0, signal: null });
      });
    },
  );
}
