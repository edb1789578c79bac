import type { WebAppStatus } from "../api/index.js";
import type { KubeObject } from "../api/kube-object.js";
import { LABELS } from "../render/index.js";
import { type PodProblem, podProblems } from "./pod-problems.js";
import type { Migration } from "./version-gate.js";

/** A migration as status reports it: the gate's view, and what its pods say. */
export interface MigrationObservation extends Migration {
  namespace: string;
  /** Containers of the Job's pods that cannot start (an image that cannot be pulled, a missing Secret). */
  podProblems: PodProblem[];
}

/**
 * The migration with what its pods report. Only containers that cannot start count: a run that
 * exits with an error is the Job's to retry, and its failure arrives as the Job's own condition.
 */
export function observeMigration(
  migration: Migration,
  pods: readonly KubeObject[],
  namespace: string,
): MigrationObservation {
  const own = pods.filter(
    (p) =>
      p.metadata.labels?.[LABELS.component.key] === "migrate" &&
      p.metadata.labels?.[LABELS.appVersion.key] === migration.version,
  );
  const pending = migration.state === "Running" || migration.state === "Waiting";
  return { ...migration, namespace, podProblems: pending ? podProblems(own, { exits: false }) : [] };
}

/** `status.migration`. */
export function migrationStatus(m: MigrationObservation): NonNullable<WebAppStatus["migration"]> {
  return {
    version: m.version,
    job: m.job,
    state: m.state,
    ...(m.runningVersion ? { runningVersion: m.runningVersion } : {}),
  };
}

/** What keeps running meanwhile, for the messages. */
function meanwhile(m: MigrationObservation): string {
  return m.runningVersion
    ? `the app keeps running version ${m.runningVersion}`
    : "the app has not started yet (it starts after its first migration)";
}

/** While the migration has not succeeded: why the new version is not rolled out yet. */
export function migrationProgress(m: MigrationObservation): { reason: string; message: string } | undefined {
  if (m.state === "Running") {
    return {
      reason: "Migrating",
      message: `Migrating the database for app version ${m.version} (Job ${m.job}); ${meanwhile(m)} until it succeeds.`,
    };
  }
  if (m.state === "Waiting") {
    return {
      reason: "Migrating",
      message: `Waiting for the migration Job ${m.waitingFor} of an earlier version to finish before migrating for app version ${m.version}; ${meanwhile(m)}.`,
    };
  }
  return undefined;
}

/** A failed migration, and migration pods that cannot start: both need a person. */
export function migrationProblems(m: MigrationObservation): { reason: string; message: string }[] {
  const out: { reason: string; message: string }[] = [];
  if (m.state === "Failed" && m.failure) {
    out.push({
      reason: "MigrationFailed",
      message: `Migration Job ${m.job} for app version ${m.version} failed (${m.failure.reason}: ${m.failure.message}); ${meanwhile(m)}. Read its logs with \`kubectl logs -n ${m.namespace} job/${m.job}\`; a corrected spec starts a new Job (to run this version's migration again as it is, delete the Job).`,
    });
  }
  if (m.podProblems.length > 0) {
    out.push({
      reason: m.podProblems[0]!.reason,
      message: `Migration Job ${m.job}: ${m.podProblems.map((p) => p.message).join("; ")}`,
    });
  }
  return out;
}
