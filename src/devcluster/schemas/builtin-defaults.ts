/**
 * Server-side defaulting of the built-in kinds, for the fields the project's objects use. A client that
 * compares what it sent with what it reads back sees the same extra fields as on a real cluster.
 */
import { randomUUID } from "node:crypto";
import { deepEqual, isObject, type JsonObject, type KubeObject } from "../types.js";
import { ClusterIpAllocator } from "./cluster-ip.js";

function setDefault(o: JsonObject, key: string, value: unknown): void {
  if (o[key] === undefined) o[key] = value;
}

function defaultContainer(c: unknown): void {
  if (!isObject(c)) return;
  setDefault(c, "terminationMessagePath", "/dev/termination-log");
  setDefault(c, "terminationMessagePolicy", "File");
  const image = typeof c.image === "string" ? c.image : "";
  const tag = image.includes("@") ? "digest" : (image.split("/").pop()?.split(":")[1] ?? "latest");
  setDefault(c, "imagePullPolicy", tag === "latest" ? "Always" : "IfNotPresent");
  setDefault(c, "resources", {});
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isObject(p)) setDefault(p, "protocol", "TCP");
}

export function defaultPodSpec(spec: unknown): void {
  if (!isObject(spec)) return;
  setDefault(spec, "restartPolicy", "Always");
  setDefault(spec, "terminationGracePeriodSeconds", 30);
  setDefault(spec, "dnsPolicy", "ClusterFirst");
  setDefault(spec, "securityContext", {});
  setDefault(spec, "schedulerName", "default-scheduler");
  for (const list of [spec.containers, spec.initContainers])
    if (Array.isArray(list)) list.forEach(defaultContainer);
}

export function defaultDeployment(obj: KubeObject): void {
  const spec = obj.spec;
  if (!isObject(spec)) return;
  setDefault(spec, "replicas", 1);
  setDefault(spec, "revisionHistoryLimit", 10);
  setDefault(spec, "progressDeadlineSeconds", 600);
  setDefault(spec, "strategy", {});
  const strategy = spec.strategy;
  if (isObject(strategy)) setDefault(strategy, "type", "RollingUpdate");
  if (isObject(strategy) && strategy.type === "RollingUpdate") {
    setDefault(strategy, "rollingUpdate", {});
    const ru = strategy.rollingUpdate;
    if (isObject(ru)) {
      setDefault(ru, "maxUnavailable", "25%");
      setDefault(ru, "maxSurge", "25%");
    }
  }
  const template = spec.template;
  if (isObject(template)) {
    setDefault(template, "metadata", {});
    defaultPodSpec(template.spec);
  }
}

/** Used when no cluster wired its own allocator in (a registry on its own, in unit tests). */
const fallbackClusterIps = new ClusterIpAllocator("10.96.0.0/12");

let nextNodePort = 0;

/**
 * NodePort and LoadBalancer services get a node port per port (kept across updates, matched by port and
 * protocol); changing to another type drops the allocated ones, as the real registry does.
 */
function defaultNodePorts(spec: JsonObject, oldSpec: JsonObject | undefined): void {
  const ports = Array.isArray(spec.ports) ? spec.ports.filter(isObject) : [];
  const oldPorts = Array.isArray(oldSpec?.ports) ? oldSpec.ports.filter(isObject) : [];
  const previous = (p: JsonObject) =>
    oldPorts.find((o) => o.port === p.port && (o.protocol ?? "TCP") === (p.protocol ?? "TCP"))?.nodePort;
  const needsNodePorts = spec.type === "NodePort" || spec.type === "LoadBalancer";
  for (const p of ports) {
    if (needsNodePorts) {
      if (!p.nodePort) p.nodePort = previous(p) ?? 30000 + (nextNodePort++ % 2768);
    } else if (p.nodePort !== undefined && p.nodePort === previous(p)) delete p.nodePort;
  }
}

