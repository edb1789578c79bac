/** The default `kubectl get` columns of the built-in kinds, computed server-side as the real server does. */
import type { ClusterView, PrinterColumn } from "../storage/resource-type.js";
import { age } from "../time-format.js";
import { isObject, type JsonObject, type KubeObject } from "../types.js";
import { allowedDisruptions } from "./disruption-budget.js";

type Table = { columns: PrinterColumn[]; cells: (obj: KubeObject, cluster: ClusterView) => unknown[] };

const col = (name: string, description = "", type = "string", priority = 0): PrinterColumn => ({
  name,
  type,
  format: name === "Name" ? "name" : "",
  description,
  priority,
  jsonPath: "",
});

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

/** EXTERNAL-IP as the real printer derives it from the service's type. */
function externalIp(o: KubeObject): string {
  const s = spec(o);
  const external = Array.isArray(s.externalIPs) ? s.externalIPs.map(String) : [];
  switch (s.type ?? "ClusterIP") {
    case "ExternalName":
      return String(s.externalName ?? "");
    case "LoadBalancer": {
      const lb = isObject(status(o).loadBalancer) ? (status(o).loadBalancer as JsonObject) : {};
      const ingress = (Array.isArray(lb.ingress) ? lb.ingress : []).filter(isObject);
      const ips = ingress.map((i) => String(i.ip ?? i.hostname ?? "")).filter(Boolean);
      const all = [...ips, ...external];
      return all.length ? all.join(",") : "<pending>";
    }
    default:
      return external.length ? external.join(",") : "<none>";
  }
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
      spec(o).clusterIP || "<none>",
      externalIp(o),
      servicePorts(o),
      created(o),
      selectorString(spec(o).selector),
    ],
  },
  Pod: {
    columns: [NAME, col("Ready"), col("Status"), col("Restarts", "", "string"), AGE],
    cells: (o) => {
      const cs = Array.isArray(status(o).containerStatuses)
        ? (status(o).containerStatuses as JsonObject[])
        : [];
      const total = Array.isArray(spec(o).containers) ? (spec(o).containers as unknown[]).length : 0;
      const ready = cs.filter((c) => c.ready === true).length;
      return [o.metadata.name, `${ready}/${total}`, status(o).phase ?? "Pending", "0", created(o)];
    },
  },
  Deployment: {
    columns: [
      NAME,
      col("Ready"),
      col("Up-to-date", "", "integer"),
      col("Available", "", "integer"),
      AGE,
      col("Containers", "Names of each container in the template.", "string", 1),
      col("Images", "Images referenced by each container in the template.", "string", 1),
      col("Selector", "Label selector for pods.", "string", 1),
    ],
    cells: (o) => [
      o.metadata.name,
      `${n(status(o).readyReplicas)}/${n(spec(o).replicas)}`,
      n(status(o).updatedReplicas),
      n(status(o).availableReplicas),
      created(o),
      ...templateContainers(o),
      formatLabelSelector(spec(o).selector),
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
    cells: (o, cluster) => [
      o.metadata.name,
      spec(o).minAvailable ?? "N/A",
      spec(o).maxUnavailable ?? "N/A",
      allowedDisruptions(o, cluster),
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

/** `app=web,tier in (a,b)`, as metav1.FormatLabelSelector prints a selector (sorted by key). */
function formatLabelSelector(sel: unknown): string {
  if (!isObject(sel)) return "<none>";
  const parts: [string, string][] = [];
  for (const [k, v] of Object.entries(isObject(sel.matchLabels) ? sel.matchLabels : {}))
    parts.push([k, `${k}=${v}`]);
  for (const e of Array.isArray(sel.matchExpressions) ? sel.matchExpressions : []) {
    if (!isObject(e)) continue;
    const key = String(e.key);
    const values = (Array.isArray(e.values) ? e.values : []).map(String).sort().join(",");
    if (e.operator === "In") parts.push([key, `${key} in (${values})`]);
    else if (e.operator === "NotIn") parts.push([key, `${key} notin (${values})`]);
    else if (e.operator === "Exists") parts.push([key, key]);
    else if (e.operator === "DoesNotExist") parts.push([key, `!${key}`]);
  }
  if (parts.length === 0) return "<none>";
  return parts
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, text]) => text)
    .join(",");
}

