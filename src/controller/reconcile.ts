import { randomUUID } from "node:crypto";
import { describeErrors, type WebApp, type WebAppStatus } from "../api/index.js";
import type { KubeObject } from "../api/kube-object.js";
import {
  CHILD_KINDS,
  type Child,
  childName,
  LABELS,
  type RenderInputs,
  type RenderResult,
  TIER_ROLES,
  type TierName,
} from "../render/index.js";
import type { EventRecorder } from "../runtime/events.js";
import type { Logger } from "../runtime/logger.js";
import { RetryAfterError } from "../runtime/manager.js";
import { type ApplyOutcome, applyChildren } from "./apply-children.js";
import { findCondition, nowRfc3339 } from "./conditions.js";
import { observeMigration } from "./migration-status.js";
import { childId, controllerOwnerUid } from "./ownership.js";
import { pruneChildren } from "./prune-children.js";
import { RecentWrites } from "./recent-writes.js";
import type { ReconcileReader, ReconcileWriter } from "./reconcile-io.js";
import { RenderCache, type Rendering } from "./render-cache.js";
import { computeStatus, invalidSpecStatus, jsonEqual, observeTier, statusPatch } from "./status.js";
import { TransientFailures } from "./transient-failures.js";
import { planRollout, type RolloutPlan } from "./version-gate.js";

/** How often a status waiting for freshly written children looks again. */
const STATUS_SETTLE_MS = 1000;

/**
 * How long after writing children the status waits, at most, for the Deployment controller to
 * observe them (a busy controller manager can take seconds). Past this, the status says they roll out.
 */
