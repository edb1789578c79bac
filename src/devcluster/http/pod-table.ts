import { age } from "../time-format.js";
import { isObject, type JsonObject, type KubeObject } from "../types.js";
import { col } from "./table-column.js";

const obj = (v: unknown): JsonObject => (isObject(v) ? v : {});
const list = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);

function terminatedReason(t: JsonObject, prefix: string): string {
  if (typeof t.reason === "string" && t.reason) return prefix + t.reason;
  return typeof t.signal === "number" && t.signal !== 0
    ? `${prefix}Signal:${t.signal}`
    : `${prefix}ExitCode:${t.exitCode ?? 0}`;
}

export function podStatusColumns(pod: KubeObject): { ready: string; status: string; restarts: string } {
  const spec = obj(pod.spec);
  const status = obj(pod.status);
  let reason = String(status.reason || status.phase || "Pending");
  let restarts = 0;
  let lastRestart = 0;
  const noteRestart = (c: JsonObject) => {
    restarts += typeof c.restartCount === "number" ? c.restartCount : 0;
    const finished = obj(obj(c.lastState).terminated).finishedAt;
    if (typeof finished === "string") lastRestart = Math.max(lastRestart, Date.parse(finished));
  };
  const inits = list(status.initContainerStatuses);
  const initTotal = list(spec.initContainers).length;
  let initializing = false;
  for (const [i, c] of inits.entries()) {
    noteRestart(c);
    const state = obj(c.state);
    const terminated = isObject(state.terminated) ? state.terminated : undefined;
    const waiting = isObject(state.waiting) ? state.waiting : undefined;
    if (terminated && terminated.exitCode === 0) continue;
    initializing = true;
    if (terminated) reason = terminatedReason(terminated, "Init:");
    else if (
      waiting &&
      typeof waiting.reason === "string" &&
      waiting.reason &&
      waiting.reason !== "PodInitializing"
    )
      reason = `Init:${waiting.reason}`;
    else reason = `Init:${i}/${initTotal}`;
    break;
  }
  const initialized = list(status.conditions).some((c) => c.type === "Initialized" && c.status === "True");
  let ready = 0;
  if (!initializing || initialized) {
    restarts = 0;
    lastRestart = 0;
    let running = false;
    for (const c of [...list(status.containerStatuses)].reverse()) {
      noteRestart(c);
      const state = obj(c.state);
      const waiting = obj(state.waiting);
      const terminated = isObject(state.terminated) ? state.terminated : undefined;
      if (typeof waiting.reason === "string" && waiting.reason) reason = waiting.reason;
      else if (terminated) reason = terminatedReason(terminated, "");
      else if (c.ready === true && isObject(state.running)) {
        running = true;
        ready++;
      }
    }
    if (reason === "Completed" && running) {
      const podReady = list(status.conditions).some((c) => c.type === "Ready" && c.status === "True");
      reason = podReady ? "Running" : "NotReady";
    }
  }
  const phase = status.phase;
  if (pod.metadata.deletionTimestamp && phase !== "Succeeded" && phase !== "Failed") reason = "Terminating";
  const total = list(spec.containers).length;
  const restartText =
    restarts !== 0 && lastRestart > 0
      ? `${restarts} (${age(new Date(lastRestart).toISOString())} ago)`
      : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartText };
}

export const podTable = {
  columns: [
    col("Name", "Name must be unique within a namespace."),
    col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    col("Status", "The aggregate status of the containers in this pod."),
    col(
      "Restarts",
      "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    col("Age", "CreationTimestamp is a timestamp representing the server time when this object was created."),
    col(
      "IP",
      "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
      "string",
      1,
    ),
    col("Node", "NodeName is a request to schedule this pod onto a specific node.", "string", 1),
    col(
      "Nominated Node",
      "nominatedNodeName is set when this pod preempts other pods on the node.",
      "string",
      1,
    ),
    col(
      "Readiness Gates",
      "If specified, all readiness gates will be evaluated for pod readiness.",
      "string",
      1,
    ),
  ],
  cells: (pod: KubeObject): unknown[] => {
    const c = podStatusColumns(pod);
    const status = obj(pod.status);
    const conditions = list(status.conditions);
    const gates = list(obj(pod.spec).readinessGates);
    const passed = gates.filter((g) =>
      conditions.some((x) => x.type === g.conditionType && x.status === "True"),
    );
    return [
      pod.metadata.name,
      c.ready,
      c.status,
      c.restarts,
      age(pod.metadata.creationTimestamp),
      status.podIP ?? "<none>",
      obj(pod.spec).nodeName ?? "<none>",
      status.nominatedNodeName ?? "<none>",
      gates.length === 0 ? "<none>" : `${passed.length}/${gates.length}`,
    ];
  },
};

export const nodeTable = {
  columns: [
    col("Name", "Name must be unique within a namespace."),
    col("Status", "The status of the node"),
    col("Roles", "The roles of the node"),
    col("Age", "CreationTimestamp is a timestamp representing the server time when this object was created."),
    col("Version", "Kubelet Version reported by the node."),
    col(
      "Internal-IP",
      "List of addresses reachable to the node. Queried from cloud provider, if available.",
      "string",
      1,
    ),
    col(
      "External-IP",
      "List of addresses reachable to the node. Queried from cloud provider, if available.",
      "string",
      1,
    ),
    col(
      "OS-Image",
      "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
      "string",
      1,
    ),
    col(
      "Kernel-Version",
      "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
      "string",
      1,
    ),
    col(
      "Container-Runtime",
      "Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
      "string",
      1,
    ),
  ],
  cells: (node: KubeObject): unknown[] => {
    const status = obj(node.status);
    const ready = list(status.conditions).find((c) => c.type === "Ready");
    const addresses = list(status.addresses);
    const info = obj(status.nodeInfo);
    const known = (v: unknown) => (typeof v === "string" && v ? v : "<unknown>");
    const roles = Object.keys(node.metadata.labels ?? {})
      .filter((k) => k.startsWith("node-role.kubernetes.io/"))
      .map((k) => k.slice("node-role.kubernetes.io/".length))
      .sort();
    return [
      node.metadata.name,
      [
        ready?.status === "True" ? "Ready" : ready ? "NotReady" : "Unknown",
        ...(obj(node.spec).unschedulable === true ? ["SchedulingDisabled"] : []),
      ].join(","),
      roles.length > 0 ? roles.join(",") : "<none>",
      age(node.metadata.creationTimestamp),
      info.kubeletVersion ?? "",
      addresses.find((a) => a.type === "InternalIP")?.address ?? "<none>",
      addresses.find((a) => a.type === "ExternalIP")?.address ?? "<none>",
      known(info.osImage),
      known(info.kernelVersion),
      known(info.containerRuntimeVersion),
    ];
  },
};
