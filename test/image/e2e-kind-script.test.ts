/**
 * hack/e2e-kind.sh cannot run here (no Docker, no kind): it must at least be valid, clean bash, and
 * stop at once with a clear message on a machine that lacks them, instead of failing half-way.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const SCRIPT = join(ROOT, "hack", "e2e-kind.sh");
const BASH = "/bin/bash";
const bins = mkdtempSync(join(tmpdir(), "e2e-kind-path-"));

afterAll(() => rmSync(bins, { recursive: true, force: true }));

/** A PATH holding only the given tools: the real ones named, fakes for the rest. */
function pathWith(real: string[], fakes: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(bins, "bin-"));
  for (const tool of real) {
    const found = spawnSync(BASH, ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    if (!found) throw new Error(`${tool} is needed to run this test`);
    symlinkSync(found, join(dir, tool));
  }
  for (const [tool, body] of Object.entries(fakes)) {
    writeFileSync(join(dir, tool), `#!${BASH}\n${body}\n`);
    chmodSync(join(dir, tool), 0o755);
  }
  return dir;
}

function run(path: string) {
  return spawnSync(BASH, [SCRIPT], { encoding: "utf8", env: { PATH: path, HOME: bins }, timeout: 30_000 });
}

describe("hack/e2e-kind.sh", () => {
  it("is valid bash", () => {
    const r = spawnSync(BASH, ["-n", SCRIPT], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
  });

  const shellcheck = spawnSync("shellcheck", ["--version"]).error ? undefined : "shellcheck";
  if (!shellcheck && process.env.CI) throw new Error("shellcheck is not installed: .ci/run must install it");
  if (!shellcheck)
    console.warn("shellcheck not found (apt-get install shellcheck): hack/e2e-kind.sh not linted");

  it.runIf(shellcheck)("is shellcheck-clean", () => {
    const r = spawnSync("shellcheck", [SCRIPT], { encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it("stops before doing anything when Docker and kind are missing, and says so", () => {
    const r = run(pathWith(["dirname"]));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("needs Docker and kind");
    expect(r.stderr).toMatch(/- docker /);
    expect(r.stderr).toMatch(/- kind /);
    expect(r.stdout).toBe("");
  });

  it("stops when the docker command is there but no engine answers", () => {
    const r = run(pathWith(["dirname"], { docker: "exit 1", kind: "exit 0", curl: "exit 0" }));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no Docker engine answers");
    expect(r.stdout).toBe("");
  });
});