const STATUS_SETTLE_LIMIT_MS = 5000;

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
  private readonly renders = new RenderCache();
  /** WebApps whose children were written and whose status waits for them to report: since when. */
  private readonly settlingSince = new Map<string, number>();
  private readonly failures: TransientFailures;

  constructor(
    private readonly reader: ReconcileReader,
    private readonly writer: ReconcileWriter,
    private readonly events: EventRecorder,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    /** How long a write is trusted over a cache that has not caught up with it. */
    recentWritesTtlMs?: number,
    /** How long errors a retry may fix go unreported (see TransientFailures). */
    transientFailureGraceMs?: number,
  ) {
    this.recent = new RecentWrites(recentWritesTtlMs);
    this.failures = new TransientFailures(transientFailureGraceMs);
  }

  /** Whether a child's event only echoes a write of ours (then it needs no reconcile). */
  isEcho(obj: KubeObject): boolean {
    return this.recent.isEcho(childId(obj), obj.metadata.resourceVersion);
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
      this.failures.recovered(key);
      this.settlingSince.delete(key);
      return outcome;
    }
    if (raw.metadata.deletionTimestamp) {
      log.debug("WebApp is being deleted");
      return outcome;
    }
    const previous = raw.status as WebAppStatus | undefined;
    const now = nowRfc3339(this.clock());
    const deps = { reader: this.reader, writer: this.writer, recent: this.recent, log };
    const { rendering, first } = await this.renderWithAppAddress(raw, deps);
    if (!rendering.ok) {
      const message = `Invalid spec, children left unchanged: ${describeErrors(rendering.errors)}`;
      log.warn({ errors: rendering.errors }, "invalid WebApp spec");
      const status = invalidSpecStatus(previous, raw.metadata.generation, message, now);
      outcome.statusWritten = await this.reportStatus(raw, previous, status);
      return outcome;
    }

    const { rendered, webapp, inputs } = rendering;

    // Gate: with a migration, what runs the app's code stays at the running version until it succeeds.
    const plan = this.planRollout(webapp, rendered, inputs, key);

    // Apply.
    const applied = mergeApplied(first, await applyChildren(raw, plan.apply, deps));
    outcome.applied = applied.applied;
    outcome.skipped = applied.skipped;
    if (applied.changed.length > 0) log.info({ changed: applied.changed }, "applied children");
    if (
      applied.changed.length > 0 &&
      previous?.observedGeneration === raw.metadata.generation &&
      findCondition(previous?.conditions, "Degraded")?.reason !== "ApplyFailed"
    ) {
      // The spec did not change and our last applies went through, so someone else changed our
      // children: say what was taken back. A spec change is told by the WebApp's generation and
      // status; a child behind because our apply failed is no news.
      await this.events.record(
        raw,
        "Normal",
        "Applied",
        `Took back ${applied.changed.join(", ")} (changed outside the WebApp)`,
      );
    }

    // Prune (only once everything desired is in place, so a half-applied spec removes nothing).
    const pruneErrors: string[] = [];
    const pruneRetryable: string[] = [];
    if (applied.errors.length === 0 && !rendering.partial) {
      const pruned = await pruneChildren(raw, [...plan.apply.map((c) => c.object), ...plan.keep], deps);
      outcome.pruned = pruned.deleted.length;
      pruneErrors.push(...pruned.errors);
      pruneRetryable.push(...pruned.retryable);
      if (pruned.deleted.length > 0) {
        await this.events.record(
          raw,
          "Normal",
          "Deleted",
          `Deleted ${pruned.deleted.join(", ")} (no longer in the spec)`,
        );
      }
    }

    const errors = [...applied.errors, ...pruneErrors];
    if (errors.length === 0) {
      this.failures.recovered(key);
    } else if (
      errors.every((e) => applied.retryable.includes(e) || pruneRetryable.includes(e)) &&
      !this.failures.lasting(key, this.clock())
    ) {
      // Retried with back-off, reported only if it lasts (see TransientFailures): no status write,
      // no Event.
      throw new ReconcileError(
        `could not apply ${errors.length} children, retrying: ${errors.join("; ")}`,
        applied.retryAfterMs,
      );
    }

    // Status.
    const pods = this.reader.pods(key);
    const tiers = this.observeTiers(rendered, applied, pods);
    const status = computeStatus({
      generation: raw.metadata.generation,
      previous,
      tiers,
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
    // Children written just now report their new state in a moment (the Deployment controller
    // answers within milliseconds): a status showing only that they are rolling out would be
    // rewritten at once. Look again shortly instead; the status written then says where they are.
    // Until the Deployment controller has observed what was written, "rolling out" is all a status
    // could say: it waits for that too (bounded, and only after a write of ours).
    const since = this.settlingSince.get(key) ?? (applied.changed.length > 0 ? this.clock() : undefined);
    const settling =
      since !== undefined &&
      this.clock() - since < STATUS_SETTLE_LIMIT_MS &&
      errors.length === 0 &&
      findCondition(status.conditions, "Ready")?.reason === "RollingOut" &&
      (applied.changed.length > 0 || tiers.some((t) => !t.observed));
    if (settling) {
      this.settlingSince.set(key, since);
      log.debug({ changed: applied.changed }, "children written, status after they report");
      return { ...outcome, requeueAfterMs: STATUS_SETTLE_MS };
    }
    this.settlingSince.delete(key);
    outcome.statusWritten = await this.reportStatus(raw, previous, status);
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

  /**
   * The render, with the app Service's cluster IP for NGINX's upstream (NGINX never resolves the
   * Service's name: see RenderInputs). A new WebApp's app Service does not exist yet: it is applied
   * first, alone, and the WebApp rendered again with the address the API server gave it.
   */
  private async renderWithAppAddress(
    raw: KubeObject,
    deps: Parameters<typeof applyChildren>[2],
  ): Promise<{ rendering: Rendering; first?: ApplyOutcome }> {
    const namespace = raw.metadata.namespace ?? "default";
    const appService = childName(raw.metadata.name, "app-service");
    const live = this.recent.fresh(
      `Service/${namespace}/${appService}`,
      this.reader.child(CHILD_KINDS.Service, namespace, appService),
    );
    const known = clusterIpOf(live, raw.metadata.uid);
    const cluster = this.reader.clusterInputs?.() ?? {};
    const rendering = this.renders.of(raw, known ? { ...cluster, appServiceClusterIP: known } : cluster);
    if (known || !rendering.ok) return { rendering };
    const service = rendering.rendered.children.find((c) => c.role === "app-service");
    const proxied = rendering.rendered.children.some((c) => c.role === "nginx-config");
    if (!service || !proxied) return { rendering };
    const first = await applyChildren(raw, [service], deps);
    const ip = clusterIpOf(first.observed.get(childId(service.object)), raw.metadata.uid);
    if (!ip) {
      // The address is not there (the Service is someone else's, or the apply failed, which
      // `first` reports): leave the web tier as it is rather than point NGINX at a name.
      const withoutWebTier = rendering.rendered.children.filter(
        (c) => c.role !== "nginx-config" && c.role !== "web-deployment",
      );
      return {
        rendering: {
          ...rendering,
          rendered: { ...rendering.rendered, children: withoutWebTier },
          partial: true,
        },
        first,
      };
    }
    return { rendering: this.renders.of(raw, { ...cluster, appServiceClusterIP: ip }), first };
  }

  /** The gate's inputs, read from the caches (or from what this controller just wrote). */
  private planRollout(
    webapp: WebApp,
    rendered: RenderResult,
    inputs: RenderInputs,
    key: string,
  ): RolloutPlan {
    const live = (child: Child) => {
      const { namespace = "default", name } = child.object.metadata;
      return this.recent.fresh(childId(child.object), this.reader.child(child.kind, namespace, name));
    };
    const appDeployment = rendered.children.find((c) => c.role === TIER_ROLES.app);
    return planRollout({
      webapp,
      rendered,
      inputs,
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
      const since = `${before?.status ?? "unset"} since ${before?.lastTransitionTime ?? "never"}`;
      await this.events.recordOnce(raw, "Normal", "Ready", after.message, `Ready after ${since}`);
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
      const after = [degraded.reason, degraded.message];
      const was = [
        wasDegraded?.status,
        wasDegraded?.reason,
        wasDegraded?.message,
        wasDegraded?.lastTransitionTime,
      ];
      await this.events.recordOnce(
        raw,
        "Warning",
        degraded.reason,
        degraded.message,
        JSON.stringify({ after, was }),
      );
    }
    const shown = new Set((previous?.warnings ?? []).map((w) => `${w.field}|${w.message}`));
    for (const w of next.warnings ?? []) {
      if (!shown.has(`${w.field}|${w.message}`)) {
        await this.events.recordOnce(
          raw,
          "Warning",
          "RenderWarning",
          `${w.field}: ${w.message}`,
          JSON.stringify([w.field, w.message, previous?.observedGeneration ?? null]),
        );
      }
    }
  }

  /**
   * Records the Events of the status's transitions, then writes it. Each transition's Event is named
   * after the transition (the condition the previous status shows and since when), so it exists once
   * however often the transition is made: again after a status write that failed or got no answer,
   * or by a process restarted after a kill between the Event and the status.
   */
  private async reportStatus(
    raw: KubeObject,
    previous: WebAppStatus | undefined,
    status: WebAppStatus,
  ): Promise<boolean> {
    await this.recordTransitions(raw, previous, status);
    return this.writeStatus(raw, previous, status);
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

/** The cluster IP of an app Service this WebApp controls, when it has one. */
function clusterIpOf(service: KubeObject | undefined, ownerUid: string | undefined): string | undefined {
  if (!service || controllerOwnerUid(service) !== ownerUid) return undefined;
  const ip = (service.spec as { clusterIP?: string } | undefined)?.clusterIP;
  return ip && ip !== "None" ? ip : undefined;
}

/** Two apply phases' outcomes as one. */
function mergeApplied(first: ApplyOutcome | undefined, rest: ApplyOutcome): ApplyOutcome {
  if (!first) return rest;
  const merged: ApplyOutcome = {
    observed: new Map([...first.observed, ...rest.observed]),
    applied: first.applied + rest.applied,
    skipped: rest.skipped,
    changed: [...first.changed, ...rest.changed.filter((c) => !first.changed.includes(c))],
    errors: [...first.errors, ...rest.errors.filter((e) => !first.errors.includes(e))],
    retryable: [...first.retryable, ...rest.retryable.filter((e) => !first.retryable.includes(e))],
    conflicts: [...first.conflicts, ...rest.conflicts.filter((c) => !first.conflicts.includes(c))],
    notServed: rest.notServed,
  };
  const retry = Math.max(first.retryAfterMs ?? 0, rest.retryAfterMs ?? 0);
  if (retry > 0) merged.retryAfterMs = retry;
  return merged;
}