/** The CONTAINERS and IMAGES cells of a workload's pod template. */
function templateContainers(o: KubeObject): [string, string] {
  const template = isObject(spec(o).template) ? (spec(o).template as JsonObject) : {};
  const podSpec = isObject(template.spec) ? template.spec : {};
  const containers = (Array.isArray(podSpec.containers) ? podSpec.containers : []).filter(isObject);
  return [containers.map((c) => c.name).join(","), containers.map((c) => c.image).join(",")];
}

const ACCESS_MODES: Record<string, string> = {
  ReadWriteOnce: "RWO",
  ReadOnlyMany: "ROX",
  ReadWriteMany: "RWX",
  ReadWriteOncePod: "RWOP",
};

/** An event's LAST SEEN, FIRST SEEN and COUNT as kubectl's event printer derives them. */
function eventTimes(o: KubeObject): { first: string; last: string; count: number } {
  const first = o.firstTimestamp ? age(o.firstTimestamp) : age(o.eventTime);
  let last = o.lastTimestamp ? age(o.lastTimestamp) : first;
  let count = n(o.count);
  if (isObject(o.series)) {
    last = age(o.series.lastObservedTime);
    count = n(o.series.count);
  } else if (count === 0) count = 1;
  return { first, last, count };
}

/** New kinds' tables (the columns of the real server's printers). */
Object.assign(builtinTables, {
  Event: {
    columns: [
      col("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
      col("Type", "Type of this event (Normal, Warning), new types could be added in the future."),
      col(
        "Reason",
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      ),
      col("Object", "The object that this event is about."),
      col("Subobject", "The object that this event is about.", "string", 1),
      col("Source", "The component reporting this event.", "string", 1),
      col("Message", "A human-readable description of the status of this operation."),
      col("First Seen", "The time at which the event was first recorded.", "string", 1),
      col("Count", "The number of times this event has occurred.", "string", 1),
      { ...NAME, priority: 1 },
    ],
    cells: (o) => {
      const involved = isObject(o.involvedObject) ? o.involvedObject : {};
      const kind = String(involved.kind ?? "").toLowerCase();
      const target = involved.name ? `${kind}/${involved.name}` : kind;
      const source = isObject(o.source) ? o.source : {};
      const component = source.component ?? o.reportingComponent ?? "";
      const host = source.host ?? o.reportingInstance ?? "";
      const { first, last, count } = eventTimes(o);
      return [
        last,
        o.type ?? "",
        o.reason ?? "",
        target,
        involved.fieldPath ?? "",
        host ? `${component}, ${host}` : component,
        String(o.message ?? "").trim(),
        first,
        count,
        o.metadata.name,
      ];
    },
  },
  PersistentVolumeClaim: {
    columns: [
      NAME,
      col("Status", "Phase represents the current phase of PersistentVolumeClaim."),
      col("Volume", "volumeName is the binding reference to the PersistentVolume backing this claim."),
      col("Capacity", "capacity represents the actual resources of the underlying volume."),
      col("Access Modes", "accessModes contains the actual access modes the volume backing the PVC has."),
      col("StorageClass", "StorageClass of the pvc"),
      col("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
      AGE,
      col("VolumeMode", "volumeMode defines what type of volume is required by the claim.", "string", 1),
    ],
    cells: (o) => {
      const s = spec(o);
      const st = status(o);
      // Capacity and access modes are the bound volume's, shown once a volume is bound.
      const bound = Boolean(s.volumeName);
      const modes = [...new Set(Array.isArray(st.accessModes) ? st.accessModes.map(String) : [])];
      const annotated = o.metadata.annotations?.["volume.beta.kubernetes.io/storage-class"];
      return [
        o.metadata.name,
        o.metadata.deletionTimestamp ? "Terminating" : (st.phase ?? ""),
        s.volumeName ?? "",
        bound && isObject(st.capacity) ? (st.capacity.storage ?? "") : "",
        bound
          ? Object.keys(ACCESS_MODES)
              .filter((m) => modes.includes(m))
              .map((m) => ACCESS_MODES[m])
              .join(",")
          : "",
        annotated ?? s.storageClassName ?? "",
        s.volumeAttributesClassName || "<unset>",
        created(o),
        s.volumeMode ?? "<unset>",
      ];
    },
  },
} satisfies Record<string, Table>);

export const defaultTable: Table = { columns: [NAME, AGE], cells: (o) => [o.metadata.name, created(o)] };
