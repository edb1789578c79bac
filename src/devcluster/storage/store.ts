/**
 * In-memory storage with one global, monotonically increasing resourceVersion (as etcd's revision) and a
 * bounded history of changes that watches replay from. Objects are stored frozen: a write always stores a
 * new object, so a LIST snapshot (continue tokens) and watch events can keep references without copying.
 */
import type { KubeObject, WatchEventType } from "../types.js";
import { markStored } from "./stored-json.js";

export interface StoredEvent {
  type: WatchEventType;
  storageKey: string;
  object: KubeObject;
  /** The object before this change (MODIFIED and DELETED), for selector transitions in watches. */
  previous?: KubeObject;
  rv: number;
}

type Bucket = { objects: Map<string, KubeObject>; sorted?: string[] };

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export class Store {
  private rv = 1;
  private readonly buckets = new Map<string, Bucket>();
  private history: StoredEvent[] = [];
  private historyStart = 0;
  /** Events at or below this revision have been dropped from history. */
  private compactedRv = 1;
  private readonly listeners = new Set<(e: StoredEvent) => void>();

  constructor(private readonly historyLimit: number) {}

  currentRv(): number {
    return this.rv;
  }

  /** The oldest revision a watch can start from. */
  oldestWatchableRv(): number {
    return this.compactedRv;
  }

  private bucket(storageKey: string): Bucket {
    let b = this.buckets.get(storageKey);
    if (!b) {
      b = { objects: new Map() };
      this.buckets.set(storageKey, b);
    }
    return b;
  }

  get(storageKey: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.buckets.get(storageKey)?.objects.get(objectKey(namespace, name));
  }

  /** Objects in key order (namespace/name), as etcd returns them. */
  list(storageKey: string, namespace?: string): KubeObject[] {
    const b = this.buckets.get(storageKey);
    if (!b) return [];
    if (!b.sorted) b.sorted = [...b.objects.keys()].sort();
    const out: KubeObject[] = [];
    const prefix = namespace ? `${namespace}/` : undefined;
    for (const k of b.sorted) {
      if (prefix && !k.startsWith(prefix)) continue;
      out.push(b.objects.get(k)!);
    }
    return out;
  }

  count(storageKey: string): number {
    return this.buckets.get(storageKey)?.objects.size ?? 0;
  }

  storageKeys(): string[] {
    return [...this.buckets.keys()];
  }

  /** Stores a new object version under a fresh resourceVersion and notifies watchers. */
  put(storageKey: string, obj: KubeObject, previous: KubeObject | undefined): KubeObject {
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    markStored(deepFreeze(obj));
    const b = this.bucket(storageKey);
    const key = objectKey(obj.metadata.namespace, obj.metadata.name!);
    if (!b.objects.has(key)) b.sorted = undefined;
    b.objects.set(key, obj);
    this.emit({ type: previous ? "MODIFIED" : "ADDED", storageKey, object: obj, previous, rv: this.rv });
    return obj;
  }

  /** Removes an object; the DELETED event carries the object at a new resourceVersion, as the real server. */
  remove(storageKey: string, obj: KubeObject): KubeObject {
    const b = this.bucket(storageKey);
    const key = objectKey(obj.metadata.namespace, obj.metadata.name!);
    const previous = b.objects.get(key);
    b.objects.delete(key);
    b.sorted = undefined;
    this.rv++;
    const final = deepFreeze({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } });
    markStored(final);
    this.emit({ type: "DELETED", storageKey, object: final, previous, rv: this.rv });
    return final;
  }

  private emit(e: StoredEvent): void {
    this.history.push(e);
    if (this.history.length - this.historyStart > this.historyLimit) {
      this.compactedRv = this.history[this.historyStart]!.rv;
      this.historyStart++;
      if (this.historyStart > 1024) {
        this.history = this.history.slice(this.historyStart);
        this.historyStart = 0;
      }
    }
    for (const l of this.listeners) l(e);
  }

  /** Events after `rv`, or undefined when some of them were already compacted away (410 Gone). */
  eventsSince(rv: number, storageKey?: string): StoredEvent[] | undefined {
    if (rv < this.compactedRv) return undefined;
    let lo = this.historyStart;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    const out: StoredEvent[] = [];
    for (let i = lo; i < this.history.length; i++) {
      const e = this.history[i]!;
      if (!storageKey || e.storageKey === storageKey) out.push(e);
    }
    return out;
  }

  subscribe(listener: (e: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
