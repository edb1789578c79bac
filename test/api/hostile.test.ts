import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { localizeNginxConf, nginxAvailable, nginxTest } from "../../hack/lib/nginx-local.js";
import { parseWebApp } from "../../src/api/index.js";
import { render, UnsafeNginxValue } from "../../src/render/index.js";
import { block, d, literal, serialize } from "../../src/render/nginx/conf.js";
import { nginxConfOf, validWebApp, webappObject } from "../fixtures/webapps.js";

const app = { image: "registry.example.com/shop:1.4.2", module: "shop.wsgi:application" };
const withApp = (over: Record<string, unknown>) => ({ app: { ...app, ...over }, web: {} });
const withWeb = (over: Record<string, unknown>) => ({ app, web: over });

/** [label, spec, the field path the error must name] */
const HOSTILE: [string, Record<string, unknown>, string][] = [
  [
    "; in clientMaxBodySize",
    withWeb({ clientMaxBodySize: "10m; include /etc/passwd" }),
    "spec.web.clientMaxBodySize",
  ],
  ["{ in clientMaxBodySize", withWeb({ clientMaxBodySize: "1m{" }), "spec.web.clientMaxBodySize"],
  [
    "newline in clientMaxBodySize",
    withWeb({ clientMaxBodySize: "1m\nlocation /x {" }),
    "spec.web.clientMaxBodySize",
  ],
  [
    "$ variable in clientMaxBodySize",
    withWeb({ clientMaxBodySize: "$request_body" }),
    "spec.web.clientMaxBodySize",
  ],
  ["huge clientMaxBodySize", withWeb({ clientMaxBodySize: "99999999999999g" }), "spec.web.clientMaxBodySize"],
  [
    "} in static urlPath",
    { app, web: {}, static: { urlPath: "/static/}", fromImage: { path: "/a" } } },
    "spec.static.urlPath",
  ],
  [
    "; in static urlPath",
    { app, web: {}, static: { urlPath: "/s;/", fromImage: { path: "/a" } } },
    "spec.static.urlPath",
  ],
  [
    ".. in static urlPath",
    { app, web: {}, static: { urlPath: "/static/../", fromImage: { path: "/a" } } },
    "spec.static.urlPath",
  ],
  [
    "urlPath without trailing slash (alias traversal)",
    { app, web: {}, static: { urlPath: "/static", fromImage: { path: "/a" } } },
    "spec.static.urlPath",
  ],
  [
    "media at / (it would hide the app; found by fuzzing)",
    { app, web: {}, media: { size: "1Gi", urlPath: "/" } },
    "spec.media.urlPath",
  ],
  [
    "space in media urlPath",
    { app, web: {}, media: { size: "1Gi", urlPath: "/me dia/" } },
    "spec.media.urlPath",
  ],
  [
    "# in media urlPath",
    { app, web: {}, media: { size: "1Gi", urlPath: "/media/#/" } },
    "spec.media.urlPath",
  ],
  ["quote in media urlPath", { app, web: {}, media: { size: "1Gi", urlPath: "/m'/" } }, "spec.media.urlPath"],
  [
    ".. in fromImage path",
    { app, web: {}, static: { fromImage: { path: "/app/../etc" } } },
    "spec.static.fromImage.path",
  ],
  [
    "relative fromImage path",
    { app, web: {}, static: { fromImage: { path: "app/static" } } },
    "spec.static.fromImage.path",
  ],
  [
    "shell in fromImage path",
    { app, web: {}, static: { fromImage: { path: "/a; rm -rf /" } } },
    "spec.static.fromImage.path",
  ],
  [
    "; in trusted proxy",
    withWeb({ trustedProxies: ["10.0.0.0/8; allow all"] }),
    "spec.web.trustedProxies[0]",
  ],
  ["prefix out of range", withWeb({ trustedProxies: ["10.0.0.0/33"] }), "spec.web.trustedProxies[0]"],
  ["not an address", withWeb({ trustedProxies: ["example.com"] }), "spec.web.trustedProxies[0]"],
  [
    "a trusted proxy listed twice",
    withWeb({ trustedProxies: ["10.0.0.0/8", "10.0.0.0/8"] }),
    "spec.web.trustedProxies",
  ],
  [
    "negative read timeout",
    withWeb({ proxyTimeouts: { readSeconds: -1 } }),
    "spec.web.proxyTimeouts.readSeconds",
  ],
  [
    "huge read timeout",
    withWeb({ proxyTimeouts: { readSeconds: 1e12 } }),
    "spec.web.proxyTimeouts.readSeconds",
  ],
  [
    "fractional timeout",
    withWeb({ proxyTimeouts: { connectSeconds: 1.5 } }),
    "spec.web.proxyTimeouts.connectSeconds",
  ],
  [
    "timeout as a string",
    withWeb({ proxyTimeouts: { connectSeconds: "5s; return 200" } }),
    "spec.web.proxyTimeouts.connectSeconds",
  ],
  ["negative workers", withApp({ workers: -3 }), "spec.app.workers"],
  ["huge workers", withApp({ workers: 100000 }), "spec.app.workers"],
  ["privileged port", withApp({ port: 80 }), "spec.app.port"],
  ["port out of range", withApp({ port: 70000 }), "spec.app.port"],
  ["root user", withApp({ runAsUser: 0 }), "spec.app.runAsUser"],
  ["shell in module", withApp({ module: "shop.wsgi:app; curl evil" }), "spec.app.module"],
  ["newline in image", withApp({ image: "shop:1\n--privileged" }), "spec.app.image"],
  ["space in image", withApp({ image: "shop 1" }), "spec.app.image"],
  ["$ in health path", withApp({ healthCheck: { path: "/h$x y" } }), "spec.app.healthCheck.path"],
  ["unknown field in app", withApp({ privileged: true }), "spec.app.privileged"],
  ["unknown top-level spec field", { app, web: {}, snippet: "location / { return 200; }" }, "spec.snippet"],
  ["raw config field in web", withWeb({ serverSnippet: "return 200;" }), "spec.web.serverSnippet"],
  ["wrong type: replicas string", withApp({ replicas: "2" }), "spec.app.replicas"],
  ["wrong type: gzip string", withWeb({ gzip: "on; include x" }), "spec.web.gzip"],
  ["wrong type: web a list", { app, web: [] }, "spec.web"],
  ["bad enum: server", withApp({ server: "runserver" }), "spec.app.server"],
  ["ingress host with ;", { app, web: {}, ingress: { host: "shop.example.com;" } }, "spec.ingress.host"],
  ["ingress host uppercase", { app, web: {}, ingress: { host: "Shop.Example.com" } }, "spec.ingress.host"],
  ["quantity with ;", withApp({ resources: { requests: { cpu: "1;" } } }), "spec.app.resources.requests.cpu"],
  [
    "negative quantity",
    withApp({ resources: { limits: { memory: -5 } } }),
    "spec.app.resources.limits.memory",
  ],
  ["env name with =", withApp({ env: [{ name: "A=B", value: "x" }] }), "spec.app.env[0].name"],
  [
    "too many trusted proxies",
    withWeb({ trustedProxies: Array.from({ length: 65 }, (_, i) => `10.0.${i}.0/24`) }),
    "spec.web.trustedProxies",
  ],
  ["too long image", withApp({ image: `r.example.com/${"a".repeat(600)}:1` }), "spec.app.image"],
];

