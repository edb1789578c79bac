// The sample apps in examples/apps, run under the real Debian Gunicorn and uWSGI (and the
// Flask one under Werkzeug's development server, which the benchmark compares against).
// Each endpoint the data-plane harness and the benchmark rely on is checked here, against a
// real server process on 127.0.0.1.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  APP_NAMES,
  type AppName,
  appDir,
  FLASK_BENCHMARK_FILES,
  flaskDevServerCommand,
  freePort,
  type InfoJson,
  type PreparedApp,
  prepareApp,
  type RunningProcess,
  startServer,
} from "../../hack/lib/apps.js";
import { httpRequest } from "../../hack/lib/http.js";
import { DEBIAN_TOOLS, dataPlaneAvailability } from "../../hack/lib/tools.js";
import { websocketRoundTrip } from "../../hack/lib/websocket.js";

const availability = dataPlaneAvailability("sample app tests (test/dataplane/apps.test.ts)", {
  executables: [DEBIAN_TOOLS.python3, DEBIAN_TOOLS.gunicorn, DEBIAN_TOOLS.uwsgi],
  files: [DEBIAN_TOOLS.uwsgiPython3Plugin],
  pythonModules: ["flask", "django"],
});

const FORWARDED_HOST = "shop.example.com";
const CLIENT_IP = "203.0.113.7";
const SERVERS = ["gunicorn", "uwsgi"] as const;
type ServerKind = (typeof SERVERS)[number];
const SERVER_SOFTWARE: Record<ServerKind, RegExp> = { gunicorn: /^gunicorn\//, uwsgi: /^uWSGI\// };

function serverCommand(
  kind: ServerKind,
  app: PreparedApp,
  port: number,
): { command: string; args: string[] } {
  const bind = `127.0.0.1:${port}`;
  if (kind === "gunicorn") {
    return {
      command: DEBIAN_TOOLS.gunicorn,
      args: ["--bind", bind, "--workers", "2", "--chdir", app.cwd, app.wsgiCallable],
    };
  }
  return {
    command: DEBIAN_TOOLS.uwsgi,
    // --need-app: without it uWSGI keeps running with no app and answers 500.
    // --die-on-term: without it SIGTERM reloads uWSGI instead of stopping it.
    args: [
      "--plugin",
      "python3",
      "--http-socket",
      bind,
      "--master",
      "--processes",
      "2",
      "--chdir",
      app.cwd,
      "--module",
      app.wsgiCallable,
      "--need-app",
      "--die-on-term",
    ],
  };
}

/** The parent pid of a process, from /proc. */
async function parentPid(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Field 4; the command name (field 2) is in parentheses and may contain spaces.
  const afterName = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(afterName[1]);
}

describe("sample apps: prerequisites", () => {
  it.skipIf(availability.skip)("the Debian app servers and the Python packages are installed", () => {
    expect(availability.missing).toEqual([]);
  });
});

describe.skipIf(availability.skip)("Django settings from the environment", () => {
  function importSettings(env: Record<string, string>) {
    return spawnSync(
      DEBIAN_TOOLS.python3,
      ["-c", "import django; from django.conf import settings; django.setup(); print(settings.STATIC_URL)"],
      {
        cwd: appDir("django"),
        env: {
          PATH: process.env.PATH ?? "",
          DJANGO_SETTINGS_MODULE: "mysite.settings",
          PYTHONDONTWRITEBYTECODE: "1",
          ...env,
        },
        encoding: "utf8",
        timeout: 20_000,
      },
    );
  }

  it("refuses to start without SECRET_KEY when DEBUG is off, naming the variable", () => {
    const result = importSettings({ DEBUG: "0" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("environment variable SECRET_KEY is required when DEBUG=0");
  });

  it("rejects a DEBUG value that is not a boolean, naming the variable", () => {
    const result = importSettings({ DEBUG: "maybe", SECRET_KEY: "k" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("environment variable DEBUG must be 0 or 1");
  });

  it("rejects a STATIC_URL without the trailing slash, naming the variable", () => {
    const result = importSettings({ SECRET_KEY: "k", STATIC_URL: "/static" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("environment variable STATIC_URL must start and end with '/'");
  });

  it("loads with SECRET_KEY set and DEBUG unset", () => {
    const result = importSettings({ SECRET_KEY: "k", STATIC_URL: "/assets/" });
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("/assets/");
  });
});

for (const name of APP_NAMES) {
  for (const kind of SERVERS) {
    describe.skipIf(availability.skip)(`${name} app under ${kind}`, () => {
      let workDir: string;
      let app: PreparedApp;
      let port: number;
      let server: RunningProcess | undefined;

      beforeAll(async () => {
        workDir = await mkdtemp(join(tmpdir(), `webapp-apps-${name}-${kind}-`));
        app = await prepareApp(name as AppName, workDir, {
          allowedHosts: ["127.0.0.1", "localhost", FORWARDED_HOST],
        });
        port = await freePort();
        const { command, args } = serverCommand(kind, app, port);
        server = await startServer(command, args, {
          name: kind,
          cwd: app.cwd,
          env: { ...process.env, ...app.env },
          port,
          readyPath: app.healthPath,
        });
      });

      afterAll(async () => {
        await server?.stop();
        if (workDir) await rm(workDir, { recursive: true, force: true });
      });

      const get = (path: string, headers: Record<string, string> = {}) =>
        httpRequest({ port, path, headers });

      it("answers /healthz with 200 ok, whatever the Host (kubelet probes send the pod IP)", async () => {
        for (const host of [`127.0.0.1:${port}`, "10.244.1.17:8000"]) {
          const res = await get("/healthz", { Host: host });
          expect(res.status).toBe(200);
          expect(res.text()).toBe("ok");
        }
      });

      it("reports in /api/info a worker pid of this server and the client it sees on the socket", async () => {
        const res = await get("/api/info");
        expect(res.status).toBe(200);
        const info = res.json<InfoJson>();
        expect(info.framework).toBe(name);
        expect(info.server).toMatch(SERVER_SOFTWARE[kind]);
        expect(info.pid).not.toBe(server?.pid);
        expect(await parentPid(info.pid)).toBe(server?.pid);
        expect(info.remote_addr).toBe("127.0.0.1");
        expect(info.scheme).toBe("http");
        expect(info.is_secure).toBe(false);
        expect(info.host).toBe(`127.0.0.1:${port}`);
        expect(res.headers["x-served-by"]).toBe(info.instance);
      });

      it("sees the client address, scheme and host through the forwarded headers as the framework does", async () => {
        const res = await get("/api/info", {
          // The left entry is what a client could forge; only the proxy's own (last) one counts.
          "X-Forwarded-For": `198.51.100.66, ${CLIENT_IP}`,
          "X-Forwarded-Proto": "https",
          "X-Forwarded-Host": FORWARDED_HOST,
          "X-Real-IP": CLIENT_IP,
        });
        expect(res.status).toBe(200);
        const info = res.json<InfoJson>();
        expect(info.scheme).toBe("https");
        expect(info.is_secure).toBe(true);
        expect(info.host).toBe(FORWARDED_HOST);
        expect(info.forwarded["X-Forwarded-For"]).toBe(`198.51.100.66, ${CLIENT_IP}`);
        expect(info.forwarded["X-Real-IP"]).toBe(CLIENT_IP);
        if (name === "flask") {
          // ProxyFix(x_for=1) trusts one hop: the address the proxy appended.
          expect(info.remote_addr).toBe(CLIENT_IP);
          expect(info.direct).toEqual({
            remote_addr: "127.0.0.1",
            // Gunicorn (trusting 127.0.0.1 by default) and uWSGI's http-socket already
            // take the scheme from X-Forwarded-Proto themselves.
            scheme: "https",
            host: `127.0.0.1:${port}`,
          });
        } else {
          // Django never reads X-Forwarded-For: REMOTE_ADDR stays the socket peer.
          expect(info.remote_addr).toBe("127.0.0.1");
        }
      });

      it("echoes every request header in /api/headers", async () => {
        const res = await get("/api/headers", { "X-Test-Token": "abc123", "User-Agent": "apps-test" });
        expect(res.status).toBe(200);
        const { headers } = res.json<{ headers: Record<string, string> }>();
        expect(headers["x-test-token"]).toBe("abc123");
        expect(headers["user-agent"]).toBe("apps-test");
        expect(headers.host).toBe(`127.0.0.1:${port}`);
      });

      it("sleeps the requested time in /slow and reports the worker", async () => {
        const started = performance.now();
        const res = await get("/slow?ms=150");
        const elapsed = performance.now() - started;
        expect(res.status).toBe(200);
        const body = res.json<{ pid: number; slept_ms: number; instance: string }>();
        expect(body.slept_ms).toBe(150);
        expect(elapsed).toBeGreaterThanOrEqual(150);
        expect(await parentPid(body.pid)).toBe(server?.pid);

        const byDefault = await get("/slow");
        expect(byDefault.json<{ slept_ms: number }>().slept_ms).toBe(20);
      });

      it("rejects a /slow duration that is not an integer from 0 to 60000, naming the parameter", async () => {
        for (const ms of ["abc", "-1", "60001"]) {
          const res = await get(`/slow?ms=${ms}`);
          expect(res.status).toBe(400);
          expect(res.json<{ error: string }>().error).toContain(
            "query parameter ms must be an integer from 0 to 60000",
          );
        }
      });

      it("counts the bytes of an uploaded body", async () => {
        const body = Buffer.alloc(1024 * 1024 + 7, 0x61);
        const res = await httpRequest({
          port,
          path: "/upload",
          method: "POST",
          headers: { "Content-Type": "application/octet-stream", "Content-Length": body.length },
          body,
        });
        expect(res.status).toBe(200);
        expect(res.json<{ bytes: number }>().bytes).toBe(body.length);

        const empty = await httpRequest({
          port,
          path: "/upload",
          method: "POST",
          headers: { "Content-Length": 0 },
        });
        expect(empty.json<{ bytes: number }>().bytes).toBe(0);
        expect((await get("/upload")).status).toBe(405);
      });

      if (name === "flask") {
        it("serves the generated benchmark files from STATIC_ROOT with send_from_directory", async () => {
          expect(app.staticFiles).toEqual(Object.keys(FLASK_BENCHMARK_FILES).sort());
          for (const [file, size] of Object.entries(FLASK_BENCHMARK_FILES)) {
            const res = await get(`/static-file/${file}`);
            expect(res.status).toBe(200);
            expect(res.body.length).toBe(size);
            expect(res.body.equals(await readFile(join(app.staticDir, file)))).toBe(true);
          }
          expect((await get("/static-file/missing.bin")).status).toBe(404);
          expect((await get("/static-file/..%2Fapp.py")).status).toBe(404);
        });

        it("passes a websocket upgrade through to /ws/echo and echoes one message", async () => {
          const result = await websocketRoundTrip({ port, path: "/ws/echo", message: `hello from ${kind}` });
          expect(result.status).toBe(101);
          expect(result.acceptValid).toBe(true);
          expect(result.reply).toBe(`hello from ${kind}`);
          // The worker is free again afterwards.
          expect((await get("/healthz")).status).toBe(200);
        });
      }

      if (name === "django") {
        it("saves a file posted to /media-uploads/<name> under MEDIA_ROOT and answers its MEDIA_URL", async () => {
          const body = Buffer.from(`an upload through ${kind}\n`);
          const post = () =>
            httpRequest({
              port,
              path: "/media-uploads/notes.txt",
              method: "POST",
              headers: { "Content-Type": "application/octet-stream", "Content-Length": body.length },
              body,
            });
          const first = await post();
          expect(first.status).toBe(200);
          const saved = first.json<{ name: string; url: string; bytes: number }>();
          expect(saved).toMatchObject({ name: "uploads/notes.txt", url: "/media/uploads/notes.txt" });
          expect(saved.bytes).toBe(body.length);
          const file = join(app.env.MEDIA_ROOT ?? "", saved.name);
          expect((await readFile(file)).equals(body)).toBe(true);
          // A second upload of the same name never overwrites the first.
          const second = (await post()).json<{ name: string }>();
          expect(second.name).not.toBe(saved.name);
          expect(second.name).toMatch(/^uploads\/notes_\w+\.txt$/);
          expect((await get("/media-uploads/notes.txt")).status).toBe(405);
        });

        it("refuses a Host outside ALLOWED_HOSTS", async () => {
          expect((await get("/api/info", { Host: "attacker.example" })).status).toBe(400);
        });

        it("links its page to hashed static files that collectstatic wrote to STATIC_ROOT", async () => {
          const res = await get("/");
          expect(res.status).toBe(200);
          expect(res.headers["content-type"]).toContain("text/html");
          const links = [
            ...new Set([...res.text().matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1] ?? "")),
          ];
          const extensions = links.map((link) => link.split(".").pop()).sort();
          expect(extensions).toEqual(["css", "js", "svg"]);
          for (const link of links) {
            expect(link.startsWith(app.staticUrlPath)).toBe(true);
            expect(link).toMatch(/\.[0-9a-f]{12}\.(css|js|svg)$/);
            const relative = link.slice(app.staticUrlPath.length);
            expect(app.staticFiles).toContain(relative);
          }

          // The stylesheet's own reference to the logo was rewritten to the hashed name too.
          const css = links.find((link) => link.endsWith(".css")) ?? "";
          const cssText = await readFile(join(app.staticDir, css.slice(app.staticUrlPath.length)), "utf8");
          const logo = /url\("(logo\.[0-9a-f]{12}\.svg)"\)/.exec(cssText)?.[1];
          expect(logo).toBeDefined();
          expect(app.staticFiles).toContain(`pages/${logo}`);

          const manifest = JSON.parse(await readFile(join(app.staticDir, "staticfiles.json"), "utf8")) as {
            paths: Record<string, string>;
          };
          const collected = Object.keys(manifest.paths);
          expect(collected.filter((p) => p.startsWith("pages/")).sort()).toEqual([
            "pages/app.js",
            "pages/logo.svg",
            "pages/site.css",
          ]);
          // The admin's own files were collected too (the sample installs django.contrib.admin).
          expect(collected).toContain("admin/css/base.css");
        });
      }
    });
  }
}

describe.skipIf(availability.skip)("flask app on the Werkzeug development server", () => {
  let workDir: string;
  let server: RunningProcess | undefined;
  let port: number;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "webapp-apps-devserver-"));
    const app = await prepareApp("flask", workDir);
    port = await freePort();
    const { command, args } = flaskDevServerCommand(port);
    server = await startServer(command, args, {
      name: "werkzeug",
      cwd: app.cwd,
      env: { ...process.env, ...app.env },
      port,
      readyPath: app.healthPath,
    });
  });

  afterAll(async () => {
    await server?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("is the server that warns it is not for production", async () => {
    const res = await httpRequest({ port, path: "/api/info" });
    expect(res.status).toBe(200);
    expect(res.json<InfoJson>().server).toMatch(/^Werkzeug\//);
    expect(server?.output()).toContain(
      "This is a development server. Do not use it in a production deployment.",
    );
  });

  it("serves the 10 KB benchmark file", async () => {
    const res = await httpRequest({ port, path: "/static-file/10k.bin" });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(FLASK_BENCHMARK_FILES["10k.bin"]);
  });
});
