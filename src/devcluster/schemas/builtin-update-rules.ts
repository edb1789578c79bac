/**
 * What the real server refuses to change on built-in objects once they exist, with its messages:
 * immutable ConfigMaps and Secrets (and a Secret's type), a Service's allocated cluster IPs and IP
 * families, a Job's selector and pod template, a PersistentVolumeClaim's spec but for growing its storage
 * request. The rules are found by kind, so a kind registered anywhere gets them.
 */
import type { FieldError } from "../errors.js";
import type { ResourceType } from "../storage/resource-type.js";
import { deepEqual, isObject, type JsonObject, type KubeObject } from "../types.js";

type UpdateRule = (obj: KubeObject, old: KubeObject) => FieldError[];

const IMMUTABLE_WHEN_SET = "field is immutable when `immutable` is set";

const specOf = (o: KubeObject): JsonObject => (isObject(o.spec) ? o.spec : {});
const goStrings = (v: unknown) =>
  `[]string{${(Array.isArray(v) ? v : []).map((s) => JSON.stringify(s)).join(", ")}}`;

/** ConfigMap and Secret: `immutable: true` freezes the data and itself. */
function immutableData(fields: string[]): UpdateRule {
  return (obj, old) => {
    if (old.immutable !== true) return [];
    const errs: FieldError[] = [];
    if (obj.immutable !== true)
      errs.push({ type: "FieldValueForbidden", field: "immutable", detail: IMMUTABLE_WHEN_SET });
    for (const f of fields)
      if (!deepEqual(obj[f] ?? {}, old[f] ?? {}))
        errs.push({ type: "FieldValueForbidden", field: f, detail: IMMUTABLE_WHEN_SET });
    return errs;
  };
}

const secretRules: UpdateRule = (obj, old) => {
  const errs: FieldError[] = [];
  if (obj.type !== old.type)
    errs.push({ type: "FieldValueInvalid", field: "type", value: obj.type, detail: "field is immutable" });
  return [...errs, ...immutableData(["data"])(obj, old)];
};

/** Allocated cluster IPs and the primary IP family stay; ExternalName services have neither. */
const serviceRules: UpdateRule = (obj, old) => {
  const spec = specOf(obj);
  const was = specOf(old);
  if (spec.type === "ExternalName" || was.type === "ExternalName") return [];
  const errs: FieldError[] = [];
  const oldIps = Array.isArray(was.clusterIPs) ? was.clusterIPs : [];
  const newIps = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
  if (oldIps.length > 0 && newIps[0] !== oldIps[0])
    errs.push({
      type: "FieldValueInvalid",
      field: "spec.clusterIPs[0]",
      hasValue: false,
      detail: `${goStrings(newIps)}: may not change once set`,
    });
  const oldFamilies = Array.isArray(was.ipFamilies) ? was.ipFamilies : [];
  const newFamilies = Array.isArray(spec.ipFamilies) ? spec.ipFamilies : [];
  if (oldFamilies.length > 0 && newFamilies.length > 0 && newFamilies[0] !== oldFamilies[0])
    errs.push({
      type: "FieldValueInvalid",
      field: "spec.ipFamilies[0]",
      value: newFamilies[0],
      detail: "may not change once set",
    });
  return errs;
};

const jobRules: UpdateRule = (obj, old) => {
  const spec = specOf(obj);
  const was = specOf(old);
  const errs: FieldError[] = [];
  for (const f of ["selector", "template"])
    if (!deepEqual(spec[f], was[f]))
      errs.push({
        type: "FieldValueInvalid",
        field: `spec.${f}`,
        value: spec[f],
        detail: "field is immutable",
      });
  if (spec.completionMode !== "Indexed" && spec.completions !== was.completions)
    errs.push({
      type: "FieldValueInvalid",
      field: "spec.completions",
      value: spec.completions,
      detail: "field is immutable",
    });
  return errs;
};

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = { m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A resource.Quantity's value (bytes for storage), NaN when it is not one. */
export function quantityValue(q: unknown): number {
  if (typeof q === "number") return q;
  const m = /^([+-]?\d*\.?\d+(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/.exec(String(q ?? ""));
  if (!m) return Number.NaN;
  const unit = m[2] ?? "";
  return Number(m[1]) * (BINARY[unit] ?? DECIMAL[unit] ?? 1);
}

const storageOf = (v: unknown): unknown => {
  if (!isObject(v)) return undefined;
  return v.storage;
};

/** A claim's spec is frozen but for its storage request, which bound claims may grow. */
const pvcRules: UpdateRule = (obj, old) => {
  const spec = specOf(obj);
  const was = specOf(old);
  const bound = isObject(obj.status) && obj.status.phase === "Bound";
  const comparable = (s: JsonObject, from: JsonObject): JsonObject => {
    const copy = structuredClone(s);
    // The volume a claim binds to is set once, by the binder.
    if (!from.volumeName) delete copy.volumeName;
    const resources = isObject(copy.resources) ? copy.resources : undefined;
    if (bound && resources && isObject(resources.requests)) delete resources.requests.storage;
    delete copy.volumeAttributesClassName;
    return copy;
  };
  const errs: FieldError[] = [];
  if (!deepEqual(comparable(spec, was), comparable(was, was)))
    errs.push({
      type: "FieldValueForbidden",
      field: "spec",
      detail:
        "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
    });
  const requested = (s: JsonObject) => storageOf(isObject(s.resources) ? s.resources.requests : undefined);
  const newSize = quantityValue(requested(spec));
  const oldSize = quantityValue(requested(was));
  const capacity = quantityValue(storageOf(isObject(old.status) ? old.status.capacity : undefined));
  // Shrinking is allowed down to (not to) the capacity the volume has, to recover from a failed expansion.
  if (newSize < oldSize && !(newSize > capacity))
    errs.push({
      type: "FieldValueForbidden",
      field: "spec.resources.requests.storage",
      detail: "field can not be less than status.capacity",
    });
  return errs;
};

const RULES: Record<string, UpdateRule> = {
  "/ConfigMap": immutableData(["data", "binaryData"]),
  "/Secret": secretRules,
  "/Service": serviceRules,
  "/PersistentVolumeClaim": pvcRules,
  "batch/Job": jobRules,
};

/** Adds the kind's update rules, if it has any, to its validation. */
export function withUpdateRules(rt: ResourceType): ResourceType {
  const rule = rt.crdName ? undefined : RULES[`${rt.group}/${rt.kind}`];
  if (!rule) return rt;
  const own = rt.validate;
  rt.validate = (obj, old) => [...(own?.(obj, old) ?? []), ...(old ? rule(obj, old) : [])];
  return rt;
}
