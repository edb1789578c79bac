/**
 * Which backends a Service port has right now, read from its EndpointSlices as kube-proxy reads them:
 * the ready endpoints, or, when none is ready, the ones still serving while they terminate (upstream's
 * ProxyTerminatingEndpoints). Read at each new connection, so a backend that stops being ready gets no
 * new connection from that moment on.
 */
import type { Store } from "../storage/store.js";
import { isObject, type JsonObject } from "../types.js";

const ENDPOINTSLICES = "discovery.k8s.io/endpointslices";
const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export interface Backend {
  host: string;
  port: number;
}

export function backendsOf(store: Store, namespace: string, service: string, portName: string): Backend[] {
  const ready: Backend[] = [];
  const terminating: Backend[] = [];
  for (const slice of store.list(ENDPOINTSLICES, namespace)) {
    if (slice.metadata.labels?.[SERVICE_NAME_LABEL] !== service) continue;
    const ports = Array.isArray(slice.ports) ? (slice.ports as JsonObject[]) : [];
    const port = ports.find((p) => (p.name ?? "") === portName && (p.protocol ?? "TCP") === "TCP");
    if (!port || typeof port.port !== "number") continue;
    for (const e of Array.isArray(slice.endpoints) ? (slice.endpoints as JsonObject[]) : []) {
      const c = isObject(e.conditions) ? e.conditions : {};
      const addresses = Array.isArray(e.addresses) ? (e.addresses as string[]) : [];
      const target =
        c.ready !== false ? ready : c.serving === true && c.terminating === true ? terminating : undefined;
      for (const host of addresses) target?.push({ host, port: port.port });
    }
  }
  return ready.length ? ready : terminating;
}
