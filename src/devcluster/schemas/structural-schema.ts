/**
 * A CRD version's structural schema applied as the real server applies it: defaults, pruning of unknown
 * fields (reported for fieldValidation=Strict/Warn), then validation of types, enums, bounds, lengths,
 * patterns, item counts and required fields, with the real server's messages.
 */
import type { FieldError } from "../errors.js";
import { deepEqual, isObject, type JsonObject } from "../types.js";
import type { FieldPath } from "./field-paths.js";

export type Schema = JsonObject;

const ROOT_FIELDS = new Set(["apiVersion", "kind", "metadata"]);

function props(s: Schema): Record<string, Schema> {
  return (isObject(s.properties) ? s.properties : {}) as Record<string, Schema>;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function preserves(s: Schema): boolean {
  return s["x-kubernetes-preserve-unknown-fields"] === true;
}

/** Walks a value and its schema, dropping (and collecting) the fields the schema does not declare. */
function pruneWalk(value: unknown, s: Schema, path: FieldPath, pruned: FieldPath[], root: boolean): void {
  if (Array.isArray(value)) {
    const items = isObject(s.items) ? (s.items as Schema) : undefined;
    if (items) {
      value.forEach((v, i) => {
        pruneWalk(v, items, [...path, i], pruned, false);
      });
    }
    return;
  }
  if (!isObject(value)) return;
  if (s["x-kubernetes-embedded-resource"] === true) root = true;
  const p = props(s);
  const additional = isObject(s.additionalProperties) ? (s.additionalProperties as Schema) : undefined;
  for (const [k, v] of Object.entries(value)) {
    if (root && ROOT_FIELDS.has(k)) continue;
    const childSchema = p[k] ?? additional;
    if (childSchema) {
      pruneWalk(v, childSchema, [...path, k], pruned, false);
      continue;
    }
    if (preserves(s) || s.additionalProperties === true) continue;
    pruned.push([...path, k]);
    delete value[k];
  }
}

/** Drops the fields the schema does not know (pruning) and returns their paths. */
export function dropUnknownFields(obj: unknown, schema: Schema): FieldPath[] {
  const out: FieldPath[] = [];
  pruneWalk(obj, schema, [], out, true);
  return out;
}

/** Applies `default`s of absent properties, recursively, as the server does when decoding. */
export function applyDefaults(value: unknown, s: Schema): void {
  if (Array.isArray(value)) {
    const items = isObject(s.items) ? (s.items as Schema) : undefined;
    if (items) for (const v of value) applyDefaults(v, items);
    return;
  }
  if (!isObject(value)) return;
  for (const [k, ps] of Object.entries(props(s))) {
    if (value[k] === undefined && ps.default !== undefined) value[k] = structuredClone(ps.default);
    if (value[k] !== undefined) applyDefaults(value[k], ps);
  }
  if (isObject(s.additionalProperties))
    for (const v of Object.values(value)) applyDefaults(v, s.additionalProperties as Schema);
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(v: unknown, s: Schema): boolean {
  if (s["x-kubernetes-int-or-string"] === true)
    return typeof v === "string" || (typeof v === "number" && Number.isInteger(v));
  switch (s.type) {
    case undefined:
      return true;
    case "object":
      return isObject(v);
    case "array":
      return Array.isArray(v);
    case "string":
      return typeof v === "string";
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "number":
      return typeof v === "number";
    case "boolean":
      return typeof v === "boolean";
    default:
      return true;
  }
}

const num = (v: unknown) => (typeof v === "number" ? v : undefined);

function validateValue(v: unknown, s: Schema, path: string, errs: FieldError[]): void {
  const field = path || "<root>";
  if (v === null) {
    if (s.nullable === true) return;
    errs.push({
      type: "FieldValueTypeInvalid",
      field,
      value: "null",
      detail: `${field} in body must be of type ${s.type ?? "object"}: "null"`,
    });
    return;
  }
  if (!typeMatches(v, s)) {
    errs.push({
      type: "FieldValueTypeInvalid",
      field,
      value: typeName(v),
      detail: `${field} in body must be of type ${s.type}: "${typeName(v)}"`,
    });
    return;
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, v))) {
    errs.push({
      type: "FieldValueNotSupported",
      field,
      value: v,
      detail: `supported values: ${s.enum.map((e) => JSON.stringify(e)).join(", ")}`,
    });
  }
  if (typeof v === "number") {
    const max = num(s.maximum);
    const min = num(s.minimum);
    if (max !== undefined && (s.exclusiveMaximum === true ? v >= max : v > max))
      errs.push({
        type: "FieldValueInvalid",
        field,
        value: v,
        detail: `${field} in body should be less than ${s.exclusiveMaximum === true ? "" : "or equal to "}${max}`,
      });
    if (min !== undefined && (s.exclusiveMinimum === true ? v <= min : v < min))
      errs.push({
        type: "FieldValueInvalid",
        field,
        value: v,
        detail: `${field} in body should be greater than ${s.exclusiveMinimum === true ? "" : "or equal to "}${min}`,
      });
    const multiple = num(s.multipleOf);
    if (multiple && v % multiple !== 0)
      errs.push({
        type: "FieldValueInvalid",
        field,
        value: v,
        detail: `${field} in body should be a multiple of ${multiple}`,
      });
  }
  if (typeof v === "string") {
    const maxLength = num(s.maxLength);
    const minLength = num(s.minLength);
    const length = [...v].length;
    if (maxLength !== undefined && length > maxLength)
      errs.push({
        type: "FieldValueTooLong",
        field,
        value: v,
        detail: `may not be more than ${maxLength} bytes`,
      });
    if (minLength !== undefined && length < minLength)
      errs.push({
        type: "FieldValueInvalid",
        field,
        value: v,
        detail: `${field} in body should be at least ${minLength} chars long`,
      });
    if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(v))
      errs.push({
        type: "FieldValueInvalid",
        field,
        value: v,
        detail: `${field} in body should match '${s.pattern}'`,
      });
  }
  if (Array.isArray(v)) {
    const maxItems = num(s.maxItems);
    const minItems = num(s.minItems);
    if (maxItems !== undefined && v.length > maxItems)
      errs.push({
        type: "FieldValueTooMany",
        field,
        value: v.length,
        detail: `${v.length}: must have at most ${maxItems} items`,
      });
    if (minItems !== undefined && v.length < minItems)
      errs.push({
        type: "FieldValueInvalid",
        field,
        value: v.length,
        detail: `${field} in body should have at least ${minItems} items`,
      });
    if (s.uniqueItems === true || s["x-kubernetes-list-type"] === "set") {
      v.forEach((item, i) => {
        if (v.findIndex((x) => deepEqual(x, item)) < i)
          errs.push({ type: "FieldValueDuplicate", field: `${field}[${i}]`, value: item, detail: "" });
      });
    }
    const keys =
      s["x-kubernetes-list-type"] === "map" ? ((s["x-kubernetes-list-map-keys"] as string[]) ?? []) : [];
    if (keys.length) {
      v.forEach((item, i) => {
        const id = keys.map((k) => (isObject(item) ? item[k] : undefined));
        if (
          v.findIndex((x) =>
            deepEqual(
              keys.map((k) => (isObject(x) ? x[k] : undefined)),
              id,
            ),
          ) < i
        )
          errs.push({ type: "FieldValueDuplicate", field: `${field}[${i}]`, value: item, detail: "" });
      });
    }
    const items = isObject(s.items) ? (s.items as Schema) : undefined;
    if (items) {
      v.forEach((item, i) => {
        validateValue(item, items, `${path}[${i}]`, errs);
      });
    }
  }
  if (isObject(v)) {
    const p = props(s);
    for (const r of Array.isArray(s.required) ? (s.required as string[]) : []) {
      if (v[r] === undefined) errs.push({ type: "FieldValueRequired", field: join(path, r), detail: "" });
    }
    const count = Object.keys(v).length;
    const maxProps = num(s.maxProperties);
    const minProps = num(s.minProperties);
    if (maxProps !== undefined && count > maxProps)
      errs.push({
        type: "FieldValueTooMany",
        field,
        value: count,
        detail: `${count}: must have at most ${maxProps} items`,
      });
    if (minProps !== undefined && count < minProps)
      errs.push({
        type: "FieldValueInvalid",
        field,
        value: count,
        detail: `${field} in body should have at least ${minProps} properties`,
      });
    const additional = isObject(s.additionalProperties) ? (s.additionalProperties as Schema) : undefined;
    for (const [k, child] of Object.entries(v)) {
      if (path === "" && ROOT_FIELDS.has(k)) continue;
      const cs = p[k] ?? additional;
      if (cs) validateValue(child, cs, join(path, k), errs);
    }
  }
  for (const sub of Array.isArray(s.allOf) ? (s.allOf as Schema[]) : []) validateValue(v, sub, path, errs);
  if (Array.isArray(s.anyOf)) {
    const ok = (s.anyOf as Schema[]).some((sub) => {
      const e: FieldError[] = [];
      validateValue(v, sub, path, e);
      return e.length === 0;
    });
    if (!ok)
      errs.push({ type: "FieldValueInvalid", field, value: v, detail: `${field} in body must be of anyOf` });
  }
  if (Array.isArray(s.oneOf)) {
    const n = (s.oneOf as Schema[]).filter((sub) => {
      const e: FieldError[] = [];
      validateValue(v, sub, path, e);
      return e.length === 0;
    }).length;
    if (n !== 1)
      errs.push({
        type: "FieldValueInvalid",
        field,
        value: v,
        detail: `${field} in body must validate one and only one schema (oneOf)`,
      });
  }
  if (isObject(s.not)) {
    const e: FieldError[] = [];
    validateValue(v, s.not as Schema, path, e);
    if (e.length === 0)
      errs.push({
        type: "FieldValueInvalid",
        field,
        value: v,
        detail: `${field} in body should not validate the schema`,
      });
  }
}

/** Validation errors of a whole custom resource (apiVersion, kind, metadata are checked elsewhere). */
export function validateAgainstSchema(obj: unknown, schema: Schema): FieldError[] {
  const errs: FieldError[] = [];
  validateValue(obj, schema, "", errs);
  return errs;
}
