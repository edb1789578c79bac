import { randomUUID } from "node:crypto";
import { describeErrors, parseWebApp, type WebApp, type WebAppStatus } from "../api/index.js";
import type { KubeObject } from "../api/kube-object.js";
import {
  CHILD_KINDS,
  type Child,
  LABELS,
  type RenderResult,
  render,
  TIER_ROLES,
  type TierName,
} from "../render/index.js";
import type { EventRecorder } from "../runtime/events.js";
import type { Logger } from "../runtime/logger.js";
import { RetryAfterError } from "../runtime/manager.js";
import { type ApplyOutcome, applyChildren } from "./apply-children.js";
import { findCondition, nowRfc3339 } from "./conditions.js";
import { observeMigration } from "./migration-status.js";
import { childId } from "./ownership.js";
import { pruneChildren } from "./prune-children.js";
import { RecentWrites } from "./recent-writes.js";
import type { ReconcileReader, ReconcileWriter } from "./reconcile-io.js";
import { computeStatus, invalidSpecStatus, jsonEqual, observeTier, statusPatch } from "./status.js";
import { planRollout, type RolloutPlan } from "./version-gate.js";

/** How often a WebApp waiting for a person (a name conflict, a missing kind) is looked at again. */
const NEEDS_ATTENTION_RECHECK_MS = 60_000;

/** A failed reconcile; the queue retries it after backoff (or the server's Retry-After). */
export class ReconcileError extends RetryAfterError {
  override name = "ReconcileError";
}

export interface ReconcileOutcome {
  /** Reconcile again after this long (set while a fresh write settles). */
  requeueAfterMs?: number;
  applied: number;
  skipped: number;
  pruned: number;
  statusWritten: boolean;
}

/**
 * Makes a WebApp's children and status match its spec, in phases: read (the WebApp from the cache,
 * validated), render (pure), apply (changed children only), prune (children no longer wanted) and
 * status (from what the children report). Level-triggered: it never asks what event brought it here.
 */
export class Reconciler {
  private readonly recent: RecentWrites;

  constructor(
    private readonly reader: ReconcileReader,
    private readonly writer: ReconcileWriter,
    private readonly events: EventRecorder,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    /** How long a write is trusted over a cache that has not caught up with it. */
    recentWritesTtlMs?: number,
  ) {
    this.recent = new RecentWrites(recentWritesTtlMs);
  }

  async reconcile(key: string): Promise<ReconcileOutcome> {
    const slash = key.indexOf("/");
    const log = this.log.child({
      controller: "webapp",
      namespace: key.slice(0, slash),
      name: key.slice(slash + 1),
      reconcileID: randomUUID(),
    });
    const outcome: ReconcileOutcome = { applied: 0, skipped: 0, pruned: 0, statusWritten: false };

    // Read.
    const raw = this.recent.fresh(`WebApp/${key}`, this.reader.webapp(key));
    if (!raw) {
      log.debug("WebApp is gone; garbage collection removes its children");
      return outcome;
    }
    if (raw.metadata.deletionTimestamp) {
      log.debug("WebApp is being deleted");
      return outcome;
    }
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
      const status = invalidSpecStatus(previous, raw.metadata.generation, message, now);
      outcome.statusWritten = await this.writeStatus(raw, previous, status);
      await this.recordTransitions(raw, previous, status);
      return outcome;
    }

    // Render.
    const rendered = render(parsed.webapp);

    // Gate: with a migration, what runs the app's code stays at the running version until it succeeds.
    const plan = this.planRollout(parsed.webapp, rendered, key);

    // Apply.
    const deps = { reader: this.reader, writer: this.writer, recent: this.recent, log };
    const applied = await applyChildren(raw, plan.apply, deps);
    outcome.applied = applied.applied;
    outcome.skipped = applied.skipped;
    if (applied.changed.length > 0) log.info({ changed: applied.changed }, "applied children");

    // Prune (only once everything desired is in place, so a half-applied spec removes nothing).
    const pruneErrors: string[] = [];
    if (applied.errors.length === 0) {
      const pruned = await pruneChildren(raw, [...plan.apply.map((c) => c.object), ...plan.keep], deps);
      outcome.pruned = pruned.deleted.length;
      pruneErrors.push(...pruned.errors);
      if (pruned.deleted.length > 0) {
        await this.events.record(
          raw,
          "Normal",
          "Deleted",
          `Deleted ${pruned.deleted.join(", ")} (no longer in the spec)`,
        );
      }
    }

