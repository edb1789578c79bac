/**
 * CustomResourceDefinitions as a cluster handles them: validated on write, then established (status
 * conditions NamesAccepted/Established, acceptedNames, storedVersions) and their resources served in every
 * served version, with the schema's defaults, pruning, validation and CEL rules, printer columns and the
 * status and scale subresources. Deleting a CRD deletes its custom resources first (cleanup finalizer).
 */

import { WorkQueue } from "../controllers/work-queue.js";
import type { FieldError } from "../errors.js";
import type { ResourceRegistry } from "../storage/registry.js";
import type { PrinterColumn, ResourceType, ScaleSubresource } from "../storage/resource-type.js";
import type { Store, StoredEvent } from "../storage/store.js";
import { transitionTime } from "../time-format.js";
import { deepEqual, isObject, type JsonObject, type KubeObject } from "../types.js";
import { CustomResourceFieldType } from "../writes/field-types.js";
import { type Operations, systemContext } from "../writes/operations.js";
import { STANDARD_VERBS } from "./builtin-resources.js";
import { ruleCompileErrors, validateCel } from "./cel.js";
import { applyDefaults, dropUnknownFields, type Schema, validateAgainstSchema } from "./structural-schema.js";

export const CRD_GROUP = "apiextensions.k8s.io";
export const CRD_STORAGE_KEY = `${CRD_GROUP}/customresourcedefinitions`;
export const CRD_CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io";

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: Schema };
  subresources?: { status?: JsonObject; scale?: ScaleSubresource };
  additionalPrinterColumns?: PrinterColumn[];
}

interface CrdSpec {
  group: string;
  scope: "Namespaced" | "Cluster";
  names: {
    plural: string;
    singular?: string;
    kind: string;
    listKind?: string;
    shortNames?: string[];
    categories?: string[];
  };
  versions: CrdVersion[];
}

const AGE_COLUMN: PrinterColumn = {
  name: "Age",
  type: "date",
  jsonPath: ".metadata.creationTimestamp",
  description:
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.",
};

/** Kubernetes version priority: GA > beta > alpha, higher numbers first. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0, v] as const;
    const stage = m[2] === "alpha" ? 1 : m[2] === "beta" ? 2 : 3;
    return [1, stage, Number(m[1]), Number(m[3] ?? 0)] as const;
  };
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < 4; i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x !== y)
      return typeof x === "number" && typeof y === "number" ? y - x : String(x).localeCompare(String(y));
  }
  return 0;
}

function specOf(crd: KubeObject): CrdSpec {
  return crd.spec as unknown as CrdSpec;
}

/** The resource types a CRD serves, preferred version first. */
export function crdResourceTypes(crd: KubeObject): ResourceType[] {
  const spec = specOf(crd);
  const storage = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name ?? "v1";
  const versions = spec.versions.filter((v) => v.served).sort((a, b) => compareVersions(a.name, b.name));
  return versions.map((v) => {
    const schema = v.schema?.openAPIV3Schema ?? {
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    };
    const rt: ResourceType = {
      group: spec.group,
      version: v.name,
      kind: spec.names.kind,
      listKind: spec.names.listKind ?? `${spec.names.kind}List`,
      plural: spec.names.plural,
      singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
      namespaced: spec.scope !== "Cluster",
      shortNames: spec.names.shortNames ?? [],
      categories: spec.names.categories ?? [],
      verbs: STANDARD_VERBS,
      storageKey: `${spec.group}/${spec.names.plural}`,
      storageVersion: `${spec.group}/${storage}`,
      subresources: { status: v.subresources?.status !== undefined },
      tracksGeneration: true,
      fieldType: new CustomResourceFieldType(schema),
      strategicMerge: false,
      prepare: (obj) => {
        applyDefaults(obj, schema);
      },
      dropUnknownFields: (obj) => dropUnknownFields(obj, schema),
      validate: (obj, old) => {
        const errs = validateAgainstSchema(obj, schema);
        return errs.length ? errs : validateCel(obj, old, schema);
      },
      printerColumns: v.additionalPrinterColumns?.length ? v.additionalPrinterColumns : [AGE_COLUMN],
      crdName: crd.metadata.name!,
      schema,
    };
    if (v.subresources?.scale) rt.subresources.scale = v.subresources.scale;
    return rt;
  });
}

