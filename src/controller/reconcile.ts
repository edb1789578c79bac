import { randomUUID } from "node:crypto";
import { describeErrors, KIND, parseWebApp, type WebAppStatus } from "../api/index.js";
import { FIELD_MANAGER } from "../kube/client.js";
import { isNotFound, retryAfterMs } from "../kube/errors.js";
import type { KubeObject, ResourceType } from "../kube/resources.js";
import { appSelectorString, MANAGED_BY, render, serviceUrl } from "../render/index.js";
import {
  childId,
  childKindOf,
  controllerOwnerUid,
  INSTANCE_LABEL,
  MANAGED_BY_LABEL,
  selectPrunable,
} from "./children.js";
import { findCondition, nowRfc3339 } from "./conditions.js";
import { desiredMatchesLive } from "./diff.js";
import type { EventRecorder } from "./events.js";
import type { Logger } from "./logger.js";
import {
  computeStatus,
  invalidSpecStatus,
  jsonEqual,
  observeTier,
  statusPatch,
  type TierName,
} from "./status.js";

/** The API writes a reconcile makes. */
export interface ReconcileWriter {
  /** A direct read, for the one case the cache cannot answer: does a name we want belong to someone else? */
  get(type: ResourceType, namespace: string, name: string): Promise<KubeObject | undefined>;
  apply(type: ResourceType, body: KubeObject): Promise<KubeObject>;
  delete(type: ResourceType, namespace: string, name: string, uid?: string): Promise<void>;
  patchStatus(namespace: string, name: string, patch: object): Promise<KubeObject>;
}

/** What a reconcile reads: the informer caches only, never the API. */
export interface ReconcileReader {
  webapp(key: string): KubeObject | undefined;
  child(type: ResourceType, namespace: string, name: string): KubeObject | undefined;
  /** Cached children (any kind we render) in the namespace carrying this instance label. */
  children(namespace: string, instance: string): KubeObject[];
}

/** A failed reconcile; the queue retries it after backoff (or the server's Retry-After). */
export class ReconcileError extends Error {
  override name = "ReconcileError";
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface ReconcileOutcome {
  applied: number;
  skipped: number;
  pruned: number;
  statusWritten: boolean;
}

export class Reconciler {
  /**
   * Objects we wrote whose watch event may not have reached the cache yet, keyed by child id, with the
   * resourceVersion the cache held before the write. While the cache still shows that version, the
   * written object is the truth; without this a reconcile racing its own watch events would repeat
   * writes during convergence.
   */
  private readonly written = new Map<string, { before: string | undefined; obj: KubeObject }>();

