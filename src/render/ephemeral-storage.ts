import type { IResourceRequirements } from "kubernetes-models/v1/ResourceRequirements";
import type { Resources } from "../api/spec/common.js";

/*
 * Bounds on the node's disk. NGINX buffers request bodies (and large app answers) in temp files on
 * the web pod's /tmp emptyDir, which without a sizeLimit could fill the node: stalled uploads once
 * held 187 MiB on one pod. Each scratch volume gets a sizeLimit, and each container an
 * ephemeral-storage request (so the scheduler counts it) and a limit covering its pod's volumes
 * (the kubelet evicts a pod whose containers and emptyDirs together use more than their limits).
 */

const MIB = 1024 * 1024;

/** Logs (rotated by the kubelet) and the container's own writes; the root filesystem is read-only. */
const CONTAINER_OVERHEAD_MIB = 512;
/** What each container asks the scheduler for by default. */
const REQUEST_MIB = 64;
/** The app's /tmp: Gunicorn heartbeat files live on /dev/shm, so this is the app's own scratch space. */
export const APP_TMP_MIB = 1024;
/** Static files copied out of an image into an emptyDir. */
export const STATIC_COPY_MIB = 2048;
/** Room for the web pod's /tmp when uploads have no size limit (clientMaxBodySize 0). */
const UNLIMITED_BODY_TMP_MIB = 4096;

/** Bytes of an NGINX size (`10m`, `512k`, `1g`, `1000`). */
export function nginxSizeBytes(size: string): number {
  const m = /^([0-9]+)([kKmMgG]?)$/.exec(size);
  if (!m) throw new Error(`not an NGINX size: ${size}`);
  const unit = { "": 1, k: 1024, m: MIB, g: 1024 * MIB }[(m[2] ?? "").toLowerCase()] ?? 1;
  return Number(m[1]) * unit;
}

/**
 * The web pod's /tmp: four request bodies at clientMaxBodySize buffered at once (NGINX drops a
 * stalled one after client_body_timeout) plus 1 GiB for buffered answers, at least 1 GiB.
 */
export function webTmpMiB(clientMaxBodySize: string): number {
  const body = nginxSizeBytes(clientMaxBodySize);
  if (body === 0) return UNLIMITED_BODY_TMP_MIB; // and a warning (warnings.ts)
  return Math.max(1024, Math.ceil((4 * body) / MIB) + 1024);
}

export const mib = (n: number) => `${n}Mi`;

/**
 * The container's resources with an ephemeral-storage request and a limit covering `volumesMiB` (its
 * pod's emptyDirs) unless the user set them; everything the user set is kept as is.
 */
export function withEphemeralStorage(
  resources: Resources | undefined,
  volumesMiB: number,
): IResourceRequirements {
  const requests = resources?.requests ?? {};
  const limits = resources?.limits ?? {};
  return {
    ...resources,
    requests: { "ephemeral-storage": mib(REQUEST_MIB), ...requests },
    limits: { "ephemeral-storage": mib(volumesMiB + CONTAINER_OVERHEAD_MIB), ...limits },
  } as IResourceRequirements;
}
