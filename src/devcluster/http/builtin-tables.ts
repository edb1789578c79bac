/** The default `kubectl get` columns of the built-in kinds, computed server-side as the real server does. */
import type { ClusterView, PrinterColumn } from "../storage/resource-type.js";
import { age, humanDuration } from "../time-format.js";
import { isObject, type JsonObject, type KubeObject } from "../types.js";
import { allowedDisruptions } from "./disruption-budget.js";
import { nodeTable, podTable } from "./pod-table.js";
import { col } from "./table-column.js";

type Table = { columns: PrinterColumn[]; cells: (obj: KubeObject, cluster: ClusterView) => unknown[] };

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
  Pod: podTable,
  Node: nodeTable,
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
      ...workloadWideCells(spec(o)),
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

const CONTAINERS = col("Containers", "Names of each container in the template.", "string", 1);
const IMAGES = col("Images", "Images referenced by each container in the template.", "string", 1);
const SELECTOR = col("Selector", "A label query over pods that should match the replica count.", "string", 1);

function podTemplateSpec(template: unknown): JsonObject {
  return isObject(template) && isObject(template.spec) ? template.spec : {};
}

/** layoutContainerCells: container names and images, comma-separated. */
function containerCells(podSpec: JsonObject): [string, string] {
  const containers = Array.isArray(podSpec.containers) ? (podSpec.containers as JsonObject[]) : [];
  return [containers.map((c) => String(c.name)).join(","), containers.map((c) => String(c.image)).join(",")];
}

/** metav1.FormatLabelSelector: requirements sorted by key, "<none>" for an empty selector. */
export function formatLabelSelector(selector: unknown): string {
  if (!isObject(selector)) return "<none>";
  const reqs: [string, string][] = [];
  if (isObject(selector.matchLabels))
    for (const [k, v] of Object.entries(selector.matchLabels)) reqs.push([k, `${k}=${v}`]);
  for (const e of Array.isArray(selector.matchExpressions)
    ? (selector.matchExpressions as JsonObject[])
    : []) {
    const key = String(e.key);
    const values = (Array.isArray(e.values) ? (e.values as string[]) : []).slice().sort().join(",");
    if (e.operator === "In") reqs.push([key, `${key} in (${values})`]);
    else if (e.operator === "NotIn") reqs.push([key, `${key} notin (${values})`]);
    else if (e.operator === "Exists") reqs.push([key, key]);
    else if (e.operator === "DoesNotExist") reqs.push([key, `!${key}`]);
  }
  if (reqs.length === 0) return "<none>";
  return reqs
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, r]) => r)
    .join(",");
}

/** The -o wide cells of a workload: its template's containers and images, and its selector. */
function workloadWideCells(workloadSpec: JsonObject): [string, string, string] {
  return [
    ...containerCells(podTemplateSpec(workloadSpec.template)),
    formatLabelSelector(workloadSpec.selector),
  ];
}

const printBool = (v: unknown) => (v === undefined ? "<unset>" : v === true ? "True" : "False");

function conditionTrue(o: KubeObject, type: string): boolean {
  const conditions = Array.isArray(status(o).conditions) ? (status(o).conditions as JsonObject[]) : [];
  return conditions.some((c) => c.type === type && c.status === "True");
}

function jobStatus(o: KubeObject): string {
  if (conditionTrue(o, "Complete")) return "Complete";
  if (conditionTrue(o, "Failed")) return "Failed";
  if (o.metadata.deletionTimestamp) return "Terminating";
  if (conditionTrue(o, "Suspended")) return "Suspended";
  if (conditionTrue(o, "FailureTarget")) return "FailureTarget";
  if (conditionTrue(o, "SuccessCriteriaMet")) return "SuccessCriteriaMet";
  return "Running";
}

