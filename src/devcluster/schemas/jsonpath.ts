/**
 * The subset of Kubernetes JSONPath used by printer columns and scale subresource paths:
 * `.a.b`, `.a[0]`, `.a[*].b`, `.a[?(@.type=="Ready")].status`, optionally wrapped in `{}`.
 */
import { isObject } from "../types.js";

type Step =
  | { field: string }
  | { index: number }
  | { all: true }
  | { filter: { path: string[]; value: string } };

function parse(expr: string): Step[] {
  let s = expr.trim();
  if (s.startsWith("{") && s.endsWith("}")) s = s.slice(1, -1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ".") {
      i++;
      let name = "";
      while (i < s.length && s[i] !== "." && s[i] !== "[") name += s[i++];
      if (name) steps.push({ field: name });
    } else if (c === "[") {
      const end = s[i + 1] === "?" ? s.indexOf(")]", i) + 1 : s.indexOf("]", i);
      if (end <= i) throw new Error(`unterminated [ in JSONPath ${expr}`);
      const inner = s.slice(i + 1, end);
      i = end + 1;
      if (inner === "*") steps.push({ all: true });
      else if (/^-?\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else if (inner.startsWith("'") || inner.startsWith('"')) steps.push({ field: inner.slice(1, -1) });
      else {
        const m = /^\?\(@\.([\w.-]+)\s*==\s*["']([^"']*)["']\)$/.exec(inner);
        if (!m) throw new Error(`unsupported JSONPath step [${inner}] in ${expr}`);
        steps.push({ filter: { path: m[1]!.split("."), value: m[2]! } });
      }
    } else {
      let name = "";
      while (i < s.length && s[i] !== "." && s[i] !== "[") name += s[i++];
      if (name) steps.push({ field: name });
    }
  }
  return steps;
}

function get(value: unknown, path: string[]): unknown {
  let v = value;
  for (const p of path) v = isObject(v) ? v[p] : undefined;
  return v;
}

/** Every value the path selects (a filter or `[*]` can select several). */
export function jsonPathValues(obj: unknown, expr: string): unknown[] {
  let current: unknown[] = [obj];
  for (const step of parse(expr)) {
    const next: unknown[] = [];
    for (const v of current) {
      if ("field" in step) {
        if (isObject(v) && v[step.field] !== undefined) next.push(v[step.field]);
      } else if ("index" in step) {
        if (Array.isArray(v)) {
          const item = v[step.index < 0 ? v.length + step.index : step.index];
          if (item !== undefined) next.push(item);
        }
      } else if ("all" in step) {
        if (Array.isArray(v)) next.push(...v);
        else if (isObject(v)) next.push(...Object.values(v));
      } else if (Array.isArray(v)) {
        for (const item of v) if (String(get(item, step.filter.path)) === step.filter.value) next.push(item);
      }
    }
    current = next;
  }
  return current;
}

export function jsonPathValue(obj: unknown, expr: string): unknown {
  return jsonPathValues(obj, expr)[0];
}

/** A simple `.a.b.c` path as field names, for reading and writing scale paths. */
export function simplePath(expr: string): string[] {
  return expr
    .replace(/^\{?\.?/, "")
    .replace(/\}$/, "")
    .split(".")
    .filter(Boolean);
}

export function setAtPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let o: Record<string, unknown> = obj;
  path.forEach((p, i) => {
    if (i === path.length - 1) o[p] = value;
    else {
      if (!isObject(o[p])) o[p] = {};
      o = o[p] as Record<string, unknown>;
    }
  });
}
