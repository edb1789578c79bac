/**
 * Runs an Argo CD health script with a real Lua interpreter, the way Argo CD does: the object as
 * the global `obj` (JSON turned into Lua tables, null fields absent), the script's returned table
 * read back as { status, message }.
 */
import { spawnSync } from "node:child_process";

export interface HealthResult {
  status: string;
  message: string;
}

/** A Lua interpreter on PATH, or undefined. */
export function findLua(name: string): string | undefined {
  const r = spawnSync(name, ["-v"], { encoding: "utf8" });
  return r.error ? undefined : name;
}

function luaString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (code < 32 || code === 127) out += `\\${code.toString().padStart(3, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A JSON value as a Lua table constructor; arrays become sequences (1-based), as in Argo CD. */
export function toLua(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return luaString(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`cannot pass ${value} to Lua`);
    return String(value);
  }
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(", ")}}`;
  if (typeof value === "object") {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `[${luaString(k)}] = ${toLua(v)}`);
    return `{${fields.join(", ")}}`;
  }
  throw new Error(`cannot pass a ${typeof value} to Lua`);
}

export function runHealthScript(lua: string, scriptPath: string, obj: unknown): HealthResult {
  const harness = [
    `obj = ${toLua(obj)}`,
    `local check = assert(loadfile(${luaString(scriptPath)}))`,
    "local hs = check()",
    'assert(type(hs) == "table", "the script must return a table")',
    'io.write(tostring(hs.status), "\\0", tostring(hs.message))',
  ].join("\n");
  const r = spawnSync(lua, ["-"], { input: harness, encoding: "utf8", timeout: 10_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${lua} failed: ${r.stderr}`);
  const [status, message] = r.stdout.split("\0");
  return { status: status ?? "", message: message ?? "" };
}
