import type { KubeObject } from "../kube/resources.js";
import { objectKey } from "../kube/resources.js";

/** Freezes the object and everything under it: cached objects are shared and must never be mutated. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export interface StoreListener {
  onAdd?(obj: KubeObject): void;
  onUpdate?(oldObj: KubeObject, newObj: KubeObject): void;
  onDelete?(obj: KubeObject): void;
}

/** The cache of one informer: frozen objects by namespace/name. */
export class Store {
  private readonly objects = new Map<string, KubeObject>();

  constructor(private readonly listener: StoreListener = {}) {}

  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }

  list(): KubeObject[] {
    return [...this.objects.values()];
  }

  get size(): number {
    return this.objects.size;
  }

  /** Inserts or replaces; an object whose resourceVersion did not change is not news. */
  upsert(obj: KubeObject): void {
    const key = objectKey(obj);
    const old = this.objects.get(key);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    const frozen = deepFreeze(obj);
    this.objects.set(key, frozen);
    if (old) this.listener.onUpdate?.(old, frozen);
    else this.listener.onAdd?.(frozen);
  }

  remove(obj: KubeObject): void {
    const key = objectKey(obj);
    const old = this.objects.get(key);
    if (!old) return;
    this.objects.delete(key);
    this.listener.onDelete?.(old);
  }

  /** A fresh list: upsert what came back, delete what is gone (missed DELETED events). */
  replace(items: KubeObject[]): void {
    const seen = new Set<string>();
    for (const item of items) {
      seen.add(objectKey(item));
      this.upsert(item);
    }
    for (const [key, obj] of [...this.objects]) {
      if (!seen.has(key)) this.remove(obj);
    }
  }
}
