/** `npm run demo` end to end, in its stop-when-ready mode. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DATA_PLANE_REQUIREMENTS } from "../../hack/lib/harness/index.js";
import { dataPlaneAvailability } from "../../hack/lib/tools.js";
import { spawnOperator } from "./support/process.js";

const EXAMPLES = ["flask-demo", "django-shop", "docs-site", "api-prototype"];

/** Runs the demo in its stop-when-ready mode and returns what it printed. */
async function demo(...flags: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "webapp-demo-"));
  try {
    // spawnOperator runs `run`; the demo is its own command, so pass it through the same entry point.
    const p = await spawnOperator(
      ["--exit-when-ready", `--kubeconfig-out=${join(dir, "kubeconfig")}`, ...flags],
      "demo",
    );
    const code = await p.exited;
    const out = p.output();
    expect(code, out.slice(-3000)).toBe(0);
    expect(out).toMatch(/\$ kubectl get webapps\nNAME\s+READY/);
    for (const name of EXAMPLES) expect(out).toMatch(new RegExp(`\\n${name}\\s+True\\s`));
    expect(out).not.toContain("Still not Ready");
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("demo", () => {
  const tools = dataPlaneAvailability("the demo on the node agent", DATA_PLANE_REQUIREMENTS);

  it.skipIf(tools.skip)(
    "runs every example's pods for real when the programs are installed, and prints where each answers",
    async () => {
      const out = await demo();
      expect(out).toContain("a node agent that runs every pod as");
      expect(out).not.toContain("SIMULATED");
      expect(out).toMatch(/\$ kubectl get pods\nNAME\s+READY\s+STATUS/);
      for (const name of EXAMPLES)
        expect(out).toMatch(new RegExp(`\\n  ${name}\\s+http://127\\.0\\.0\\.1:\\d+/`));
      expect(out).toContain("curl -H 'Host: shop.example.com'");
    },
    120_000,
  );

  it("simulates the workloads on request, and says so", async () => {
    const out = await demo("--simulated");
    expect(out).toContain("SIMULATED cluster");
    expect(out).toContain("(--simulated)");
  }, 90_000);
});
