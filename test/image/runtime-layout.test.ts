/**
 * The runtime image's files, assembled without Docker: the prod-deps stage's own RUN commands (read
 * from the Dockerfile) install production dependencies into a temporary directory, the compile step
 * writes dist/ there, the runtime stage's COPYs from the build context follow, and the CLI must then
 * work from that tree alone. This catches a runtime import of a dev dependency, and a file the
 * image needs but does not copy. The host's Node runs it (the image has Node 24).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webAppCrd } from "../../src/api/crd.js";
import { parseYamlStream } from "../../src/util/yaml.js";
import { copiesOf, parseDockerfile, runsOf, stageByRef } from "./support/dockerfile.js";

const ROOT = join(import.meta.dirname, "..", "..");
const stages = parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const runtime = stages.at(-1)!;
const nodeModulesCopy = copiesOf(runtime).find((c) => c.sources.some((s) => s.endsWith("node_modules")))!;
const prodDeps = stageByRef(stages, nodeModulesCopy.from!)!;

let app: string;
let work: string;

function cli(args: string[]) {
  return spawnSync(process.execPath, [join(app, "bin", "webapp-operator.js"), ...args], {
    cwd: app,
    encoding: "utf8",
    timeout: 30_000,
  });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "webapp-operator-image-"));
  app = join(work, "app");
  const deps = join(work, "prod-deps");
  // prod-deps stage: COPY package.json package-lock.json, then its RUN lines as they are written.
  for (const copy of copiesOf(prodDeps)) for (const s of copy.sources) cpSync(join(ROOT, s), join(deps, s));
  for (const run of runsOf(prodDeps)) {
    execFileSync("bash", ["-c", run], {
      cwd: deps,
      stdio: "pipe",
      timeout: 240_000,
      // CI's `npm ci` has just filled the cache: no need to download again.
      env: { ...process.env, npm_config_prefer_offline: "true" },
    });
  }
  cpSync(join(deps, "node_modules"), join(app, "node_modules"), { recursive: true });
  // build stage: `npm run build` is `tsc -p tsconfig.build.json`; same compile, written to the tree.
  execFileSync(
    join(ROOT, "node_modules", ".bin", "tsc"),
    ["-p", "tsconfig.build.json", "--outDir", join(app, "dist")],
    {
      cwd: ROOT,
      stdio: "pipe",
    },
  );
  // The build stage leaves the embedded cluster out of the image.
  rmSync(join(app, "dist", "devcluster"), { recursive: true, force: true });
  // runtime stage: the COPYs from the build context.
  for (const copy of copiesOf(runtime).filter((c) => c.from === undefined)) {
    for (const s of copy.sources) cpSync(join(ROOT, s), join(app, s), { recursive: true });
  }
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the image's files on their own", () => {
  it("hold production dependencies only, without type declarations or source maps", () => {
    // The lockfile marks what only dev dependencies pull in ("dev": true); none of it may be there.
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([path, p]) => p.dev && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path))
      .map(([path]) => path);
    expect(devOnly).toEqual(expect.arrayContaining(["node_modules/typescript", "node_modules/vitest"]));
    for (const path of devOnly) expect(existsSync(join(app, path)), path).toBe(false);
    const client = join(app, "node_modules", "@kubernetes", "client-node", "dist");
    const files = readdirSync(client);
    expect(files.some((f) => f.endsWith(".js"))).toBe(true);
    expect(files.filter((f) => f.endsWith(".d.ts") || f.endsWith(".map"))).toEqual([]);
  });

  it("run the CLI: help lists the commands, including run", () => {
    const r = cli(["--help"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\s+run\b/m);
  });

  it("print the CRD generated from the schema", () => {
    const r = cli(["crd"]);
    expect(r.status, r.stderr).toBe(0);
    const [crd] = parseYamlStream(r.stdout);
    expect(crd).toEqual(webAppCrd());
  });

  it("render an example WebApp (zod, js-yaml and the renderer load)", () => {
    const r = cli(["render", "-f", join(ROOT, "examples", "flask-app.yaml")]);
    expect(r.status, r.stderr).toBe(0);
    expect(parseYamlStream(r.stdout).map((o) => (o as { kind: string }).kind)).toContain("Deployment");
  });

  it("say that the development commands need a checkout (the embedded cluster is not in the image)", () => {
    const r = cli(["dev-apiserver"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("embedded Kubernetes API server is not part of this installation");
    expect(r.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|at .*\.js:\d+/);
  });

  it("load the operator (client-node, pino, prom-client) and fail clearly without a cluster", () => {
    const r = cli(["run", "--kubeconfig", join(work, "missing-kubeconfig")]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("missing-kubeconfig");
    expect(r.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
  });
});
