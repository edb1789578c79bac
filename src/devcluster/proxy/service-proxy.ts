/**
 * kube-proxy for the embedded cluster, in user space: for every port of every Service with a clusterIP
 * (ClusterIP, NodePort, LoadBalancer), a TCP listener on clusterIP:port (a real address when the service
 * CIDR is a loopback range such as 127.2.0.0/16) and one on a free port of the host address, so a user
 * without root reaches a port-80 Service. Each new connection goes to the next backend round-robin
 * (kube-proxy's IPVS rr; the iptables mode picks at random, with the same spread), and is reset when the
 * Service has no backend. Listeners follow the Services; `stop` closes every listener and connection.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import type { Store, StoredEvent } from "../storage/store.js";
import { isObject, type JsonObject, type KubeObject } from "../types.js";
import { backendsOf } from "./endpoints.js";

const SERVICES = "/services";
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
  info: ProxiedPort;
  servers: Server[];
  ready: Promise<void>;
  next: number;
  /** Connections forwarded to a backend and still open. */
  open: number;
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
  private readonly sockets = new Set<Socket>();
  private readonly unsubscribe: () => void;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly options: ServiceProxyOptions = {},
  ) {
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
    for (const svc of store.list(SERVICES)) this.sync(svc.metadata.namespace!, svc.metadata.name!);
  }

  private onEvent(e: StoredEvent): void {
    if (e.storageKey === SERVICES) this.sync(e.object.metadata.namespace!, e.object.metadata.name!);
  }

  private keyOf(namespace: string, service: string, port: { name: string; port: number }, clusterIP: string) {
    return `${namespace}/${service}/${port.name}/${port.port}/${clusterIP}`;
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
        for (const s of l.servers) s.close();
      }
    }
    for (const [key, p] of wanted) {
      if (this.listeners.has(key)) continue;
      const info: ProxiedPort = { namespace, service, portName: p.name, port: p.port, clusterIP };
      const listener: Listener = { info, servers: [], ready: Promise.resolve(), next: 0, open: 0 };
      listener.ready = this.open(listener);
      this.listeners.set(key, listener);
    }
  }

  private async open(l: Listener): Promise<void> {
    const { info } = l;
    const hostAddress = this.options.hostAddress ?? "127.0.0.1";
    const host = await this.listen(l, hostAddress, 0).catch((e: Error) => {
      this.options.onWarning?.(
        `service ${info.namespace}/${info.service} port ${info.port}: cannot listen on ${hostAddress}: ${e.message}`,
      );
      return undefined;
    });
    if (host) info.host = { host: hostAddress, port: host };
    if (this.options.clusterIPs === false) return;
    await this.listen(l, info.clusterIP, info.port).catch((e: Error) => {
      info.clusterError = e.message;
      this.options.onWarning?.(
        `service ${info.namespace}/${info.service}: cannot listen on ${info.clusterIP}:${info.port} (${e.message}); it is reachable on ${hostAddress}:${host ?? "?"}`,
      );
    });
  }

  private listen(l: Listener, address: string, port: number): Promise<number> {
    const server = createServer((client) => this.forward(l, client));
    return new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, address, () => {
        server.off("error", reject);
        // The Service may have gone (or the proxy stopped) while this listener was binding.
        if (this.stopped || ![...this.listeners.values()].includes(l)) {
          server.close();
          reject(new Error("the Service is gone"));
          return;
        }
        l.servers.push(server);
        resolve((server.address() as { port: number }).port);
      });
    });
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on("close", () => this.sockets.delete(s));
  }

  private forward(l: Listener, client: Socket): void {
    this.track(client);
    const backends = backendsOf(this.store, l.info.namespace, l.info.service, l.info.portName);
    if (backends.length === 0) {
      // No endpoint: refused, as kube-proxy's REJECT rule refuses it.
      client.resetAndDestroy();
      return;
    }
    const backend = backends[l.next++ % backends.length]!;
    const upstream = connect({ host: backend.host, port: backend.port });
    this.track(upstream);
    upstream.on("error", () => client.resetAndDestroy());
    client.on("error", () => upstream.destroy());
    upstream.on("connect", () => {
      l.open++;
      upstream.once("close", () => l.open--);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
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
      if (l.info.namespace === namespace && l.info.service === service) n += l.open;
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
    const closing: Promise<void>[] = [];
    for (const l of this.listeners.values()) {
      await l.ready;
      for (const s of l.servers) closing.push(new Promise((resolve) => s.close(() => resolve())));
    }
    this.listeners.clear();
    for (const s of this.sockets) s.destroy();
    await Promise.all(closing);
  }
}
