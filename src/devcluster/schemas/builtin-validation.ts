/** Validation of object metadata (every kind) and of the built-in kinds' fields the project relies on. */
import type { FieldError } from "../errors.js";
import { deepEqual, isObject, type JsonObject, type KubeObject } from "../types.js";
import { scheduleError, timeZoneError } from "./cron-schedule.js";
import {
  dns1035Label,
  dns1123Label,
  dns1123Subdomain,
  labelValue,
  pathSegmentName,
  qualifiedName,
} from "./names.js";
import { labelSelectorMatches } from "./selectors.js";

type NameRule = (name: string) => string | undefined;

export function validateMetadata(obj: KubeObject, nameRule: NameRule = dns1123Subdomain): FieldError[] {
  const errs: FieldError[] = [];
  const m = obj.metadata;
  if (!m.name) {
    errs.push({
      type: "FieldValueRequired",
      field: "metadata.name",
      detail: "name or generateName is required",
    });
  } else {
    const why = nameRule(m.name);
    if (why) errs.push({ type: "FieldValueInvalid", field: "metadata.name", value: m.name, detail: why });
  }
  for (const [k, v] of Object.entries(m.labels ?? {})) {
    const kw = qualifiedName(k);
    if (kw) errs.push({ type: "FieldValueInvalid", field: "metadata.labels", value: k, detail: kw });
    if (typeof v !== "string") {
      errs.push({
        type: "FieldValueTypeInvalid",
        field: `metadata.labels.${k}`,
        value: v,
        detail: "must be a string",
      });
    } else {
      const vw = labelValue(v);
      if (vw) errs.push({ type: "FieldValueInvalid", field: `metadata.labels`, value: v, detail: vw });
    }
  }
  for (const k of Object.keys(m.annotations ?? {})) {
    const kw = qualifiedName(k.toLowerCase());
    if (kw) errs.push({ type: "FieldValueInvalid", field: "metadata.annotations", value: k, detail: kw });
  }
  (m.ownerReferences ?? []).forEach((ref, i) => {
    for (const f of ["apiVersion", "kind", "name", "uid"] as const) {
      if (!ref[f])
        errs.push({ type: "FieldValueRequired", field: `metadata.ownerReferences[${i}].${f}`, detail: "" });
    }
  });
  // One error per extra controller reference, naming the first one and it, as the real server does.
  const controllers = (m.ownerReferences ?? []).filter((r) => r.controller === true);
  const first = controllers[0];
  for (const extra of controllers.slice(1)) {
    errs.push({
      type: "FieldValueInvalid",
      field: "metadata.ownerReferences",
      value: m.ownerReferences,
      detail: `Only one reference can have Controller set to true. Found "true" in references for ${first!.kind}/${first!.name} and ${extra.kind}/${extra.name}`,
    });
  }
  return errs;
}

export function nameRuleFor(kind: string): NameRule {
  if (kind === "Namespace") return dns1123Label;
  if (kind === "Service") return dns1035Label;
  if (["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"].includes(kind)) return pathSegmentName;
  return dns1123Subdomain;
}

/** A workload's selector must select something, and its own pod template. */
function selectorMatches(selector: unknown, labels: Record<string, unknown>): boolean {
  if (!isObject(selector)) return false;
  const ml = isObject(selector.matchLabels) ? selector.matchLabels : {};
  const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  return (Object.keys(ml).length > 0 || exprs.length > 0) && labelSelectorMatches(selector, labels);
}

function validateContainers(list: unknown, field: string, required: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(list) || list.length === 0) {
    if (required) errs.push({ type: "FieldValueRequired", field, detail: "" });
    return errs;
  }
  const seen = new Set<string>();
  list.forEach((c, i) => {
    const f = `${field}[${i}]`;
    if (!isObject(c)) return;
    if (!c.name) errs.push({ type: "FieldValueRequired", field: `${f}.name`, detail: "" });
    else if (seen.has(String(c.name)))
      errs.push({ type: "FieldValueDuplicate", field: `${f}.name`, value: c.name, detail: "" });
    else seen.add(String(c.name));
    if (!c.image) errs.push({ type: "FieldValueRequired", field: `${f}.image`, detail: "" });
    if (Array.isArray(c.ports)) {
      c.ports.forEach((p, j) => {
        if (!isObject(p)) return;
        const port = p.containerPort;
        if (typeof port !== "number" || port < 1 || port > 65535)
          errs.push({
            type: "FieldValueInvalid",
            field: `${f}.ports[${j}].containerPort`,
            value: port,
            detail: "must be between 1 and 65535, inclusive",
          });
      });
    }
  });
  return errs;
}

