import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { localizeNginxConf, nginxAvailable, nginxTest } from "../../hack/lib/nginx-local.js";
import { parseWebApp } from "../../src/api/index.js";
import { render } from "../../src/render/index.js";
import { exampleWebApps, nginxConfOf, VARIATIONS, validWebApp } from "../fixtures/webapps.js";

const work = mkdtempSync(join(tmpdir(), "webapp-nginx-t-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `nginx -t` on the rendered config, with only the paths and the upstream address made local. */
function expectNginxAccepts(label: string, conf: string) {
  const dir = mkdtempSync(join(work, "case-"));
  const local = localizeNginxConf(conf, {
    runtimeDir: dir,
    staticRoot: join(dir, "static"),
    mediaRoot: join(dir, "media"),
    ...(conf.includes("upstream webapp_app") ? { upstreamServers: ["127.0.0.1:8000"] } : {}),
  });
  writeFileSync(join(dir, "nginx.conf"), local);
  const verdict = nginxTest(join(dir, "nginx.conf"), dir);
  expect(verdict.ok, `${label}: nginx -t said:\n${verdict.output}`).toBe(true);
}

describe.runIf(nginxAvailable())("every rendered nginx.conf passes a real nginx -t", () => {
  it.each(VARIATIONS)("%s", (name, spec) => {
    const conf = nginxConfOf(render(validWebApp(spec)).objects);
    if (spec.web === undefined) {
      expect(conf, "no web tier, no nginx.conf").toBeUndefined();
      return;
    }
    expectNginxAccepts(name, conf!);
  });

  it.each(exampleWebApps().map((e) => [e.file, e.doc] as const))("example %s", (file, doc) => {
    const parsed = parseWebApp({ ...doc, metadata: { namespace: "default", ...(doc.metadata as object) } });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const conf = nginxConfOf(render(parsed.webapp).objects);
    if (conf) expectNginxAccepts(file, conf);
  });

  it("nginx -t does reject a broken config (the check can fail)", () => {
    const conf = nginxConfOf(
      render(validWebApp({ app: { image: "a/b:1", module: "m:app" }, web: {} })).objects,
    )!;
    const dir = mkdtempSync(join(work, "broken-"));
    const broken = localizeNginxConf(conf, { runtimeDir: dir, upstreamServers: ["127.0.0.1:8000"] }).replace(
      "proxy_redirect off;",
      "proxy_redirect off; no_such_directive on;",
    );
    writeFileSync(join(dir, "nginx.conf"), broken);
    const verdict = nginxTest(join(dir, "nginx.conf"), dir);
    expect(verdict.ok).toBe(false);
    expect(verdict.output).toMatch(/unknown directive "no_such_directive"/);
  });
});
