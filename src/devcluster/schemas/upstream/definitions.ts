/**
 * The upstream OpenAPI definitions of the built-in kinds, read on first use and kept for the life of the
 * process (they never change). Any kind the `kubernetes-models` package covers is found by its
 * group/version/kind, so a kind registered later needs nothing of its own here.
 */
import { existsSync } from "node:fs";
import type { JsonObject } from "../../types.js";
import {
  apimachineryFile,
  definitionNameOf,
  kindFile,
  REF_PREFIX,
  readDeclaration,
} from "./model-declarations.js";

export type Gvk = { group: string; version: string; kind: string };

/** The definition a schema refers to (`$ref`, or upstream's `allOf: [{$ref}]` wrapper), if any. */
export function refOf(schema: JsonObject): string | undefined {
  const direct = schema.$ref;
  if (typeof direct === "string") return direct.slice(REF_PREFIX.length);
  const allOf = schema.allOf;
  if (Array.isArray(allOf) && allOf.length === 1) {
    const ref = (allOf[0] as JsonObject).$ref;
    if (typeof ref === "string") return ref.slice(REF_PREFIX.length);
  }
  return undefined;
}

export class UpstreamDefinitions {
  private readonly schemas = new Map<string, JsonObject>();
  private readonly files = new Map<string, string>();
  private readonly kinds = new Map<string, string | undefined>();

  /** The definition name of a served kind (`io.k8s.api.apps.v1.Deployment`), or undefined if unknown. */
  kindDefinition(gvk: Gvk): string | undefined {
    const key = `${gvk.group}/${gvk.version}/${gvk.kind}`;
    if (this.kinds.has(key)) return this.kinds.get(key);
    const file = kindFile(gvk.group, gvk.version, gvk.kind);
    let name: string | undefined;
    if (existsSync(file)) {
      name = definitionNameOf(file);
      this.files.set(name, file);
      const schema = this.definition(name)!;
      const gvks = (schema["x-kubernetes-group-version-kind"] as Gvk[] | undefined) ?? [];
      if (!gvks.some((g) => g.group === gvk.group && g.version === gvk.version && g.kind === gvk.kind))
        schema["x-kubernetes-group-version-kind"] = [
          ...gvks,
          { group: gvk.group, version: gvk.version, kind: gvk.kind },
        ];
    }
    this.kinds.set(key, name);
    return name;
  }

  /** One definition by name; those reachable from a kind already looked up are known. */
  definition(name: string): JsonObject | undefined {
    const cached = this.schemas.get(name);
    if (cached) return cached;
    const file = this.files.get(name) ?? apimachineryFile(name);
    if (!file || !existsSync(file)) return undefined;
    const parsed = readDeclaration(file);
    for (const [ref, refFile] of parsed.refs) if (!this.files.has(ref)) this.files.set(ref, refFile);
    this.schemas.set(name, parsed.schema);
    return parsed.schema;
  }

  /** The named definitions and every definition they refer to, transitively. */
  closure(names: Iterable<string>): Map<string, JsonObject> {
    const out = new Map<string, JsonObject>();
    const pending = [...names];
    while (pending.length) {
      const name = pending.pop()!;
      if (out.has(name)) continue;
      const schema = this.definition(name);
      if (!schema) continue;
      out.set(name, schema);
      collectRefs(schema, pending);
    }
    return out;
  }
}

function collectRefs(value: unknown, into: string[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, into);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  for (const [k, v] of Object.entries(value)) {
    if (k === "$ref" && typeof v === "string") into.push(v.slice(REF_PREFIX.length));
    else collectRefs(v, into);
  }
}

/** One process-wide reader: the package's files are the same for every cluster. */
export const upstreamDefinitions = new UpstreamDefinitions();