export function validateDeployment(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const spec = isObject(obj.spec) ? obj.spec : {};
  if (typeof spec.replicas === "number" && spec.replicas < 0)
    errs.push({
      type: "FieldValueInvalid",
      field: "spec.replicas",
      value: spec.replicas,
      detail: "must be greater than or equal to 0",
    });
  const template = isObject(spec.template) ? spec.template : {};
  const tmeta = isObject(template.metadata) ? template.metadata : {};
  const labels = isObject(tmeta.labels) ? tmeta.labels : {};
  if (!isObject(spec.selector)) {
    errs.push({ type: "FieldValueRequired", field: "spec.selector", detail: "" });
  } else if (!selectorMatches(spec.selector, labels)) {
    errs.push({
      type: "FieldValueInvalid",
      field: "spec.template.metadata.labels",
      value: labels,
      detail: "`selector` does not match template `labels`",
    });
  }
  const podSpec = isObject(template.spec) ? template.spec : {};
  errs.push(...validateContainers(podSpec.containers, "spec.template.spec.containers", true));
  errs.push(...validateContainers(podSpec.initContainers, "spec.template.spec.initContainers", false));
  if (old && isObject(old.spec) && !deepEqual(old.spec.selector, spec.selector)) {
    errs.push({
      type: "FieldValueInvalid",
      field: "spec.selector",
      value: spec.selector,
      detail: "field is immutable",
    });
  }
  return errs;
}

export function validatePod(obj: KubeObject): FieldError[] {
  const spec = isObject(obj.spec) ? obj.spec : {};
  return validateContainers(spec.containers, "spec.containers", true);
}

export function validateService(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = isObject(obj.spec) ? obj.spec : {};
  const type = spec.type ?? "ClusterIP";
  const types = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
  if (!types.includes(String(type)))
    errs.push({
      type: "FieldValueNotSupported",
      field: "spec.type",
      value: type,
      detail: `supported values: ${types.map((t) => `"${t}"`).join(", ")}`,
    });
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  if (type !== "ExternalName" && ports.length === 0 && spec.clusterIP !== "None")
    errs.push({ type: "FieldValueRequired", field: "spec.ports", detail: "" });
  ports.forEach((p, i) => {
    if (!isObject(p)) return;
    if (typeof p.port !== "number" || p.port < 1 || p.port > 65535)
      errs.push({
        type: "FieldValueInvalid",
        field: `spec.ports[${i}].port`,
        value: p.port,
        detail: "must be between 1 and 65535, inclusive",
      });
    if (ports.length > 1 && !p.name)
      errs.push({ type: "FieldValueRequired", field: `spec.ports[${i}].name`, detail: "" });
  });
  const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
  if (type !== "ExternalName" && ips.length > 0 && spec.clusterIP !== ips[0])
    errs.push({
      type: "FieldValueInvalid",
      field: "spec.clusterIPs[0]",
      value: ips[0],
      detail: "must be equal to clusterIP",
    });
  return errs;
}

const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;

/** Lease times are MicroTime; anything else cannot be decoded (the real server answers 400, not 422). */
export function leaseDecodeError(obj: KubeObject): string | undefined {
  const spec = isObject(obj.spec) ? obj.spec : {};
  for (const f of ["acquireTime", "renewTime"]) {
    const v = spec[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string" || !MICRO_TIME.test(v)) {
      return `Lease in version "v1" cannot be handled as a Lease: parsing time ${JSON.stringify(String(v))} as "2006-01-02T15:04:05.000000Z07:00": cannot parse spec.${f} as RFC 3339 time with microseconds`;
    }
  }
  return undefined;
}

export function validateLease(obj: KubeObject): FieldError[] {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const d = spec.leaseDurationSeconds;
  if (d !== undefined && (typeof d !== "number" || d <= 0))
    return [
      {
        type: "FieldValueInvalid",
        field: "spec.leaseDurationSeconds",
        value: d,
        detail: "must be greater than 0",
      },
    ];
  return [];
}