/** Validation of a CustomResourceDefinition object itself. */
export function validateCrd(crd: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = isObject(crd.spec) ? (crd.spec as unknown as Partial<CrdSpec>) : {};
  if (!spec.group) errs.push({ type: "FieldValueRequired", field: "spec.group", detail: "" });
  const names = isObject(spec.names) ? spec.names : undefined;
  if (!names?.plural) errs.push({ type: "FieldValueRequired", field: "spec.names.plural", detail: "" });
  if (!names?.kind) errs.push({ type: "FieldValueRequired", field: "spec.names.kind", detail: "" });
  if (spec.scope !== "Namespaced" && spec.scope !== "Cluster")
    errs.push({
      type: "FieldValueNotSupported",
      field: "spec.scope",
      value: spec.scope ?? "",
      detail: 'supported values: "Cluster", "Namespaced"',
    });
  if (names?.plural && spec.group && crd.metadata.name !== `${names.plural}.${spec.group}`)
    errs.push({
      type: "FieldValueInvalid",
      field: "metadata.name",
      value: crd.metadata.name,
      detail: 'must be spec.names.plural+"."+spec.group',
    });
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0)
    errs.push({
      type: "FieldValueInvalid",
      field: "spec.versions",
      value: [],
      detail: "must have exactly one version marked as storage version",
    });
  else if (versions.filter((v) => v.storage).length !== 1)
    errs.push({
      type: "FieldValueInvalid",
      field: "spec.versions",
      value: versions,
      detail: "must have exactly one version marked as storage version",
    });
  versions.forEach((v, i) => {
    const schema = v.schema?.openAPIV3Schema;
    if (!isObject(schema)) {
      errs.push({
        type: "FieldValueRequired",
        field: `spec.versions[${i}].schema.openAPIV3Schema`,
        detail: "schemas are required",
      });
      return;
    }
    if (schema.type !== "object")
      errs.push({
        type: "FieldValueInvalid",
        field: `spec.versions[${i}].schema.openAPIV3Schema.type`,
        value: schema.type ?? "",
        detail: "must be object at the root",
      });
    errs.push(...ruleCompileErrors(schema, `spec.versions[${i}].schema.openAPIV3Schema`));
  });
  return errs;
}

export function prepareCrd(crd: KubeObject, old: KubeObject | undefined): void {
  if (!old && !crd.metadata.deletionTimestamp) {
    const f = crd.metadata.finalizers ?? [];
    if (!f.includes(CRD_CLEANUP_FINALIZER)) crd.metadata.finalizers = [...f, CRD_CLEANUP_FINALIZER];
  }
  if (isObject(crd.spec) && crd.spec.conversion === undefined) crd.spec.conversion = { strategy: "None" };
}

function condition(
  type: string,
  status: string,
  reason: string,
  message: string,
  previous: JsonObject[],
): JsonObject {
  return {
    type,
    status,
    lastTransitionTime: transitionTime(previous, type, status),
    reason,
    message,
  } as JsonObject;
}

export class CrdController {
  private readonly queue: WorkQueue;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    private readonly registry: ResourceRegistry,
    private readonly ops: Operations,
  ) {
    this.queue = new WorkQueue((name) => this.reconcile(name));
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  private onEvent(e: StoredEvent): void {
    if (e.storageKey !== CRD_STORAGE_KEY) return;
    const name = e.object.metadata.name!;
    this.registry.removeCrd(name);
    if (e.type !== "DELETED") {
      try {
        for (const rt of crdResourceTypes(e.object)) this.registry.add(rt);
      } catch {
        // A CRD that passed validation always converts; anything else is left unserved.
      }
      this.queue.add(name);
    }
  }

  private crdType(): ResourceType {
    return this.registry.find(CRD_GROUP, "v1", "customresourcedefinitions")!;
  }

  private reconcile(name: string): void {
    const crd = this.store.get(CRD_STORAGE_KEY, undefined, name);
    if (!crd) return;
    const ctx = systemContext("system:kube-controller-manager", "kube-apiserver");
    const spec = specOf(crd);
    const prevConditions = (
      isObject(crd.status) && Array.isArray(crd.status.conditions) ? crd.status.conditions : []
    ) as JsonObject[];
    if (crd.metadata.deletionTimestamp) {
      const storageKey = `${spec.group}/${spec.names.plural}`;
      const remaining = this.store.list(storageKey);
      const rt = this.registry.byStorageKey(storageKey);
      for (const obj of remaining) {
        if (!rt || obj.metadata.deletionTimestamp) continue;
        this.ops.delete(rt, obj.metadata.namespace, obj.metadata.name!, {}, ctx);
      }
      if (this.store.count(storageKey) > 0) {
        this.queue.add(name, 50);
        return;
      }
      if ((crd.metadata.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) {
        const next = structuredClone(crd);
        next.metadata.finalizers = (next.metadata.finalizers ?? []).filter(
          (f) => f !== CRD_CLEANUP_FINALIZER,
        );
        this.ops.update(this.crdType(), undefined, name, next, ctx);
      }
      return;
    }
    const storage = spec.versions.find((v) => v.storage)?.name;
    const status: JsonObject = {
      conditions: [
        condition("NamesAccepted", "True", "NoConflicts", "no conflicts found", prevConditions),
        condition(
          "Established",
          "True",
          "InitialNamesAccepted",
          "the initial names have been accepted",
          prevConditions,
        ),
      ],
      acceptedNames: {
        plural: spec.names.plural,
        singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
        kind: spec.names.kind,
        listKind: spec.names.listKind ?? `${spec.names.kind}List`,
        ...(spec.names.shortNames ? { shortNames: spec.names.shortNames } : {}),
        ...(spec.names.categories ? { categories: spec.names.categories } : {}),
      },
      storedVersions: [
        ...new Set([
          ...((isObject(crd.status) && Array.isArray(crd.status.storedVersions)
            ? crd.status.storedVersions
            : []) as string[]),
          ...(storage ? [storage] : []),
        ]),
      ],
    };
    if (deepEqual(status, crd.status)) return;
    this.ops.update(this.crdType(), undefined, name, { ...crd, status }, ctx, "status");
  }

  stop(): void {
    this.queue.stop();
    this.unsubscribe();
  }
}
