import type { KubeObject } from "../api/kube-object.js";
import { isNotFound, isRetryable } from "../kube/errors.js";
import { ALL_CHILD_KINDS, childKindOf } from "../render/index.js";
import type { Logger } from "../runtime/logger.js";
import { selectPrunable } from "./ownership.js";
import type { ReconcileReader, ReconcileWriter } from "./reconcile-io.js";

export interface PruneOutcome {
  /** `Kind name` of each child deleted. */
  deleted: string[];
  /** One message per child that could not be deleted. */
  errors: string[];
  /** Those of `errors` that a retry may fix (no answer, 5xx, 429, a conflict). */
  retryable: string[];
}

/**
 * The prune phase: children this WebApp owns that the spec no longer asks for are deleted (with a uid
 * precondition, so a namesake created meanwhile is never hit). A failed delete is reported, not thrown:
 * the status says what could not be removed.
 */
export async function pruneChildren(
  owner: KubeObject,
  desired: readonly KubeObject[],
  deps: { reader: ReconcileReader; writer: ReconcileWriter; log: Logger },
): Promise<PruneOutcome> {
  const namespace = owner.metadata.namespace ?? "default";
  const key = `${namespace}/${owner.metadata.name}`;
  const live = ALL_CHILD_KINDS.filter((k) => deps.reader.served(k)).flatMap((k) =>
    deps.reader.children(k, key),
  );
  const doomed = selectPrunable({ name: owner.metadata.name, uid: owner.metadata.uid ?? "" }, live, desired);
  const out: PruneOutcome = { deleted: [], errors: [], retryable: [] };
  for (const obj of doomed) {
    const kind = childKindOf(obj);
    if (!kind) continue;
    try {
      await deps.writer.delete(kind, namespace, obj.metadata.name, obj.metadata.uid);
      out.deleted.push(`${obj.kind} ${obj.metadata.name}`);
      deps.log.info(
        { kind: obj.kind, child: obj.metadata.name },
        "deleted a child that is no longer desired",
      );
    } catch (err) {
      if (isNotFound(err)) continue;
      const message = `${obj.kind} ${obj.metadata.name}: could not delete: ${(err as Error).message}`;
      out.errors.push(message);
      if (isRetryable(err)) out.retryable.push(message);
    }
  }
  return out;
}
