/**
 * The garbage collector and the namespace controller of kube-controller-manager, in process:
 * dependents whose owners are all gone are deleted (background), foreground deletion waits for blocking
 * dependents, orphaning strips owner references, and a terminating namespace is emptied, then removed.
 */
import { ApiError } from "../errors.js";
import type { ResourceRegistry } from "../storage/registry.js";
import type { ResourceType } from "../storage/resource-type.js";
import type { Store, StoredEvent } from "../storage/store.js";
import { isObject, type KubeObject, type OwnerReference } from "../types.js";
import {
  FOREGROUND_FINALIZER,
  type Operations,
  ORPHAN_FINALIZER,
  systemContext,
} from "../writes/operations.js";
import { WorkQueue } from "./work-queue.js";

const NAMESPACES = "/namespaces";
const SEP = "\u0000";

interface Ref {
  storageKey: string;
  namespace?: string;
  name: string;
}

const refKey = (r: Ref) => [r.storageKey, r.namespace ?? "", r.name].join(SEP);
const parseRef = (k: string): Ref => {
  const [storageKey, namespace, name] = k.split(SEP) as [string, string, string];
  return namespace ? { storageKey, namespace, name } : { storageKey, name };
};

export class GarbageCollector {
  /** owner uid -> dependents. */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly ownersOf = new Map<string, string[]>();
  private readonly queue: WorkQueue;
  private readonly namespaces: WorkQueue;
  private readonly unsubscribe: () => void;
  private readonly ctx = systemContext(
    "system:serviceaccount:kube-system:generic-garbage-collector",
    "kube-controller-manager",
  );

  constructor(
    private readonly store: Store,
    private readonly registry: ResourceRegistry,
    private readonly ops: Operations,
  ) {
    this.queue = new WorkQueue((k) => this.processObject(k));
    this.namespaces = new WorkQueue((ns) => this.processNamespace(ns));
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  stop(): void {
    this.queue.stop();
    this.namespaces.stop();
    this.unsubscribe();
  }

  private onEvent(e: StoredEvent): void {
    const obj = e.object;
    const ref: Ref = { storageKey: e.storageKey, name: obj.metadata.name! };
    if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
    const key = refKey(ref);
    for (const uid of this.ownersOf.get(key) ?? []) this.dependents.get(uid)?.delete(key);
    this.ownersOf.delete(key);
    if (e.type === "DELETED") {
      const uid = obj.metadata.uid;
      if (uid) for (const d of this.dependents.get(uid) ?? []) this.queue.add(d);
      if (uid) this.dependents.delete(uid);
      if (obj.metadata.namespace) {
        const ns = this.store.get(NAMESPACES, undefined, obj.metadata.namespace);
        if (ns?.metadata.deletionTimestamp) this.namespaces.add(obj.metadata.namespace);
      }
      // An owner that blocked on this dependent (foreground deletion) may now finish.
      for (const o of obj.metadata.ownerReferences ?? []) this.queueOwner(o, obj.metadata.namespace);
      return;
    }
    const owners = (obj.metadata.ownerReferences ?? []).map((o) => o.uid).filter(Boolean);
    if (owners.length) {
      this.ownersOf.set(key, owners);
      for (const uid of owners) {
        const set = this.dependents.get(uid) ?? new Set<string>();
        this.dependents.set(uid, set);
        set.add(key);
      }
      if (e.type === "ADDED") this.queue.add(key, 10);
    }
    if (obj.metadata.deletionTimestamp) {
      if (e.storageKey === NAMESPACES) this.namespaces.add(obj.metadata.name!);
      const f = obj.metadata.finalizers ?? [];
      if (f.includes(ORPHAN_FINALIZER) || f.includes(FOREGROUND_FINALIZER)) this.queue.add(key);
    }
  }

  private queueOwner(o: OwnerReference, dependentNamespace: string | undefined): void {
    const rt = this.registry.byKind(o.apiVersion, o.kind);
    if (!rt) return;
    const ref: Ref = { storageKey: rt.storageKey, name: o.name };
    if (rt.namespaced && dependentNamespace) ref.namespace = dependentNamespace;
    this.queue.add(refKey(ref));
  }

  private typeOf(storageKey: string): ResourceType | undefined {
    return this.registry.byStorageKey(storageKey);
  }

  /** undefined: cannot tell (unknown kind), so the dependent is left alone as the real GC does. */
  private ownerExists(o: OwnerReference, dependentNamespace: string | undefined): boolean | undefined {
    const rt = this.registry.byKind(o.apiVersion, o.kind);
    if (!rt) return undefined;
    const owner = this.store.get(rt.storageKey, rt.namespaced ? dependentNamespace : undefined, o.name);
    return owner !== undefined && owner.metadata.uid === o.uid;
  }

  private processObject(key: string): void {
    const ref = parseRef(key);
    const obj = this.store.get(ref.storageKey, ref.namespace, ref.name);
    const rt = this.typeOf(ref.storageKey);
    if (!obj || !rt) return;
    const finalizers = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && finalizers.includes(ORPHAN_FINALIZER)) {
      this.orphan(obj, rt);
      return;
    }
    if (obj.metadata.deletionTimestamp && finalizers.includes(FOREGROUND_FINALIZER)) {
      this.foreground(obj, rt);
      return;
    }
    const owners = obj.metadata.ownerReferences ?? [];
    if (owners.length === 0 || obj.metadata.deletionTimestamp) return;
    const states = owners.map((o) => this.ownerExists(o, obj.metadata.namespace));
    if (states.some((s) => s === true || s === undefined)) {
      const dangling = owners.filter((_, i) => states[i] === false);
      if (dangling.length) {
        const next = structuredClone(obj);
        next.metadata.ownerReferences = owners.filter((_, i) => states[i] !== false);
        this.ignoreGone(() =>
          this.ops.update(rt, obj.metadata.namespace, obj.metadata.name!, next, this.ctx),
        );
      }
      return;
    }
    this.ignoreGone(() => this.ops.delete(rt, obj.metadata.namespace, obj.metadata.name!, {}, this.ctx));
  }

