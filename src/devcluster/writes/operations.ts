/**
 * The verbs, independent of HTTP: create, get, list, update, patch (merge, JSON, strategic, apply), delete,
 * deletecollection and the scale subresource. HTTP handlers and in-process controllers (garbage collector,
 * namespace controller, workload simulator) all write through here, so every write gets the same
 * defaulting, validation, resourceVersion checks, generation, managedFields and watch events.
 */
import { randomUUID } from "node:crypto";
import * as yaml from "js-yaml";
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  type FieldError,
  forbidden,
  invalid,
  notFound,
  STALE_OBJECT,
  unsupportedMediaType,
} from "../errors.js";
import { nameRuleFor, validateMetadata } from "../schemas/builtin-validation.js";
import { comparePaths, decoderPath, typedPath } from "../schemas/field-paths.js";
import { jsonPathValue, setAtPath, simplePath } from "../schemas/jsonpath.js";
import { randomSuffix } from "../schemas/names.js";
import { combine, fieldMatcher, labelMatcher } from "../schemas/selectors.js";
import { ListSnapshots, type Page } from "../storage/list-snapshots.js";
import type { ResourceRegistry } from "../storage/registry.js";
import { groupVersion, type ResourceType } from "../storage/resource-type.js";
import type { Store } from "../storage/store.js";
import { nowTimestamp } from "../time-format.js";
import {
  copyForWrite,
  deepClone,
  deepEqual,
  isObject,
  type JsonObject,
  type KubeObject,
  parseYamlOrJson,
  readYamlOrJson,
  sameJson,
  type UserInfo,
} from "../types.js";
import { serverSideApply } from "./apply.js";
import type { FieldScope } from "./fieldset.js";
import { applyJsonPatch, JsonPatchError } from "./json-patch.js";
import { trackUpdate } from "./managed-fields.js";
import { applyMergePatch } from "./merge-patch.js";
import { StrategicMergeError, strategicMerge } from "./strategic-merge.js";

export type FieldValidation = "Ignore" | "Warn" | "Strict";

/** How a write arrived: whole objects (create, update) and patches report unknown fields differently. */
type WriteVerb = "create" | "update" | "patch" | "apply";

export interface WriteContext {
  user: UserInfo;
  dryRun: boolean;
  /** The fieldManager query parameter; defaults to the user agent's first word. */
  fieldManager?: string;
  userAgent: string;
  fieldValidation: FieldValidation;
  /** Warnings for the response's Warning headers (unknown fields under Warn). */
  warnings: string[];
  /** Fields the request body held twice (JSON keeps the last), reported like unknown fields. */
  duplicateFields?: string[];
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface DeleteOptions {
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
}

export const PATCH_TYPES = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
} as const;

export const ORPHAN_FINALIZER = "orphan";
export const FOREGROUND_FINALIZER = "foregroundDeletion";
const NAMESPACE_KEY = "/namespaces";

/** An internal writer (controller) context. */
export function systemContext(name: string, manager: string): WriteContext {
  return {
    user: { name, groups: ["system:masters", "system:authenticated"] },
    dryRun: false,
    fieldManager: manager,
    userAgent: manager,
    fieldValidation: "Ignore",
    warnings: [],
  };
}

function gr(rt: ResourceType) {
  return { group: rt.group, resource: rt.plural };
}

function managerOf(ctx: WriteContext): string {
  if (ctx.fieldManager) return ctx.fieldManager;
  return (ctx.userAgent.split("/")[0] ?? "unknown").slice(0, 128) || "unknown";
}

