/**
 * The pod fields a container may read through `fieldRef` (env) and downwardAPI volumes, formatted as the
 * kubelet formats them.
 */
import { isObject, type KubeObject } from "../types.js";

function labelsFile(map: Record<string, string> | undefined): string {
  return Object.entries(map ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join("\n");
}

/**
 * The value of a fieldRef path, or undefined for a path the kubelet does not support. `asFile`: labels
 * and annotations as a whole are only readable as downwardAPI files (`key="value"` lines).
 */
export function fieldRefValue(pod: KubeObject, path: string, asFile = false): string | undefined {
  const spec = isObject(pod.spec) ? pod.spec : {};
  const status = isObject(pod.status) ? pod.status : {};
  const m = pod.metadata;
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (keyed) return (keyed[1] === "labels" ? m.labels : m.annotations)?.[keyed[2]!] ?? "";
  const ips = (v: unknown) =>
    Array.isArray(v) ? v.map((x) => (isObject(x) ? String(x.ip) : "")).join(",") : undefined;
  switch (path) {
    case "metadata.name":
      return m.name ?? "";
    case "metadata.namespace":
      return m.namespace ?? "";
    case "metadata.uid":
      return m.uid ?? "";
    case "metadata.labels":
      return asFile ? labelsFile(m.labels) : undefined;
    case "metadata.annotations":
      return asFile ? labelsFile(m.annotations) : undefined;
    case "spec.nodeName":
      return String(spec.nodeName ?? "");
    case "spec.serviceAccountName":
      return String(spec.serviceAccountName ?? "default");
    case "status.podIP":
      return String(status.podIP ?? "");
    case "status.podIPs":
      return ips(status.podIPs) ?? String(status.podIP ?? "");
    case "status.hostIP":
      return String(status.hostIP ?? "");
    case "status.hostIPs":
      return ips(status.hostIPs) ?? String(status.hostIP ?? "");
    default:
      return undefined;
  }
}
