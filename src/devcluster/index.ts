/**
 * An embedded Kubernetes API server for tests, benchmarks and the demo: real HTTP on 127.0.0.1, in-memory
 * storage, the API semantics the operator and kubectl rely on.
 *
 *   const cluster = await startDevCluster({ simulateWorkloads: true });
 *   await cluster.writeKubeconfig("/tmp/kubeconfig");
 *   ...
 *   await cluster.stop();
 */
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { kubeconfigYaml } from "./auth/kubeconfig.js";
import { bootstrapRbacObjects, RbacAuthorizer } from "./auth/rbac.js";
import { GarbageCollector } from "./controllers/garbage-collector.js";
import { type WorkloadControllerOptions, WorkloadControllers } from "./controllers/workload-controllers.js";
import { WorkloadSimulator } from "./controllers/workload-simulator.js";
import { Faults } from "./http/faults.js";
import { OpenApi } from "./http/openapi.js";
import { ApiServerHandler } from "./http/server.js";
import { RequestStats } from "./http/stats.js";
import { NodeAgent, type NodeAgentOptions } from "./node/index.js";
import {
  type ProxiedPort,
  type ServiceAddress,
  ServiceProxy,
  type ServiceProxyOptions,
} from "./proxy/service-proxy.js";
import { defaultService } from "./schemas/builtin-defaults.js";
import { ClusterIpAllocator } from "./schemas/cluster-ip.js";
import { CrdController, prepareCrd, validateCrd } from "./schemas/crd.js";
import { ResourceRegistry } from "./storage/registry.js";
import { Store } from "./storage/store.js";
import { WatchHub } from "./storage/watch.js";
import type { KubeObject } from "./types.js";
import { Operations, systemContext } from "./writes/operations.js";

export type { WorkloadControllerOptions } from "./controllers/workload-controllers.js";
export type { FaultHandle, FaultResponse, FaultSpec } from "./http/faults.js";
export { loadImageMap, missingPrograms } from "./node/image-map.js";
export type { NodeAgentOptions } from "./node/index.js";
export type { ProxiedPort, ServiceAddress, ServiceProxyOptions } from "./proxy/service-proxy.js";
export type { KubeObject } from "./types.js";

export interface DevClusterOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Fill in Deployment/HPA/PVC status as controllers and kubelets would. */
  simulateWorkloads?: boolean | { readyDelayMs?: number };
  /** Enforce RBAC for every user but "admin" (system:masters). */
  authorization?: boolean;
  /** How many change events watches can replay (older resourceVersions get 410 Gone). Default 10000. */
  watchHistory?: number;
  /** Interval of BOOKMARK events on watches that allow them. Default 5000 ms. */
  bookmarkIntervalMs?: number;
  /**
   * Run the workload controllers (Deployment, ReplicaSet, Job, CronJob, scheduler, EndpointSlice, volume
   * provisioner) for a node agent that runs the pods. Not together with `simulateWorkloads`.
   */
  workloadControllers?: boolean | WorkloadControllerOptions;
  /**
   * Run the Service proxy: every Service port listens on clusterIP:port and on a free port of 127.0.0.1
   * (see `serviceAddress`), forwarding to ready endpoints from the EndpointSlices.
   */
  kubeProxy?: boolean | ServiceProxyOptions;
  /**
   * The Kubernetes version `/version` reports, "1.MINOR" (default 1.35). Only the report changes: a
   * client that adapts to older clusters can be tested against one.
   */
  kubernetesVersion?: string;
  /** The range Service clusterIPs are allocated from (the API server's --service-cluster-ip-range). Default 10.96.0.0/12. */
  serviceCIDR?: string;
  /**
   * Run a node agent: a Node whose kubelet runs the pods bound to it as local processes. It brings
   * what running pods needs unless set otherwise: the workload controllers, kube-proxy, and Service
   * cluster IPs from a loopback range (127.2.0.0/16), so Services are real addresses on this host.
   */
  nodeAgent?: NodeAgentOptions;
}

const DEFAULT_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** Service cluster IPs of a cluster whose pods run on this host: loopback addresses kube-proxy can listen on. */
export const NODE_AGENT_SERVICE_CIDR = "127.2.0.0/16";

function withNodeAgentDefaults(options: DevClusterOptions): DevClusterOptions {
  if (!options.nodeAgent) return options;
  return {
    ...options,
    workloadControllers: options.workloadControllers ?? true,
    kubeProxy: options.kubeProxy ?? true,
    serviceCIDR: options.serviceCIDR ?? NODE_AGENT_SERVICE_CIDR,
  };
}