/** Everything but metadata and status: what bumps metadata.generation. */
function specPart(o: KubeObject): JsonObject {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

function withoutVolatile(o: KubeObject): unknown {
  const { resourceVersion: _rv, managedFields, ...meta } = o.metadata;
  return {
    ...o,
    metadata: { ...meta, managedFields: (managedFields ?? []).map(({ time: _t, ...e }) => e) },
  };
}

/**
 * Whether `next` holds what a status write keeps of `old` (everything but the status, the
 * managedFields and the resourceVersion, which it takes from the request), with every key where `old`
 * has it: then it can stand for a copy of `old` carrying the new status.
 */
function sameButStatus(next: KubeObject, old: KubeObject): boolean {
  const keys = Object.keys(next);
  // The keys of a copy of `old` given the new status: where `old` has its status, or last.
  const oldKeys = Object.keys(old).filter((k) => k !== "status" || next.status !== undefined);
  if (old.status === undefined && next.status !== undefined) oldKeys.push("status");
  if (keys.length !== oldKeys.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k !== oldKeys[i]) return false;
    if (k === "status" || k === "apiVersion" || k === "kind") continue;
    if (k !== "metadata") {
      if (!sameJson(next[k], old[k])) return false;
      continue;
    }
    const meta = next.metadata;
    const oldMeta = old.metadata;
    const metaKeys = Object.keys(meta);
    const oldMetaKeys = Object.keys(oldMeta);
    if (metaKeys.length !== oldMetaKeys.length) return false;
    for (let j = 0; j < metaKeys.length; j++) {
      const mk = metaKeys[j]!;
      if (mk !== oldMetaKeys[j]) return false;
      if (mk !== "managedFields" && mk !== "resourceVersion" && !sameJson(meta[mk], oldMeta[mk]))
        return false;
    }
  }
  return true;
}

export class Operations {
  readonly snapshots = new ListSnapshots();

  constructor(
    readonly store: Store,
    readonly registry: ResourceRegistry,
  ) {}

  /** An object as seen through a served version (custom resources may serve several). */
  present(rt: ResourceType, obj: KubeObject): KubeObject {
    const gv = groupVersion(rt);
    if (obj.apiVersion === gv) return obj;
    return rt.conversion ? rt.conversion.fromStorage(obj) : { ...obj, apiVersion: gv };
  }

  /** An object in the shape and version it is stored in. */
  private toStorage(rt: ResourceType, obj: KubeObject): KubeObject {
    return rt.conversion ? rt.conversion.toStorage(obj) : { ...obj, apiVersion: rt.storageVersion };
  }

  private scope(rt: ResourceType, subresource: string | undefined): FieldScope {
    if (subresource === "status") return "status";
    return rt.subresources.status ? "main" : "all";
  }

  private nsOf(rt: ResourceType, namespace: string | undefined): string | undefined {
    return rt.namespaced ? namespace : undefined;
  }

  get(rt: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(rt.storageKey, this.nsOf(rt, namespace), name);
    if (!obj) throw notFound(gr(rt), name);
    return this.present(rt, obj);
  }

  tryGet(rt: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.store.get(rt.storageKey, this.nsOf(rt, namespace), name);
    return obj && this.present(rt, obj);
  }

  list(rt: ResourceType, namespace: string | undefined, opts: ListOptions): Page {
    if (opts.continue) {
      const page = this.snapshots.next(opts.continue, opts.limit);
      return { ...page, items: page.items.map((o) => this.present(rt, o)) };
    }
    const match = combine(labelMatcher(opts.labelSelector), fieldMatcher(opts.fieldSelector, rt.kind));
    const stored = this.store.list(rt.storageKey, this.nsOf(rt, namespace));
    // Selectors see the shape this version serves; only converted kinds need presenting first.
    const items = rt.conversion
      ? stored.map((o) => this.present(rt, o)).filter(match)
      : stored.filter(match).map((o) => this.present(rt, o));
    return this.snapshots.first(items, this.store.currentRv(), opts.limit);
  }