function jobCompletions(o: KubeObject): string {
  const succeeded = n(status(o).succeeded);
  if (typeof spec(o).completions === "number") return `${succeeded}/${spec(o).completions}`;
  const parallelism = n(spec(o).parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(o: KubeObject): string {
  const start = status(o).startTime;
  if (typeof start !== "string") return "";
  const end = status(o).completionTime;
  return humanDuration((typeof end === "string" ? Date.parse(end) : Date.now()) - Date.parse(start));
}

/** The first three of a list, then "+ N more...", as kubectl prints EndpointSlices. */
function listWithMore(items: string[]): string {
  if (items.length === 0) return "<unset>";
  const shown = items.slice(0, 3).join(",");
  return items.length > 3 ? `${shown} + ${items.length - 3} more...` : shown;
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

Object.assign(builtinTables, {
  ReplicaSet: {
    columns: [
      NAME,
      col("Desired", "Replicas is the number of desired pods.", "integer"),
      col("Current", "Replicas is the most recently observed number of non-terminating pods.", "integer"),
      col(
        "Ready",
        "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.",
        "integer",
      ),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    cells: (o: KubeObject) => [
      o.metadata.name,
      n(spec(o).replicas),
      n(status(o).replicas),
      n(status(o).readyReplicas),
      created(o),
      ...workloadWideCells(spec(o)),
    ],
  },
  Job: {
    columns: [
      NAME,
      col("Status", "Status of the job."),
      col("Completions", "The number of pods which reached phase Succeeded."),
      col("Duration", "Time required to complete the job."),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    cells: (o: KubeObject) => [
      o.metadata.name,
      jobStatus(o),
      jobCompletions(o),
      jobDuration(o),
      created(o),
      ...workloadWideCells(spec(o)),
    ],
  },
  CronJob: {
    columns: [
      NAME,
      col("Schedule", "The schedule in Cron format."),
      col("Timezone", "The time zone name for the given schedule."),
      col("Suspend", "This flag tells the controller to suspend subsequent executions.", "boolean"),
      col("Active", "A list of pointers to currently running jobs.", "integer"),
      col("Last Schedule", "Information when was the last time the job was successfully scheduled."),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    cells: (o: KubeObject) => {
      const jobTemplate = isObject(spec(o).jobTemplate) ? (spec(o).jobTemplate as JsonObject) : {};
      const jobSpec = isObject(jobTemplate.spec) ? jobTemplate.spec : {};
      const last = status(o).lastScheduleTime;
      return [
        o.metadata.name,
        spec(o).schedule ?? "",
        spec(o).timeZone ?? "<none>",
        printBool(spec(o).suspend),
        Array.isArray(status(o).active) ? (status(o).active as unknown[]).length : 0,
        typeof last === "string" ? age(last) : "<none>",
        created(o),
        ...workloadWideCells(jobSpec),
      ];
    },
  },
  EndpointSlice: {
    columns: [NAME, col("AddressType"), col("Ports"), col("Endpoints"), AGE],
    cells: (o: KubeObject) => {
      const ports = Array.isArray(o.ports) ? (o.ports as JsonObject[]) : [];
      const endpoints = Array.isArray(o.endpoints) ? (o.endpoints as JsonObject[]) : [];
      const addresses = endpoints.flatMap((e) =>
        Array.isArray(e.addresses) ? (e.addresses as string[]) : [],
      );
      return [
        o.metadata.name,
        o.addressType ?? "",
        listWithMore(ports.map((p) => String(p.port ?? p.name ?? "*"))),
        listWithMore(addresses),
        created(o),
      ];
    },
  },
  PersistentVolume: {
    columns: [
      NAME,
      col("Capacity"),
      col("Access Modes"),
      col("Reclaim Policy"),
      col("Status"),
      col("Claim"),
      col("StorageClass"),
      col("VolumeAttributesClass"),
      col("Reason"),
      AGE,
      col("VolumeMode", "", "string", 1),
    ],
    cells: (o: KubeObject) => {
      const claimRef = isObject(spec(o).claimRef) ? (spec(o).claimRef as JsonObject) : undefined;
      const capacity = isObject(spec(o).capacity) ? (spec(o).capacity as JsonObject) : {};
      const modes = Array.isArray(spec(o).accessModes) ? (spec(o).accessModes as string[]) : [];
      return [
        o.metadata.name,
        String(capacity.storage ?? ""),
        modes.map((m) => ACCESS_MODES[m] ?? m).join(","),
        String(spec(o).persistentVolumeReclaimPolicy ?? ""),
        String(status(o).phase ?? ""),
        claimRef ? `${claimRef.namespace}/${claimRef.name}` : "",
        String(spec(o).storageClassName ?? ""),
        String(spec(o).volumeAttributesClassName ?? "") || "<unset>",
        String(status(o).reason ?? ""),
        created(o),
        String(spec(o).volumeMode ?? "Filesystem"),
      ];
    },
  },
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