export class DevCluster {
  private readonly options: DevClusterOptions;
  readonly store: Store;
  readonly registry = new ResourceRegistry();
  readonly ops: Operations;
  readonly watches: WatchHub;
  readonly faults: Faults;
  readonly stats = new RequestStats();
  readonly simulator: WorkloadSimulator;
  readonly authorizer: RbacAuthorizer;
  readonly clusterIps: ClusterIpAllocator;
  /** The workload controllers, when `workloadControllers` is on. */
  readonly workloads: WorkloadControllers | undefined;
  /** The Service proxy, when `kubeProxy` is on. */
  readonly proxy: ServiceProxy | undefined;
  /** Present when the cluster was started with a node agent. */
  readonly nodeAgent: NodeAgent | undefined;
  private readonly gc: GarbageCollector;
  private readonly crds: CrdController;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private address: AddressInfo | undefined;

  constructor(requested: DevClusterOptions = {}) {
    const options = withNodeAgentDefaults(requested);
    this.options = options;
    this.store = new Store(options.watchHistory ?? 10_000);
    this.ops = new Operations(this.store, this.registry);
    const crdType = this.registry.find("apiextensions.k8s.io", "v1", "customresourcedefinitions")!;
    crdType.prepare = prepareCrd;
    crdType.validate = validateCrd;
    this.watches = new WatchHub(this.store, this.ops, options.bookmarkIntervalMs ?? 5000);
    this.faults = new Faults(this.watches);
    this.authorizer = new RbacAuthorizer(this.store);
    this.crds = new CrdController(this.store, this.registry, this.ops);
    this.gc = new GarbageCollector(this.store, this.registry, this.ops);
    this.clusterIps = this.allocateClusterIps(options.serviceCIDR ?? "10.96.0.0/12");
    const sim = options.simulateWorkloads;
    if (sim && options.workloadControllers)
      throw new Error("simulateWorkloads and workloadControllers both write workload status: choose one");
    // With the workload controllers, the simulator keeps only the autoscalers' part (no HPA controller
    // of its own: minReplicas and maxReplicas are enforced, there is no metrics server).
    this.simulator = new WorkloadSimulator(this.store, this.registry, this.ops, {
      enabled: Boolean(sim) || Boolean(options.workloadControllers),
      readyDelayMs: typeof sim === "object" ? (sim.readyDelayMs ?? 0) : 0,
      autoscalersOnly: !sim && Boolean(options.workloadControllers),
    });
    this.bootstrap();
    const wc = options.workloadControllers;
    this.workloads = wc
      ? new WorkloadControllers(this.store, this.registry, this.ops, typeof wc === "object" ? wc : {})
      : undefined;
    const kp = options.kubeProxy;
    this.proxy = kp
      ? new ServiceProxy(this.store, {
          onWarning: (m) => console.warn(`kube-proxy: ${m}`),
          ...(typeof kp === "object" ? kp : {}),
        })
      : undefined;
    if (options.nodeAgent) {
      this.nodeAgent = new NodeAgent(this.store, this.registry, this.ops, {
        volumeDirectory: (namespace, claim) => this.volumeDirectory(namespace, claim),
        ...options.nodeAgent,
      });
      this.nodeAgent.start();
    }
    const handler = new ApiServerHandler({
      ops: this.ops,
      registry: this.registry,
      watches: this.watches,
      faults: this.faults,
      stats: this.stats,
      openapi: new OpenApi(this.registry),
      ...(options.authorization ? { authorizer: this.authorizer } : {}),
      reviewAuthorizer: this.authorizer,
      serverAddress: () => `${this.address?.address ?? "127.0.0.1"}:${this.address?.port ?? 0}`,
      podLogs: () => this.nodeAgent?.logs,
      ...(options.kubernetesVersion ? { kubernetesVersion: options.kubernetesVersion } : {}),
    });
    this.server = createServer((req, res) => void handler.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
  }

  /** Services get their clusterIP from this cluster's range; an address is free again once its Service is gone. */
  private allocateClusterIps(cidr: string): ClusterIpAllocator {
    const allocator = new ClusterIpAllocator(cidr);
    const services = this.registry.find("", "v1", "services")!;
    services.prepare = (obj, old) => defaultService(obj, old, allocator);
    // The kind's own checks (its update rules included) come first; then the address must be free.
    const ownValidate = services.validate;
    services.validate = (obj, old) => {
      const spec = obj.spec as { clusterIP?: string } | undefined;
      const previous = (old?.spec as { clusterIP?: string } | undefined)?.clusterIP;
      return [
        ...(ownValidate?.(obj, old) ?? []),
        ...(spec?.clusterIP ? allocator.check(spec.clusterIP, previous) : []),
      ];
    };
    this.store.subscribe((e) => {
      if (e.storageKey !== services.storageKey) return;
      const ip = (e.object.spec as { clusterIP?: string } | undefined)?.clusterIP;
      if (!ip || ip === "None") return;
      if (e.type === "DELETED") allocator.release(ip);
      else allocator.take(ip);
    });
    return allocator;
  }

  private bootstrap(): void {
    const ctx = systemContext("system:apiserver", "kube-apiserver");
    const nsType = this.registry.find("", "v1", "namespaces")!;
    for (const name of DEFAULT_NAMESPACES) this.ops.create(nsType, undefined, { metadata: { name } }, ctx);
    for (const { key, obj } of bootstrapRbacObjects()) {
      this.ops.create(this.registry.byStorageKey(key)!, undefined, obj, ctx);
    }
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.address = this.server.address() as AddressInfo;
  }

  get url(): string {
    if (!this.address) throw new Error("the dev cluster is not listening yet");
    return `http://${this.address.address}:${this.address.port}`;
  }

  get port(): number {
    return this.address?.port ?? 0;
  }

  /** A kubeconfig for `user` ("admin" is always allowed; any other name is an RBAC subject). */
  kubeconfig(user = "admin"): string {
    return kubeconfigYaml(this.url, user);
  }

  async writeKubeconfig(path: string, user = "admin"): Promise<void> {
    await writeFile(path, this.kubeconfig(user), { mode: 0o600 });
  }

  /** Direct, in-process read of a stored object (no HTTP, no authorization). */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const rt = this.registry.byKind(apiVersion, kind);
    if (!rt) throw new Error(`no resource serves ${kind} in ${apiVersion}`);
    return this.ops.tryGet(rt, namespace, name);
  }

