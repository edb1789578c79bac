/**
 * The EndpointSlice controller (pkg/controller/endpointslice): for every Service with a selector, slices
 * labelled `kubernetes.io/service-name` and managed-by `endpointslice-controller.k8s.io`, owned by the
 * Service, listing the selected pods that have an IP. Conditions as upstream: a terminating pod is
 * `terminating` and not `ready`, `serving` follows its readiness; ports come from the Service's
 * targetPort (a number, or the name of a container port), and pods whose ports resolve differently go
 * into different slices. A Service that selects nothing keeps one empty slice.
 */
import { labelSelectorMatches } from "../schemas/selectors.js";
import type { StoredEvent } from "../storage/store.js";
import { nowTimestamp } from "../time-format.js";
import { deepEqual, isObject, type JsonObject, type KubeObject } from "../types.js";
import {
  Controller,
  type ControllerKit,
  ENDPOINTSLICES,
  PODS,
  SERVICES,
  splitKey,
} from "./controller-kit.js";
import { isPodReady, isTerminating, newControllerRef, podPhase, specOf, statusOf } from "./pods.js";

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
export const MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
export const MANAGED_BY = "endpointslice-controller.k8s.io";
const MAX_ENDPOINTS_PER_SLICE = 100;
const TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";

interface EndpointPort extends JsonObject {
  name: string;
  port: number;
  protocol: string;
}

function serviceSelector(svc: KubeObject): Record<string, string> | undefined {
  const sel = specOf(svc).selector;
  return isObject(sel) && Object.keys(sel).length > 0 ? (sel as Record<string, string>) : undefined;
}

/** podutil.FindPort: a numeric targetPort as is, a named one through the pod's container ports. */
function findPort(pod: KubeObject, servicePort: JsonObject): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === "number") return target;
  const asNumber = Number(target);
  if (Number.isInteger(asNumber) && String(asNumber) === String(target)) return asNumber;
  const protocol = servicePort.protocol ?? "TCP";
  const containers = Array.isArray(specOf(pod).containers) ? (specOf(pod).containers as JsonObject[]) : [];
  for (const c of containers)
    for (const p of Array.isArray(c.ports) ? (c.ports as JsonObject[]) : [])
      if (p.name === target && (p.protocol ?? "TCP") === protocol) return Number(p.containerPort);
  return undefined;
}

/** endpointutil.ShouldPodBeInEndpoints with terminating pods included, as slices include them. */
function belongsInSlices(pod: KubeObject): boolean {
  if (!statusOf(pod).podIP) return false;
  const phase = podPhase(pod);
  const restart = specOf(pod).restartPolicy ?? "Always";
  if (restart === "Never") return phase !== "Failed" && phase !== "Succeeded";
  if (restart === "OnFailure") return phase !== "Succeeded";
  return true;
}

export function endpointFor(pod: KubeObject, svc: KubeObject): JsonObject {
  const publishNotReady = specOf(svc).publishNotReadyAddresses === true;
  const serving = publishNotReady || isPodReady(pod);
  const terminating = isTerminating(pod);
  const endpoint: JsonObject = {
    addresses: [String(statusOf(pod).podIP)],
    conditions: { ready: publishNotReady || (serving && !terminating), serving, terminating },
    targetRef: {
      kind: "Pod",
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
    },
  };
  if (specOf(pod).nodeName) endpoint.nodeName = specOf(pod).nodeName;
  const hostname = specOf(pod).hostname;
  if (typeof hostname === "string" && specOf(pod).subdomain === svc.metadata.name)
    endpoint.hostname = hostname;
  return endpoint;
}

export class EndpointSliceController extends Controller {
  constructor(kit: ControllerKit) {
    super(kit, "endpointslice-controller");
    this.enqueueAll(SERVICES);
  }

  protected onEvent(e: StoredEvent): void {
    const ns = e.object.metadata.namespace;
    if (e.storageKey === SERVICES) this.queue.add(`${ns}/${e.object.metadata.name}`);
    else if (e.storageKey === ENDPOINTSLICES) {
      const labels = e.object.metadata.labels ?? {};
      if (labels[MANAGED_BY_LABEL] === MANAGED_BY && labels[SERVICE_NAME_LABEL])
        this.queue.add(`${ns}/${labels[SERVICE_NAME_LABEL]}`);
    } else if (e.storageKey === PODS) {
      for (const svc of this.kit.list(SERVICES, ns)) {
        const sel = serviceSelector(svc);
        if (!sel) continue;
        const selected = (p: KubeObject | undefined) =>
          p !== undefined && labelSelectorMatches({ matchLabels: sel }, p.metadata.labels ?? {});
        if (selected(e.object) || selected(e.previous)) this.queue.add(`${ns}/${svc.metadata.name}`);
      }
    }
  }

