/** The default `kubectl get` columns of the built-in kinds, computed server-side as the real server does. */
import type { PrinterColumn } from "../storage/resource-type.js";
import { age } from "../time-format.js";
import { isObject, type JsonObject, type KubeObject } from "../types.js";
import { eventTable } from "./event-table.js";
import { nodeTable, podTable } from "./pod-table.js";
import { col } from "./table-column.js";

type Table = { columns: PrinterColumn[]; cells: (obj: KubeObject) => unknown[] };

const NAME = col("Name", "Name must be unique within a namespace.");
const AGE = col(
  "Age",
  "CreationTimestamp is a timestamp representing the server time when this object was created.",
);

const spec = (o: KubeObject): JsonObject => (isObject(o.spec) ? o.spec : {});
const status = (o: KubeObject): JsonObject => (isObject(o.status) ? o.status : {});
const n = (v: unknown): number => (typeof v === "number" ? v : 0);
const created = (o: KubeObject) => age(o.metadata.creationTimestamp);
const count = (v: unknown) => (isObject(v) ? Object.keys(v).length : 0);

function servicePorts(o: KubeObject): string {
  const ports = Array.isArray(spec(o).ports) ? (spec(o).ports as JsonObject[]) : [];
  if (ports.length === 0) return "<none>";
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol ?? "TCP"}`).join(",");
}

function selectorString(sel: unknown): string {
  if (!isObject(sel)) return "<none>";
  const parts = Object.entries(sel).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(",") : "<none>";
}

export const builtinTables: Record<string, Table> = {
  Namespace: {
    columns: [NAME, col("Status", "The status of the namespace"), AGE],
    cells: (o) => [o.metadata.name, status(o).phase ?? "", created(o)],
  },
  ConfigMap: {
    columns: [NAME, col("Data", "", "string"), AGE],
    cells: (o) => [o.metadata.name, count(o.data) + count(o.binaryData), created(o)],
  },
  Secret: {
    columns: [NAME, col("Type"), col("Data", "", "string"), AGE],
    cells: (o) => [o.metadata.name, o.type ?? "Opaque", count(o.data), created(o)],
  },
  Service: {
    columns: [
      NAME,
      col("Type"),
      col("Cluster-IP"),
      col("External-IP"),
      col("Port(s)"),
      AGE,
      col("Selector", "", "string", 1),
    ],
    cells: (o) => [
      o.metadata.name,
      spec(o).type ?? "ClusterIP",
      spec(o).clusterIP ?? "<none>",
      "<none>",
      servicePorts(o),
      created(o),
      selectorString(spec(o).selector),
    ],
  },
  Pod: podTable,
  Node: nodeTable,
  Event: eventTable,
  Deployment: {
    columns: [NAME, col("Ready"), col("Up-to-date", "", "integer"), col("Available", "", "integer"), AGE],
    cells: (o) => [
      o.metadata.name,
      `${n(status(o).readyReplicas)}/${n(spec(o).replicas)}`,
      n(status(o).updatedReplicas),
      n(status(o).availableReplicas),
      created(o),
    ],
  },
  HorizontalPodAutoscaler: {
    columns: [
      NAME,
      col("Reference"),
      col("Targets"),
      col("MinPods", "", "string"),
      col("MaxPods", "", "integer"),
      col("Replicas", "", "integer"),
      AGE,
    ],
    cells: (o) => {
      const ref = isObject(spec(o).scaleTargetRef) ? (spec(o).scaleTargetRef as JsonObject) : {};
      return [
        o.metadata.name,
        `${ref.kind}/${ref.name}`,
        "<unknown>",
        spec(o).minReplicas ?? 1,
        n(spec(o).maxReplicas),
        n(status(o).currentReplicas),
        created(o),
      ];
    },
  },
  PodDisruptionBudget: {
    columns: [
      NAME,
      col("Min Available"),
      col("Max Unavailable"),
      col("Allowed Disruptions", "", "integer"),
      AGE,
    ],
    cells: (o) => [
      o.metadata.name,
      spec(o).minAvailable ?? "N/A",
      spec(o).maxUnavailable ?? "N/A",
      n(status(o).disruptionsAllowed),
      created(o),
    ],
  },
  Ingress: {
    columns: [NAME, col("Class"), col("Hosts"), col("Address"), col("Ports"), AGE],
    cells: (o) => {
      const rules = Array.isArray(spec(o).rules) ? (spec(o).rules as JsonObject[]) : [];
      const hosts = rules.map((r) => r.host ?? "*").join(",") || "*";
      return [
        o.metadata.name,
        spec(o).ingressClassName ?? "<none>",
        hosts,
        "",
        spec(o).tls ? "80, 443" : "80",
        created(o),
      ];
    },
  },
  Lease: {
    columns: [NAME, col("Holder"), AGE],
    cells: (o) => [o.metadata.name, spec(o).holderIdentity ?? "", created(o)],
  },
  CustomResourceDefinition: {
    columns: [NAME, col("Created At", "", "date")],
    cells: (o) => [o.metadata.name, o.metadata.creationTimestamp],
  },
};

export const defaultTable: Table = { columns: [NAME, AGE], cells: (o) => [o.metadata.name, created(o)] };