export function validateConfigMapKeys(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  for (const field of ["data", "binaryData"]) {
    const data = obj[field];
    if (!isObject(data)) continue;
    for (const [k, v] of Object.entries(data as JsonObject)) {
      if (!/^[-._a-zA-Z0-9]+$/.test(k))
        errs.push({
          type: "FieldValueInvalid",
          field: `${field}[${k}]`,
          value: k,
          detail: "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        });
      if (typeof v !== "string")
        errs.push({
          type: "FieldValueTypeInvalid",
          field: `${field}[${k}]`,
          value: v,
          detail: "must be a string",
        });
    }
  }
  return errs;
}

function immutable(field: string, value: unknown): FieldError {
  return { type: "FieldValueInvalid", field, value, detail: "field is immutable" };
}

/** A ReplicaSet is held to the Deployment's rules: a selector that selects its template, valid containers. */
export function validateReplicaSet(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  return validateDeployment(obj, old);
}

const JOB_RESTART_POLICIES = ["OnFailure", "Never"];

function validateJobSpec(spec: JsonObject, prefix: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of [
    "parallelism",
    "completions",
    "backoffLimit",
    "activeDeadlineSeconds",
    "ttlSecondsAfterFinished",
  ]) {
    const v = spec[f];
    if (v !== undefined && (typeof v !== "number" || v < (f === "activeDeadlineSeconds" ? 1 : 0)))
      errs.push({
        type: "FieldValueInvalid",
        field: `${prefix}.${f}`,
        value: v,
        detail:
          f === "activeDeadlineSeconds" ? "must be greater than 0" : "must be greater than or equal to 0",
      });
  }
  const template = isObject(spec.template) ? spec.template : {};
  const podSpec = isObject(template.spec) ? template.spec : {};
  if (!JOB_RESTART_POLICIES.includes(String(podSpec.restartPolicy ?? "Always")))
    errs.push({
      type: "FieldValueRequired",
      field: `${prefix}.template.spec.restartPolicy`,
      detail: `valid values: ${JOB_RESTART_POLICIES.map((p) => `"${p}"`).join(", ")}`,
    });
  errs.push(...validateContainers(podSpec.containers, `${prefix}.template.spec.containers`, true));
  errs.push(...validateContainers(podSpec.initContainers, `${prefix}.template.spec.initContainers`, false));
  if (spec.completionMode !== undefined && !["NonIndexed", "Indexed"].includes(String(spec.completionMode)))
    errs.push({
      type: "FieldValueNotSupported",
      field: `${prefix}.completionMode`,
      value: spec.completionMode,
      detail: 'supported values: "NonIndexed", "Indexed"',
    });
  return errs;
}

/** The Job's rules, including the immutability of its selector and pod template (a new version is a new Job). */
export function validateJob(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const errs = validateJobSpec(spec, "spec");
  const template = isObject(spec.template) ? spec.template : {};
  const tmeta = isObject(template.metadata) ? template.metadata : {};
  const labels = isObject(tmeta.labels) ? tmeta.labels : {};
  if (!isObject(spec.selector)) errs.push({ type: "FieldValueRequired", field: "spec.selector", detail: "" });
  else if (!selectorMatches(spec.selector, labels))
    errs.push({
      type: "FieldValueInvalid",
      field: "spec.template.metadata.labels",
      value: labels,
      detail: "`selector` does not match template `labels`",
    });
  // Selector, template and completions are immutable by the update rules (builtin-update-rules.ts).
  const oldSpec = old && isObject(old.spec) ? old.spec : undefined;
  if (oldSpec && oldSpec.completionMode !== spec.completionMode)
    errs.push(immutable("spec.completionMode", spec.completionMode));
  return errs;
}

export function validateCronJob(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = isObject(obj.spec) ? obj.spec : {};
  const name = obj.metadata.name ?? "";
  // Job names are the CronJob's name plus an 11-character suffix, and must fit in 63 characters.
  if (name.length > 52)
    errs.push({
      type: "FieldValueInvalid",
      field: "metadata.name",
      value: name,
      detail: "must be no more than 52 characters",
    });
  if (typeof spec.schedule !== "string" || spec.schedule === "")
    errs.push({ type: "FieldValueRequired", field: "spec.schedule", detail: "" });
  else {
    const why = scheduleError(spec.schedule);
    if (why)
      errs.push({ type: "FieldValueInvalid", field: "spec.schedule", value: spec.schedule, detail: why });
  }
  if (typeof spec.timeZone === "string") {
    const why = timeZoneError(spec.timeZone);
    if (why)
      errs.push({ type: "FieldValueInvalid", field: "spec.timeZone", value: spec.timeZone, detail: why });
  }
  const policies = ["Allow", "Forbid", "Replace"];
  if (!policies.includes(String(spec.concurrencyPolicy)))
    errs.push({
      type: "FieldValueNotSupported",
      field: "spec.concurrencyPolicy",
      value: spec.concurrencyPolicy,
      detail: `supported values: ${policies.map((p) => `"${p}"`).join(", ")}`,
    });
  for (const f of ["startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"]) {
    const v = spec[f];
    if (v !== undefined && (typeof v !== "number" || v < 0))
      errs.push({
        type: "FieldValueInvalid",
        field: `spec.${f}`,
        value: v,
        detail: "must be greater than or equal to 0",
      });
  }
  const jobTemplate = isObject(spec.jobTemplate) ? spec.jobTemplate : {};
  errs.push(...validateJobSpec(isObject(jobTemplate.spec) ? jobTemplate.spec : {}, "spec.jobTemplate.spec"));
  return errs;
}
