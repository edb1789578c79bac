/**
 * kube-proxy for the embedded cluster, in user space: for every port of every Service with a clusterIP
 * (ClusterIP, NodePort, LoadBalancer), a TCP listener on clusterIP:port (a real address when the service
 * CIDR is a loopback range such as 127.2.0.0/16) and one on a free port of the host address, so a user
 * without root reaches a port-80 Service. Each new connection goes to the next backend round-robin
 * (kube-proxy's IPVS rr; the iptables mode picks at random, with the same spread), and is reset when the
 * Service has no backend. Listeners follow the Services and backends the EndpointSlices; the listening
 * and forwarding itself runs in a thread of its own (forwarder.ts), as a real kube-proxy's runs in the
 * kernel, untouched by the control plane's work. `stop` closes every listener and connection.
 */
import type { Store, StoredEvent } from "../storage/store.js";
import { isObject, type JsonObject, type KubeObject } from "../types.js";
import { backendsOf } from "./endpoints.js";
import { Forwarder, type OpenResult } from "./forwarder.js";

const SERVICES = "/services";
const ENDPOINTSLICES = "discovery.k8s.io/endpointslices";
const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
const PROXIED_TYPES = new Set(["ClusterIP", "NodePort", "LoadBalancer"]);

export interface ServiceProxyOptions {
  /** Where the host-port listeners bind. Default 127.0.0.1. */
  hostAddress?: string;
  /** Also listen on clusterIP:port. Default true. */
  clusterIPs?: boolean;
  /** Told when a listener cannot bind (e.g. a port below 1024 without root); the other listener stays. */
  onWarning?: (message: string) => void;
}

export interface ServiceAddress {
  host: string;
  port: number;
}

/** What one Service port is listening on, for a demo to print or a test to check. */
export interface ProxiedPort {
  namespace: string;
  service: string;
  portName: string;
  port: number;
  clusterIP: string;
  host?: ServiceAddress;
  /** Why clusterIP:port is not listening, when it is not. */
  clusterError?: string;
}

interface Listener {
  /** The forwarder's name for it. */
  id: number;
  info: ProxiedPort;
  ready: Promise<void>;
}

function servicePorts(svc: KubeObject): { name: string; port: number }[] {
  const spec = isObject(svc.spec) ? svc.spec : {};
  if (!PROXIED_TYPES.has(String(spec.type ?? "ClusterIP"))) return [];
  if (typeof spec.clusterIP !== "string" || !spec.clusterIP || spec.clusterIP === "None") return [];
  const ports = Array.isArray(spec.ports) ? (spec.ports as JsonObject[]) : [];
  return ports
    .filter((p) => (p.protocol ?? "TCP") === "TCP" && typeof p.port === "number")
    .map((p) => ({ name: String(p.name ?? ""), port: p.port as number }));
}

export class ServiceProxy {
  private readonly listeners = new Map<string, Listener>();
  private readonly forwarder: Forwarder;
  private readonly unsubscribe: () => void;
  private nextId = 1;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly options: ServiceProxyOptions = {},
  ) {
    this.forwarder = new Forwarder((m) => this.options.onWarning?.(m));
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
    for (const svc of store.list(SERVICES)) this.sync(svc.metadata.namespace!, svc.metadata.name!);
  }

  private onEvent(e: StoredEvent): void {
    if (e.storageKey === SERVICES) this.sync(e.object.metadata.namespace!, e.object.metadata.name!);
    else if (e.storageKey === ENDPOINTSLICES) {
      const service = e.object.metadata.labels?.[SERVICE_NAME_LABEL];
      if (service) this.refreshBackends(e.object.metadata.namespace!, service);
    }
  }

  private keyOf(namespace: string, service: string, port: { name: string; port: number }, clusterIP: string) {
    return `${namespace}/${service}/${port.name}/${port.port}/${clusterIP}`;
  }

  private backends(info: ProxiedPort) {
    return backendsOf(this.store, info.namespace, info.service, info.portName);
  }

  /** Tells the forwarder where a Service's new connections go, as its EndpointSlices now say. */
  private refreshBackends(namespace: string, service: string): void {
    if (this.stopped) return;
    for (const l of this.listeners.values())
      if (l.info.namespace === namespace && l.info.service === service)
        this.forwarder.setBackends(l.id, this.backends(l.info));
  }

  /** Opens the listeners a Service needs and closes those it no longer has. */
  private sync(namespace: string, service: string): void {
    if (this.stopped) return;
    const svc = this.store.get(SERVICES, namespace, service);
    const clusterIP = svc && isObject(svc.spec) ? String(svc.spec.clusterIP ?? "") : "";
    const wanted = new Map(
      (svc && !svc.metadata.deletionTimestamp ? servicePorts(svc) : []).map((p) => [
        this.keyOf(namespace, service, p, clusterIP),
        p,
      ]),
    );
    for (const [key, l] of this.listeners) {
      if (l.info.namespace === namespace && l.info.service === service && !wanted.has(key)) {
        this.listeners.delete(key);
        this.forwarder.close(l.id);
      }
    }
    for (const [key, p] of wanted) {
      if (this.listeners.has(key)) continue;
      const info: ProxiedPort = { namespace, service, portName: p.name, port: p.port, clusterIP };
      const id = this.nextId++;
      const listener: Listener = { id, info, ready: Promise.resolve() };
      const hostAddress = this.options.hostAddress ?? "127.0.0.1";
      const cluster = this.options.clusterIPs === false ? undefined : clusterIP;
      listener.ready = this.forwarder
        .open(id, hostAddress, cluster, p.port, this.backends(info))
        .then((r) => this.opened(info, hostAddress, r));
      this.listeners.set(key, listener);
    }
    // A Service's ports may have been renamed: backends are found by port name.
    this.refreshBackends(namespace, service);
  }

  private opened(info: ProxiedPort, hostAddress: string, r: OpenResult): void {
    if (r.host.port !== undefined) info.host = { host: hostAddress, port: r.host.port };
    else if (r.host.error !== "the Service is gone")
      this.options.onWarning?.(
        `service ${info.namespace}/${info.service} port ${info.port}: cannot listen on ${hostAddress}: ${r.host.error}`,
      );
    if (r.cluster?.error !== undefined && r.cluster.error !== "the Service is gone") {
      info.clusterError = r.cluster.error;
      this.options.onWarning?.(
        `service ${info.namespace}/${info.service}: cannot listen on ${info.clusterIP}:${info.port} (${r.cluster.error}); it is reachable on ${hostAddress}:${info.host?.port ?? "?"}`,
      );
    }
  }

  /** The listeners of a Service, once bound. */
  async ports(namespace: string, service: string): Promise<ProxiedPort[]> {
    const mine = [...this.listeners.values()].filter(
      (l) => l.info.namespace === namespace && l.info.service === service,
    );
    await Promise.all(mine.map((l) => l.ready));
    return mine.map((l) => ({ ...l.info }));
  }

  /** How many connections to a Service are forwarded to a backend right now. */
  openConnections(namespace: string, service: string): number {
    let n = 0;
    for (const l of this.listeners.values())
      if (l.info.namespace === namespace && l.info.service === service)
        n += this.forwarder.openConnections(l.id);
    return n;
  }

  /** Every proxied port, for a listing. */
  async all(): Promise<ProxiedPort[]> {
    const list = [...this.listeners.values()];
    await Promise.all(list.map((l) => l.ready));
    return list.map((l) => ({ ...l.info }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    await Promise.all([...this.listeners.values()].map((l) => l.ready));
    this.listeners.clear();
    await this.forwarder.stop();
  }
}
