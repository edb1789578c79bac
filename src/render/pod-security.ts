import type { ILifecycle } from "kubernetes-models/v1/Lifecycle";
import type { IPodSecurityContext } from "kubernetes-models/v1/PodSecurityContext";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";

/*
 * Security settings that meet the `restricted` Pod Security Standard on every pod: non-root with a
 * numeric user, no privilege escalation, every capability dropped, the runtime's seccomp profile, and
 * a read-only root filesystem (writable paths are emptyDirs).
 */

/**
 * `fsGroup` is the group volumes are given to where the volume driver applies it: pods that share a
 * claim (the app writes uploads, NGINX serves them) must have the same one, or each pod start would
 * hand the claim to its own group and take the other's write access away. Only the claim's top
 * directory is checked at start (OnRootMismatch), not every file of a large uploads volume.
 */
export function podSecurityContext(uid: number, fsGroup = uid): IPodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function containerSecurityContext(): ISecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Seconds a pod keeps serving after it is marked for deletion, while endpoints and load balancers drop it. */
export const PRE_STOP_DELAY_SECONDS = 5;

/**
 * Keeps the pod serving during PRE_STOP_DELAY_SECONDS. The kubelet's own sleep action needs nothing
 * from the image (distroless images have no `sleep`); clusters older than 1.30 lack it, and then the
 * image's `sleep` runs instead.
 */
export function preStopDelay(sleepAction: boolean): ILifecycle {
  return sleepAction
    ? { preStop: { sleep: { seconds: PRE_STOP_DELAY_SECONDS } } }
    : { preStop: { exec: { command: ["sleep", String(PRE_STOP_DELAY_SECONDS)] } } };
}
