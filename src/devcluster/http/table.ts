/**
 * Server-side printing: the `Table` answer kubectl asks for with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. Custom resources get their CRD's printer columns.
 */

import { jsonPathValue } from "../schemas/jsonpath.js";
import type { ClusterView, PrinterColumn, ResourceType } from "../storage/resource-type.js";
import { age } from "../time-format.js";
import type { JsonObject, KubeObject } from "../types.js";
import { defaultTable } from "./builtin-tables.js";

export type IncludeObject = "None" | "Metadata" | "Object";

const NAME_COLUMN: PrinterColumn = {
  name: "Name",
  type: "string",
  format: "name",
  description: "Name must be unique within a namespace.",
  priority: 0,
  jsonPath: ".metadata.name",
};

function columnsOf(rt: ResourceType): PrinterColumn[] {
  if (rt.printerColumns) return [NAME_COLUMN, ...rt.printerColumns];
  return (rt.table ?? defaultTable).columns;
}

function customCell(obj: KubeObject, column: PrinterColumn): unknown {
  let v: unknown;
  try {
    v = jsonPathValue(obj, column.jsonPath);
  } catch {
    return null;
  }
  if (v === undefined || v === null) return null;
  if (column.type === "date") return age(v);
  if (typeof v === "object") return JSON.stringify(v);
  return v;
}

function cellsOf(rt: ResourceType, obj: KubeObject, cluster: ClusterView): unknown[] {
  if (rt.printerColumns) return [obj.metadata.name, ...rt.printerColumns.map((c) => customCell(obj, c))];
  // Printers read the stored shape (an events.k8s.io Event prints as the core Event it is).
  const stored = rt.conversion ? rt.conversion.toStorage(obj) : obj;
  return (rt.table ?? defaultTable).cells(stored, cluster);
}

function rowObject(obj: KubeObject, include: IncludeObject): JsonObject | undefined {
  if (include === "None") return undefined;
  if (include === "Object") return obj;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata };
}

export function toTable(
  rt: ResourceType,
  objects: KubeObject[],
  listMeta: JsonObject,
  include: IncludeObject,
  cluster: ClusterView,
  withColumns = true,
): JsonObject {
  const columns = columnsOf(rt).map(({ jsonPath: _omit, ...c }) => ({
    ...c,
    format: c.format ?? "",
    description: c.description ?? "",
    priority: c.priority ?? 0,
  }));
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: listMeta,
    columnDefinitions: withColumns ? columns : null,
    rows: objects.map((o) => {
      const row: JsonObject = { cells: cellsOf(rt, o, cluster) };
      const object = rowObject(o, include);
      if (object) row.object = object;
      return row;
    }),
  };
}