/** A service turned ExternalName loses the cluster IPs it had been allocated (when the client kept them). */
function dropAllocatedIps(spec: JsonObject, oldSpec: JsonObject | undefined): void {
  if (!oldSpec || oldSpec.type === "ExternalName") return;
  if (spec.clusterIP === oldSpec.clusterIP) delete spec.clusterIP;
  if (deepEqual(spec.clusterIPs, oldSpec.clusterIPs)) delete spec.clusterIPs;
  if (deepEqual(spec.ipFamilies, oldSpec.ipFamilies)) delete spec.ipFamilies;
  if (spec.ipFamilyPolicy === oldSpec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
}

export function defaultService(
  obj: KubeObject,
  old: KubeObject | undefined,
  clusterIps: ClusterIpAllocator = fallbackClusterIps,
): void {
  const spec = obj.spec;
  if (!isObject(spec)) return;
  setDefault(spec, "type", "ClusterIP");
  setDefault(spec, "sessionAffinity", "None");
  setDefault(spec, "internalTrafficPolicy", "Cluster");
  if (Array.isArray(spec.ports)) {
    for (const p of spec.ports) {
      if (!isObject(p)) continue;
      setDefault(p, "protocol", "TCP");
      setDefault(p, "targetPort", p.port);
    }
  }
  const oldSpec = old && isObject(old.spec) ? old.spec : undefined;
  defaultNodePorts(spec, oldSpec);
  if (spec.type === "ExternalName") {
    dropAllocatedIps(spec, oldSpec);
    return;
  }
  let ips = Array.isArray(spec.clusterIPs) ? (spec.clusterIPs as string[]) : [];
  // A changed clusterIP next to unchanged clusterIPs means the primary IP is what the client changed.
  if (oldSpec && spec.clusterIP && spec.clusterIP !== oldSpec.clusterIP && deepEqual(ips, oldSpec.clusterIPs))
    ips = [spec.clusterIP as string];
  // An unset clusterIP keeps the allocated one (or follows clusterIPs), as the real server's registry does.
  if (spec.clusterIP === undefined || spec.clusterIP === "") {
    spec.clusterIP = ips[0] ?? (oldSpec?.clusterIP as string | undefined) ?? clusterIps.allocate() ?? "";
  }
  spec.clusterIPs = ips;
  if (ips.length === 0) {
    const kept = oldSpec?.clusterIP === spec.clusterIP && Array.isArray(oldSpec?.clusterIPs);
    spec.clusterIPs = kept ? oldSpec!.clusterIPs : [spec.clusterIP];
  }
  if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0)
    spec.ipFamilies = Array.isArray(oldSpec?.ipFamilies) ? oldSpec.ipFamilies : ["IPv4"];
  setDefault(spec, "ipFamilyPolicy", (oldSpec?.ipFamilyPolicy as string | undefined) ?? "SingleStack");
}

export function defaultNamespace(obj: KubeObject): void {
  const name = obj.metadata.name;
  if (name) obj.metadata.labels = { ...obj.metadata.labels, "kubernetes.io/metadata.name": name };
  if (!isObject(obj.spec)) obj.spec = {};
  setDefault(obj.spec as JsonObject, "finalizers", ["kubernetes"]);
  if (!isObject(obj.status)) obj.status = {};
  setDefault(obj.status as JsonObject, "phase", "Active");
}

export function defaultSecret(obj: KubeObject): void {
  // An empty type (kubectl create secret sends one) is unset, as for the real server's Go types.
  if (!obj.type) obj.type = "Opaque";
  // stringData is write-only: folded into data (base64) as the real server does.
  if (isObject(obj.stringData)) {
    const data: JsonObject = isObject(obj.data) ? { ...obj.data } : {};
    for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v)).toString("base64");
    obj.data = data;
    delete obj.stringData;
  }
}

export function defaultPersistentVolumeClaim(obj: KubeObject): void {
  if (isObject(obj.spec)) setDefault(obj.spec, "volumeMode", "Filesystem");
  if (!isObject(obj.status)) obj.status = { phase: "Pending" };
}

