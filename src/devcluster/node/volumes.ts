/**
 * A pod's volumes as host directories: emptyDir (a directory of the pod, 0777 as the kubelet makes it;
 * medium Memory under /dev/shm), configMap, secret, downwardAPI and projected volumes (written by the
 * atomic writer and rewritten in place when their source changes), persistentVolumeClaim (the
 * provisioner's directory) and hostPath.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { isObject, type JsonObject, type KubeObject } from "../types.js";
import { fingerprint, type ProjectedFile, writeAtomically } from "./atomic-writer.js";
import { fieldRefValue } from "./pod-fields.js";
import { quantity } from "./quantity.js";

/** Why a volume cannot be set up yet; the pod waits in ContainerCreating with this as a FailedMount event. */
export class VolumeError extends Error {
  constructor(
    readonly volume: string,
    message: string,
  ) {
    super(message);
  }
}

export interface VolumeSources {
  configMap(namespace: string, name: string): KubeObject | undefined;
  secret(namespace: string, name: string): KubeObject | undefined;
  claim(namespace: string, name: string): KubeObject | undefined;
  /** The provisioner's directory for a claim, or undefined while it has none. */
  claimDirectory(namespace: string, claimName: string): string | undefined;
}

export interface VolumeOwner {
  uid?: number;
  /** fsGroup, else runAsGroup. */
  gid?: number;
}

const DEFAULT_MODE = 0o644;

/** Bytes used under a directory (files' sizes, as du --apparent-size). */
function usage(dir: string): number {
  let total = 0;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
      if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  } catch {
    // Files come and go while the container runs; what could be read counts.
  }
  return total;
}
const obj = (v: unknown): JsonObject => (isObject(v) ? v : {});
const list = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);

function decodeData(source: KubeObject, base64: boolean): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(obj(source.data)))
    out.set(k, base64 ? Buffer.from(String(v), "base64") : Buffer.from(String(v)));
  for (const [k, v] of Object.entries(obj(source.binaryData))) out.set(k, Buffer.from(String(v), "base64"));
  return out;
}

export class PodVolumes {
  private readonly hostPaths = new Map<string, string>();
  private readonly written = new Map<string, string>();
  private readonly memoryDirs: string[] = [];

  constructor(
    private pod: KubeObject,
    private readonly podDir: string,
    private readonly sources: VolumeSources,
    private readonly owner: VolumeOwner,
  ) {}

  private get namespace(): string {
    return this.pod.metadata.namespace ?? "default";
  }

  updatePod(pod: KubeObject): void {
    this.pod = pod;
  }

  /** The host directory of a volume once set up. */
  hostPath(name: string): string | undefined {
    return this.hostPaths.get(name);
  }

  /**
   * Sets up every volume not yet set up and rewrites projected ones whose source changed. Throws a
   * VolumeError for the first one that cannot be set up yet (a missing ConfigMap, an unbound claim).
   * Returns the names of the volumes whose files changed.
   */
  sync(): string[] {
    const changed: string[] = [];
    for (const v of list(obj(this.pod.spec).volumes)) {
      const name = String(v.name);
      if (isObject(v.emptyDir)) this.emptyDir(name, v.emptyDir);
      else if (isObject(v.persistentVolumeClaim)) this.claim(name, v.persistentVolumeClaim);
      else if (isObject(v.hostPath)) this.hostPaths.set(name, String(v.hostPath.path));
      else {
        const files = this.projection(name, v);
        const dir = join(this.podDir, "volumes", name);
        const print = fingerprint(files);
        if (this.written.get(name) !== print) {
          writeAtomically(dir, files);
          if (this.written.has(name)) changed.push(name);
          this.written.set(name, print);
        }
        this.hostPaths.set(name, dir);
      }
    }
    return changed;
  }

  private emptyDir(name: string, spec: JsonObject): void {
    if (this.hostPaths.has(name)) return;
    let dir = join(this.podDir, "volumes", name);
    if (spec.medium === "Memory" && existsSync("/dev/shm")) {
      dir = join("/dev/shm", `devcluster-${this.pod.metadata.uid}-${name}`);
      this.memoryDirs.push(dir);
    }
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    this.chown(dir);
    this.hostPaths.set(name, dir);
  }

  private claim(name: string, spec: JsonObject): void {
    const claimName = String(spec.claimName);
    const dir = this.sources.claimDirectory(this.namespace, claimName);
    if (dir === undefined || !existsSync(dir)) {
      this.hostPaths.delete(name);
      const cause = this.sources.claim(this.namespace, claimName)
        ? "PVC is not bound"
        : `failed to fetch PVC from API server: persistentvolumeclaims "${claimName}" not found`;
      throw new VolumeError(
        name,
        `Unable to attach or mount volumes: unmounted volumes=[${name}], unattached volumes=[${name}], failed to process volumes=[${name}]: error processing PVC ${this.namespace}/${claimName}: ${cause}`,
      );
    }
    if (!this.hostPaths.has(name) && this.owner.gid !== undefined && process.getuid?.() === 0) {
      // fsGroup, as the kubelet's SetVolumeOwnership: the group becomes the pod's, group read, write and
      // setgid are added, and nothing else changes (owner, others' bits), so the pods of other users that
      // share the claim keep their access.
      const before = statSync(dir);
      if (before.gid !== this.owner.gid) chownSync(dir, -1, this.owner.gid);
      const mode = (before.mode & 0o7777) | 0o2770;
      if ((before.mode & 0o7777) !== mode) chmodSync(dir, mode);
    }
    this.hostPaths.set(name, dir);
  }

