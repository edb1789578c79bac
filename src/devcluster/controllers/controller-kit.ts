/**
 * What every in-process workload controller shares: typed access to the store through the verbs (so
 * each write gets the API server's defaulting, validation and watch events), status writes that skip
 * no-op updates, tolerance of the races a real controller also loses (404, 409), and a work queue fed
 * by store events.
 */
import { randomBytes } from "node:crypto";
import { ApiError } from "../errors.js";
import type { ResourceRegistry } from "../storage/registry.js";
import type { ResourceType } from "../storage/resource-type.js";
import type { Store, StoredEvent } from "../storage/store.js";
import { nowTimestamp } from "../time-format.js";
import { deepEqual, type JsonObject, type KubeObject } from "../types.js";
import {
  type DeleteOptions,
  type Operations,
  systemContext,
  type WriteContext,
} from "../writes/operations.js";
import { WorkQueue } from "./work-queue.js";

export const PODS = "/pods";
export const NODES = "/nodes";
export const SERVICES = "/services";
export const PVCS = "/persistentvolumeclaims";
export const PVS = "/persistentvolumes";
export const DEPLOYMENTS = "apps/deployments";
export const REPLICASETS = "apps/replicasets";
export const JOBS = "batch/jobs";
export const CRONJOBS = "batch/cronjobs";
export const ENDPOINTSLICES = "discovery.k8s.io/endpointslices";
export const EVENTS = "/events";

/** Milliseconds since the epoch; tests may move it. */
export type Clock = () => number;

export const objectKeyOf = (obj: KubeObject) =>
  obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!;

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export class ControllerKit {
  readonly ctx: WriteContext;

  constructor(
    readonly store: Store,
    readonly registry: ResourceRegistry,
    readonly ops: Operations,
    user: string,
    /** The name events are reported by (their source component). */
    readonly component: string,
    readonly clock: Clock = Date.now,
  ) {
    this.ctx = systemContext(
      user,
      component === "default-scheduler" ? "kube-scheduler" : "kube-controller-manager",
    );
  }

  type(storageKey: string): ResourceType {
    const rt = this.registry.byStorageKey(storageKey);
    if (!rt) throw new Error(`no resource is stored under ${storageKey}`);
    return rt;
  }

  get(storageKey: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(storageKey, namespace, name);
  }

  list(storageKey: string, namespace?: string): KubeObject[] {
    return this.store.list(storageKey, namespace);
  }

  create(storageKey: string, namespace: string | undefined, obj: unknown): KubeObject {
    return this.ops.create(this.type(storageKey), namespace, obj, this.ctx);
  }

  /** Replaces an object (main resource) with `next`, which must carry the resourceVersion it was read at. */
  update(storageKey: string, next: KubeObject): KubeObject {
    return this.ops.update(
      this.type(storageKey),
      next.metadata.namespace,
      next.metadata.name!,
      next,
      this.ctx,
    );
  }

  /** Writes the status subresource unless it already says exactly this. */
  writeStatus(storageKey: string, obj: KubeObject, status: JsonObject): KubeObject {
    if (deepEqual(status, obj.status)) return obj;
    return this.ops.update(
      this.type(storageKey),
      obj.metadata.namespace,
      obj.metadata.name!,
      { ...obj, status },
      this.ctx,
      "status",
    );
  }

  delete(storageKey: string, obj: KubeObject, opts: DeleteOptions = {}): void {
    const preconditions = { uid: obj.metadata.uid! };
    this.ops.delete(
      this.type(storageKey),
      obj.metadata.namespace,
      obj.metadata.name!,
      { ...opts, preconditions },
      this.ctx,
    );
  }

  /**
   * Records an Event about `obj` as the controller's event recorder does, so `kubectl describe` and
   * `kubectl get events` tell what it did. Events are best effort: failing to record one changes nothing.
   */
  event(obj: KubeObject, type: "Normal" | "Warning", reason: string, message: string): void {
    const namespace = obj.metadata.namespace ?? "default";
    const now = nowTimestamp(new Date(this.clock()));
    const component = this.component;
    try {
      this.ops.create(
        this.type(EVENTS),
        namespace,
        {
          metadata: { name: `${obj.metadata.name}.${randomBytes(8).toString("hex")}`, namespace },
          involvedObject: {
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            name: obj.metadata.name,
            namespace: obj.metadata.namespace,
            uid: obj.metadata.uid,
            resourceVersion: obj.metadata.resourceVersion,
          },
          reason,
          message,
          type,
          source: { component },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
          reportingComponent: component,
          reportingInstance: "",
        },
        this.ctx,
      );
    } catch {
      // An event that cannot be stored (namespace terminating) is dropped, as the recorder drops it.
    }
  }

  /** Runs a write that may lose a race (the object is gone or changed); the loser is requeued by its event. */
  tolerate<T>(write: () => T): T | undefined {
    try {
      return write();
    } catch (e) {
      if (e instanceof ApiError && (e.code === 404 || e.code === 409)) return undefined;
      throw e;
    }
  }
}

/**
 * The skeleton of a controller: store events are mapped to keys of objects to reconcile, the queue
 * deduplicates them, and `reconcile` runs each key level-triggered.
 */
export abstract class Controller {
  protected readonly queue: WorkQueue;
  private readonly unsubscribe: () => void;

  constructor(
    protected readonly kit: ControllerKit,
    readonly name: string,
  ) {
    this.queue = new WorkQueue(
      (k) => this.reconcile(k),
      (k, err) => console.error(`${this.name}: syncing ${k} failed: ${(err as Error).stack ?? err}`),
    );
    this.unsubscribe = kit.store.subscribe((e) => this.onEvent(e));
  }

  /** Queues the keys a change concerns; runs synchronously inside the store's write, so it must not write. */
  protected abstract onEvent(e: StoredEvent): void;

  protected abstract reconcile(key: string): void;

  /** Queues every object of a kind, e.g. at start. */
  protected enqueueAll(storageKey: string): void {
    for (const o of this.kit.list(storageKey)) this.queue.add(objectKeyOf(o));
  }

  stop(): void {
    this.queue.stop();
    this.unsubscribe();
  }
}