  private checkNamespace(rt: ResourceType, namespace: string | undefined, name: string): void {
    if (!rt.namespaced) return;
    if (!namespace)
      throw badRequest("the server could not find the requested resource: a namespace is required");
    const ns = this.store.get(NAMESPACE_KEY, undefined, namespace);
    if (!ns) throw notFound({ group: "", resource: "namespaces" }, namespace);
    if (ns.metadata.deletionTimestamp) {
      const err = forbidden(
        gr(rt),
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
      err.details!.causes = [
        {
          reason: "NamespaceTerminating",
          message: `namespace ${namespace} is being terminated`,
          field: "metadata.namespace",
        },
      ];
      throw err;
    }
  }

  private checkTypeMeta(rt: ResourceType, body: JsonObject): void {
    const gv = groupVersion(rt);
    if (body.apiVersion !== undefined && body.apiVersion !== gv) {
      throw badRequest(
        `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${gv})`,
      );
    }
    if (body.kind !== undefined && body.kind !== rt.kind) {
      throw badRequest(
        `the kind in the data (${String(body.kind)}) does not match the expected kind (${rt.kind})`,
      );
    }
  }

  /** The body as an object of this kind; copied unless `owned` (plain JSON parsed for this request alone). */
  private decodeBody(rt: ResourceType, body: unknown, owned = false): KubeObject {
    if (!isObject(body)) throw badRequest("the body of the request must be a JSON object");
    if (body.metadata !== undefined && !isObject(body.metadata))
      throw badRequest(
        `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: metadata must be an object`,
      );
    this.checkTypeMeta(rt, body);
    const obj = (owned ? body : copyForWrite(body)) as KubeObject;
    obj.apiVersion = groupVersion(rt);
    obj.kind = rt.kind;
    obj.metadata = isObject(obj.metadata) ? obj.metadata : {};
    const decodeError = rt.decodeError?.(obj);
    if (decodeError) throw badRequest(decodeError);
    return obj;
  }

  /**
   * Drops unknown fields (refused under fieldValidation=Strict, a warning each under Warn), then defaulting
   * and validation: 422 with every problem at once.
   */
  private admit(
    rt: ResourceType,
    obj: KubeObject,
    old: KubeObject | undefined,
    ctx: WriteContext,
    verb: WriteVerb,
  ): void {
    // Applied configurations are checked whole before they are merged (refuseUndeclaredFields), and a
    // stored object of a built-in kind holds no unknown field (every write drops them): only a custom
    // resource, whose schema may have changed since its object was stored, has some to drop here.
    const unknown = verb === "apply" && !rt.crdName ? [] : (rt.dropUnknownFields?.(obj) ?? []);
    // A patched object is decoded from a Go map, whose JSON has its keys in order.
    if (verb === "patch") unknown.sort(comparePaths);
    const duplicates = ctx.duplicateFields ?? [];
    delete ctx.duplicateFields;
    if ((unknown.length || duplicates.length) && ctx.fieldValidation !== "Ignore") {
      const fields = [
        ...unknown.map((p) => `unknown field "${decoderPath(p)}"`),
        ...duplicates.map((f) => `duplicate field "${f}"`),
      ];
      if (ctx.fieldValidation === "Strict") {
        const strict = `strict decoding error: ${fields.join(", ")}`;
        // Patches are decoded after patching; whole objects are decoded first, and say which kind failed.
        throw badRequest(
          verb === "patch"
            ? strict
            : `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: ${strict}`,
        );
      }
      ctx.warnings.push(...fields);
    }
    rt.prepare?.(obj, old);
    const errs: FieldError[] = [
      ...validateMetadata(obj, nameRuleFor(rt.kind)),
      ...(rt.validate?.(obj, old) ?? []),
    ];
    if (errs.length) throw invalid(rt.kind, rt.group, obj.metadata.name ?? "", errs);
  }

  create(rt: ResourceType, namespace: string | undefined, body: unknown, ctx: WriteContext): KubeObject {
    const obj = this.decodeBody(rt, body);
    return this.createObject(rt, namespace, obj, ctx, undefined, "create");
  }

  private createObject(
    rt: ResourceType,
    namespace: string | undefined,
    obj: KubeObject,
    ctx: WriteContext,
    presetManagedFields: KubeObject["metadata"]["managedFields"],
    verb: WriteVerb,
  ): KubeObject {
    const m = obj.metadata;
    if (rt.namespaced) {
      if (m.namespace && namespace && m.namespace !== namespace)
        throw badRequest(
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      m.namespace = namespace ?? m.namespace;
    } else delete m.namespace;
    if (!m.name && m.generateName) m.name = `${m.generateName}${randomSuffix()}`;
    if (m.resourceVersion) throw badRequest("resourceVersion should not be set on objects to be created");
    this.checkNamespace(rt, m.namespace, m.name ?? "");
    for (const k of [
      "uid",
      "creationTimestamp",
      "deletionTimestamp",
      "deletionGracePeriodSeconds",
      "generation",
      "selfLink",
    ])
      delete m[k];
    if (rt.subresources.status && rt.kind !== "Namespace") delete obj.status;
    this.admit(rt, obj, undefined, ctx, verb);
    if (this.store.get(rt.storageKey, m.namespace, m.name!)) throw alreadyExists(gr(rt), m.name!);
    // Kept when defaulting already had to know it (a Job's generated selector names its own uid).
    m.uid = typeof m.uid === "string" && m.uid ? m.uid : randomUUID();
    m.creationTimestamp = nowTimestamp();
    if (rt.tracksGeneration) m.generation = 1;
    m.managedFields =
      presetManagedFields ??
      trackUpdate(
        undefined,
        obj,
        rt.fieldType,
        "all",
        { manager: managerOf(ctx), apiVersion: groupVersion(rt) },
        undefined,
      );
    if (m.managedFields.length === 0) delete m.managedFields;
    const stored = this.toStorage(rt, obj);
    if (ctx.dryRun) return this.present(rt, stored);
    return this.present(rt, this.store.put(rt.storageKey, stored, undefined));
  }

  update(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    ctx: WriteContext,
    subresource?: string,
  ): KubeObject {
    const old = this.store.get(rt.storageKey, this.nsOf(rt, namespace), name);
    const obj = this.decodeBody(rt, body);
    if (obj.metadata.name !== undefined && obj.metadata.name !== name)
      throw badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
      );
    if (rt.namespaced && obj.metadata.namespace && obj.metadata.namespace !== namespace)
      throw badRequest(
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    if (!old) throw notFound(gr(rt), name);
    return this.writeUpdate(rt, old, obj, ctx, subresource, "update");
  }

  /**
   * The shared tail of update, patch and apply. `incoming` is the caller's private copy (decodeBody's or
   * apply's): it becomes the new object without another copy.
   */
  private writeUpdate(
    rt: ResourceType,
    old: KubeObject,
    incoming: KubeObject,
    ctx: WriteContext,
    subresource: string | undefined,
    verb: WriteVerb,
  ): KubeObject {
    const name = old.metadata.name!;
    const rv = incoming.metadata.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion) throw conflict(gr(rt), name, STALE_OBJECT);
    let next = incoming;
    next.apiVersion = groupVersion(rt);
    next.kind = rt.kind;
    if (subresource === "status") {
      if (sameButStatus(next, old)) {
        // The request's own copy already is the old object but for its status: no second copy.
        next.metadata.resourceVersion = old.metadata.resourceVersion;
      } else {
        const base = copyForWrite(old);
        base.apiVersion = next.apiVersion;
        if (next.status === undefined) delete base.status;
        else base.status = next.status;
        base.metadata.managedFields = next.metadata.managedFields;
        next = base;
      }
    } else if (rt.subresources.status) {
      if (old.status === undefined) delete next.status;
      else if (!sameJson(next.status, old.status)) next.status = deepClone(old.status);
    }
    const m = next.metadata;
    const om = old.metadata;
    for (const k of [
      "name",
      "namespace",
      "uid",
      "creationTimestamp",
      "deletionTimestamp",
      "deletionGracePeriodSeconds",
    ]) {
      if (om[k] === undefined) delete m[k];
      else m[k] = om[k];
    }
    if (om.deletionTimestamp) {
      const added = (m.finalizers ?? []).filter((f) => !(om.finalizers ?? []).includes(f));
      if (added.length)
        throw invalid(rt.kind, rt.group, name, [
          {
            type: "FieldValueForbidden",
            field: "metadata.finalizers",
            detail: `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(", ")}}`,
          },
        ]);
    }
    this.admit(rt, next, old, ctx, verb);
    if (rt.tracksGeneration) {
      const changed = !deepEqual(specPart(next), specPart({ ...old, apiVersion: next.apiVersion }));
      m.generation = (om.generation ?? 1) + (changed ? 1 : 0);
    }
    if (verb !== "apply") {
      const incomingMf = incoming.metadata.managedFields;
      const reset =
        Array.isArray(incomingMf) && incomingMf.every((e) => !isObject(e) || Object.keys(e).length === 0);
      const base = incomingMf === undefined ? om.managedFields : reset ? [] : incomingMf;
      const writer: { manager: string; apiVersion: string; subresource?: string } = {
        manager: managerOf(ctx),
        apiVersion: groupVersion(rt),
      };
      if (subresource) writer.subresource = subresource;
      const before = this.present(rt, old);
      m.managedFields = trackUpdate(before, next, rt.fieldType, this.scope(rt, subresource), writer, base);
    }
    if (m.managedFields?.length === 0) delete m.managedFields;
    const stored = this.toStorage(rt, next);
    stored.metadata.resourceVersion = om.resourceVersion;
    if (deepEqual(withoutVolatile(stored), withoutVolatile(old))) return this.present(rt, old);
    if (this.deletionComplete(rt, stored)) {
      if (ctx.dryRun) return this.present(rt, stored);
      return this.present(rt, this.store.remove(rt.storageKey, stored));
    }
    if (ctx.dryRun) return this.present(rt, stored);
    return this.present(rt, this.store.put(rt.storageKey, stored, old));
  }

  private deletionComplete(rt: ResourceType, obj: KubeObject): boolean {
    if (!obj.metadata.deletionTimestamp || (obj.metadata.finalizers ?? []).length > 0) return false;
    // A graceful deletion in progress (a pod its node is stopping) ends only with a DELETE of period 0.
    if (rt.deletionGracePeriod && (obj.metadata.deletionGracePeriodSeconds ?? 0) > 0) return false;
    if (rt.kind === "Namespace" && rt.group === "") {
      const spec = isObject(obj.spec) ? obj.spec : {};
      return !Array.isArray(spec.finalizers) || spec.finalizers.length === 0;
    }
    return true;
  }

  patch(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    rawBody: string,
    ctx: WriteContext,
    subresource?: string,
    force = false,
  ): KubeObject {
    const type = contentType.split(";")[0]!.trim().toLowerCase();
    const accepted = rt.strategicMerge
      ? [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.strategic, PATCH_TYPES.apply]
      : [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply];
    if (!accepted.includes(type as never)) throw unsupportedMediaType(type, accepted);
    if (type === PATCH_TYPES.apply) return this.apply(rt, namespace, name, rawBody, ctx, subresource, force);
    if (force)
      throw badRequest("force may only be specified with apply patches (application/apply-patch+yaml)");
    let patchDoc: unknown;
    try {
      patchDoc = JSON.parse(rawBody);
    } catch (e) {
      throw badRequest(`error decoding patch: ${(e as Error).message}`);
    }
    const old = this.store.get(rt.storageKey, this.nsOf(rt, namespace), name);
    if (!old) throw notFound(gr(rt), name);
    // The patch functions build new containers and never change `current` (JSON patch copies it first);
    // decodeBody copies the result.
    const current = this.present(rt, old) as JsonObject;
    let patched: unknown;
    try {
      if (type === PATCH_TYPES.json) patched = applyJsonPatch(current, patchDoc);
      else if (type === PATCH_TYPES.merge) {
        if (!isObject(patchDoc)) throw badRequest("a merge patch must be a JSON object");
        patched = applyMergePatch(current, patchDoc);
      } else {
        if (!isObject(patchDoc)) throw badRequest("a strategic merge patch must be a JSON object");
        patched = strategicMerge(current, patchDoc, rt.fieldType);
      }
    } catch (e) {
      if (e instanceof JsonPatchError || e instanceof StrategicMergeError)
        throw new ApiError(
          422,
          "Invalid",
          `the server rejected our request due to an error in our request: ${e.message}`,
        );
      throw e;
    }
    const obj = this.decodeBody(rt, patched);
    if (obj.metadata.name !== name)
      throw badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
      );
    return this.writeUpdate(rt, old, obj, ctx, subresource, "patch");
  }

