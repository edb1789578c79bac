/**
 * Unknown fields of built-in objects, found against their upstream definitions and dropped, as the real
 * server's decoder drops whatever its Go types do not declare. Each definition is compiled once into a map
 * of field name to shape, so checking an object costs one walk over it.
 */
import { isObject, type JsonObject } from "../../types.js";
import type { FieldPath } from "../field-paths.js";
import { refOf, type UpstreamDefinitions } from "./definitions.js";

type Shape =
  | { k: "any" }
  | { k: "list"; item: Shape }
  | { k: "map"; value: Shape }
  | { k: "struct"; name: string };

const ANY: Shape = { k: "any" };

export class KnownFields {
  /** Field name -> shape per definition; undefined for free-form definitions (RawExtension, JSON). */
  private readonly structs = new Map<string, Map<string, Shape> | undefined>();

  constructor(private readonly definitions: UpstreamDefinitions) {}

  private shapeOf(schema: JsonObject): Shape {
    const ref = refOf(schema);
    if (ref) return { k: "struct", name: ref };
    if (schema.type === "array" && isObject(schema.items))
      return { k: "list", item: this.shapeOf(schema.items) };
    if (schema.type === "object" && isObject(schema.additionalProperties))
      return { k: "map", value: this.shapeOf(schema.additionalProperties) };
    return ANY;
  }

  private fieldsOf(name: string): Map<string, Shape> | undefined {
    if (this.structs.has(name)) return this.structs.get(name);
    const schema = this.definitions.definition(name);
    let fields: Map<string, Shape> | undefined;
    if (schema && isObject(schema.properties) && schema["x-kubernetes-preserve-unknown-fields"] !== true) {
      fields = new Map();
      for (const [k, v] of Object.entries(schema.properties)) fields.set(k, this.shapeOf(v as JsonObject));
    }
    this.structs.set(name, fields);
    return fields;
  }

  /** Drops every field of `obj` that the definition does not declare; returns their paths. */
  drop(obj: JsonObject, definition: string): FieldPath[] {
    const found: FieldPath[] = [];
    this.walk(obj, { k: "struct", name: definition }, [], found);
    return found;
  }

  private walk(value: unknown, shape: Shape, path: FieldPath, found: FieldPath[]): void {
    switch (shape.k) {
      case "any":
        return;
      case "list":
        if (Array.isArray(value))
          for (let i = 0; i < value.length; i++) {
            path.push(i);
            this.walk(value[i], shape.item, path, found);
            path.pop();
          }
        return;
      case "map":
        if (isObject(value))
          for (const k of Object.keys(value)) {
            path.push(k);
            this.walk(value[k], shape.value, path, found);
            path.pop();
          }
        return;
      case "struct": {
        if (!isObject(value)) return;
        const fields = this.fieldsOf(shape.name);
        if (!fields) return;
        for (const k of Object.keys(value)) {
          const child = fields.get(k);
          if (!child) {
            found.push([...path, k]);
            delete value[k];
            continue;
          }
          if (child.k === "any") continue;
          path.push(k);
          this.walk(value[k], child, path, found);
          path.pop();
        }
      }
    }
  }
}
