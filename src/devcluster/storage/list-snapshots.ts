/**
 * Paged LIST: the first page takes a snapshot of the matching objects (stored objects are immutable, so
 * this is an array of references), later pages read from it, so every page is consistent with the first,
 * as when the real server reads etcd at the first page's revision. Old snapshots expire (410 Gone).
 */
import { randomUUID } from "node:crypto";
import { badRequest, gone } from "../errors.js";
import type { KubeObject } from "../types.js";

interface Snapshot {
  items: KubeObject[];
  rv: number;
  created: number;
}

interface Token {
  id: string;
  offset: number;
  rv: number;
}

const TOO_OLD =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

export interface Page {
  items: KubeObject[];
  rv: number;
  continue?: string;
  remainingItemCount?: number;
}

export class ListSnapshots {
  private readonly snapshots = new Map<string, Snapshot>();

  constructor(
    private readonly maxSnapshots = 64,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  private page(id: string, snap: Snapshot, offset: number, limit: number | undefined): Page {
    if (!limit || offset + limit >= snap.items.length) {
      this.snapshots.delete(id);
      return { items: snap.items.slice(offset), rv: snap.rv };
    }
    const next = offset + limit;
    const token: Token = { id, offset: next, rv: snap.rv };
    return {
      items: snap.items.slice(offset, next),
      rv: snap.rv,
      continue: Buffer.from(JSON.stringify(token)).toString("base64url"),
      remainingItemCount: snap.items.length - next,
    };
  }

  first(items: KubeObject[], rv: number, limit: number | undefined): Page {
    if (!limit || items.length <= limit) return { items, rv };
    const now = Date.now();
    for (const [k, s] of this.snapshots) if (now - s.created > this.ttlMs) this.snapshots.delete(k);
    while (this.snapshots.size >= this.maxSnapshots)
      this.snapshots.delete(this.snapshots.keys().next().value!);
    const id = randomUUID();
    const snap = { items, rv, created: now };
    this.snapshots.set(id, snap);
    return this.page(id, snap, 0, limit);
  }

  next(continueToken: string, limit: number | undefined): Page {
    let token: Token;
    try {
      token = JSON.parse(Buffer.from(continueToken, "base64url").toString()) as Token;
    } catch {
      throw badRequest(
        "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
      );
    }
    const snap = this.snapshots.get(token.id);
    if (!snap || typeof token.offset !== "number") throw gone(TOO_OLD);
    return this.page(token.id, snap, token.offset, limit);
  }

  /** Forgets every snapshot, as a compaction does; tests use it to provoke 410 on `continue`. */
  expireAll(): void {
    this.snapshots.clear();
  }
}
