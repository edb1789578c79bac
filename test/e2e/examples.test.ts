/**
 * `kubectl apply -f examples/` on the node agent, as a new user would try the project: every example
 * becomes Ready and serves through its entry Service. Dynamic pages come from the app servers (Gunicorn,
 * uWSGI), static files from NGINX with cache headers and never through the app (its access log, read
 * with `kubectl logs`, shows the dynamic request and not the static one), the static-only site from
 * NGINX alone, and the app-only prototype from Gunicorn alone.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { ROOT } from "../../hack/lib/operator-env.js";
import { fetchUntilLogged } from "./support/app-logs.js";
import { type E2e, e2eAvailability, NAMESPACE, podNames, useE2e } from "./support/e2e-env.js";

vi.setConfig({ testTimeout: 180_000, hookTimeout: 240_000 });

const availability = e2eAvailability("end-to-end: the examples (test/e2e/examples.test.ts)");
const OCTET = 150;
const EXAMPLES = ["flask-demo", "django-shop", "docs-site", "api-prototype"];
const DJANGO_HOST = { Host: "shop.example.com" };

describe("end-to-end prerequisites", () => {
  it.skipIf(availability.skip)(
    "NGINX, the app servers, the Python packages and kubectl 1.35 are here",
    () => {
      expect(availability.missing).toEqual([]);
      expect(availability.kubectl).toBeDefined();
    },
  );
});

describe.skipIf(availability.skip)("kubectl apply -f examples/", () => {
  let e: E2e;

  useE2e(OCTET, availability.kubectl, async (started) => {
    e = started;
    // The Django example reads SECRET_KEY from a Secret the user creates first.
    await e.createDjangoSecret();
    const out = await e.kubectl.ok(["apply", "-n", NAMESPACE, "-f", join(ROOT, "examples")]);
    for (const name of EXAMPLES) expect(out).toContain(`webapp.webapp-operator.dev/${name} created`);
    await Promise.all(EXAMPLES.map((name) => e.waitReady(name, 150_000)));
  });

  it("every example is Ready, and kubectl get webapps says so", async () => {
    const out = await e.kubectl.ok(["get", "webapps", "-n", NAMESPACE]);
    for (const name of EXAMPLES) expect(out).toMatch(new RegExp(`^${name}\\s+True\\s`, "m"));
  });

  it("every container started once: none crashed on the way up (NGINX finds its upstream Service)", async () => {
    const out = await e.kubectl.ok([
      "get",
      "pods",
      "-n",
      NAMESPACE,
      "-o",
      "jsonpath={range .items[*]}{.metadata.name}{range .status.containerStatuses[*]} {.name}={.restartCount}{end}{'\\n'}{end}",
    ]);
    const lines = out.split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(9);
    for (const line of lines) expect(line).toMatch(/^\S+( [a-z0-9-]+=0)+$/);
  });

  it("flask-demo: dynamic pages from Gunicorn through NGINX", async () => {
    const res = await e.request("flask-demo", "/api/info");
    expect(res.status).toBe(200);
    expect(res.headers.server).toBe("nginx");
    const info = res.json<{ framework: string; server: string; instance: string }>();
    expect(info.framework).toBe("flask");
    expect(info.server).toMatch(/^gunicorn\//);
    expect(await podNames(e.kubectl, "flask-demo", "app")).toContain(info.instance);
    expect(res.headers["x-served-by"]).toBe(info.instance);
  });

  it("flask-demo: static files from NGINX with cache headers, never in the app's access log", async () => {
    const marker = randomBytes(6).toString("hex");
    const file = await e.request("flask-demo", `/static/10k.bin?static-${marker}`);
    expect(file.status).toBe(200);
    expect(file.body.length).toBe(10 * 1024);
    expect(file.headers.server).toBe("nginx");
    expect(file.headers["x-served-by"]).toBeUndefined();
    expect(file.headers["cache-control"]).toBe("max-age=604800");
    expect(Date.parse(String(file.headers.expires)) - Date.now()).toBeGreaterThan(6 * 86_400_000);
    // The app's log shows dynamic requests (so reading it works), but never the static one.
    const logs = await fetchUntilLogged(e, "flask-demo", `/api/info?dynamic-${marker}`);
    expect(logs).toContain(`dynamic-${marker}`);
    expect(logs).not.toContain(`static-${marker}`);
  });

  it("django-shop: the page from uWSGI, its hashed static files and the admin's CSS from NGINX", async () => {
    const page = await e.request("django-shop", "/", { headers: DJANGO_HOST });
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(await podNames(e.kubectl, "django-shop", "app")).toContain(page.headers["x-served-by"]);
    const info = (await e.request("django-shop", "/api/info", { headers: DJANGO_HOST })).json<{
      framework: string;
      server: string;
    }>();
    expect(info).toMatchObject({ framework: "django", server: expect.stringMatching(/^uWSGI\//) });

    const marker = randomBytes(6).toString("hex");
    const links = [...page.text().matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThanOrEqual(3);
    for (const link of [...new Set(links), "/static/admin/css/base.css"]) {
      const res = await e.request("django-shop", `${link}?static-${marker}`, { headers: DJANGO_HOST });
      expect(res.status, link).toBe(200);
      expect(res.headers.server).toBe("nginx");
      expect(res.headers["x-served-by"]).toBeUndefined();
      expect(res.headers["cache-control"]).toBe("max-age=2592000");
    }
    const logs = await fetchUntilLogged(e, "django-shop", `/api/info?dynamic-${marker}`, DJANGO_HOST);
    expect(logs).not.toContain(`static-${marker}`);
  });

  it("docs-site: NGINX alone serves the built site, with cache headers; there is no app tier", async () => {
    const index = await e.request("docs-site", "/");
    expect(index.status).toBe(200);
    expect(index.text()).toBe(
      readFileSync(join(ROOT, "examples", "apps", "docs-site", "index.html"), "utf8"),
    );
    expect(index.headers.server).toBe("nginx");
    expect(index.headers["cache-control"]).toBe("max-age=3600");
    const guide = await e.request("docs-site", "/guide/");
    expect(guide.status).toBe(200);
    expect(guide.text()).toContain("<html");
    expect((await e.request("docs-site", "/no-such-page.html")).status).toBe(404);
    const deployments = await e.kubectl.ok([
      "get",
      "deployments",
      "-n",
      NAMESPACE,
      "-l",
      "app.kubernetes.io/instance=docs-site",
      "-o",
      "name",
    ]);
    expect(deployments.trim()).toBe("deployment.apps/docs-site-web");
    expect(await podNames(e.kubectl, "docs-site", "app")).toEqual([]);
  });

  it("api-prototype: Gunicorn answers on the entry Service, with no web tier", async () => {
    const res = await e.request("api-prototype", "/api/info");
    expect(res.status).toBe(200);
    expect(res.headers.server).toMatch(/^gunicorn/);
    const info = res.json<{ framework: string; instance: string }>();
    expect(info.framework).toBe("wsgi");
    expect(await podNames(e.kubectl, "api-prototype", "app")).toContain(info.instance);
    expect(await podNames(e.kubectl, "api-prototype", "web")).toEqual([]);
  });
});
