import type { KubeObject } from "../api/kube-object.js";

/** A container that cannot run, as its pod reports it. */
export interface PodProblem {
  /** The container's waiting or terminated reason, e.g. ImagePullBackOff, CrashLoopBackOff. */
  reason: string;
  /** Pod, container, and what the kubelet said (with the exit code of the last run). */
  message: string;
  /**
   * The kubelet is already restarting the container (a first crash, or a restarted container not ready
   * yet): the tier is short of a replica, but no person needs to act unless it turns into a crash loop.
   */
  restarting?: boolean;
}

/**
 * Waiting reasons that mean a container cannot start without a change (an image, a Secret, the
 * command), as opposed to ContainerCreating or PodInitializing, which pass by themselves.
 */
const STUCK = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "CrashLoopBackOff",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
  "StartError",
]);

interface ContainerStatus {
  name?: string;
  restartCount?: number;
  ready?: boolean;
  state?: {
    running?: { startedAt?: string };
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; exitCode?: number; signal?: number; message?: string };
  };
  lastState?: { terminated?: { reason?: string; exitCode?: number; signal?: number } };
}

function exitText(t: { reason?: string; exitCode?: number; signal?: number } | undefined): string {
  if (!t) return "";
  const how = t.signal ? `signal ${t.signal}` : `exit code ${t.exitCode ?? "?"}`;
  return `${how}${t.reason ? ` (${t.reason})` : ""}`;
}

function problemOf(pod: string, kind: string, c: ContainerStatus, exits: boolean): PodProblem | undefined {
  const waiting = c.state?.waiting;
  const where = `pod ${pod}: ${kind} ${c.name ?? "?"}`;
  if (waiting?.reason && STUCK.has(waiting.reason)) {
    const last = c.lastState?.terminated ? `; last run ended with ${exitText(c.lastState.terminated)}` : "";
    const said = waiting.message ? `: ${waiting.message}` : "";
    return { reason: waiting.reason, message: `${where} is ${waiting.reason}${said}${last}` };
  }
  // A crash at start shows as Error before the first back-off: no need to wait for CrashLoopBackOff.
  const term = c.state?.terminated;
  if (exits && term && term.exitCode !== 0 && term.reason !== "Completed") {
    return {
      reason: term.reason || "Error",
      message: `${where} exited with ${exitText(term)}`,
      restarting: true,
    };
  }
  // Restarted at once after a crash (a process killed, say) and starting again: said until it is ready,
  // so the WebApp names the container rather than only counting ready replicas.
  const last = c.lastState?.terminated;
  if (exits && c.state?.running && c.ready === false && last && last.exitCode !== 0) {
    return {
      reason: "ContainerRestarted",
      message: `${where} restarted after ${exitText(last)} and is not ready yet`,
      restarting: true,
    };
  }
  return undefined;
}

/**
 * What the pods of a tier say about containers that cannot run, one entry per pod and container
 * (pods being deleted aside: they are on their way out). Empty while everything starts normally.
 * `exits: false` leaves out containers that ran and failed (a Job's pods: the Job retries them).
 */
export function podProblems(pods: readonly KubeObject[], opts: { exits?: boolean } = {}): PodProblem[] {
  const exits = opts.exits ?? true;
  const out: PodProblem[] = [];
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const status = (pod.status ?? {}) as {
      initContainerStatuses?: ContainerStatus[];
      containerStatuses?: ContainerStatus[];
    };
    for (const c of status.initContainerStatuses ?? []) {
      const p = problemOf(pod.metadata.name, "init container", c, exits);
      if (p) out.push(p);
    }
    for (const c of status.containerStatuses ?? []) {
      const p = problemOf(pod.metadata.name, "container", c, exits);
      if (p) out.push(p);
    }
  }
  return out;
}
