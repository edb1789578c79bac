import type { KubeObject } from "../api/kube-object.js";
import { FIELD_MANAGER } from "../kube/client.js";
import { isNotFound, retryAfterMs } from "../kube/errors.js";
import type { Child } from "../render/index.js";
import type { Logger } from "../runtime/logger.js";
import { CHILD_POLICIES, changedImmutableFields } from "./child-policies.js";
import { desiredMatchesLive } from "./diff.js";
import { childId, mayWrite } from "./ownership.js";
import type { RecentWrites } from "./recent-writes.js";
import type { ReconcileReader, ReconcileWriter } from "./reconcile-io.js";

export interface ApplyOutcome {
  /** The live (or just written) object of every desired child that exists, by child id. */
  observed: Map<string, KubeObject>;
  applied: number;
  skipped: number;
  /** `Kind name` of each child whose object changed on the server. */
  changed: string[];
  /** One message per child that could not be applied, starting with its kind and name. */
  errors: string[];
  /** The longest Retry-After a server asked for, if any. */
  retryAfterMs?: number;
}

/**
 * The apply phase: each desired child is compared with the cached live object and applied (server-side
 * apply, our field manager, force) only when something we own differs. Objects another owner controls
 * are never written, and an immutable field that changed is handled by the kind's policy.
 */
export async function applyChildren(
  owner: KubeObject,
  children: readonly Child[],
  deps: { reader: ReconcileReader; writer: ReconcileWriter; recent: RecentWrites; log: Logger },
): Promise<ApplyOutcome> {
  const { reader, writer, recent, log } = deps;
  const namespace = owner.metadata.namespace ?? "default";
  const self = { name: owner.metadata.name, uid: owner.metadata.uid ?? "" };
  const out: ApplyOutcome = { observed: new Map(), applied: 0, skipped: 0, changed: [], errors: [] };
  for (const { kind, object: desired } of children) {
    const id = childId(desired);
    const live = recent.fresh(id, reader.child(kind, namespace, desired.metadata.name));
    if (live) out.observed.set(id, live);
    if (live && mayWrite(live, self) && desiredMatchesLive(desired, live, FIELD_MANAGER)) {
      out.skipped++;
      continue;
    }
    try {
      if (live && !mayWrite(live, self)) {
        out.errors.push(notOurs(desired));
        continue;
      }
      if (!live) {
        // The cache only holds objects labelled as ours: a namesake made by someone else may exist.
        const existing = await writer.get(kind, namespace, desired.metadata.name);
        if (existing && !mayWrite(existing, self)) {
          out.errors.push(notOurs(desired));
          continue;
        }
      }
      const policy = CHILD_POLICIES[kind.kind as keyof typeof CHILD_POLICIES];
      const immutable = live ? changedImmutableFields(policy, desired, live) : [];
      if (live && immutable.length > 0 && policy.immutable) {
        if (policy.immutable.onChange === "refuse") {
          out.errors.push(
            `${desired.kind} ${desired.metadata.name}: ${immutable.join(", ")} cannot change (${policy.immutable.why})`,
          );
          continue;
        }
        log.info({ kind: desired.kind, child: desired.metadata.name, fields: immutable }, "recreating");
        await writer.delete(kind, namespace, desired.metadata.name, live.metadata.uid).catch((err) => {
          if (!isNotFound(err)) throw err;
        });
        recent.forget(id);
      }
      const result = await writer.apply(kind, desired);
      recent.remember(id, immutable.length > 0 ? undefined : live, result);
      out.observed.set(id, result);
      out.applied++;
      if (result.metadata.resourceVersion !== live?.metadata.resourceVersion) {
        out.changed.push(`${desired.kind} ${desired.metadata.name}`);
      }
    } catch (err) {
      const delay = retryAfterMs(err);
      if (delay !== undefined) out.retryAfterMs = Math.max(out.retryAfterMs ?? 0, delay);
      out.errors.push(`${desired.kind} ${desired.metadata.name}: ${(err as Error).message}`);
      log.warn(
        { kind: desired.kind, child: desired.metadata.name, err: (err as Error).message },
        "apply failed",
      );
    }
  }
  return out;
}

function notOurs(desired: KubeObject): string {
  return `${desired.kind} ${desired.metadata.name} already exists and is not managed by this WebApp; rename or remove it`;
}
