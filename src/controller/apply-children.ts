import type { KubeObject } from "../api/kube-object.js";
import { FIELD_MANAGER } from "../kube/client.js";
import { isConflict, isNotFound, isRetryable, KubeApiError, retryAfterMs } from "../kube/errors.js";
import type { Child, ChildKind } from "../render/index.js";
import type { Logger } from "../runtime/logger.js";
import { trimForCache } from "./cache-trim.js";
import { changedImmutableFields, policyOf } from "./child-policies.js";
import { desiredMatchesLive } from "./diff.js";
import { childId, describeController, mayWrite } from "./ownership.js";
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
  /** Those of `errors` that a retry may fix (no answer, 5xx, 429, a conflict). */
  retryable: string[];
  /** One message per child whose name is taken by an object someone else controls: never written. */
  conflicts: string[];
  /** One message per child whose kind the cluster does not serve. */
  notServed: string[];
  /** The longest Retry-After a server asked for, if any. */
  retryAfterMs?: number;
}

interface Deps {
  reader: ReconcileReader;
  writer: ReconcileWriter;
  recent: RecentWrites;
  log: Logger;
}

/**
 * The apply phase: each desired child is compared with the cached live object and applied (server-side
 * apply, our field manager) only when something we own differs.
 *
 * Ownership, without a read per child: the cache holds every object labelled as ours, so a cached
 * object controlled by someone else (another WebApp) is refused before any write. A child missing
 * from the cache is created with a non-forced apply: if a namesake exists, the API server refuses a
 * second controller owner (422) or a field another manager set differently (409), and if it
 * accepted because every value happened to agree, the answer shows the other manager, the
 * ownership we just added is given back at once and the child is refused all the same.
 */
export async function applyChildren(
  owner: KubeObject,
  children: readonly Child[],
  deps: Deps,
): Promise<ApplyOutcome> {
  const { reader, recent, log } = deps;
  const namespace = owner.metadata.namespace ?? "default";
  const self = { name: owner.metadata.name, uid: owner.metadata.uid ?? "" };
  const out: ApplyOutcome = {
    observed: new Map(),
    applied: 0,
    skipped: 0,
    changed: [],
    errors: [],
    retryable: [],
    conflicts: [],
    notServed: [],
  };
  for (const { kind, object: desired } of children) {
    if (!reader.served(kind)) {
      reader.awaitServed(kind);
      out.notServed.push(
        `${desired.kind} (${kind.apiVersion}) is not served by this cluster, so ${desired.kind} ${desired.metadata.name} cannot be created${kind.notServedHint ? `: ${kind.notServedHint}` : ""}`,
      );
      continue;
    }
    const id = childId(desired);
    const live = recent.fresh(id, reader.child(kind, namespace, desired.metadata.name));
    if (live && !mayWrite(live, self)) {
      out.conflicts.push(conflictMessage(desired, live));
      continue;
    }
    if (live) out.observed.set(id, live);
    const policy = policyOf(kind);
    if (live && (policy.createOnly || desiredMatchesLive(desired, live, FIELD_MANAGER))) {
      out.skipped++;
      continue;
    }
    try {
      const result = live
        ? await update(kind, desired, live, deps, out)
        : await create(kind, desired, deps, out);
      if (!result) continue;
      // Kept as the cache keeps it (cache-trim.ts): the response has every manager's managedFields.
      recent.remember(id, live, trimForCache(result));
      out.observed.set(id, result);
      out.applied++;
      if (result.metadata.resourceVersion !== live?.metadata.resourceVersion) {
        out.changed.push(`${desired.kind} ${desired.metadata.name}`);
      }
    } catch (err) {
      const delay = retryAfterMs(err);
      if (delay !== undefined) out.retryAfterMs = Math.max(out.retryAfterMs ?? 0, delay);
      const message = `${desired.kind} ${desired.metadata.name}: ${(err as Error).message}`;
      out.errors.push(message);
      if (isRetryable(err)) out.retryable.push(message);
      log.warn(
        { kind: desired.kind, child: desired.metadata.name, err: (err as Error).message },
        "apply failed",
      );
    }
  }
  return out;
}

