/**
 * Container paths to host paths. A container sees one file tree made of its image's files and its pod's
 * volume mounts; on this machine each part is a host directory. The longest matching container path wins,
 * and a volume mount wins over the image's files at the same path, as a mount hides what the image had
 * there.
 */
import { posix } from "node:path";

export interface PathMapping {
  /** Absolute, normalized container path (no trailing slash except "/"). */
  containerPath: string;
  hostPath: string;
  /** "mount" (a pod volume) hides "image" (the image's files) at the same path. */
  source: "mount" | "image" | "scratch";
}

const SOURCE_RANK: Record<PathMapping["source"], number> = { mount: 0, image: 1, scratch: 2 };

export function normalizeContainerPath(path: string): string {
  const n = posix.normalize(path);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

export class PathMap {
  private readonly mappings: PathMapping[];

  constructor(mappings: readonly PathMapping[]) {
    this.mappings = mappings
      .map((m) => ({ ...m, containerPath: normalizeContainerPath(m.containerPath) }))
      .sort(
        (a, b) =>
          b.containerPath.length - a.containerPath.length || SOURCE_RANK[a.source] - SOURCE_RANK[b.source],
      );
  }

  /** The host path of an absolute container path, or undefined when no mapping covers it. */
  toHost(containerPath: string): string | undefined {
    if (!containerPath.startsWith("/")) return undefined;
    const keepSlash = containerPath.length > 1 && containerPath.endsWith("/");
    // "/a/b/." must keep its meaning ("the contents of b", as cp -R uses it): only the prefix is swapped.
    for (const m of this.mappings) {
      const base = m.containerPath;
      if (containerPath === base || containerPath.startsWith(base === "/" ? "/" : `${base}/`)) {
        const rest = containerPath.slice(base === "/" ? 0 : base.length);
        const host = m.hostPath.replace(/\/+$/, "") + rest;
        return keepSlash && !host.endsWith("/") ? `${host}/` : host || "/";
      }
    }
    return undefined;
  }

  /** Like toHost, but leaves a path no mapping covers unchanged (system paths such as /dev/shm). */
  translate(containerPath: string): string {
    return this.toHost(containerPath) ?? containerPath;
  }

  entries(): readonly PathMapping[] {
    return this.mappings;
  }
}
