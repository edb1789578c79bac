import { type KubeObject, objectKey } from "../api/kube-object.js";

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

/** Files an object under one index key (or none), e.g. the WebApp that owns a child. */
export type IndexFunction = (obj: KubeObject) => string | undefined;

/**
 * The cache of one informer: frozen objects by namespace/name, and optionally by one index (so a
 * reconcile finds a WebApp's children without scanning every cached object).
 */
export class Store {
  private readonly objects = new Map<string, KubeObject>();
  private readonly index = new Map<string, Set<string>>();

  constructor(
    private readonly listener: StoreListener = {},
    private readonly indexOf?: IndexFunction,
    /**
     * Freeze what is stored, so a mutation of a shared cached object throws where it happens. The
     * tests run with it; an operator at scale skips the walk over every object (about a millisecond
     * per WebApp).
     */
    private readonly freeze = true,
  ) {}

  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }

  /** Objects filed under an index key. */
  byIndex(indexKey: string): KubeObject[] {
    const keys = this.index.get(indexKey);
    if (!keys) return [];
    return [...keys].map((k) => this.objects.get(k)).filter((o): o is KubeObject => o !== undefined);
  }

  private reindex(key: string, old: KubeObject | undefined, next: KubeObject | undefined): void {
    if (!this.indexOf) return;
    const before = old ? this.indexOf(old) : undefined;
    const after = next ? this.indexOf(next) : undefined;
    if (before === after) return;
    if (before !== undefined) {
      const set = this.index.get(before);
      set?.delete(key);
      if (set?.size === 0) this.index.delete(before);
    }
    if (after !== undefined) {
      const set = this.index.get(after) ?? new Set<string>();
      set.add(key);
      this.index.set(after, set);
    }
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
    const frozen = this.freeze ? deepFreeze(obj) : obj;
    this.objects.set(key, frozen);
    this.reindex(key, old, frozen);
    if (old) this.listener.onUpdate?.(old, frozen);
    else this.listener.onAdd?.(frozen);
  }

  remove(obj: KubeObject): void {
    const key = objectKey(obj);
    const old = this.objects.get(key);
    if (!old) return;
    this.objects.delete(key);
    this.reindex(key, old, undefined);
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
