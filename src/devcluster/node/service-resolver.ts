/**
 * Cluster DNS for the translation: `<svc>.<ns>.svc.cluster.local`, `<svc>.<ns>.svc`, `<svc>.<ns>` and,
 * from a pod's own namespace, `<svc>` resolve to the Service's spec.clusterIP (with the port asked for),
 * as the pod's resolv.conf search path would. Anything else is not a cluster name: no answer.
 */
import type { Store } from "../storage/store.js";
import { isObject } from "../types.js";

export type NamespacedResolver = (host: string, port: number, namespace: string) => string[];

export function clusterIpResolver(store: Store): NamespacedResolver {
  return (host, port, namespace) => {
    const parts = host.replace(/\.$/, "").split(".");
    let name: string | undefined;
    let ns: string | undefined;
    if (parts.length === 1) [name, ns] = [parts[0], namespace];
    else if (parts.length === 2) [name, ns] = parts;
    else if (parts.length === 3 && parts[2] === "svc") [name, ns] = parts;
    else if (parts.length === 5 && parts.slice(2).join(".") === "svc.cluster.local") [name, ns] = parts;
    if (!name || !ns) return [];
    const svc = store.get("/services", ns, name);
    const ip = svc && isObject(svc.spec) ? svc.spec.clusterIP : undefined;
    return typeof ip === "string" && ip && ip !== "None" ? [`${ip}:${port}`] : [];
  };
}
