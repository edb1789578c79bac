/**
 * The Dockerfile, read without a Docker engine: the build stage compiles with the same script the
 * test command runs, the runtime stage runs as a non-root user with production dependencies only,
 * and the entrypoint is the CLI running `run` by default.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { imageNodeFlags } from "../../hack/lib/operator-process.js";
import {
  argumentList,
  copiesOf,
  lastOf,
  parseDockerfile,
  runsOf,
  type Stage,
  stageByRef,
} from "./support/dockerfile.js";

const ROOT = join(import.meta.dirname, "..", "..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const pkg = JSON.parse(read("package.json")) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
};
const stages = parseDockerfile(read("Dockerfile"));
const runtime = stages.at(-1)!;

const runsNpmBuild = (s: Stage) => runsOf(s).some((r) => /(^|&&\s*)npm run build(\s|$)/.test(r));
const buildStage = stages.find(runsNpmBuild);

/** `npm ci` / `npm install` commands of a stage. */
function npmInstalls(stage: Stage): string[] {
  return runsOf(stage).flatMap((r) =>
    r
      .split("&&")
      .map((c) => c.trim())
      .filter((c) => /^npm (ci|install|i)\b/.test(c)),
  );
}

/** The stage a COPY --from names, following the reference to the stage it was built in. */
function sourceStage(from: string): Stage {
  const stage = stageByRef(stages, from);
  if (!stage) throw new Error(`COPY --from=${from} does not name a stage of the Dockerfile`);
  return stage;
}

describe("build stage", () => {
  it("runs `npm run build`, the compile step of the test command", () => {
    expect(buildStage, "a stage running `npm run build`").toBeDefined();
    expect(pkg.scripts.test).toMatch(/(^|&& )npm run build( &&|$)/);
    expect(pkg.scripts.build).toBe("tsc -p tsconfig.build.json");
  });

  it("installs exactly the lockfile (npm ci) on Node 24", () => {
    expect(buildStage!.base).toMatch(/^node:24[.-]/);
    expect(npmInstalls(buildStage!)).toEqual([expect.stringMatching(/^npm ci\b/)]);
  });

  it("copies everything the build's tsconfig reads before compiling", () => {
    const tsconfig = JSON.parse(read("tsconfig.build.json")) as { extends?: string; include: string[] };
    const copied = copiesOf(buildStage!)
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources);
    const needed = [
      "package.json",
      "package-lock.json",
      "tsconfig.build.json",
      ...(tsconfig.extends ? [relative(ROOT, join(ROOT, tsconfig.extends))] : []),
      ...tsconfig.include,
    ];
    for (const path of needed) expect(copied, path).toContain(path);
  });
});

