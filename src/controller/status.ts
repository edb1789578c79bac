import { isDeepStrictEqual } from "node:util";
import type { Condition, WebAppStatus } from "../api/index.js";
import type { KubeObject } from "../kube/resources.js";
import { type ConditionInput, mergeConditions } from "./conditions.js";

export type TierName = "web" | "app";

export interface TierObservation {
  tier: TierName;
  deploymentName: string;
  desiredReplicas: number;
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  /** The Deployment controller has seen its latest spec and every pod runs it and is ready. */
  complete: boolean;
  /** Deployment condition Progressing=False, reason ProgressDeadlineExceeded. */
  failedMessage?: string;
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
  tier: TierName,
  deploymentName: string,
  live: KubeObject | undefined,
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
    deploymentName,
    desiredReplicas,
    replicas,
    readyReplicas,
    updatedReplicas,
    complete,
    ...(stuck
      ? { failedMessage: `Deployment ${deploymentName}: ${stuck.message ?? "progress deadline exceeded"}` }
      : {}),
  };
}

export interface StatusInput {
  generation: number | undefined;
  previous: WebAppStatus | undefined;
  tiers: TierObservation[];
  applyErrors: string[];
  warnings: string[];
  selector: string | undefined;
  url: string | undefined;
  now: string;
}

function tierSummary(t: TierObservation): string {
  return `${t.tier} ${t.readyReplicas}/${t.desiredReplicas}`;
}

/**
 * kstatus's failure condition: True only where progress needs a person (a rollout past its deadline,
 * an invalid spec), so Flux fails its health check at once instead of at its timeout. Apply errors
 * are retried and often clear by themselves, so they stay Degraded without Stalled.
 */
function stalled(message?: string): ConditionInput {
  return message === undefined
    ? { type: "Stalled", status: "False", reason: "AsExpected", message: "Making progress." }
    : { type: "Stalled", status: "True", reason: "NeedsAttention", message };
}

/** Ready/Progressing/Degraded (and kstatus's Stalled), from what the children report. */
export function computeConditions(
  input: Omit<StatusInput, "previous" | "now" | "selector" | "url">,
): ConditionInput[] {
  const { tiers, applyErrors, warnings } = input;
  const failed = tiers.filter((t) => t.failedMessage);
  const waiting = tiers.filter((t) => !t.complete);
  const summary = tiers.map(tierSummary).join(", ");
  const warningText = warnings.length > 0 ? ` Warnings: ${warnings.join("; ")}` : "";
  const rolling: ConditionInput =
    waiting.length > 0 && failed.length === 0
      ? { type: "Progressing", status: "True", reason: "RollingOut", message: `Rolling out: ${summary}` }
      : { type: "Progressing", status: "False", reason: "Complete", message: `Rollout complete: ${summary}` };
  if (applyErrors.length > 0) {
    const message = `Could not apply: ${applyErrors.join("; ")}`;
    return [
      { type: "Ready", status: "False", reason: "ApplyFailed", message: message + warningText },
      rolling,
      { type: "Degraded", status: "True", reason: "ApplyFailed", message },
      stalled(),
    ];
  }
  if (failed.length > 0) {
    const message = failed.map((t) => t.failedMessage).join("; ");
    return [
      { type: "Ready", status: "False", reason: "RolloutFailed", message: message + warningText },
      { type: "Progressing", status: "False", reason: "RolloutFailed", message },
      { type: "Degraded", status: "True", reason: "RolloutFailed", message },
      stalled(message),
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
      rolling,
      { type: "Degraded", status: "False", reason: "AsExpected", message: "No failures." },
      stalled(),
    ];
  }
  return [
    {
      type: "Ready",
      status: "True",
      reason: warnings.length > 0 ? "ReadyWithWarnings" : "Ready",
      message: `All tiers ready: ${summary || "no workloads"}.${warningText}`,
    },
    rolling,
    { type: "Degraded", status: "False", reason: "AsExpected", message: "No failures." },
    stalled(),
  ];
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
    status[t.tier] = {
      replicas: t.replicas,
      readyReplicas: t.readyReplicas,
      updatedReplicas: t.updatedReplicas,
      desiredReplicas: t.desiredReplicas,
      ready: `${t.readyReplicas}/${t.desiredReplicas}`,
    };
  }
  const app = input.tiers.find((t) => t.tier === "app");
  if (app) status.replicas = app.replicas;
  if (input.selector !== undefined) status.selector = input.selector;
  if (input.url !== undefined) status.url = input.url;
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
    stalled(message),
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