/** An existing child of ours: forced apply, or the kind's policy when an immutable field changed. */
async function update(
  kind: ChildKind,
  desired: KubeObject,
  live: KubeObject,
  deps: Deps,
  out: ApplyOutcome,
): Promise<KubeObject | undefined> {
  const policy = policyOf(kind);
  const immutable = changedImmutableFields(policy, desired, live);
  if (immutable.length > 0 && policy.immutable) {
    if (policy.immutable.onChange === "refuse") {
      out.errors.push(
        `${desired.kind} ${desired.metadata.name}: ${immutable.join(", ")} cannot change (${policy.immutable.why})`,
      );
      return undefined;
    }
    deps.log.info({ kind: desired.kind, child: desired.metadata.name, fields: immutable }, "recreating");
    const namespace = desired.metadata.namespace ?? "default";
    await deps.writer.delete(kind, namespace, desired.metadata.name, live.metadata.uid).catch((err) => {
      if (!isNotFound(err)) throw err;
    });
    deps.recent.forget(childId(desired));
    return create(kind, desired, deps, out);
  }
  return deps.writer.apply(kind, desired, { force: true });
}

/** A child the cache does not hold: created unless a namesake belongs to someone else. */
async function create(
  kind: ChildKind,
  desired: KubeObject,
  deps: Deps,
  out: ApplyOutcome,
): Promise<KubeObject | undefined> {
  let result: KubeObject;
  try {
    result = await deps.writer.apply(kind, desired, { force: false });
  } catch (err) {
    const holder = holderFromError(err);
    if (holder === undefined) throw err;
    out.conflicts.push(conflictMessage(desired, holder));
    return undefined;
  }
  if (!hasOtherWriters(result)) return result;
  // A namesake whose values all agreed with ours: give back what the apply added, then refuse.
  await deps.writer.apply(kind, releaseConfig(desired), { force: false });
  out.conflicts.push(conflictMessage(desired, result));
  return undefined;
}

/**
 * Who holds a name, read from the API server's refusal (no read of the object, so no `get`
 * permission): a second controller reference names the first (`Found "true" in references for
 * WebApp/shop and WebApp/shop-app`), an apply conflict names the field managers. Undefined when the
 * error is not about ownership.
 */
function holderFromError(err: unknown): string | undefined {
  if (!(err instanceof KubeApiError)) return undefined;
  if (err.code === 422 && /Only one reference can have Controller set to true/i.test(err.message)) {
    const found = /Found "true" in references for (\S+)\/(\S+) and /.exec(err.message);
    return found ? `${found[1]} ${found[2]}` : "another controller";
  }
  if (isConflict(err)) {
    // An apply conflict names the managers of the fields in dispute; a 409 that names none (the
    // server could not resolve a race) says nothing about who holds the name: it is retried.
    const managers = [...err.message.matchAll(/conflicts? with "([^"]+)"/g)].map((m) => m[1]);
    return managers.length > 0 ? `another tool (written by ${[...new Set(managers)].join(", ")})` : undefined;
  }
  return undefined;
}

/** Whether a manager other than ours ever wrote the object (status and scale writers aside). */
export function hasOtherWriters(obj: KubeObject): boolean {
  return (obj.metadata.managedFields ?? []).some((m) => m.manager !== FIELD_MANAGER && !m.subresource);
}

/** An apply configuration that claims no field: applying it gives back every field we alone own. */
export function releaseConfig(desired: KubeObject): KubeObject {
  return {
    apiVersion: desired.apiVersion,
    kind: desired.kind,
    metadata: { name: desired.metadata.name, namespace: desired.metadata.namespace },
  };
}

function conflictMessage(desired: KubeObject, holder: KubeObject | string): string {
  const who = typeof holder === "string" ? holder : describeController(holder);
  return `${desired.kind} ${desired.metadata.name} already exists and belongs to ${who}; this WebApp does not touch it (rename this WebApp, or remove that object)`;
}