  /** Creates (or replaces the spec of) objects in process, as the admin; handy for test fixtures. */
  apply(input: {
    apiVersion: string;
    kind: string;
    metadata?: { name?: string; namespace?: string };
  }): KubeObject {
    const obj = input as KubeObject;
    const rt = this.registry.byKind(obj.apiVersion, obj.kind);
    if (!rt) throw new Error(`no resource serves ${obj.kind} in ${obj.apiVersion}`);
    const ctx = systemContext("admin", "devcluster-fixture");
    const existing = this.ops.tryGet(rt, obj.metadata.namespace, obj.metadata.name!);
    if (!existing) return this.ops.create(rt, obj.metadata.namespace, obj, ctx);
    return this.ops.update(
      rt,
      obj.metadata.namespace,
      obj.metadata.name!,
      { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } },
      ctx,
    );
  }

  /**
   * Where the host reaches a Service port through the proxy: `port` is the Service port's number or name
   * (default: its first port). Waits up to `timeoutMs` for the Service and its listener to appear.
   */
  async serviceAddress(
    namespace: string,
    name: string,
    port?: number | string,
    timeoutMs = 5000,
  ): Promise<ServiceAddress> {
    if (!this.proxy) throw new Error("the Service proxy is not running (start the cluster with kubeProxy)");
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ports: ProxiedPort[] = await this.proxy.ports(namespace, name);
      const match = ports.find((p) => port === undefined || p.port === port || p.portName === port);
      if (match?.host) return match.host;
      if (Date.now() > deadline)
        throw new Error(
          `service ${namespace}/${name}${port === undefined ? "" : ` port ${port}`} has no proxy listener`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * The host directory that stands for a bound PersistentVolumeClaim (for the kubelet to mount), or
   * undefined while the claim is not bound or the workload controllers are off.
   */
  volumeDirectory(namespace: string, claimName: string): string | undefined {
    return this.workloads?.volumes.volumeDirectory(namespace, claimName);
  }

  async stop(): Promise<void> {
    // Every process the node agent started goes first, so no port outlives the cluster.
    await this.nodeAgent?.stop();
    this.watches.closeAll();
    this.crds.stop();
    this.gc.stop();
    this.simulator.stop();
    this.workloads?.stop();
    await this.proxy?.stop();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

export async function startDevCluster(options: DevClusterOptions = {}): Promise<DevCluster> {
  const cluster = new DevCluster(options);
  await cluster.listen();
  return cluster;
}
