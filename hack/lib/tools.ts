// Which real servers this machine has, and the project's rule for when their absence may
// skip a data-plane test: only outside CI, and loudly. In CI a missing tool fails.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";

/** The Debian packages' binaries that `.ci/run` installs. */
export const DEBIAN_TOOLS = {
  python3: "/usr/bin/python3",
  gunicorn: "/usr/bin/gunicorn",
  uwsgi: "/usr/bin/uwsgi",
  uwsgiPython3Plugin: "/usr/lib/uwsgi/plugins/python3_plugin.so",
  nginx: "/usr/sbin/nginx",
  wrk: "/usr/bin/wrk",
} as const;

export function isCI(): boolean {
  const value = process.env.CI?.trim().toLowerCase();
  return value !== undefined && value !== "" && value !== "0" && value !== "false";
}

export interface ToolRequirements {
  /** Must exist and be executable. */
  executables?: readonly string[];
  /** Must exist (plugins, shared files). */
  files?: readonly string[];
  /** Python modules the interpreter `python` must import (default /usr/bin/python3). */
  pythonModules?: readonly string[];
  python?: string;
}

/** Human-readable names of what is missing; empty when everything is there. */
export function missingTools(requirements: ToolRequirements): string[] {
  const missing: string[] = [];
  for (const path of requirements.executables ?? []) {
    if (!isAccessible(path, constants.X_OK)) missing.push(path);
  }
  for (const path of requirements.files ?? []) {
    if (!isAccessible(path, constants.R_OK)) missing.push(path);
  }
  const modules = requirements.pythonModules ?? [];
  if (modules.length > 0) {
    const python = requirements.python ?? DEBIAN_TOOLS.python3;
    if (!isAccessible(python, constants.X_OK)) {
      missing.push(...modules.map((m) => `python module ${m} (no ${python})`));
    } else {
      missing.push(...missingPythonModules(python, modules).map((m) => `python module ${m} in ${python}`));
    }
  }
  return missing;
}

function isAccessible(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

function missingPythonModules(python: string, modules: readonly string[]): string[] {
  const script = [
    "import importlib.util, sys",
    "print('\\n'.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))",
  ].join("\n");
  const result = spawnSync(python, ["-c", script, ...modules], { encoding: "utf8", timeout: 20_000 });
  if (result.status !== 0) return [...modules];
  return result.stdout.split("\n").filter((line) => line.trim() !== "");
}

export interface ToolAvailability {
  missing: string[];
  /** True only outside CI with something missing; a warning has then been printed. */
  skip: boolean;
}

/**
 * Decides whether a data-plane suite runs. Outside CI a missing tool skips it with a
 * console warning; in CI it never skips, so the suite fails on the missing tool (pair it
 * with a test that asserts `missing` is empty, for a clear message).
 */
export function dataPlaneAvailability(suite: string, requirements: ToolRequirements): ToolAvailability {
  const missing = missingTools(requirements);
  const skip = missing.length > 0 && !isCI();
  if (skip) {
    console.warn(
      `SKIPPING ${suite}: missing ${missing.join(", ")}. ` +
        "Install the Debian packages listed in .ci/run; in CI (CI=true) this is a failure, not a skip.",
    );
  }
  return { missing, skip };
}