  private chown(dir: string): void {
    if (process.getuid?.() !== 0) return;
    if (this.owner.uid === undefined && this.owner.gid === undefined) return;
    chownSync(dir, this.owner.uid ?? 0, this.owner.gid ?? 0);
  }

  private projection(name: string, v: JsonObject): ProjectedFile[] {
    if (isObject(v.configMap))
      return this.keyedSource(name, v.configMap, "configMap", v.configMap.defaultMode);
    if (isObject(v.secret)) return this.keyedSource(name, v.secret, "secret", v.secret.defaultMode);
    if (isObject(v.downwardAPI)) return this.downward(v.downwardAPI, v.downwardAPI.defaultMode);
    if (isObject(v.projected)) {
      const files: ProjectedFile[] = [];
      for (const s of list(v.projected.sources)) {
        if (isObject(s.configMap))
          files.push(...this.keyedSource(name, s.configMap, "configMap", v.projected.defaultMode));
        else if (isObject(s.secret))
          files.push(...this.keyedSource(name, s.secret, "secret", v.projected.defaultMode));
        else if (isObject(s.downwardAPI))
          files.push(...this.downward(s.downwardAPI, v.projected.defaultMode));
      }
      return files;
    }
    throw new VolumeError(
      name,
      `MountVolume.SetUp failed for volume "${name}" : this node cannot provide this kind of volume`,
    );
  }

  private keyedSource(
    volume: string,
    spec: JsonObject,
    kind: "configMap" | "secret",
    defaultMode: unknown,
  ): ProjectedFile[] {
    const sourceName = String(kind === "secret" ? (spec.secretName ?? spec.name) : spec.name);
    const source =
      kind === "secret"
        ? this.sources.secret(this.namespace, sourceName)
        : this.sources.configMap(this.namespace, sourceName);
    const label = kind === "secret" ? "secret" : "configmap";
    if (!source) {
      if (spec.optional === true) return [];
      throw new VolumeError(
        volume,
        `MountVolume.SetUp failed for volume "${volume}" : ${label} "${sourceName}" not found`,
      );
    }
    const data = decodeData(source, kind === "secret");
    const mode = typeof defaultMode === "number" ? defaultMode : DEFAULT_MODE;
    const items = list(spec.items);
    if (items.length === 0) return [...data].map(([path, content]) => ({ path, content, mode }));
    const files: ProjectedFile[] = [];
    for (const item of items) {
      const content = data.get(String(item.key));
      if (content === undefined) {
        if (spec.optional === true) continue;
        throw new VolumeError(
          volume,
          `MountVolume.SetUp failed for volume "${volume}" : ${label} references non-existent ${kind === "secret" ? "secret" : "config"} key: ${item.key}`,
        );
      }
      files.push({
        path: String(item.path),
        content,
        mode: typeof item.mode === "number" ? item.mode : mode,
      });
    }
    return files;
  }

  private downward(spec: JsonObject, defaultMode: unknown): ProjectedFile[] {
    const mode = typeof defaultMode === "number" ? defaultMode : DEFAULT_MODE;
    return list(spec.items).map((item) => {
      const path = obj(item.fieldRef).fieldPath;
      const value = typeof path === "string" ? (fieldRefValue(this.pod, path, true) ?? "") : "";
      return {
        path: String(item.path),
        content: Buffer.from(value),
        mode: typeof item.mode === "number" ? item.mode : mode,
      };
    });
  }

  /**
   * The first emptyDir whose contents exceed its sizeLimit, with the kubelet's eviction message
   * (the eviction manager's check of local ephemeral storage).
   */
  emptyDirOverLimit(): string | undefined {
    for (const v of list(obj(this.pod.spec).volumes)) {
      const limit = isObject(v.emptyDir) ? v.emptyDir.sizeLimit : undefined;
      const dir = this.hostPaths.get(String(v.name));
      if (limit === undefined || !dir) continue;
      if (usage(dir) > quantity(String(limit)))
        return `Usage of EmptyDir volume "${v.name}" exceeds the limit "${String(limit)}". `;
    }
    return undefined;
  }

  /** Whether any emptyDir has a sizeLimit to watch. */
  hasSizeLimits(): boolean {
    return list(obj(this.pod.spec).volumes).some(
      (v) => isObject(v.emptyDir) && v.emptyDir.sizeLimit !== undefined,
    );
  }

  /** Removes what belongs to the pod alone (emptyDirs, projections); claims and host paths stay. */
  tearDown(): void {
    for (const dir of this.memoryDirs) rmSync(dir, { recursive: true, force: true });
    rmSync(join(this.podDir, "volumes"), { recursive: true, force: true });
    this.hostPaths.clear();
    this.written.clear();
  }
}