  private managedSlices(namespace: string | undefined, service: string): KubeObject[] {
    return this.kit.list(ENDPOINTSLICES, namespace).filter((s) => {
      const labels = s.metadata.labels ?? {};
      return labels[SERVICE_NAME_LABEL] === service && labels[MANAGED_BY_LABEL] === MANAGED_BY;
    });
  }

  protected reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const svc = this.kit.get(SERVICES, namespace, name);
    const existing = this.managedSlices(namespace, name);
    const selector = svc && !isTerminating(svc) ? serviceSelector(svc) : undefined;
    if (!svc || !selector) {
      // Without a selector the Service's endpoints are someone else's to manage.
      for (const slice of existing) this.kit.tolerate(() => this.kit.delete(ENDPOINTSLICES, slice));
      return;
    }
    const desired = this.desiredSlices(svc, selector);
    const unused = [...existing];
    for (const want of desired) {
      const portsKey = JSON.stringify(want.ports ?? null);
      const i = unused.findIndex((s) => JSON.stringify(s.ports ?? null) === portsKey);
      const slice = i >= 0 ? unused.splice(i, 1)[0] : undefined;
      if (slice) this.updateSlice(svc, slice, want);
      else this.kit.tolerate(() => this.kit.create(ENDPOINTSLICES, namespace, this.newSlice(svc, want)));
    }
    for (const slice of unused) this.kit.tolerate(() => this.kit.delete(ENDPOINTSLICES, slice));
  }

  /** Endpoints grouped by their resolved ports, at most 100 to a slice; one empty slice when nothing is selected. */
  private desiredSlices(
    svc: KubeObject,
    selector: Record<string, string>,
  ): { ports?: EndpointPort[]; endpoints: JsonObject[] }[] {
    const servicePorts = Array.isArray(specOf(svc).ports) ? (specOf(svc).ports as JsonObject[]) : [];
    const groups = new Map<string, { ports: EndpointPort[]; endpoints: JsonObject[] }>();
    const pods = this.kit
      .list(PODS, svc.metadata.namespace)
      .filter(
        (p) => labelSelectorMatches({ matchLabels: selector }, p.metadata.labels ?? {}) && belongsInSlices(p),
      );
    for (const pod of pods) {
      const ports: EndpointPort[] = [];
      for (const sp of servicePorts) {
        const port = findPort(pod, sp);
        if (port === undefined) continue;
        const ep: EndpointPort = {
          name: String(sp.name ?? ""),
          port,
          protocol: String(sp.protocol ?? "TCP"),
        };
        if (typeof sp.appProtocol === "string") ep.appProtocol = sp.appProtocol;
        ports.push(ep);
      }
      const key = JSON.stringify(ports);
      const group = groups.get(key) ?? { ports, endpoints: [] };
      groups.set(key, group);
      group.endpoints.push(endpointFor(pod, svc));
    }
    const out: { ports?: EndpointPort[]; endpoints: JsonObject[] }[] = [];
    for (const g of groups.values())
      for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE)
        out.push({ ports: g.ports, endpoints: g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
    if (out.length === 0) out.push({ endpoints: [] });
    return out;
  }

  private labelsFor(svc: KubeObject): Record<string, string> {
    const labels: Record<string, string> = { ...svc.metadata.labels };
    labels[SERVICE_NAME_LABEL] = svc.metadata.name!;
    labels[MANAGED_BY_LABEL] = MANAGED_BY;
    if (specOf(svc).clusterIP === "None") labels["service.kubernetes.io/headless"] = "";
    return labels;
  }

  private newSlice(svc: KubeObject, want: { ports?: EndpointPort[]; endpoints: JsonObject[] }): KubeObject {
    const slice: KubeObject = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        generateName: `${svc.metadata.name}-`,
        namespace: svc.metadata.namespace,
        labels: this.labelsFor(svc),
        annotations: { [TRIGGER_TIME]: nowTimestamp(new Date(this.kit.clock())) },
        ownerReferences: [newControllerRef(svc)],
      },
      addressType: "IPv4",
      endpoints: want.endpoints,
    };
    if (want.ports) slice.ports = want.ports;
    return slice;
  }

  private updateSlice(
    svc: KubeObject,
    slice: KubeObject,
    want: { ports?: EndpointPort[]; endpoints: JsonObject[] },
  ): void {
    const labels = this.labelsFor(svc);
    if (deepEqual(slice.endpoints, want.endpoints) && deepEqual(slice.metadata.labels, labels)) return;
    const next = structuredClone(slice) as KubeObject;
    next.endpoints = want.endpoints;
    next.metadata.labels = labels;
    next.metadata.annotations = {
      ...next.metadata.annotations,
      [TRIGGER_TIME]: nowTimestamp(new Date(this.kit.clock())),
    };
    this.kit.tolerate(() => this.kit.update(ENDPOINTSLICES, next));
  }
}