  constructor(
    private readonly reader: ReconcileReader,
    private readonly writer: ReconcileWriter,
    private readonly events: EventRecorder,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Makes the children and status of the WebApp at `key` (namespace/name) match its spec. */
  async reconcile(key: string): Promise<ReconcileOutcome> {
    const slash = key.indexOf("/");
    const log = this.log.child({
      controller: "webapp",
      namespace: key.slice(0, slash),
      name: key.slice(slash + 1),
      reconcileID: randomUUID(),
    });
    const outcome: ReconcileOutcome = { applied: 0, skipped: 0, pruned: 0, statusWritten: false };
    const raw = this.fresh(`WebApp/${key}`, this.reader.webapp(key));
    if (!raw) {
      log.debug("WebApp is gone; garbage collection removes its children");
      return outcome;
    }
    if (raw.metadata.deletionTimestamp) {
      log.debug("WebApp is being deleted");
      return outcome;
    }
    const generation = raw.metadata.generation;
    const previous = raw.status as WebAppStatus | undefined;
    const now = nowRfc3339(this.clock());

    // Status is ours and may hold fields an older schema lacks: only the user's part is validated.
    const parsed = parseWebApp({
      apiVersion: raw.apiVersion,
      kind: raw.kind,
      metadata: raw.metadata,
      spec: raw.spec,
    });
    if (!parsed.ok) {
      const message = `Invalid spec, children left unchanged: ${describeErrors(parsed.errors)}`;
      log.warn({ errors: parsed.errors }, "invalid WebApp spec");
      await this.events.record(raw, "Warning", "InvalidSpec", message);
      outcome.statusWritten = await this.writeStatus(
        raw,
        previous,
        invalidSpecStatus(previous, generation, message, now),
      );
      return outcome;
    }
    const webapp = parsed.webapp;
    const { objects: desired, warnings } = render(webapp);
    for (const warning of warnings) await this.events.record(raw, "Warning", "RenderWarning", warning);

    const namespace = raw.metadata.namespace ?? "default";
    const observed = new Map<string, KubeObject>();
    const applyErrors: string[] = [];
    const changed: string[] = [];
    let serverDelay: number | undefined;
    for (const obj of desired as KubeObject[]) {
      const type = childKindOf(obj);
      if (!type) {
        applyErrors.push(`${obj.kind}/${obj.metadata.name}: kind not handled by the controller`);
        continue;
      }
      const live = this.fresh(childId(obj), this.reader.child(type, namespace, obj.metadata.name));
      if (live) observed.set(childId(live), live);
      if (live && desiredMatchesLive(obj, live, FIELD_MANAGER)) {
        outcome.skipped++;
        continue;
      }
      try {
        if (!live) {
          const foreign = await this.foreignOwner(type, obj, raw);
          if (foreign) {
            applyErrors.push(foreign);
            continue;
          }
        }
        const result = await this.writer.apply(type, obj);
        this.remember(childId(obj), live, result);
        observed.set(childId(result), result);
        outcome.applied++;
        if (result.metadata.resourceVersion !== live?.metadata.resourceVersion) {
          changed.push(`${obj.kind} ${obj.metadata.name}`);
        }
      } catch (err) {
        const delay = retryAfterMs(err);
        if (delay !== undefined) serverDelay = Math.max(serverDelay ?? 0, delay);
        applyErrors.push(`${obj.kind} ${obj.metadata.name}: ${(err as Error).message}`);
        log.warn({ kind: obj.kind, child: obj.metadata.name, err: (err as Error).message }, "apply failed");
      }
    }
    if (changed.length > 0) {
      log.info({ changed }, "applied children");
      await this.events.record(raw, "Normal", "Applied", `Applied ${changed.join(", ")}`, { dedupe: false });
    }

    if (applyErrors.length === 0) {
      outcome.pruned = await this.prune(raw, desired as KubeObject[], log);
    }

    const tiers = (["web", "app"] as TierName[]).flatMap((tier) => {
      const dep = (desired as KubeObject[]).find(
        (o) => o.kind === "Deployment" && o.metadata.name.endsWith(`-${tier}`),
      );
      if (!dep) return [];
      return [observeTier(tier, dep.metadata.name, observed.get(childId(dep)))];
    });
    const status = computeStatus({
      generation,
      previous,
      tiers,
      applyErrors,
      warnings,
      selector: tiers.some((t) => t.tier === "app") ? appSelectorString(webapp) : undefined,
      url: serviceUrl(webapp),
      now,
    });
    await this.recordTransitions(raw, previous, status, applyErrors);
    outcome.statusWritten = await this.writeStatus(raw, previous, status);
    if (applyErrors.length > 0) {
      throw new ReconcileError(
        `could not apply ${applyErrors.length} children: ${applyErrors.join("; ")}`,
        serverDelay,
      );
    }
    log.debug(outcome, "reconciled");
    return outcome;
  }

  /**
   * Our caches only hold objects labelled as ours, so a missing cache entry may still be an object of
   * the same name made by someone else; a forced apply would silently take it over. Refuse instead.
   * Our own children that lost their labels, and a kept media PVC of an earlier WebApp of the same
   * name (labelled, no owner), are taken back.
   */
  private async foreignOwner(
    type: ResourceType,
    desired: KubeObject,
    owner: KubeObject,
  ): Promise<string | undefined> {
    const existing = await this.writer.get(
      type,
      owner.metadata.namespace ?? "default",
      desired.metadata.name,
    );
    if (!existing) return undefined;
    const ownerUid = controllerOwnerUid(existing, KIND);
    if (ownerUid === owner.metadata.uid) return undefined;
    const labels = existing.metadata.labels ?? {};
    if (
      ownerUid === undefined &&
      labels[INSTANCE_LABEL] === owner.metadata.name &&
      labels[MANAGED_BY_LABEL] === MANAGED_BY
    ) {
      return undefined;
    }
    return `${desired.kind} ${desired.metadata.name} already exists and is not managed by this WebApp; rename or remove it`;
  }

  private fresh(id: string, cached: KubeObject | undefined): KubeObject | undefined {
    const entry = this.written.get(id);
    if (!entry) return cached;
    if (cached?.metadata.resourceVersion === entry.before) return entry.obj;
    this.written.delete(id);
    return cached;
  }

  private remember(id: string, before: KubeObject | undefined, after: KubeObject): void {
    if (after?.metadata?.resourceVersion === undefined) return;
    this.written.set(id, { before: before?.metadata.resourceVersion, obj: after });
    if (this.written.size > 10_000) this.written.clear();
  }

  private async prune(raw: KubeObject, desired: KubeObject[], log: Logger): Promise<number> {
    const namespace = raw.metadata.namespace ?? "default";
    const live = this.reader.children(namespace, raw.metadata.name);
    const doomed = selectPrunable(
      { name: raw.metadata.name, uid: raw.metadata.uid ?? "", kind: KIND },
      live,
      desired,
    );
    let pruned = 0;
    for (const obj of doomed) {
      const type = childKindOf(obj);
      if (!type) continue;
      try {
        await this.writer.delete(type, namespace, obj.metadata.name, obj.metadata.uid);
        pruned++;
        log.info({ kind: obj.kind, child: obj.metadata.name }, "deleted a child that is no longer desired");
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (pruned > 0) {
      const names = doomed.map((o) => `${o.kind} ${o.metadata.name}`).join(", ");
      await this.events.record(raw, "Normal", "Deleted", `Deleted ${names} (no longer in the spec)`, {
        dedupe: false,
      });
    }
    return pruned;
  }

  /** Events for condition flips worth a human's attention. */
  private async recordTransitions(
    raw: KubeObject,
    previous: WebAppStatus | undefined,
    next: WebAppStatus,
    applyErrors: string[],
  ): Promise<void> {
    const before = findCondition(previous?.conditions, "Ready");
    const after = findCondition(next.conditions, "Ready");
    if (after?.status === "True" && before?.status !== "True") {
      await this.events.record(raw, "Normal", "Ready", after.message, { dedupe: false });
    }
    const degraded = findCondition(next.conditions, "Degraded");
    if (degraded?.status === "True" && degraded.reason === "RolloutFailed") {
      await this.events.record(raw, "Warning", "RolloutFailed", degraded.message);
    }
    if (applyErrors.length > 0) {
      await this.events.record(raw, "Warning", "ApplyFailed", applyErrors.join("; "));
    }
  }

  private async writeStatus(
    raw: KubeObject,
    previous: WebAppStatus | undefined,
    next: WebAppStatus,
  ): Promise<boolean> {
    if (jsonEqual(previous ?? {}, next)) return false;
    await this.writer.patchStatus(
      raw.metadata.namespace ?? "default",
      raw.metadata.name,
      statusPatch(previous, next),
    );
    return true;
  }
}