export function defaultPod(obj: KubeObject): void {
  defaultPodSpec(obj.spec);
  if (!isObject(obj.status)) obj.status = { phase: "Pending", qosClass: "BestEffort" };
}

export function defaultReplicaSet(obj: KubeObject): void {
  const spec = obj.spec;
  if (!isObject(spec)) return;
  setDefault(spec, "replicas", 1);
  const template = spec.template;
  if (isObject(template)) {
    setDefault(template, "metadata", {});
    defaultPodSpec(template.spec);
  }
}

export const JOB_NAME_LABELS = ["job-name", "batch.kubernetes.io/job-name"];
export const CONTROLLER_UID_LABELS = ["controller-uid", "batch.kubernetes.io/controller-uid"];

/**
 * SetDefaults_Job and the Job strategy's generated selector: the pods of a Job are selected by its own
 * uid (so the uid is fixed here, at creation), and carry its name for people to select by.
 */
export function defaultJob(obj: KubeObject, old: KubeObject | undefined): void {
  const spec = obj.spec;
  if (!isObject(spec)) return;
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, "parallelism", 1);
  setDefault(spec, "backoffLimit", spec.backoffLimitPerIndex === undefined ? 6 : 2147483647);
  setDefault(spec, "completionMode", "NonIndexed");
  setDefault(spec, "suspend", false);
  setDefault(
    spec,
    "podReplacementPolicy",
    spec.podFailurePolicy === undefined ? "TerminatingOrFailed" : "Failed",
  );
  setDefault(spec, "manualSelector", false);
  setDefault(spec, "template", {});
  const template = spec.template as JsonObject;
  setDefault(template, "metadata", {});
  defaultPodSpec(template.spec);
  if (old || spec.manualSelector === true) return;
  obj.metadata.uid ??= randomUUID();
  const tmeta = template.metadata as JsonObject;
  const labels: Record<string, string> = isObject(tmeta.labels)
    ? { ...(tmeta.labels as Record<string, string>) }
    : {};
  for (const k of JOB_NAME_LABELS) labels[k] ??= obj.metadata.name ?? "";
  for (const k of CONTROLLER_UID_LABELS) labels[k] ??= obj.metadata.uid;
  tmeta.labels = labels;
  const selector: JsonObject = isObject(spec.selector) ? spec.selector : {};
  const matchLabels: JsonObject = isObject(selector.matchLabels) ? selector.matchLabels : {};
  matchLabels["batch.kubernetes.io/controller-uid"] ??= obj.metadata.uid;
  spec.selector = { ...selector, matchLabels };
  // Defaulting on read copies the template's labels to a Job that has none.
  if (!obj.metadata.labels || Object.keys(obj.metadata.labels).length === 0)
    obj.metadata.labels = { ...labels };
}

export function defaultCronJob(obj: KubeObject): void {
  const spec = obj.spec;
  if (!isObject(spec)) return;
  setDefault(spec, "concurrencyPolicy", "Allow");
  setDefault(spec, "suspend", false);
  setDefault(spec, "successfulJobsHistoryLimit", 3);
  setDefault(spec, "failedJobsHistoryLimit", 1);
  const jobTemplate = isObject(spec.jobTemplate) ? spec.jobTemplate : undefined;
  const jobSpec = jobTemplate && isObject(jobTemplate.spec) ? jobTemplate.spec : undefined;
  const template = jobSpec && isObject(jobSpec.template) ? jobSpec.template : undefined;
  if (template) {
    setDefault(template, "metadata", {});
    defaultPodSpec(template.spec);
  }
}

export function defaultPersistentVolume(obj: KubeObject): void {
  if (isObject(obj.spec)) {
    setDefault(obj.spec, "persistentVolumeReclaimPolicy", "Retain");
    setDefault(obj.spec, "volumeMode", "Filesystem");
  }
  if (!isObject(obj.status)) obj.status = { phase: "Pending" };
}
