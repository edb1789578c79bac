/**
 * Component schemas for the OpenAPI v3 documents: the upstream definitions a set of kinds reaches, with
 * the list semantics this server merges by (x-kubernetes-list-type, list-map-keys, patch-merge-key and
 * patch-strategy). kubectl reads both: `explain` the descriptions, client-side `apply` the merge keys it
 * computes strategic merge patches with, so kubectl and the server agree on how each list merges.
 */
import type { JsonObject } from "../../types.js";
import { builtinListType } from "../../writes/field-types.js";
import { upstreamDefinitions } from "./definitions.js";

/** The field names that lead to a property, as far as the list rules of built-in kinds look. */
function pathOf(definition: string, property: string): string[] {
  const type = definition.slice(definition.lastIndexOf(".") + 1);
  if (type === "Container" || type === "EphemeralContainer") return ["containers", property];
  if (type === "ServiceSpec") return ["spec", property];
  return [property];
}

function withListSemantics(definition: string, schema: JsonObject): JsonObject {
  const properties = schema.properties as Record<string, JsonObject> | undefined;
  if (!properties) return schema;
  const out: Record<string, JsonObject> = {};
  for (const [name, prop] of Object.entries(properties)) {
    if (prop.type !== "array") {
      out[name] = prop;
      continue;
    }
    const list = builtinListType(pathOf(definition, name));
    if (list.type === "map")
      out[name] = {
        ...prop,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": list.keys,
        "x-kubernetes-patch-merge-key": list.keys[0],
        "x-kubernetes-patch-strategy": name === "volumes" ? "merge,retainKeys" : "merge",
      };
    else if (list.type === "set")
      out[name] = { ...prop, "x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge" };
    else out[name] = { ...prop, "x-kubernetes-list-type": "atomic" };
  }
  return { ...schema, properties: out };
}

/** Every definition the named ones reach, ready to publish. */
export function publishedSchemas(definitions: Iterable<string>): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (const [name, schema] of upstreamDefinitions.closure(definitions))
    out[name] = withListSemantics(name, schema);
  return out;
}
