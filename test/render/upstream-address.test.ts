// Where NGINX sends dynamic requests. Given the app Service's cluster IP (the controller reads it
// from the live Service), nginx.conf names that address, so NGINX never resolves the Service's
// name: real `nginx -t` shows the difference on a machine where that name does not resolve.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { localizeNginxConf, nginxAvailable, nginxTest } from "../../hack/lib/nginx-local.js";
import {
  CONFIG_HASH_ANNOTATION,
  InvalidRenderInput,
  type RenderInputs,
  render,
} from "../../src/render/index.js";
import { nginxConfOf, validWebApp } from "../fixtures/webapps.js";

const work = mkdtempSync(join(tmpdir(), "webapp-upstream-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const webapp = validWebApp({
  app: { image: "registry.example.com/shop:1", module: "shop.wsgi:app" },
  web: {},
});
const confWith = (inputs?: RenderInputs) => nginxConfOf(render(webapp, inputs).objects) ?? "";

/** `nginx -t` on the rendered config with only its paths made local (the upstream left as rendered). */
function nginxVerdict(conf: string): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(work, "case-"));
  writeFileSync(join(dir, "nginx.conf"), localizeNginxConf(conf, { runtimeDir: dir }));
  return nginxTest(join(dir, "nginx.conf"), dir);
}

describe("the upstream address in nginx.conf", () => {
  it("is the app Service's cluster IP when given; IPv6 in brackets", () => {
    expect(confWith({ appServiceClusterIP: "10.96.14.2" })).toMatch(/^\s*server 10\.96\.14\.2:8000;$/m);
    expect(confWith({ appServiceClusterIP: "fd00:10:96::1a" })).toMatch(
      /^\s*server \[fd00:10:96::1a\]:8000;$/m,
    );
    expect(confWith({ appServiceClusterIP: "10.96.14.2" })).not.toContain("shop-app.store.svc");
  });

  it("offline, is the Service's DNS name, and the config says NGINX resolves it once", () => {
    const conf = confWith();
    expect(conf).toMatch(/^\s*server shop-app\.store\.svc:8000;$/m);
    expect(conf).toMatch(/# Rendered offline: NGINX resolves the name above once, at start/);
  });

  it("a new cluster IP (a recreated Service) changes the config hash, which rolls the web pods", () => {
    const hash = (ip: string) =>
      (
        render(webapp, { appServiceClusterIP: ip }).objects.find(
          (o) => o.metadata.name === "shop-web",
        ) as unknown as {
          spec: { template: { metadata: { annotations: Record<string, string> } } };
        }
      ).spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
    expect(hash("10.96.14.2")).not.toBe(hash("10.96.200.9"));
  });

  it.each([
    "None",
    "",
    "shop-app",
    "10.96.0.1 ",
    "10.96.0.1;",
    "10.96.0.1:80",
    "[fd00::1]",
    "fe80::1%eth0",
    "10.96.0.256",
    "10.96.0.1,fd00::1",
  ])("refuses %j as a cluster IP", (value) => {
    expect(() => render(webapp, { appServiceClusterIP: value })).toThrow(InvalidRenderInput);
  });

  it.runIf(nginxAvailable())("with the cluster IP, real NGINX starts without resolving anything", () => {
    const withIP = nginxVerdict(confWith({ appServiceClusterIP: "10.96.14.2" }));
    expect(withIP.ok, withIP.output).toBe(true);
    // The contrast: the name a cluster's DNS would answer does not resolve here, and NGINX refuses to start.
    const withName = nginxVerdict(confWith());
    expect(withName.ok).toBe(false);
    expect(withName.output).toMatch(/host not found in upstream "shop-app\.store\.svc:8000"/);
  });
});
