/**
 * What a container instance is made of on this machine besides its process: the user it runs as (the
 * pod's or container's runAsUser/runAsGroup, refused as the kubelet refuses a runAsNonRoot container
 * that would run as root), and its file tree: the image's files, the pod's volume mounts, and a scratch
 * directory of its own standing for the container's writable layer (/tmp, /var/tmp, /run) and its
 * termination message file.
 */
import { chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { isObject, type JsonObject } from "../types.js";
import { ContainerConfigError } from "./container-env.js";
import type { ImageDefinition } from "./image-map.js";
import { TERMINATION_LOG, terminationMessagePath } from "./termination-message.js";
import type { PathMapping } from "./translate/index.js";

const SCRATCH_PATHS = ["/tmp", "/var/tmp", "/run"];
const obj = (v: unknown): JsonObject => (isObject(v) ? v : {});

export interface ContainerUser {
  uid?: number;
  gid?: number;
}

/** The user to run as; {} when this process cannot switch users (it runs as itself). */
export function containerUser(
  podSpec: JsonObject,
  spec: JsonObject,
  canSwitchUser: boolean,
  podRef: string,
): ContainerUser {
  const podSc = obj(podSpec.securityContext);
  const sc = obj(spec.securityContext);
  const uid = (sc.runAsUser ?? podSc.runAsUser) as number | undefined;
  const gid = (sc.runAsGroup ?? podSc.runAsGroup ?? podSc.fsGroup) as number | undefined;
  const nonRoot = (sc.runAsNonRoot ?? podSc.runAsNonRoot) === true;
  if (nonRoot && (uid === undefined || uid === 0)) {
    throw new ContainerConfigError(
      uid === 0
        ? "container's runAsUser breaks non-root policy"
        : `container has runAsNonRoot and image will run as root (pod: "${podRef}", container: ${String(spec.name)})`,
    );
  }
  if (!canSwitchUser) return {};
  return {
    ...(uid !== undefined ? { uid } : {}),
    ...(gid !== undefined ? { gid } : uid !== undefined ? { gid: 0 } : {}),
  };
}

/** The container's file tree as container path -> host path mappings. */
export function containerPathMappings(
  image: ImageDefinition,
  spec: JsonObject,
  volumeHostPath: (name: string) => string | undefined,
  scratch: string,
): PathMapping[] {
  const mappings: PathMapping[] = Object.entries(image.filesystem).map(([c, h]) => ({
    containerPath: c,
    hostPath: h,
    source: "image",
  }));
  for (const m of Array.isArray(spec.volumeMounts) ? spec.volumeMounts.filter(isObject) : []) {
    const host = volumeHostPath(String(m.name));
    if (!host) continue;
    const sub = typeof m.subPath === "string" && m.subPath ? `/${m.subPath}` : "";
    mappings.push({ containerPath: String(m.mountPath), hostPath: host + sub, source: "mount" });
  }
  for (const p of SCRATCH_PATHS)
    mappings.push({ containerPath: p, hostPath: join(scratch, p), source: "scratch" });
  // What the process writes to its termination message file becomes terminated.message.
  mappings.push({
    containerPath: terminationMessagePath(spec),
    hostPath: join(scratch, TERMINATION_LOG),
    source: "mount",
  });
  return mappings;
}

/** Creates the scratch directory, owned by the container's user, reachable through the pod's directory. */
export function makeScratch(scratch: string, user: ContainerUser, podDir: string): void {
  for (const p of ["", ...SCRATCH_PATHS]) mkdirSync(join(scratch, p), { recursive: true, mode: 0o755 });
  for (const p of SCRATCH_PATHS) chmodSync(join(scratch, p), 0o1777);
  writeFileSync(join(scratch, TERMINATION_LOG), "", { mode: 0o666 });
  chmodSync(join(scratch, TERMINATION_LOG), 0o666);
  if (user.uid !== undefined) chownSync(scratch, user.uid, user.gid ?? 0);
  let dir = dirname(scratch);
  while (dir.startsWith(podDir) && dir !== podDir) {
    chmodSync(dir, 0o755);
    dir = dirname(dir);
  }
}