describe("hostile and invalid specs are refused with the field path", () => {
  it("covers at least 30 cases", () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(30);
  });

  it.each(HOSTILE)("%s", (_label, spec, path) => {
    const parsed = parseWebApp(webappObject(spec));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors.map((e) => e.path)).toContain(path);
  });

  it("a bad metadata.name is refused", () => {
    const parsed = parseWebApp(webappObject({ app }, "Shop;"));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors[0]?.path).toBe("metadata.name");
  });
});

describe("accepted values with odd characters stay inert in nginx.conf", () => {
  const work = mkdtempSync(join(tmpdir(), "webapp-inert-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  // Values that pass validation but contain characters special somewhere: env values and command
  // arguments never reach nginx.conf; '~', '-' and '.' in URL paths are plain in NGINX prefixes.
  const spec = {
    app: {
      ...app,
      env: [{ name: "EVIL", value: "x; } location / { return 200 pwned; } #" }],
      args: ["--log-level=debug;#{}"],
    },
    web: { trustedProxies: ["::ffff:10.0.0.1", "0.0.0.0/0"] },
    static: { urlPath: "/~st-a_t.ic/", fromImage: { path: "/app/@st+at-ic" } },
  };

  it("env values and args appear only in the Deployment, never in nginx.conf", () => {
    const { objects } = render(validWebApp(spec));
    const conf = nginxConfOf(objects)!;
    expect(conf).not.toContain("pwned");
    expect(conf).not.toContain("--log-level");
    expect(conf).toContain("location ^~ /~st-a_t.ic/ {");
  });

  it.runIf(nginxAvailable())("and the config still passes nginx -t", () => {
    const { objects } = render(validWebApp(spec));
    const conf = nginxConfOf(objects)!;
    const local = localizeNginxConf(conf, {
      runtimeDir: work,
      staticRoot: join(work, "s"),
      upstreamServers: ["127.0.0.1:8000"],
    });
    writeFileSync(join(work, "nginx.conf"), local);
    const verdict = nginxTest(join(work, "nginx.conf"), work);
    expect(verdict.ok, verdict.output).toBe(true);
  });
});

describe("the nginx.conf writer refuses unsafe tokens whatever validation let through", () => {
  it.each([
    "10m; include /etc/passwd",
    "a b",
    "x{",
    "}",
    "#comment",
    "new\nline",
    "quote'",
    'dq"',
    "back\\slash",
    "",
  ])("argument %j", (value) => {
    expect(() => serialize([d("client_max_body_size", value)])).toThrow(UnsafeNginxValue);
  });

  it("directive names are lowercase words", () => {
    expect(() => serialize([d("return 200;\nx", "y")])).toThrow(UnsafeNginxValue);
  });

  it("negative or fractional numbers", () => {
    expect(() => serialize([d("worker_connections", -1)])).toThrow(UnsafeNginxValue);
    expect(() => serialize([d("worker_connections", 1.5)])).toThrow(UnsafeNginxValue);
  });

  it("literals may not hold quotes or newlines", () => {
    expect(() => literal("it's")).toThrow(UnsafeNginxValue);
    expect(() => literal("a\nb")).toThrow(UnsafeNginxValue);
    expect(serialize([block("map", ["$a", "$b"], [d("default", literal("x y"))])])).toBe(
      "map $a $b {\n    default 'x y';\n}\n",
    );
  });
});
