// The harness's own rules: it runs the rendered command with nothing but the bind address
// changed, and it refuses (naming what it expected) anything it would otherwise have to guess.
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  fillStaticRoot,
  localAppCommand,
  parseManifest,
  webAppManifest,
} from "../../hack/lib/harness/index.js";
import { DEBIAN_TOOLS } from "../../hack/lib/tools.js";
import { render } from "../../src/render/index.js";

function renderedCommand(server: "gunicorn" | "uwsgi"): string[] {
  const webapp = parseManifest(
    webAppManifest("shop", { app: { image: "r/shop:1", server, module: "app:app", workers: 2 }, web: {} }),
  );
  const deployment = render(webapp).objects.find(
    (o) => o.kind === "Deployment" && o.metadata.name === "shop-app",
  ) as { spec: { template: { spec: { containers: { command: string[] }[] } } } } | undefined;
  const command = deployment?.spec.template.spec.containers[0]?.command;
  if (!command) throw new Error("no app command rendered");
  return command;
}

describe("localAppCommand", () => {
  it("changes only Gunicorn's --bind value and resolves the Debian binary", () => {
    const rendered = renderedCommand("gunicorn");
    const local = localAppCommand(rendered, 18001);
    expect(local.command).toBe(DEBIAN_TOOLS.gunicorn);
    const bind = rendered.indexOf("--bind");
    expect(local.args).toEqual(rendered.slice(1).map((arg, i) => (i === bind ? "127.0.0.1:18001" : arg)));
    expect(local.env).toEqual({});
  });

  it("changes only uWSGI's --http-socket value and loads the Python plugin through the environment", () => {
    const rendered = renderedCommand("uwsgi");
    const local = localAppCommand(rendered, 18002);
    expect(local.command).toBe(DEBIAN_TOOLS.uwsgi);
    const socket = rendered.indexOf("--http-socket");
    expect(local.args).toEqual(rendered.slice(1).map((arg, i) => (i === socket ? "127.0.0.1:18002" : arg)));
    expect(local.args).not.toContain("--plugin");
    expect(local.env).toEqual({ UWSGI_PLUGIN: "python3" });
  });

  it("refuses a command it cannot run as rendered", () => {
    expect(() => localAppCommand(["waitress-serve", "--port=8000", "app:app"], 1)).toThrow(
      'must start with gunicorn or uwsgi to run locally, got "waitress-serve"',
    );
    expect(() => localAppCommand(["gunicorn", "app:app"], 1)).toThrow(
      "must have --bind exactly once, found 0",
    );
    expect(() => localAppCommand(["gunicorn", "--bind", "0.0.0.0:1", "--bind", "0.0.0.0:2"], 1)).toThrow(
      "found 2",
    );
    expect(() => localAppCommand(["uwsgi", "--http-socket", "unix:/tmp/s"], 1)).toThrow(
      'the rendered uwsgi --http-socket must match /^(\\[::\\])?:\\d+$/, got "unix:/tmp/s"',
    );
  });
});

describe("fillStaticRoot", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  async function folders() {
    const base = await mkdtemp(join(tmpdir(), "webapp-fill-"));
    dirs.push(base);
    const source = join(base, "image");
    await mkdir(join(source, "css"), { recursive: true });
    await writeFile(join(source, "css", "a.css"), "a");
    return { source, staticRoot: join(base, "static") };
  }

  it("runs the rendered init container's copy with its two paths mapped", async () => {
    const { source, staticRoot } = await folders();
    const argv = await fillStaticRoot({
      initContainers: [
        { name: "copy-static", command: ["cp", "-R", "--", "/app/staticfiles/.", "/var/www/static/"] },
      ],
      imagePath: "/app/staticfiles",
      source,
      staticRoot,
    });
    expect(argv).toEqual(["cp", "-R", "--", `${source}/.`, `${staticRoot}/`]);
    expect(await readdir(join(staticRoot, "css"))).toEqual(["a.css"]);
  });

  it("fails when the copy step does not name the image path", async () => {
    const { source, staticRoot } = await folders();
    await expect(
      fillStaticRoot({
        initContainers: [
          { name: "copy-static", command: ["cp", "-R", "--", "/elsewhere/.", "/var/www/static/"] },
        ],
        imagePath: "/app/staticfiles",
        source,
        staticRoot,
      }),
    ).rejects.toThrow("must name both /app/staticfiles and /var/www/static");
  });
});
