/** What the server knows about one served resource (one group/version/plural). */

import type { FieldError } from "../errors.js";
import type { FieldPath } from "../schemas/field-paths.js";
import type { JsonObject, KubeObject } from "../types.js";
import type { FieldType } from "../writes/field-types.js";

export interface ScaleSubresource {
  /** JSON paths as in a CRD: `.spec.replicas`. */
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** What a table's cells may read from the cluster besides the object (a budget's pods). */
export interface ClusterView {
  list(storageKey: string, namespace?: string): KubeObject[];
}

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Objects of every served version share one storage bucket. */
  storageKey: string;
  /** The apiVersion objects are stored with (the CRD's storage version). */
  storageVersion: string;
  subresources: { status: boolean; scale?: ScaleSubresource };
  /** metadata.generation is kept (bumped on spec changes). */
  tracksGeneration: boolean;
  fieldType: FieldType;
  /** Strategic merge patch is accepted (built-in kinds only, as in the real server). */
  strategicMerge: boolean;
  /** A value the real server could not even decode (answered 400 before validation), e.g. a bad MicroTime. */
  decodeError?: (obj: KubeObject) => string | undefined;
  /** Built-in: default and validate; custom resources: structural schema, pruning and CEL. */
  prepare?: (obj: KubeObject, old: KubeObject | undefined) => void;
  validate?: (obj: KubeObject, old: KubeObject | undefined) => FieldError[];
  /**
   * Drops the fields the kind's schema does not declare and returns their paths (reported or refused
   * according to fieldValidation): the upstream definitions for built-in kinds, the structural schema for
   * custom resources.
   */
  dropUnknownFields?: (obj: KubeObject) => FieldPath[];
  /**
   * Graceful deletion (pods): the grace period in seconds a DELETE gives the object, from the request's
   * gracePeriodSeconds and the object itself; 0 deletes at once. Kinds without it are deleted at once.
   */
  deletionGracePeriod?: (obj: KubeObject, requested: number | undefined) => number;
  printerColumns?: PrinterColumn[];
  /** Columns computed in code for built-in kinds (kubectl's default table output). */
  table?: { columns: PrinterColumn[]; cells: (obj: KubeObject, cluster: ClusterView) => unknown[] };
  /** Objects stored in another shape (events.k8s.io Events in the core Events' storage). */
  conversion?: { toStorage: (obj: KubeObject) => KubeObject; fromStorage: (obj: KubeObject) => KubeObject };
  /** The CRD that serves this resource, if any. */
  crdName?: string;
  /** openAPIV3Schema of a custom resource version, for the OpenAPI documents. */
  schema?: JsonObject;
}

export function groupVersion(rt: { group: string; version: string }): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}
