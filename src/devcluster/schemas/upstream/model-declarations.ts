/**
 * Reads the upstream Kubernetes schemas that the `kubernetes-models` package ships: one TypeScript
 * declaration file per OpenAPI definition, generated from Kubernetes' own OpenAPI document, carrying every
 * field with its type, whether it is required and its description. Each file becomes an OpenAPI v3
 * component schema named as upstream names it (`io.k8s.api.apps.v1.DeploymentSpec`).
 *
 * The declaration files are regular, generated text (an interface with one quoted member per field), so a
 * small reader is enough; the compiled validators next to them hold no field list to read instead.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import type { JsonObject } from "../../types.js";

/** The folder of a package, as resolved from `from` (apimachinery is kubernetes-models' own dependency). */
function packageDir(name: string, from: string): string {
  return dirname(createRequire(from).resolve(`${name}/package.json`));
}

const MODELS_DIR = packageDir("kubernetes-models", import.meta.url);
const APIMACHINERY_DIR = packageDir("@kubernetes-models/apimachinery", join(MODELS_DIR, "index.js"));

export const REF_PREFIX = "#/components/schemas/";

/**
 * The upstream definition name of a declaration file, from its place in the package:
 * `apps/v1/DeploymentSpec` -> `io.k8s.api.apps.v1.DeploymentSpec`, `v1/Pod` -> `io.k8s.api.core.v1.Pod`,
 * apimachinery's `apis/meta/v1/ObjectMeta` -> `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`.
 */
