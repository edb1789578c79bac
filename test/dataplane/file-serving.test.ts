// How the rendered NGINX serves files, run for real: dot-paths under static and media are
// refused (keeping /.well-known/), and the redirect NGINX makes for a directory keeps the
// client's scheme, host and port instead of naming the container's port.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DATA_PLANE_REQUIREMENTS,
  startTopology,
  type Topology,
  webAppManifest,
} from "../../hack/lib/harness/index.js";
import { httpRequest } from "../../hack/lib/http.js";
import { dataPlaneAvailability } from "../../hack/lib/tools.js";

const availability = dataPlaneAvailability(
  "rendered file-serving tests (test/dataplane/file-serving.test.ts)",
  DATA_PLANE_REQUIREMENTS,
);

/** What a client behind a TLS ingress asked for; NGINX itself listens on a local port. */
const CLIENT_ORIGIN = "https://shop.example.com";

/** Writes files (path relative to root -> content) under root. */
async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

/** Where a Location header sends a client that asked for `path` on CLIENT_ORIGIN. */
function redirectTarget(location: string | undefined, path: string): string {
  return new URL(String(location), `${CLIENT_ORIGIN}${path}`).href;
}

describe.skipIf(availability.skip)("static and media files behind the rendered NGINX", () => {
  let source: string;
  let topology: Topology | undefined;
  const get = (path: string) =>
    httpRequest({ port: topology?.entryPort ?? 0, path, headers: { Host: "shop.example.com" } });

  beforeAll(async () => {
    source = await mkdtemp(join(tmpdir(), "webapp-files-"));
    // What a careless `COPY . /app/staticfiles` leaves in an image.
    await writeTree(source, {
      "site.css": "body {}\n",
      ".git/config": "[remote]\n",
      ".env": "SECRET=1\n",
      "img/.hidden.png": "png",
      "docs/index.html": "<h1>docs</h1>\n",
      ".well-known/security.txt": "Contact: mailto:security@example.com\n",
    });
    topology = await startTopology({
      manifest: webAppManifest("shop", {
        app: { image: "registry.example.com/flask-sample:1", module: "app:app", workers: 1, replicas: 1 },
        web: {},
        static: { fromImage: { path: "/app/staticfiles" } },
        media: { size: "1Gi" },
      }),
      app: "flask",
      staticSource: source,
    });
    // Uploads land in the media claim; the harness stands for it with web/media.
    await writeTree(join(topology.workDir, "web", "media"), {
      "avatar.txt": "me\n",
      ".env": "SECRET=2\n",
      "uploads/.htaccess": "deny\n",
      ".well-known/assetlinks.json": "[]\n",
    });
  });

  afterAll(async () => {
    await topology?.stop();
    if (source) await rm(source, { recursive: true, force: true });
  });

  it("serves ordinary files under both prefixes", async () => {
    expect((await get("/static/site.css")).text()).toBe("body {}\n");
    expect((await get("/media/avatar.txt")).text()).toBe("me\n");
  });

  it.each([
    "/static/.git/config",
    "/static/.env",
    "/static/img/.hidden.png",
    "/static/%2egit/config",
    "/static/docs/../.env",
    "/media/.env",
    "/media/uploads/.htaccess",
  ])("refuses the dot-path %s with 404", async (path) => {
    const res = await get(path);
    expect(res.status).toBe(404);
    expect(res.headers.server).toBe("nginx");
    expect(res.text()).not.toContain("SECRET");
  });

  it("keeps /.well-known/ under both prefixes", async () => {
    expect((await get("/static/.well-known/security.txt")).status).toBe(200);
    expect((await get("/media/.well-known/assetlinks.json")).text()).toBe("[]\n");
  });

  it("redirects a directory without its slash to the client's own scheme, host and port", async () => {
    const res = await get("/static/docs");
    expect(res.status).toBe(301);
    expect(redirectTarget(res.headers.location, "/static/docs")).toBe(`${CLIENT_ORIGIN}/static/docs/`);
    expect(String(res.headers.location)).not.toContain(String(topology?.entryPort));
  });
});

describe.skipIf(availability.skip)("a static-only site behind the rendered NGINX", () => {
  let site: string;
  let topology: Topology | undefined;
  const get = (path: string) =>
    httpRequest({ port: topology?.entryPort ?? 0, path, headers: { Host: "shop.example.com" } });

  beforeAll(async () => {
    site = await mkdtemp(join(tmpdir(), "webapp-site-files-"));
    await writeTree(site, {
      "index.html": "<h1>home</h1>\n",
      "docs/index.html": "<h1>docs</h1>\n",
      ".git/HEAD": "ref: refs/heads/main\n",
      ".well-known/acme-challenge/token": "proof\n",
    });
    topology = await startTopology({
      manifest: webAppManifest("site", {
        web: {},
        static: { fromImage: { image: "registry.example.com/site:1", path: "/site" } },
      }),
      staticSource: site,
    });
  });

  afterAll(async () => {
    await topology?.stop();
    if (site) await rm(site, { recursive: true, force: true });
  });

  it("refuses dot-paths at the root and keeps /.well-known/", async () => {
    expect((await get("/.git/HEAD")).status).toBe(404);
    expect((await get("/.well-known/acme-challenge/token")).text()).toBe("proof\n");
  });

  it("redirects /docs to the client's own origin", async () => {
    const res = await get("/docs");
    expect(res.status).toBe(301);
    expect(redirectTarget(res.headers.location, "/docs")).toBe(`${CLIENT_ORIGIN}/docs/`);
  });
});
