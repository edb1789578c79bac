/** Label selectors (=, ==, !=, in, notin, exists, !exists) and field selectors, parsed as the real server. */
import { badRequest } from "../errors.js";
import { isObject, type KubeObject } from "../types.js";
import { jsonPathValue } from "./jsonpath.js";

type Requirement =
  | { op: "=" | "!="; key: string; value: string }
  | { op: "in" | "notin"; key: string; values: string[] }
  | { op: "exists" | "!exists"; key: string };

export type Matcher = (obj: KubeObject) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const c of s) {
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (c === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter(Boolean);
}

export function parseLabelSelector(selector: string): Requirement[] {
  const reqs: Requirement[] = [];
  for (const term of splitTerms(selector)) {
    let m = /^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const values = m[3]!.split(",").map((v) => v.trim());
      reqs.push({ op: m[2] as "in" | "notin", key: m[1]!, values });
      continue;
    }
    m = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(term);
    if (m) {
      reqs.push({ op: m[2] === "!=" ? "!=" : "=", key: m[1]!, value: m[3]! });
      continue;
    }
    m = /^(!?)([^\s!=()]+)$/.exec(term);
    if (m) {
      reqs.push({ op: m[1] ? "!exists" : "exists", key: m[2]! });
      continue;
    }
    throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
  }
  return reqs;
}

export function labelMatcher(selector: string | undefined): Matcher | undefined {
  if (!selector) return undefined;
  const reqs = parseLabelSelector(selector);
  return (obj) => {
    const labels = obj.metadata.labels ?? {};
    return reqs.every((r) => {
      const has = Object.hasOwn(labels, r.key);
      const v = labels[r.key];
      switch (r.op) {
        case "=":
          return has && v === r.value;
        case "!=":
          return !has || v !== r.value;
        case "in":
          return has && r.values.includes(v!);
        case "notin":
          return !has || !r.values.includes(v!);
        case "exists":
          return has;
        case "!exists":
          return !has;
      }
      return false;
    });
  };
}

const COMMON_FIELDS = ["metadata.name", "metadata.namespace"];
const KIND_FIELDS: Record<string, string[]> = {
  Event: [
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
    "regarding.name",
    "regarding.kind",
    "regarding.namespace",
  ],
  Secret: ["type"],
  Pod: [
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "status.phase",
  ],
  Namespace: ["status.phase"],
};

export function fieldMatcher(selector: string | undefined, kind: string): Matcher | undefined {
  if (!selector) return undefined;
  const supported = [...COMMON_FIELDS, ...(KIND_FIELDS[kind] ?? [])];
  const terms = splitTerms(selector).map((t) => {
    const m = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(t);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${t}'`);
    const field = m[1]!.trim();
    if (!supported.includes(field)) throw badRequest(`field label not supported: ${field}`);
    return { field, negate: m[2] === "!=", value: m[3]!.trim() };
  });
  return (obj) =>
    terms.every((t) => {
      const raw = jsonPathValue(obj, `.${t.field}`);
      const v = raw === undefined || raw === null ? "" : String(raw);
      return t.negate ? v !== t.value : v === t.value;
    });
}

/** Whether a structured LabelSelector (matchLabels, matchExpressions) selects these labels; {} selects all. */
export function labelSelectorMatches(selector: unknown, labels: Record<string, unknown>): boolean {
  if (!isObject(selector)) return false;
  const ml = isObject(selector.matchLabels) ? selector.matchLabels : {};
  for (const [k, v] of Object.entries(ml)) if (labels[k] !== v) return false;
  const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  for (const e of exprs) {
    if (!isObject(e)) continue;
    const has = Object.hasOwn(labels, String(e.key));
    const values = Array.isArray(e.values) ? e.values : [];
    const v = labels[String(e.key)];
    if (e.operator === "In" && !(has && values.includes(v))) return false;
    if (e.operator === "NotIn" && has && values.includes(v)) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

export function combine(...ms: (Matcher | undefined)[]): Matcher {
  const list = ms.filter((m): m is Matcher => m !== undefined);
  return (obj) => list.every((m) => m(obj));
}
