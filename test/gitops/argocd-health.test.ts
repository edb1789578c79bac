/**
 * The Argo CD health check (gitops/argocd/webapp-health.lua) run for real by Lua interpreters against
 * the statuses the controller writes, with lua5.1 and lua5.4 (CI installs both).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseYamlStream } from "../../src/util/yaml.js";
import { findLua, runHealthScript } from "./support/lua.js";
import { SCENARIOS, type ScenarioName } from "./support/statuses.js";

const ROOT = join(import.meta.dirname, "..", "..");
const SCRIPT = join(ROOT, "gitops", "argocd", "webapp-health.lua");
const HEALTH_KEY = "resource.customizations.health.webapp-operator.dev_WebApp";

/** Both dialects: Argo CD's gopher-lua is a Lua 5.1; 5.4 catches reliance on 5.1-only behaviour. */
const interpreters: string[] = [];
for (const name of ["lua5.1", "lua5.4"]) {
  const lua = findLua(name);
  if (lua) interpreters.push(lua);
  else if (process.env.CI)
    throw new Error(`${name} is not installed: .ci/run must install the ${name} package`);
  else
    console.warn(`${name} not found (apt-get install ${name}): the Argo CD health check is not run with it`);
}

const expected: Record<ScenarioName, { status: string; message: RegExp }> = {
  "just created, no status yet": {
    status: "Progressing",
    message: /Waiting for the operator to report status/,
  },
  "rolling out: app pods not ready yet": {
    status: "Progressing",
    message: /^RollingOut: Waiting for app 1\/3/,
  },
  "ready: every tier ready and updated": {
    status: "Healthy",
    message: /^All tiers ready: web 2\/2, app 3\/3/,
  },
  "ready with warnings": { status: "Healthy", message: /Warnings: app\.workers is above/ },
  "spec changed, the operator has not seen it yet": {
    status: "Progressing",
    message: /Waiting for the operator to observe generation 2/,
  },
  "new image rolling out after a spec change": { status: "Progressing", message: /^RollingOut: / },
  "rollout stuck: progress deadline exceeded": {
    status: "Degraded",
    message: /^RolloutFailed: Deployment shop-app: ReplicaSet "shop-app-5d9c7b" has timed out progressing/,
  },
  "new version migrating its database (the previous version serves)": {
    status: "Progressing",
    message: /^Migrating: Migrating the database for app version 5f1c2b9a7e \(Job shop-migrate-5f1c2b9a7e\)/,
  },
  "migration failed (the previous version serves)": {
    status: "Degraded",
    message:
      /^MigrationFailed: Migration Job shop-migrate-5f1c2b9a7e .*kubectl logs -n shop job\/shop-migrate-5f1c2b9a7e/,
  },
  "a child could not be applied": {
    status: "Degraded",
    message: /^ApplyFailed: Could not apply: Ingress shop/,
  },
  "invalid spec (children left as they were)": {
    status: "Degraded",
    message: /^InvalidSpec: .*spec\.app\.port: must be at most 65535/,
  },
};

describe.runIf(interpreters.length > 0).each(interpreters)("Argo CD health check with %s", (lua) => {
  it.each(Object.keys(SCENARIOS) as ScenarioName[])("%s", (name) => {
    const health = runHealthScript(lua, SCRIPT, SCENARIOS[name]);
    expect(health.status).toBe(expected[name].status);
    expect(health.message).toMatch(expected[name].message);
  });

  it("treats a Ready condition of Unknown as still progressing", () => {
    const obj = structuredClone(SCENARIOS["ready: every tier ready and updated"]);
    const readyCondition = obj.status!.conditions!.find((c) => c.type === "Ready")!;
    Object.assign(readyCondition, { status: "Unknown", reason: "Reconciling", message: "checking" });
    expect(runHealthScript(lua, SCRIPT, obj)).toEqual({
      status: "Progressing",
      message: "Reconciling: checking",
    });
  });

  it("treats an empty condition list as no status yet", () => {
    const obj = { ...SCENARIOS["just created, no status yet"], status: { conditions: [] } };
    expect(runHealthScript(lua, SCRIPT, obj).status).toBe("Progressing");
  });

  it("only ever answers one of Argo CD's health states", () => {
    for (const obj of Object.values(SCENARIOS)) {
      expect(["Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"]).toContain(
        runHealthScript(lua, SCRIPT, obj).status,
      );
    }
  });
});

describe("the argocd-cm patch", () => {
  const [patch] = parseYamlStream(readFileSync(join(ROOT, "gitops", "argocd-cm-patch.yaml"), "utf8")) as {
    kind: string;
    metadata: { name: string };
    data: Record<string, string>;
  }[];

  it("targets argocd-cm under the key Argo CD reads for group webapp-operator.dev, kind WebApp", () => {
    expect(patch?.kind).toBe("ConfigMap");
    expect(patch?.metadata.name).toBe("argocd-cm");
    expect(Object.keys(patch?.data ?? {})).toEqual([HEALTH_KEY]);
  });

  it("carries exactly the tested script", () => {
    expect(patch?.data[HEALTH_KEY]).toBe(readFileSync(SCRIPT, "utf8"));
  });
});