  private liveDependents(uid: string): { key: string; obj: KubeObject }[] {
    const out: { key: string; obj: KubeObject }[] = [];
    for (const key of this.dependents.get(uid) ?? []) {
      const r = parseRef(key);
      const obj = this.store.get(r.storageKey, r.namespace, r.name);
      if (obj) out.push({ key, obj });
    }
    return out;
  }

  private removeFinalizer(obj: KubeObject, rt: ResourceType, finalizer: string): void {
    const next = structuredClone(obj);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    this.ignoreGone(() => this.ops.update(rt, obj.metadata.namespace, obj.metadata.name!, next, this.ctx));
  }

  private orphan(obj: KubeObject, rt: ResourceType): void {
    for (const { obj: d } of this.liveDependents(obj.metadata.uid!)) {
      const drt = this.typeOf(this.storageKeyOf(d));
      if (!drt) continue;
      const next = structuredClone(d);
      next.metadata.ownerReferences = (d.metadata.ownerReferences ?? []).filter(
        (o) => o.uid !== obj.metadata.uid,
      );
      if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
      this.ignoreGone(() => this.ops.update(drt, d.metadata.namespace, d.metadata.name!, next, this.ctx));
    }
    this.removeFinalizer(obj, rt, ORPHAN_FINALIZER);
  }

  private storageKeyOf(obj: KubeObject): string {
    const rt = this.registry.byKind(obj.apiVersion, obj.kind);
    return rt?.storageKey ?? "";
  }

  private foreground(obj: KubeObject, rt: ResourceType): void {
    const deps = this.liveDependents(obj.metadata.uid!);
    let blocking = 0;
    for (const { obj: d } of deps) {
      const drt = this.typeOf(this.storageKeyOf(d));
      if (!drt) continue;
      const ref = (d.metadata.ownerReferences ?? []).find((o) => o.uid === obj.metadata.uid);
      if (ref?.blockOwnerDeletion) blocking++;
      if (!d.metadata.deletionTimestamp)
        this.ignoreGone(() =>
          this.ops.delete(
            drt,
            d.metadata.namespace,
            d.metadata.name!,
            { propagationPolicy: "Foreground" },
            this.ctx,
          ),
        );
    }
    if (blocking === 0) this.removeFinalizer(obj, rt, FOREGROUND_FINALIZER);
  }

  private processNamespace(name: string): void {
    const ns = this.store.get(NAMESPACES, undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const rt of this.registry.storageTypes()) {
      if (!rt.namespaced) continue;
      for (const obj of this.store.list(rt.storageKey, name)) {
        remaining++;
        if (!obj.metadata.deletionTimestamp)
          this.ignoreGone(() => this.ops.delete(rt, name, obj.metadata.name!, {}, this.ctx));
      }
    }
    const left = this.registry
      .storageTypes()
      .some((rt) => rt.namespaced && this.store.list(rt.storageKey, name).length > 0);
    if (remaining > 0 && left) {
      this.namespaces.add(name, 200);
      return;
    }
    const spec = isObject(ns.spec) ? ns.spec : {};
    if (Array.isArray(spec.finalizers) && spec.finalizers.includes("kubernetes")) {
      const nsType = this.registry.find("", "v1", "namespaces")!;
      const next = structuredClone(ns);
      next.spec = { ...spec, finalizers: (spec.finalizers as string[]).filter((f) => f !== "kubernetes") };
      this.ignoreGone(() => this.ops.update(nsType, undefined, name, next, this.ctx, "finalize"));
    }
  }

  private ignoreGone(write: () => unknown): void {
    try {
      write();
    } catch (e) {
      if (e instanceof ApiError && (e.code === 404 || e.code === 409)) return;
      throw e;
    }
  }
}
