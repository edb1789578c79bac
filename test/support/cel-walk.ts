import { type CelInput, run } from "@bufbuild/cel";

// biome-ignore lint/suspicious/noExplicitAny: walks JSON schemas and plain data
type Any = any;

/** JSON data as CEL sees it: objects become maps, whole numbers ints. */
function toCel(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === "object") {
    return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  }
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  return value;
}

/**
 * Evaluates every `x-kubernetes-validations` rule of a schema against a value, as the API server
 * does: each rule at each node where a value is present, `self` bound to that value. Returns the
 * messages of the rules that do not hold (a rule that fails to evaluate counts, with its error).
 */
export function celViolations(schema: Any, value: unknown, path = ""): string[] {
  if (value === undefined || value === null) return [];
  const out: string[] = [];
  for (const v of schema["x-kubernetes-validations"] ?? []) {
    let result: unknown;
    try {
      result = run(v.rule, { self: toCel(value) as CelInput });
    } catch (err) {
      result = err;
    }
    if (result !== true)
      out.push(`${path || "(root)"}: ${v.message}${result instanceof Error ? ` [${result.message}]` : ""}`);
  }
  if (schema.properties && typeof value === "object") {
    for (const [key, sub] of Object.entries(schema.properties)) {
      out.push(...celViolations(sub, (value as Any)[key], path ? `${path}.${key}` : key));
    }
  }
  if (schema.items && Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push(...celViolations(schema.items, item, `${path}[${i}]`));
    });
  }
  return out;
}