export function definitionNameOf(file: string): string {
  const noExt = file.replace(/\.d\.ts$/, "");
  if (noExt.startsWith(APIMACHINERY_DIR + sep))
    return `io.k8s.apimachinery.pkg.${relative(APIMACHINERY_DIR, noExt).split(sep).join(".")}`;
  const parts = relative(MODELS_DIR, noExt).split(sep);
  const type = parts.pop()!;
  if (parts.length === 1) return `io.k8s.api.core.${parts[0]}.${type}`;
  const [groupDir, version] = parts as [string, string];
  const group = groupDir.split(".")[0]!;
  if (group === "apiextensions")
    return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${version}.${type}`;
  if (group === "apiregistration")
    return `io.k8s.kube-aggregator.pkg.apis.apiregistration.${version}.${type}`;
  return `io.k8s.api.${group}.${version}.${type}`;
}

/** The declaration file of an apimachinery definition (ObjectMeta, Status...), which no kind may have led to yet. */
export function apimachineryFile(definition: string): string | undefined {
  const prefix = "io.k8s.apimachinery.pkg.";
  if (!definition.startsWith(prefix)) return undefined;
  return `${join(APIMACHINERY_DIR, ...definition.slice(prefix.length).split("."))}.d.ts`;
}

/** The declaration file of a kind served at group/version, if the package has one. */
export function kindFile(group: string, version: string, kind: string): string {
  return group ? join(MODELS_DIR, group, version, `${kind}.d.ts`) : join(MODELS_DIR, version, `${kind}.d.ts`);
}

export interface ParsedDeclaration {
  name: string;
  schema: JsonObject;
  /** Definition name -> file, for every definition this one refers to. */
  refs: Map<string, string>;
}

/** `import { A, B } from "./x"` -> A and B resolved to their declaration files. */
function imports(text: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^import \{([^}]*)\} from "([^"]+)";$/gm)) {
    const spec = m[2]!;
    if (spec === "@kubernetes-models/base") continue;
    let target: string;
    if (spec.startsWith(".")) target = join(dirname(file), `${spec}.d.ts`);
    else if (spec.startsWith("@kubernetes-models/apimachinery/"))
      target = join(APIMACHINERY_DIR, `${spec.slice("@kubernetes-models/apimachinery/".length)}.d.ts`);
    else continue;
    for (const name of m[1]!.split(",")) if (name.trim()) out.set(name.trim(), target);
  }
  return out;
}

/** Splits `a | b` at the top level (outside <> and {}). */
function splitTopLevel(type: string, separator: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < type.length; i++) {
    const c = type[i];
    if (c === "<" || c === "{") depth++;
    else if (c === ">" || c === "}") depth--;
    else if (depth === 0 && c === separator) {
      out.push(type.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(type.slice(start).trim());
  return out;
}

class TypeReader {
  readonly refs = new Map<string, string>();
  constructor(
    private readonly imported: Map<string, string>,
    private readonly self: { local: string; file: string },
  ) {}

  private ref(file: string): JsonObject {
    const name = definitionNameOf(file);
    this.refs.set(name, file);
    return { $ref: `${REF_PREFIX}${name}` };
  }

  schema(type: string): JsonObject {
    const t = type.trim();
    if (t === "string") return { type: "string" };
    if (t === "boolean") return { type: "boolean" };
    // The generator maps both int32/int64 and double to `number`; Kubernetes' fields are integers but for
    // a handful in JSONSchemaProps, which the server validates itself.
    if (t === "number") return { type: "integer" };
    if (t === "any" || t === "object") return { "x-kubernetes-preserve-unknown-fields": true };
    const array = /^Array<(.*)>$/s.exec(t);
    if (array) return { type: "array", items: this.schema(array[1]!) };
    const map = /^\{\s*\[key: string\]:\s*(.*?);?\s*\}$/s.exec(t);
    if (map) return { type: "object", additionalProperties: this.schema(map[1]!) };
    // `IFoo["kind"]`: the apiVersion/kind members of list types.
    if (/^\w+\["\w+"\]$/.test(t)) return { type: "string" };
    const alternatives = splitTopLevel(t, "|");
    if (alternatives.length > 1) {
      if (alternatives.every((a) => /^"[^"]*"$/.test(a)))
        return { type: "string", enum: alternatives.map((a) => JSON.parse(a) as string) };
      if (alternatives.every((a) => a === "string" || a === "number"))
        return { type: "string", format: "int-or-string", "x-kubernetes-int-or-string": true };
      return { "x-kubernetes-preserve-unknown-fields": true };
    }
    if (/^"[^"]*"$/.test(t)) return { type: "string" };
    if (t === this.self.local) return this.ref(this.self.file);
    const file = this.imported.get(t);
    if (file) return this.ref(file);
    return { "x-kubernetes-preserve-unknown-fields": true };
  }
}

/** The JSDoc text of a comment block, as one description. */
function commentText(block: string): string {
  return block
    .replace(/^\/\*\*|\*\/$/g, "")
    .split("\n")
    .map((l) => l.replace(/^\s*\* ?/, ""))
    .join("\n")
    .trim();
}

/** Upstream's descriptions of the TypeMeta fields, which the declarations inherit without text. */
const TYPE_META: Record<string, string> = {
  apiVersion:
    "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
  kind: "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
};

interface Member {
  name: string;
  optional: boolean;
  type: string;
  description?: string;
}

/** The members of `export interface IName { ... }`: optional JSDoc, then `"name"?: type;`. */
function members(body: string): Member[] {
  const out: Member[] = [];
  let i = 0;
  let description: string | undefined;
  while (i < body.length) {
    const rest = body.slice(i);
    const ws = /^\s+/.exec(rest);
    if (ws) {
      i += ws[0].length;
      continue;
    }
    if (rest.startsWith("/**")) {
      const end = rest.indexOf("*/");
      description = commentText(rest.slice(0, end + 2));
      i += end + 2;
      continue;
    }
    const head = /^"([^"]+)"(\?)?:\s*/.exec(rest);
    if (!head) break;
    i += head[0].length;
    let depth = 0;
    let j = i;
    for (; j < body.length; j++) {
      const c = body[j];
      if (c === "<" || c === "{") depth++;
      else if (c === ">" || c === "}") depth--;
      else if (c === ";" && depth === 0) break;
    }
    const member: Member = { name: head[1]!, optional: head[2] === "?", type: body.slice(i, j) };
    if (description) member.description = description;
    out.push(member);
    description = undefined;
    i = j + 1;
  }
  return out;
}

/** Reads one declaration file into its definition. */
export function readDeclaration(file: string): ParsedDeclaration {
  const text = readFileSync(file, "utf8");
  const name = definitionNameOf(file);
  const imported = imports(text, file);
  const iface =
    /(?:\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\n)?export interface (I\w+)(?: extends [\w, ]+)? \{([\s\S]*?)\n\}/.exec(
      text,
    );
  if (iface) {
    const reader = new TypeReader(imported, { local: iface[2]!, file });
    const schema: JsonObject = { type: "object" };
    if (iface[1]) schema.description = commentText(`/**${iface[1]}*/`);
    const all = members(iface[3]!);
    if (all.length === 0) {
      // RawExtension, FieldsV1, JSON: free-form values.
      schema["x-kubernetes-preserve-unknown-fields"] = true;
      return { name, schema, refs: reader.refs };
    }
    const properties: JsonObject = {};
    const required: string[] = [];
    for (const m of all) {
      let prop = reader.schema(m.type);
      if (m.name === "apiVersion" || m.name === "kind") prop = { type: "string" };
      // A reference with its own description is wrapped the way upstream's v3 documents do it.
      if (prop.$ref) prop = { allOf: [prop] };
      const description = m.description ?? TYPE_META[m.name];
      if (description) prop.description = description;
      properties[m.name] = prop;
      if (!m.optional) required.push(m.name);
    }
    schema.properties = properties;
    if (required.length) schema.required = required;
    return { name, schema, refs: reader.refs };
  }
  const alias = /(?:\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\n)?export declare type (I\w+) = ([^;]+);/.exec(text);
  if (alias) {
    const reader = new TypeReader(imported, { local: alias[2]!, file });
    const schema = reader.schema(alias[3]!);
    if (alias[1]) schema.description = commentText(`/**${alias[1]}*/`);
    return { name, schema, refs: reader.refs };
  }
  throw new Error(`${file}: no interface or type declaration to read`);
}