  private apply(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    rawBody: string,
    ctx: WriteContext,
    subresource: string | undefined,
    force: boolean,
  ): KubeObject {
    if (!ctx.fieldManager)
      throw badRequest("PATCH with application/apply-patch+yaml requires the fieldManager query parameter");
    let doc: unknown;
    let plainJson: boolean;
    try {
      ({ value: doc, json: plainJson } = readYamlOrJson(rawBody, yaml.load));
    } catch (e) {
      throw badRequest(`error decoding YAML: ${(e as Error).message}`);
    }
    if (!isObject(doc) || !doc.apiVersion || !doc.kind)
      throw badRequest(
        `invalid object type: ${String(isObject(doc) ? doc.apiVersion : "")}, Kind=${String(isObject(doc) ? doc.kind : "")}`,
      );
    const applied = this.decodeBody(rt, doc, plainJson);
    if (applied.metadata.name !== undefined && applied.metadata.name !== name)
      throw badRequest(
        `the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`,
      );
    if (applied.metadata.managedFields !== undefined) throw badRequest("metadata.managedFields must be nil");
    applied.metadata.name = name;
    if (rt.namespaced) applied.metadata.namespace = namespace;
    this.refuseUndeclaredFields(rt, applied);
    const old = this.store.get(rt.storageKey, this.nsOf(rt, namespace), name);
    const live: KubeObject = old
      ? copyForWrite(this.present(rt, old))
      : {
          apiVersion: groupVersion(rt),
          kind: rt.kind,
          metadata: rt.namespaced ? { name, namespace } : { name },
        };
    if (!old && subresource) throw notFound(gr(rt), name);
    const req = {
      live,
      applied,
      type: rt.fieldType,
      manager: ctx.fieldManager,
      apiVersion: groupVersion(rt),
      force,
      scope: this.scope(rt, subresource),
    };
    const merged = serverSideApply(subresource ? { ...req, subresource } : req);
    if (!old) {
      const mf = merged.metadata.managedFields;
      delete merged.metadata.resourceVersion;
      return this.createObject(rt, namespace, merged, ctx, mf, "apply");
    }
    if (!applied.metadata.resourceVersion) merged.metadata.resourceVersion = old.metadata.resourceVersion;
    return this.writeUpdate(rt, old, merged, ctx, subresource, "apply");
  }

