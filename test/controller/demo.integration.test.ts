/** `npm run demo` end to end, in its stop-when-ready mode. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnOperator } from "./support/process.js";

describe("demo", () => {
  it("runs the operator on a simulated cluster until every example WebApp is Ready", async () => {
    const dir = mkdtempSync(join(tmpdir(), "webapp-demo-"));
    try {
      // spawnOperator runs `run`; the demo is its own command, so pass it through the same entry point.
      const p = await spawnDemo(join(dir, "kubeconfig"));
      const code = await p.exited;
      const out = p.output();
      expect(code, out.slice(-3000)).toBe(0);
      expect(out).toContain("SIMULATED cluster");
      expect(out).toMatch(/\$ kubectl get webapps\nNAME\s+READY/);
      for (const name of ["flask-demo", "django-shop", "docs-site", "api-prototype"]) {
        expect(out).toMatch(new RegExp(`\\n${name}\\s+True\\s`));
      }
      expect(out).not.toContain("Still not Ready");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

async function spawnDemo(kubeconfig: string) {
  return spawnOperator(["--exit-when-ready", `--kubeconfig-out=${kubeconfig}`], "demo");
}