describe("runtime stage", () => {
  it("is a Node 24 runtime, distroless or slim", () => {
    expect(runtime.base).toMatch(/^(gcr\.io\/distroless\/nodejs24-debian\d+(:\S+)?|node:24[.-]\S*slim)$/);
  });

  it("runs as a numeric non-root user", () => {
    const user = lastOf(runtime, "USER")?.args;
    expect(user, "USER instruction").toBeDefined();
    const [uid, gid] = user!.split(":");
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    if (gid !== undefined) expect(Number(gid)).toBeGreaterThan(0);
  });

  it("takes node_modules only from a stage that installed production dependencies alone", () => {
    const nodeModules = copiesOf(runtime).filter((c) => c.sources.some((s) => s.includes("node_modules")));
    expect(nodeModules).toHaveLength(1);
    const from = sourceStage(nodeModules[0]!.from!);
    expect(from).not.toBe(buildStage);
    expect(npmInstalls(from)).toEqual([expect.stringMatching(/^npm ci\b.*--omit=dev/)]);
  });

  it("copies nothing else that could carry dev dependencies or sources", () => {
    for (const copy of copiesOf(runtime)) {
      for (const source of copy.sources) {
        expect(source === "." || source === "/" || source.endsWith("/src"), `COPY ${source}`).toBe(false);
        if (copy.from === undefined) expect(source).not.toMatch(/node_modules|^src\b|^test\b/);
      }
    }
    const fromBuild = copiesOf(runtime).filter((c) => c.from && sourceStage(c.from) === buildStage);
    expect(fromBuild.flatMap((c) => c.sources)).toEqual(["/src/dist"]);
  });

  it("starts the CLI of package.json's bin with `run` by default", () => {
    const entrypoint = argumentList(lastOf(runtime, "ENTRYPOINT")!.args);
    const cmd = argumentList(lastOf(runtime, "CMD")!.args);
    expect(cmd).toEqual(["run"]);
    expect(entrypoint.at(-1)).toBe(`/app/${pkg.bin["webapp-operator"]}`);
    expect(entrypoint[0]).toMatch(/\/node$/);
    // Between node and the CLI only node flags (hack/lib/operator-process.ts runs the benchmarks with them).
    expect(imageNodeFlags()).toEqual(entrypoint.slice(1, -1));
    for (const flag of entrypoint.slice(1, -1)) expect(flag).toMatch(/^--[a-z-]+=\S+$/);
    // The CLI imports ../dist/cli/main.js: dist must land beside bin.
    expect(read(pkg.bin["webapp-operator"]!)).toContain("../dist/cli/main.js");
    const dests = copiesOf(runtime).map((c) => c.dest.replace(/\/$/, ""));
    expect(dests).toEqual(expect.arrayContaining(["./dist", "./bin", "./node_modules"]));
  });
});

describe("build context", () => {
  const ignore = read(".dockerignore")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));

  /** Docker's rule for the patterns used here: the last matching pattern wins; a directory covers its contents. */
  function ignored(path: string): boolean {
    let result = false;
    for (const raw of ignore) {
      const negated = raw.startsWith("!");
      const pattern = (negated ? raw.slice(1) : raw).replace(/\/$/, "");
      if (pattern === "*" || path === pattern || path.startsWith(`${pattern}/`)) result = !negated;
    }
    return result;
  }

  it("is an allow-list: the host's node_modules, dist and tests never reach the build", () => {
    expect(ignore[0]).toBe("*");
    for (const path of [
      "node_modules",
      "node_modules/typescript",
      "dist",
      "test",
      ".git",
      ".tmp",
      "charts",
    ]) {
      expect(ignored(path), path).toBe(true);
    }
  });

  it("holds every file the Dockerfile copies from the context", () => {
    const sources = stages.flatMap((s) =>
      copiesOf(s)
        .filter((c) => c.from === undefined)
        .flatMap((c) => c.sources),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(ignored(source.replace(/\/$/, "")), source).toBe(false);
  });
});

describe("production dependencies", () => {
  function sourceFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
    );
  }

  function importedPackages(files: string[]): Set<string> {
    const imported = new Set<string>();
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(
        /^\s*import\s+(?!type\s)[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/gm,
      )) {
        const spec = m[1] ?? m[2]!;
        if (spec.startsWith(".") || spec.startsWith("node:")) continue;
        imported.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
      }
    }
    return imported;
  }
  const devclusterDir = join(ROOT, "src", "devcluster");

  it("cover every package the compiled operator imports", () => {
    const imported = importedPackages(
      sourceFiles(join(ROOT, "src")).filter((f) => !f.startsWith(`${devclusterDir}/`)),
    );
    expect(imported.size).toBeGreaterThan(0);
    for (const name of imported) expect(Object.keys(pkg.dependencies), name).toContain(name);
  });

  it("of the embedded cluster are its own, and it stays out of the image", () => {
    const own = JSON.parse(read("src/devcluster/package.json")) as { dependencies: Record<string, string> };
    const imported = importedPackages(sourceFiles(devclusterDir));
    for (const name of imported) expect(Object.keys(own.dependencies), name).toContain(name);
    expect(runsOf(buildStage!).join("\n")).toMatch(/rm -rf dist\/devcluster/);
  });
});
