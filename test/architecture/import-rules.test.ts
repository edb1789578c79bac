/**
 * The import rules (hack/import-rules.cjs) hold for src/, and they catch a deliberate violation of
 * each: a tree of small files breaking one rule each is cruised with the same rules.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cruise, type IConfiguration, type ICruiseResult } from "dependency-cruiser";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const rules = createRequire(import.meta.url)(join(ROOT, "hack", "import-rules.cjs")) as IConfiguration;

async function violations(baseDir: string): Promise<{ rule: string; from: string; to: string }[]> {
  const result = await cruise(
    ["src"],
    {
      ...rules.options,
      baseDir,
      ruleSet: { forbidden: rules.forbidden ?? [] },
      validate: true,
      tsConfig: undefined,
    },
    undefined,
    undefined,
  );
  const output = result.output as ICruiseResult;
  return output.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

describe("the import rules", () => {
  it("hold for src/", async () => {
    const found = await violations(ROOT);
    expect(found).toEqual([]);
  }, 60_000);

  const tree = mkdtempSync(join(tmpdir(), "import-rules-"));
  afterAll(() => rmSync(tree, { recursive: true, force: true }));
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), text);
  };

  it("catch a deliberate violation of each rule", async () => {
    file("src/api/schema.ts", 'import { render } from "../render/index.js";\nexport const x = render;\n');
    file(
      "src/render/index.ts",
      'import { readFileSync } from "node:fs";\nexport const render = readFileSync;\n',
    );
    file(
      "src/runtime/manager.ts",
      'import { reconcile } from "../controller/reconcile.js";\nexport const m = reconcile;\n',
    );
    file(
      "src/controller/reconcile.ts",
      'import { env } from "../cli/dev/environment.js";\nexport const reconcile = env;\n',
    );
    file(
      "src/cli/dev/environment.ts",
      'import { start } from "../../devcluster/index.js";\nexport const env = start;\n',
    );
    file(
      "src/devcluster/index.ts",
      'import { MANAGED_BY } from "../api/labels.js";\nexport const start = MANAGED_BY;\n',
    );
    file("src/api/labels.ts", 'export const MANAGED_BY = "x";\n');
    file(
      "src/cli/commands/run.ts",
      'import type { start } from "../../devcluster/index.js";\nexport type S = typeof start;\n',
    );
    file(
      "src/kube/client.ts",
      'import { helper } from "../../hack/lib/helper.js";\nexport const c = helper;\n',
    );
    file("hack/lib/helper.ts", "export const helper = 1;\n");
    file("src/kube/transport.ts", 'import { m } from "../runtime/manager.js";\nexport const t = m;\n');
    file("src/cycle/a.ts", 'import { b } from "./b.js";\nexport const a = () => b;\n');
    file("src/cycle/b.ts", 'import { a } from "./a.js";\nexport const b = () => a;\n');

    const found = await violations(tree);
    const broken = new Set(found.map((v) => v.rule));
    expect([...broken].sort()).toEqual(
      [
        "api-is-the-base",
        "controller-below-cli",
        "devcluster-is-its-own-package",
        "devcluster-loaded-on-demand",
        "devcluster-only-for-dev-commands",
        "kube-is-the-client",
        "no-circular",
        "render-is-pure",
        "runtime-is-generic",
        "src-stands-alone",
      ].sort(),
    );
    // The type-only import of the embedded cluster by `run` is caught too.
    expect(found).toContainEqual({
      rule: "devcluster-only-for-dev-commands",
      from: "src/cli/commands/run.ts",
      to: "src/devcluster/index.ts",
    });
  }, 60_000);
});