  /**
   * Server-side apply types the applied configuration against the kind's schema before anything else, so
   * a field the schema lacks fails the request whatever fieldValidation says (duplicate fields are all
   * fieldValidation governs there). Kubernetes 1.35 answers it with a 500 and no reason, as here.
   */
  private refuseUndeclaredFields(rt: ResourceType, applied: KubeObject): void {
    // Dropping from the applied object itself: with nothing to drop it stays as it was, and otherwise
    // the request fails.
    const unknown = rt.dropUnknownFields?.(applied) ?? [];
    if (unknown.length === 0) return;
    const m = applied.metadata;
    const where = `${m.namespace ?? ""}/${m.name}; ${rt.group}/${rt.version}, Kind=${rt.kind}`;
    const errors = unknown.map((p) => `${typedPath(applied, p, rt.fieldType)}: field not declared in schema`);
    const text = errors.length === 1 ? errors[0] : ["errors:", ...errors.map((e) => `  ${e}`)].join("\n");
    throw new ApiError(500, "", `failed to create typed patch object (${where}): ${text}`);
  }

  delete(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions,
    ctx: WriteContext,
  ): { object: KubeObject; deleted: boolean } {
    const old = this.store.get(rt.storageKey, this.nsOf(rt, namespace), name);
    if (!old) throw notFound(gr(rt), name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== old.metadata.uid)
      throw conflict(
        gr(rt),
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`,
      );
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion)
      throw conflict(
        gr(rt),
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
      );
    const graceful = this.gracefulDelete(rt, old, opts, ctx);
    if (graceful) return graceful;
    const next = deepClone(old);
    const finalizers = new Set(next.metadata.finalizers ?? []);
    const alreadyDeleting = Boolean(old.metadata.deletionTimestamp);
    if (opts.propagationPolicy === "Orphan") finalizers.add(ORPHAN_FINALIZER);
    if (opts.propagationPolicy === "Foreground") finalizers.add(FOREGROUND_FINALIZER);
    if (opts.propagationPolicy === "Background" && alreadyDeleting) {
      finalizers.delete(ORPHAN_FINALIZER);
      finalizers.delete(FOREGROUND_FINALIZER);
    }
    const isNamespace = rt.kind === "Namespace" && rt.group === "";
    if (finalizers.size > 0 || isNamespace) {
      if (finalizers.size > 0) next.metadata.finalizers = [...finalizers];
      else delete next.metadata.finalizers;
      if (!alreadyDeleting || rt.deletionGracePeriod) {
        // A graceful deletion ended early (period 0) keeps its timestamp but no longer waits.
        if (!alreadyDeleting) next.metadata.deletionTimestamp = nowTimestamp();
        next.metadata.deletionGracePeriodSeconds = 0;
      }
      if (isNamespace) next.status = { ...(isObject(next.status) ? next.status : {}), phase: "Terminating" };
      if (deepEqual(next, old)) return { object: this.present(rt, old), deleted: false };
      if (this.deletionComplete(rt, next)) {
        return {
          object: this.present(rt, ctx.dryRun ? next : this.store.remove(rt.storageKey, next)),
          deleted: true,
        };
      }
      if (ctx.dryRun) return { object: this.present(rt, next), deleted: false };
      return { object: this.present(rt, this.store.put(rt.storageKey, next, old)), deleted: false };
    }
    if (ctx.dryRun) return { object: this.present(rt, old), deleted: true };
    return { object: this.present(rt, this.store.remove(rt.storageKey, old)), deleted: true };
  }

  /**
   * Graceful deletion as the real registry does it for pods: the first DELETE with a grace period above 0
   * only sets deletionTimestamp (now + the period) and deletionGracePeriodSeconds and keeps the object for
   * its node to stop; a later DELETE may only shorten the period; a period of 0 falls through to the
   * immediate path (finalizers permitting). Returns undefined when the immediate path applies.
   */
  private gracefulDelete(
    rt: ResourceType,
    old: KubeObject,
    opts: DeleteOptions,
    ctx: WriteContext,
  ): { object: KubeObject; deleted: boolean } | undefined {
    if (!rt.deletionGracePeriod) return undefined;
    const period = rt.deletionGracePeriod(old, opts.gracePeriodSeconds);
    const m = old.metadata;
    const next = deepClone(old);
    if (m.deletionTimestamp) {
      const current = m.deletionGracePeriodSeconds;
      if (current === undefined || current === 0) return undefined;
      if (opts.gracePeriodSeconds === undefined || period >= current)
        return { object: this.present(rt, old), deleted: false };
      if (period === 0) return undefined;
      const start = Date.parse(m.deletionTimestamp) - current * 1000;
      next.metadata.deletionTimestamp = nowTimestamp(new Date(start + period * 1000));
      next.metadata.deletionGracePeriodSeconds = period;
    } else {
      if (period === 0) return undefined;
      next.metadata.deletionTimestamp = nowTimestamp(new Date(Date.now() + period * 1000));
      next.metadata.deletionGracePeriodSeconds = period;
      const finalizers = new Set(next.metadata.finalizers ?? []);
      if (opts.propagationPolicy === "Orphan") finalizers.add(ORPHAN_FINALIZER);
      if (opts.propagationPolicy === "Foreground") finalizers.add(FOREGROUND_FINALIZER);
      if (finalizers.size) next.metadata.finalizers = [...finalizers];
    }
    if (ctx.dryRun) return { object: this.present(rt, next), deleted: false };
    return { object: this.present(rt, this.store.put(rt.storageKey, next, old)), deleted: false };
  }

  deleteCollection(
    rt: ResourceType,
    namespace: string | undefined,
    listOpts: ListOptions,
    opts: DeleteOptions,
    ctx: WriteContext,
  ): KubeObject[] {
    const { items } = this.list(rt, namespace, { ...listOpts, limit: undefined, continue: undefined });
    const out: KubeObject[] = [];
    for (const o of items) {
      try {
        out.push(this.delete(rt, o.metadata.namespace, o.metadata.name!, opts, ctx).object);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    return out;
  }

  private scaleOf(rt: ResourceType, obj: KubeObject): KubeObject {
    const scale = rt.subresources.scale!;
    const specReplicas = jsonPathValue(obj, scale.specReplicasPath);
    const statusReplicas = jsonPathValue(obj, scale.statusReplicasPath);
    const status: JsonObject = { replicas: typeof statusReplicas === "number" ? statusReplicas : 0 };
    let selector: unknown;
    if (rt.kind === "Deployment" && rt.group === "apps") {
      const sel = isObject(obj.spec) ? obj.spec.selector : undefined;
      const ml = isObject(sel) && isObject(sel.matchLabels) ? sel.matchLabels : {};
      selector = Object.entries(ml)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
    } else if (scale.labelSelectorPath) selector = jsonPathValue(obj, scale.labelSelectorPath);
    if (typeof selector === "string" && selector) status.selector = selector;
    const m = obj.metadata;
    return {
      apiVersion: "autoscaling/v1",
      kind: "Scale",
      metadata: {
        name: m.name,
        namespace: m.namespace,
        uid: m.uid,
        resourceVersion: m.resourceVersion,
        creationTimestamp: m.creationTimestamp,
      },
      spec: { replicas: typeof specReplicas === "number" ? specReplicas : 0 },
      status,
    };
  }

  getScale(rt: ResourceType, namespace: string | undefined, name: string): KubeObject {
    if (!rt.subresources.scale) throw notFound(gr(rt), name);
    return this.scaleOf(rt, this.get(rt, namespace, name));
  }

  /** PUT or PATCH of /scale: the change is made to the object's replicas path. */
  writeScale(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    change: { body: unknown } | { contentType: string; rawBody: string },
    ctx: WriteContext,
  ): KubeObject {
    if (!rt.subresources.scale) throw notFound(gr(rt), name);
    const old = this.store.get(rt.storageKey, this.nsOf(rt, namespace), name);
    if (!old) throw notFound(gr(rt), name);
    const current = this.scaleOf(rt, this.present(rt, old));
    let scale: unknown;
    if ("body" in change) scale = change.body;
    else {
      const type = change.contentType.split(";")[0]!.trim();
      let doc: unknown;
      try {
        doc =
          type === PATCH_TYPES.apply
            ? parseYamlOrJson(change.rawBody, yaml.load)
            : JSON.parse(change.rawBody);
      } catch (e) {
        throw badRequest(`error decoding patch: ${(e as Error).message}`);
      }
      if (type === PATCH_TYPES.json) scale = applyJsonPatch(current, doc);
      else if (type === PATCH_TYPES.merge || type === PATCH_TYPES.apply)
        scale = applyMergePatch(current, doc);
      else if (type === PATCH_TYPES.strategic) scale = strategicMerge(current, doc, rt.fieldType);
      else throw unsupportedMediaType(type, Object.values(PATCH_TYPES));
    }
    if (!isObject(scale)) throw badRequest("the body of the request must be a Scale object");
    const meta = isObject(scale.metadata) ? scale.metadata : {};
    const replicas = isObject(scale.spec) ? scale.spec.replicas : undefined;
    if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0)
      throw invalid("Scale", "autoscaling", name, [
        {
          type: "FieldValueInvalid",
          field: "spec.replicas",
          value: replicas,
          detail: "must be greater than or equal to 0",
        },
      ]);
    const next = copyForWrite(this.present(rt, old));
    setAtPath(next as JsonObject, simplePath(rt.subresources.scale.specReplicasPath), replicas);
    next.metadata.resourceVersion =
      typeof meta.resourceVersion === "string" ? meta.resourceVersion : undefined;
    const result = this.writeUpdate(rt, old, next, ctx, "scale", "update");
    return this.scaleOf(rt, result);
  }
}
