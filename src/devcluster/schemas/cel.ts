/**
 * x-kubernetes-validations: CEL rules of a CRD schema evaluated with @bufbuild/cel. `self` is the value at
 * the rule's schema node; a transition rule (one that reads `oldSelf`) runs on updates only, where the
 * old object has a value at the same place (through object fields and keyed list items), as on a cluster.
 */
import { celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { RE2JS } from "@bufbuild/re2";
import type { FieldError } from "../errors.js";
import { deepEqual, isObject } from "../types.js";
import type { Schema } from "./structural-schema.js";

interface Rule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

type Program = (bindings: Record<string, unknown>) => unknown;

/**
 * RE2 patterns of `matches()`, compiled once: the library's own compiles the pattern on every call, the
 * larger part of evaluating a rule that uses one. Bounded, for rules that build their pattern.
 */
const compiledPatterns = new Map<string, RE2JS>();
const MAX_COMPILED_PATTERNS = 512;
const re2 = {
  compile(pattern: string): RE2JS {
    let compiled = compiledPatterns.get(pattern);
    if (!compiled) {
      compiled = RE2JS.compile(pattern);
      if (compiledPatterns.size >= MAX_COMPILED_PATTERNS) compiledPatterns.clear();
      compiledPatterns.set(pattern, compiled);
    }
    return compiled;
  },
};

const env = celEnv({ funcs: strings, re2 });
const programs = new Map<string, Program>();

/** Compiles (and caches) a rule; throws with the parser's message on a syntax error. */
export function compileRule(expr: string): Program {
  let p = programs.get(expr);
  if (!p) {
    const parsed = parse(expr);
    const run = plan(env, parsed) as (ctx?: Record<string, unknown>) => unknown;
    p = (b) => run(b);
    programs.set(expr, p);
  }
  return p;
}

/** Converts JSON to CEL values: integers (by schema, or whole numbers without one) become CEL ints. */
function toCel(v: unknown, s: Schema | undefined): unknown {
  if (typeof v === "number") {
    if (s?.type === "number") return v;
    return Number.isInteger(v) ? BigInt(v) : v;
  }
  if (Array.isArray(v)) {
    const items = s && isObject(s.items) ? (s.items as Schema) : undefined;
    return v.map((x) => toCel(x, items));
  }
  if (isObject(v)) {
    const props = s && isObject(s.properties) ? (s.properties as Record<string, Schema>) : {};
    const additional = s && isObject(s.additionalProperties) ? (s.additionalProperties as Schema) : undefined;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toCel(x, props[k] ?? additional);
    return out;
  }
  return v;
}

function typeLabel(v: unknown, s: Schema): string {
  if (isObject(v)) return "object";
  if (Array.isArray(v)) return "array";
  return String(s.type ?? typeof v);
}

function evalRules(v: unknown, old: unknown, s: Schema, path: string, errs: FieldError[]): void {
  const rules = Array.isArray(s["x-kubernetes-validations"]) ? (s["x-kubernetes-validations"] as Rule[]) : [];
  const field = path || "<root>";
  // The value (and the old one) as CEL sees them, converted once for all the rules of this node.
  let self: unknown;
  let oldSelf: unknown;
  for (const r of rules) {
    const transition = /\boldSelf\b/.test(r.rule);
    if (transition && old === undefined) continue;
    self ??= toCel(v, s);
    const bindings: Record<string, unknown> = { self };
    if (transition) {
      oldSelf ??= toCel(old, s);
      bindings.oldSelf = oldSelf;
    }
    let result: unknown;
    try {
      result = compileRule(r.rule)(bindings);
    } catch (e) {
      result = e;
    }
    const target = r.fieldPath
      ? `${path}${r.fieldPath.startsWith(".") ? "" : "."}${r.fieldPath}`.replace(/^\./, "")
      : field;
    if (isCelError(result) || result instanceof Error) {
      errs.push({
        type: "FieldValueInvalid",
        field: target,
        value: typeLabel(v, s),
        detail: `${(result as Error).message} evaluating rule: ${r.rule}`,
      });
      continue;
    }
    if (result === true) continue;
    let message = r.message ?? `failed rule: ${r.rule}`;
    if (r.messageExpression) {
      try {
        const m = compileRule(r.messageExpression)(bindings);
        if (typeof m === "string" && m.trim()) message = m;
      } catch {
        // The real server falls back to the static message when the message expression fails.
      }
    }
    const reasons: Record<string, FieldError["type"]> = {
      FieldValueForbidden: "FieldValueForbidden",
      FieldValueRequired: "FieldValueRequired",
      FieldValueDuplicate: "FieldValueDuplicate",
    };
    const type = reasons[r.reason ?? ""] ?? "FieldValueInvalid";
    if (type === "FieldValueInvalid")
      errs.push({ type, field: target, value: typeLabel(v, s), detail: message });
    else errs.push({ type, field: target, detail: message });
  }

  if (Array.isArray(v)) {
    const items = isObject(s.items) ? (s.items as Schema) : undefined;
    if (!items) return;
    const keys =
      s["x-kubernetes-list-type"] === "map" ? ((s["x-kubernetes-list-map-keys"] as string[]) ?? []) : [];
    v.forEach((item, i) => {
      let oldItem: unknown;
      if (Array.isArray(old) && keys.length && isObject(item)) {
        oldItem = old.find((o) => isObject(o) && keys.every((k) => deepEqual(o[k], item[k])));
      }
      evalRules(item, oldItem, items, `${path}[${i}]`, errs);
    });
    return;
  }
  if (isObject(v)) {
    const props = isObject(s.properties) ? (s.properties as Record<string, Schema>) : {};
    const additional = isObject(s.additionalProperties) ? (s.additionalProperties as Schema) : undefined;
    for (const [k, child] of Object.entries(v)) {
      const cs = props[k] ?? additional;
      if (!cs || child === undefined) continue;
      evalRules(child, isObject(old) ? old[k] : undefined, cs, path ? `${path}.${k}` : k, errs);
    }
  }
}

export function validateCel(obj: unknown, old: unknown, schema: Schema): FieldError[] {
  const errs: FieldError[] = [];
  evalRules(obj, old, schema, "", errs);
  return errs;
}

/** Every rule in a schema that does not compile, with its schema path, for CRD validation. */
export function ruleCompileErrors(schema: Schema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const walk = (s: Schema, p: string) => {
    const rules = Array.isArray(s["x-kubernetes-validations"])
      ? (s["x-kubernetes-validations"] as Rule[])
      : [];
    rules.forEach((r, i) => {
      for (const [key, expr] of [
        ["rule", r.rule],
        ["messageExpression", r.messageExpression],
      ] as const) {
        if (expr === undefined) continue;
        try {
          compileRule(expr);
        } catch (e) {
          errs.push({
            type: "FieldValueInvalid",
            field: `${p}.x-kubernetes-validations[${i}].${key}`,
            value: expr,
            detail: `compilation failed: ${(e as Error).message}`,
          });
        }
      }
    });
    if (isObject(s.properties))
      for (const [k, c] of Object.entries(s.properties)) if (isObject(c)) walk(c, `${p}.properties[${k}]`);
    if (isObject(s.items)) walk(s.items, `${p}.items`);
    if (isObject(s.additionalProperties)) walk(s.additionalProperties, `${p}.additionalProperties`);
  };
  walk(schema, path);
  return errs;
}