    // Status.
    const errors = [...applied.errors, ...pruneErrors];
    const pods = this.reader.pods(key);
    const status = computeStatus({
      generation: raw.metadata.generation,
      previous,
      tiers: this.observeTiers(rendered, applied, pods),
      migration:
        plan.migration && observeMigration(plan.migration, pods, raw.metadata.namespace ?? "default"),
      applyErrors: errors,
      conflicts: applied.conflicts,
      notServed: applied.notServed,
      warnings: rendered.warnings,
      selector: rendered.appSelector,
      url: rendered.url,
      clusterUrl: rendered.clusterUrl,
      now,
    });
    outcome.statusWritten = await this.writeStatus(raw, previous, status);
    // Events after the status they describe is written: a failed status write records nothing, so
    // its retry cannot repeat an event.
    if (applied.changed.length > 0 && previous !== undefined) {
      // A WebApp's first children are told by its Ready event; later changes each get one.
      await this.events.record(raw, "Normal", "Applied", `Applied ${applied.changed.join(", ")}`);
    }
    await this.recordTransitions(raw, previous, status);
    if (errors.length > 0) await this.events.record(raw, "Warning", "ApplyFailed", errors.join("; "));
    if (errors.length > 0) {
      throw new ReconcileError(
        `could not apply ${errors.length} children: ${errors.join("; ")}`,
        applied.retryAfterMs,
      );
    }
    if (applied.conflicts.length > 0 || applied.notServed.length > 0) {
      // A person has to act; look again now and then (a freed name, a CRD installed meanwhile).
      outcome.requeueAfterMs = NEEDS_ATTENTION_RECHECK_MS;
    }
    log.debug(outcome, "reconciled");
    return outcome;
  }

  /** The gate's inputs, read from the caches (or from what this controller just wrote). */
  private planRollout(webapp: WebApp, rendered: RenderResult, key: string): RolloutPlan {
    const live = (child: Child) => {
      const { namespace = "default", name } = child.object.metadata;
      return this.recent.fresh(childId(child.object), this.reader.child(child.kind, namespace, name));
    };
    const appDeployment = rendered.children.find((c) => c.role === TIER_ROLES.app);
    return planRollout({
      webapp,
      rendered,
      appDeployment: appDeployment && live(appDeployment),
      jobs: this.reader.children(CHILD_KINDS.Job, key),
      pods: this.reader.pods(key),
      live,
    });
  }

  /** Each tier's and worker's Deployment, found by its role, as its live status and its pods report it. */
  private observeTiers(rendered: RenderResult, applied: ApplyOutcome, pods: KubeObject[]) {
    const live = (child: Child) => applied.observed.get(childId(child.object));
    const tiers = (Object.keys(TIER_ROLES) as TierName[]).flatMap((tier) => {
      const child = rendered.children.find((c) => c.role === TIER_ROLES[tier]);
      if (!child) return [];
      const tierPods = pods.filter((p) => p.metadata.labels?.[LABELS.component.key] === tier);
      return [observeTier(tier, child.object.metadata.name, live(child), tierPods)];
    });
    const workers = rendered.children
      .filter((c) => c.role === "worker-deployment")
      .map((child) => {
        const name = child.object.metadata.labels?.[LABELS.process.key] ?? "";
        const own = pods.filter(
          (p) =>
            p.metadata.labels?.[LABELS.component.key] === "worker" &&
            p.metadata.labels?.[LABELS.process.key] === name,
        );
        return observeTier("worker", child.object.metadata.name, live(child), own, name);
      });
    return [...tiers, ...workers];
  }

  /**
   * Events for what changed since the status before: Ready reached, a failure that needs a person
   * (its reason and message new), a warning not shown before. Level-triggered reconciles repeat
   * themselves; comparing with the previous status (not with a memory of this process) keeps a
   * steady state silent and survives a restart.
   */
  private async recordTransitions(
    raw: KubeObject,
    previous: WebAppStatus | undefined,
    next: WebAppStatus,
  ): Promise<void> {
    const before = findCondition(previous?.conditions, "Ready");
    const after = findCondition(next.conditions, "Ready");
    if (after?.status === "True" && before?.status !== "True") {
      await this.events.record(raw, "Normal", "Ready", after.message);
    }
    const degraded = findCondition(next.conditions, "Degraded");
    const wasDegraded = findCondition(previous?.conditions, "Degraded");
    if (
      degraded?.status === "True" &&
      ["RolloutFailed", "MigrationFailed", "ChildConflict", "KindNotServed", "InvalidSpec"].includes(
        degraded.reason,
      ) &&
      (wasDegraded?.status !== "True" ||
        wasDegraded.reason !== degraded.reason ||
        wasDegraded.message !== degraded.message)
    ) {
      await this.events.record(raw, "Warning", degraded.reason, degraded.message);
    }
    const shown = new Set((previous?.warnings ?? []).map((w) => `${w.field}|${w.message}`));
    for (const w of next.warnings ?? []) {
      if (!shown.has(`${w.field}|${w.message}`)) {
        await this.events.record(raw, "Warning", "RenderWarning", `${w.field}: ${w.message}`);
      }
    }
  }

  private async writeStatus(
    raw: KubeObject,
    previous: WebAppStatus | undefined,
    next: WebAppStatus,
  ): Promise<boolean> {
    if (jsonEqual(previous ?? {}, next)) return false;
    const written = await this.writer.patchStatus(
      raw.metadata.namespace ?? "default",
      raw.metadata.name,
      statusPatch(previous, next),
    );
    this.recent.remember(`WebApp/${raw.metadata.namespace}/${raw.metadata.name}`, raw, written);
    return true;
  }
}

export type { ReconcileReader, ReconcileWriter } from "./reconcile-io.js";
