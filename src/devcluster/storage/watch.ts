/**
 * Watch streams: synthetic ADDED events for the current state (or replay from a resourceVersion out of the
 * bounded history, 410 Gone in an ERROR event when it is too old), then live ADDED/MODIFIED/DELETED with
 * selector transitions, BOOKMARKs when asked, `timeoutSeconds`, and the watch-list flow
 * (`sendInitialEvents=true`). Faults can stall a stream (kept open, silent) or close it early.
 *
 * An event's object is written with its stored text (storage/stored-json.ts), serialized once for every
 * watcher and the write's own answer; each watcher still decides alone what it sends. The lines of one
 * turn of the event loop go out together, one socket write per watcher instead of one per event.
 */
import type { ServerResponse } from "node:http";
import { gone } from "../errors.js";
import { type IncludeObject, toTable } from "../http/table.js";
import type { Matcher } from "../schemas/selectors.js";
import type { KubeObject } from "../types.js";
import type { Operations } from "../writes/operations.js";
import { groupVersion, type ResourceType } from "./resource-type.js";
import type { Store, StoredEvent } from "./store.js";
import { jsonText } from "./stored-json.js";

export interface WatchRequest {
  rt: ResourceType;
  namespace?: string;
  match: Matcher;
  /** undefined: start with the current state as ADDED events. */
  fromRv?: number;
  bookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds: number;
  table?: IncludeObject;
}

export interface WatchSelector {
  resource?: string;
  namespace?: string;
}

type EventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export class ActiveWatch {
  stalled = false;
  private closed = false;
  private sentColumns = false;
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  /** Lines written since the last flush. */
  private pending: string[] = [];

  constructor(
    readonly req: WatchRequest,
    private readonly res: ServerResponse,
    private readonly ops: Operations,
    private readonly onClose: (w: ActiveWatch) => void,
  ) {}

  matches(sel: WatchSelector): boolean {
    if (sel.resource && sel.resource !== this.req.rt.plural) return false;
    if (sel.namespace && sel.namespace !== this.req.namespace) return false;
    return true;
  }

  private inScope(obj: KubeObject | undefined): boolean {
    if (!obj) return false;
    if (this.req.namespace && obj.metadata.namespace !== this.req.namespace) return false;
    return this.req.match(obj);
  }

  /** The line JSON.stringify({ type, object }) would make, with the object's text shared. */
  private line(type: EventType, object: unknown): string {
    return `{"type":"${type}","object":${jsonText(object)}}\n`;
  }

  private write(line: string): void {
    if (this.pending.length === 0) setImmediate(() => this.flush());
    this.pending.push(line);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join("");
    this.pending = [];
    if (!this.res.writableEnded && !this.res.destroyed) this.res.write(text);
  }

  private send(type: EventType, obj: KubeObject): void {
    if (this.closed || this.stalled) return;
    const presented = this.ops.present(this.req.rt, obj);
    if (this.req.table && type !== "BOOKMARK") {
      const table = toTable(
        this.req.rt,
        [presented],
        { resourceVersion: obj.metadata.resourceVersion },
        this.req.table,
        this.ops.store,
        !this.sentColumns,
      );
      this.sentColumns = true;
      this.write(this.line(type, table));
      return;
    }
    this.write(this.line(type, presented));
  }

  private bookmark(rv: number, initialEnd = false): void {
    const metadata: KubeObject["metadata"] = { resourceVersion: String(rv) };
    if (initialEnd) metadata.annotations = { "k8s.io/initial-events-end": "true" };
    this.send("BOOKMARK", { apiVersion: groupVersion(this.req.rt), kind: this.req.rt.kind, metadata });
  }

  private deliver(e: StoredEvent): void {
    if (e.storageKey !== this.req.rt.storageKey) return;
    const now = e.type !== "DELETED" && this.inScope(e.object);
    const before = e.type !== "ADDED" && this.inScope(e.previous ?? e.object);
    if (e.type === "ADDED") {
      if (now) this.send("ADDED", e.object);
    } else if (e.type === "DELETED") {
      if (before || this.inScope(e.object)) this.send("DELETED", e.object);
    } else if (now && before) this.send("MODIFIED", e.object);
    else if (now) this.send("ADDED", e.object);
    else if (before) this.send("DELETED", e.object);
  }

  start(store: Store, bookmarkIntervalMs: number): void {
    const { req } = this;
    this.res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
    this.res.flushHeaders();
    this.res.on("close", () => this.close());
    let backlog: StoredEvent[] | undefined = [];
    if (req.fromRv !== undefined && !req.sendInitialEvents) {
      backlog = store.eventsSince(req.fromRv, req.rt.storageKey);
      if (!backlog) {
        const err = gone(`too old resource version: ${req.fromRv} (${store.oldestWatchableRv()})`);
        this.write(this.line("ERROR", err.toStatus()));
        this.close();
        return;
      }
    }
    this.unsubscribe = store.subscribe((e) => this.deliver(e));
    if (req.fromRv === undefined || req.sendInitialEvents) {
      for (const obj of store.list(req.rt.storageKey, req.rt.namespaced ? req.namespace : undefined)) {
        if (this.inScope(obj)) this.send("ADDED", obj);
      }
      if (req.sendInitialEvents) this.bookmark(store.currentRv(), true);
    } else {
      for (const e of backlog) this.deliver(e);
    }
    if (req.bookmarks) {
      const t = setInterval(() => this.bookmark(store.currentRv()), bookmarkIntervalMs);
      t.unref();
      this.timers.push(t);
    }
    const timeout = setTimeout(() => this.close(), req.timeoutSeconds * 1000);
    timeout.unref();
    this.timers.push(timeout);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.unsubscribe?.();
    this.flush();
    if (!this.res.writableEnded) this.res.end();
    this.onClose(this);
  }
}

export class WatchHub {
  private readonly active = new Set<ActiveWatch>();
  /** Selectors under which newly opened watches start stalled. */
  private readonly stallNew = new Set<WatchSelector>();

  constructor(
    private readonly store: Store,
    private readonly ops: Operations,
    private readonly bookmarkIntervalMs: number,
  ) {}

  serve(req: WatchRequest, res: ServerResponse): void {
    const w = new ActiveWatch(req, res, this.ops, (x) => this.active.delete(x));
    if ([...this.stallNew].some((s) => w.matches(s))) w.stalled = true;
    this.active.add(w);
    w.start(this.store, this.bookmarkIntervalMs);
  }

  get count(): number {
    return this.active.size;
  }

  closeMatching(sel: WatchSelector): number {
    let n = 0;
    for (const w of [...this.active]) {
      if (w.matches(sel)) {
        w.close();
        n++;
      }
    }
    return n;
  }

  /** Silences matching watches (open, no events) until released; releasing closes them. */
  stall(sel: WatchSelector, includeNew: boolean): { stalled: number; release: () => void } {
    const stalled = [...this.active].filter((w) => w.matches(sel));
    for (const w of stalled) w.stalled = true;
    if (includeNew) this.stallNew.add(sel);
    return {
      stalled: stalled.length,
      release: () => {
        this.stallNew.delete(sel);
        for (const w of [...this.active]) if (w.stalled && w.matches(sel)) w.close();
      },
    };
  }

  closeAll(): void {
    for (const w of [...this.active]) w.close();
  }
}
