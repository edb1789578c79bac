import { isDeepStrictEqual } from "node:util";
import type { Condition, WebAppStatus } from "../api/index.js";
import type { KubeObject } from "../kube/resources.js";
import { type ConditionInput, mergeConditions } from "./conditions.js";
import {
  type MigrationObservation,
  migrationProblems,
  migrationProgress,
  migrationStatus,
} from "./migration-status.js";
import { type PodProblem, podProblems } from "./pod-problems.js";

export type TierName = "web" | "app";

export interface TierObservation {
  /** The web or app tier, or a worker (a Deployment of spec.workers). */
  tier: TierName | "worker";
  /** The worker's name, for a worker. */
  worker?: string;
  deploymentName: string;
  desiredReplicas: number;
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  /** The Deployment controller has seen its latest spec (observedGeneration). */
  observed: boolean;
  /** The Deployment controller has seen its latest spec and every pod runs it and is ready. */
  complete: boolean;
  /** Deployment condition Progressing=False, reason ProgressDeadlineExceeded. */
  failedMessage?: string;
  /** Containers of the tier's pods that cannot run, as the pods report them. */
  podProblems?: PodProblem[];
}

interface DeploymentShape {
  metadata: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** What a live Deployment says about its tier; `undefined` live means not created yet. */
export function observeTier(
  tier: TierName | "worker",
  deploymentName: string,
  live: KubeObject | undefined,
  pods: readonly KubeObject[] = [],
  worker?: string,
): TierObservation {
  const dep = live as unknown as DeploymentShape | undefined;
  const desiredReplicas = dep?.spec?.replicas ?? 1;
  const st = dep?.status ?? {};
  const replicas = st.replicas ?? 0;
  const readyReplicas = st.readyReplicas ?? 0;
  const updatedReplicas = st.updatedReplicas ?? 0;
  const available = st.availableReplicas ?? readyReplicas;
  const seen = dep !== undefined && (st.observedGeneration ?? -1) >= (dep.metadata.generation ?? 0);
  const complete =
    seen &&
    updatedReplicas === desiredReplicas &&
    replicas === desiredReplicas &&
    readyReplicas >= desiredReplicas &&
    available >= desiredReplicas;
  const stuck = st.conditions?.find(
    (c) => c.type === "Progressing" && c.status === "False" && c.reason === "ProgressDeadlineExceeded",
  );
  return {
    tier,
    ...(worker !== undefined ? { worker } : {}),
    deploymentName,
    desiredReplicas,
    replicas,
    readyReplicas,
    updatedReplicas,
    observed: seen,
    complete,
    ...(stuck
      ? { failedMessage: `Deployment ${deploymentName}: ${stuck.message ?? "progress deadline exceeded"}` }
      : {}),
    ...(() => {
      const problems = podProblems(pods);
      return problems.length > 0 ? { podProblems: problems } : {};
    })(),
  };
}

export interface StatusInput {
  generation: number | undefined;
  previous: WebAppStatus | undefined;
  tiers: TierObservation[];
  /** Children that could not be applied or deleted (retried with back-off). */
  applyErrors: string[];
  /** Children whose names belong to someone else (never written; a person must act). */
  conflicts?: string[];
  /** Children of kinds this cluster does not serve. */
  notServed?: string[];
  /** Render warnings, each starting with the field path. */
  warnings: string[];
  selector: string | undefined;
  /** Where users reach the WebApp: its Ingress URL, else its entry Service's. */
  url: string | undefined;
  /** The entry Service's URL inside the cluster. */
  clusterUrl?: string;
  /** The migration of the app's version, when the app has one. */
  migration?: MigrationObservation | undefined;
  now: string;
}

function tierSummary(t: TierObservation): string {
  return `${t.worker !== undefined ? `worker ${t.worker}` : t.tier} ${t.readyReplicas}/${t.desiredReplicas}`;
}

/** Something that keeps a WebApp from serving as specified. */
interface Problem {
  reason: string;
  message: string;
  /** Progress needs a person (kstatus's Stalled): retrying alone will not fix it. */
  needsAttention: boolean;
}

/**
 * What keeps the WebApp from serving, most pressing first: names taken by someone else and kinds the
 * cluster lacks need a person; apply errors are retried and often clear by themselves; a rollout
 * past its deadline needs a person again.
 */
function problemsOf(input: Omit<StatusInput, "previous" | "now" | "selector" | "url">): Problem[] {
  const out: Problem[] = [];
  const conflicts = input.conflicts ?? [];
  if (conflicts.length > 0)
    out.push({ reason: "ChildConflict", message: conflicts.join("; "), needsAttention: true });
  const notServed = input.notServed ?? [];
  if (notServed.length > 0)
    out.push({ reason: "KindNotServed", message: notServed.join("; "), needsAttention: true });
  if (input.migration) {
    for (const p of migrationProblems(input.migration)) out.push({ ...p, needsAttention: true });
  }
  if (input.applyErrors.length > 0) {
    out.push({
      reason: "ApplyFailed",
      message: `Could not apply: ${input.applyErrors.join("; ")}`,
      needsAttention: false,
    });
  }
  // Containers that cannot run: named as the kubelet names them, within seconds of the first try. One
  // that the kubelet is restarting degrades the WebApp without stalling it (kstatus: no person needed).
  const pods = input.tiers.flatMap((t) => t.podProblems ?? []);
  if (pods.length > 0) {
    out.push({
      reason: pods[0]!.reason,
      message: pods.map((p) => p.message).join("; "),
      needsAttention: pods.some((p) => !p.restarting),
    });
  }
  const failed = input.tiers.filter((t) => t.failedMessage);
  if (failed.length > 0) {
    out.push({
      reason: "RolloutFailed",
      message: failed.map((t) => t.failedMessage).join("; "),
      needsAttention: true,
    });
  }
  return out;
}

/** What does not serve when a tier has no pods on purpose. */
function scaledToZero(tiers: TierObservation[]): string | undefined {
  const web = tiers.find((t) => t.tier === "web");
  const app = tiers.find((t) => t.tier === "app");
  if (web && web.desiredReplicas === 0) return "The web tier is scaled to zero: nothing answers requests.";
  if (app && app.desiredReplicas === 0) {
    return web
      ? "The app tier is scaled to zero: NGINX still serves static and media files, but every request for the app gets 502 until spec.app.replicas is raised."
      : "The app tier is scaled to zero: nothing answers requests.";
  }
  return undefined;
}

const NOTHING = "";

/** Ready/Progressing/Degraded (and kstatus's Stalled), from what the children report. */
export function computeConditions(
  input: Omit<StatusInput, "previous" | "now" | "selector" | "url">,
): ConditionInput[] {
  const { tiers, warnings } = input;
  const problems = problemsOf(input);
  const waiting = tiers.filter((t) => !t.complete);
  const rolloutFailed = tiers.some((t) => t.failedMessage);
  const migrationFailed = problems.find((p) => p.reason === "MigrationFailed");
  const migrating = input.migration && migrationProgress(input.migration);
  const summary = tiers.map(tierSummary).join(", ");
  const warningText = warnings.length > 0 ? ` Warnings: ${warnings.join("; ")}` : "";
  const progressing: ConditionInput = migrationFailed
    ? { type: "Progressing", status: "False", reason: "MigrationFailed", message: migrationFailed.message }
    : rolloutFailed
      ? {
          type: "Progressing",
          status: "False",
          reason: "RolloutFailed",
          message: problems.find((p) => p.reason === "RolloutFailed")!.message,
        }
      : migrating
        ? { type: "Progressing", status: "True", ...migrating }
        : waiting.length > 0
          ? { type: "Progressing", status: "True", reason: "RollingOut", message: `Rolling out: ${summary}` }
          : {
              type: "Progressing",
              status: "False",
              reason: "Complete",
              message: `Rollout complete: ${summary || "no workloads"}`,
            };
  const attention = problems.filter((p) => p.needsAttention);
  const stalled: ConditionInput =
    attention.length > 0
      ? {
          type: "Stalled",
          status: "True",
          reason: "NeedsAttention",
          message: attention.map((p) => p.message).join("; "),
        }
      : { type: "Stalled", status: "False", reason: "AsExpected", message: NOTHING };
  if (problems.length > 0) {
    const first = problems[0]!;
    const message = problems.map((p) => p.message).join("; ");
    return [
      { type: "Ready", status: "False", reason: first.reason, message: message + warningText },
      progressing,
      { type: "Degraded", status: "True", reason: first.reason, message },
      stalled,
    ];
  }
  const healthy: ConditionInput = {
    type: "Degraded",
    status: "False",
    reason: "AsExpected",
    message: NOTHING,
  };
  if (migrating) {
    return [
      { type: "Ready", status: "False", ...migrating, message: `${migrating.message}${warningText}` },
      progressing,
      healthy,
      stalled,
    ];
  }
  if (waiting.length > 0) {
    return [
      {
        type: "Ready",
        status: "False",
        reason: "RollingOut",
        message: `Waiting for ${waiting.map(tierSummary).join(", ")} ready and updated.${warningText}`,
      },
      progressing,
      healthy,
      stalled,
    ];
  }
  const zero = scaledToZero(tiers);
  if (zero) {
    return [
      { type: "Ready", status: "False", reason: "ScaledToZero", message: `${zero}${warningText}` },
      progressing,
      healthy,
      stalled,
    ];
  }
  return [
    {
      type: "Ready",
      status: "True",
      reason: warnings.length > 0 ? "ReadyWithWarnings" : "Ready",
      message: `All tiers ready: ${summary || "no workloads"}.${warningText}`,
    },
    progressing,
    healthy,
    stalled,
  ];
}

/** A render warning as a field and a message, for the structured list in status. */
export function structuredWarning(text: string): { field: string; message: string } {
  const m = /^(spec(?:\.[A-Za-z0-9]+|\[\d+\])*)(?::\s*|\s+)(.*)$/s.exec(text);
  return m ? { field: m[1]!, message: m[2]! } : { field: "spec", message: text };
}

/** The full status of a WebApp whose spec was valid and rendered. */
export function computeStatus(input: StatusInput): WebAppStatus {
  const conditions = mergeConditions(
    input.previous?.conditions,
    computeConditions(input),
    input.generation,
    input.now,
  );
  const status: WebAppStatus = {
    ...(input.generation !== undefined ? { observedGeneration: input.generation } : {}),
    conditions,
  };
  for (const t of input.tiers) {
    const counts = {
      replicas: t.replicas,
      readyReplicas: t.readyReplicas,
      updatedReplicas: t.updatedReplicas,
      desiredReplicas: t.desiredReplicas,
      ready: `${t.readyReplicas}/${t.desiredReplicas}`,
    };
    if (t.tier === "worker")
      status.workers = [...(status.workers ?? []), { name: t.worker ?? "", ...counts }];
    else status[t.tier] = counts;
  }
  if (input.migration) status.migration = migrationStatus(input.migration);
  const app = input.tiers.find((t) => t.tier === "app");
  if (app) status.replicas = app.replicas;
  if (input.selector !== undefined) status.selector = input.selector;
  if (input.url !== undefined) status.url = input.url;
  if (input.clusterUrl !== undefined) status.clusterURL = input.clusterUrl;
  if (input.warnings.length > 0) status.warnings = input.warnings.map(structuredWarning);
  return status;
}

/**
 * Status of a WebApp whose spec failed validation: conditions say why, the observed counts of the
 * children (which are left as they are) stay.
 */
export function invalidSpecStatus(
  previous: WebAppStatus | undefined,
  generation: number | undefined,
  message: string,
  now: string,
): WebAppStatus {
  const conditions: ConditionInput[] = [
    { type: "Ready", status: "False", reason: "InvalidSpec", message },
    { type: "Progressing", status: "False", reason: "InvalidSpec", message },
    { type: "Degraded", status: "True", reason: "InvalidSpec", message },
    { type: "Stalled", status: "True", reason: "NeedsAttention", message },
  ];
  return {
    ...previous,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: mergeConditions(previous?.conditions, conditions, generation, now),
  };
}

/** Deep equality of JSON values (key order ignored), as node:util compares them. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}

/** A JSON merge patch turning `previous` into `next` at the top level of status (null removes a field). */
export function statusPatch(previous: WebAppStatus | undefined, next: WebAppStatus): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...next };
  for (const key of Object.keys(previous ?? {})) {
    if (!(key in next)) patch[key] = null;
  }
  return { status: patch };
}

export type { Condition };
