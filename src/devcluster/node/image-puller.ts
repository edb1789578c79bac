/**
 * "Pulling" an image on this machine: finding it in the image map and running its build steps once (the
 * image's RUN lines, e.g. collectstatic), each into a cached directory that then belongs to the image's
 * files. An image that is not in the map fails the way a registry that does not have it fails.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { findImage, type ImageDefinition, type ImageMap, pullKey, repositoryOf } from "./image-map.js";
import { spawnGroup } from "./process-group.js";
import { localProcess, PathMap, type PathMapping } from "./translate/index.js";

export class ImagePullError extends Error {}

/** A reference as containerd spells it in errors: registry, repository and tag in full. */
export function fullReference(image: string): string {
  const repo = repositoryOf(image);
  const digest = image.includes("@") ? image.slice(image.indexOf("@")) : "";
  if (digest) return `${repo}${digest}`;
  const last = image.slice(image.lastIndexOf("/") + 1);
  const tag = last.includes(":") ? last.slice(last.indexOf(":") + 1) : "latest";
  return `${repo}:${tag}`;
}

export interface PulledImage {
  definition: ImageDefinition;
  /** `repo@sha256:...`, stable for one image map entry. */
  imageID: string;
  /** Bytes of the build outputs (what the Pulled event reports as the image size). */
  size: number;
}

function directorySize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  return total;
}

export class ImagePuller {
  private readonly pulls = new Map<string, Promise<PulledImage>>();
  private readonly pulled = new Set<string>();

  constructor(
    private readonly map: ImageMap,
    private readonly cacheDir: string,
    private readonly describeMap: string,
  ) {}

  /** Whether the image map has the image: a local image, present on this machine (imagePullPolicy Never). */
  isLocal(image: string): boolean {
    return findImage(this.map, image) !== undefined;
  }

  /** Whether the image was pulled before on this node (imagePullPolicy IfNotPresent skips the pull). */
  isPresent(image: string): boolean {
    return this.pulled.has(pullKey(this.map, image));
  }

  pull(image: string): Promise<PulledImage> {
    const repo = pullKey(this.map, image);
    let pending = this.pulls.get(repo);
    if (!pending) {
      pending = this.doPull(image);
      this.pulls.set(repo, pending);
      pending.then(
        () => this.pulled.add(repo),
        () => this.pulls.delete(repo), // a failed pull is tried again next time
      );
    }
    return pending;
  }

  private async doPull(image: string): Promise<PulledImage> {
    const def = findImage(this.map, image);
    const ref = fullReference(image);
    if (!def) {
      throw new ImagePullError(
        `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`,
      );
    }
    const digest = createHash("sha256").update(JSON.stringify(def)).digest("hex");
    const built: ImageDefinition = { ...def, filesystem: { ...def.filesystem } };
    let size = 0;
    for (const [i, step] of def.build.entries()) {
      const out = join(this.cacheDir, digest.slice(0, 16), String(i));
      if (!existsSync(out)) await this.build(built, step, out, ref);
      built.filesystem[step.output] = out;
      size += directorySize(out);
    }
    return { definition: built, imageID: `${def.repository}@sha256:${digest}`, size };
  }

  private async build(
    image: ImageDefinition,
    step: ImageDefinition["build"][number],
    out: string,
    ref: string,
  ): Promise<void> {
    const work = `${out}.building`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const mappings: PathMapping[] = [
      ...Object.entries(image.filesystem).map(([c, h]) => ({
        containerPath: c,
        hostPath: h,
        source: "image" as const,
      })),
      { containerPath: step.output, hostPath: work, source: "mount" },
    ];
    const p = localProcess(
      { command: step.command, env: step.env },
      {
        image,
        paths: new PathMap(mappings),
        listen: (port) => `127.0.0.1:${port}`,
        resolve: () => [],
        readFile: () => undefined,
        listDir: () => [],
        generatedDir: work,
        scratchDir: work,
      },
    );
    const child = spawnGroup(p.program, p.args, {
      cwd: p.cwd,
      env: p.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
    };
    child.child.stdout?.on("data", keep);
    child.child.stderr?.on("data", keep);
    const timer = setTimeout(() => child.signalGroup("SIGKILL"), 300_000);
    const exit = await child.exited;
    clearTimeout(timer);
    if (exit.code !== 0) {
      rmSync(work, { recursive: true, force: true });
      const why = child.startError()?.message ?? `exit code ${exit.code ?? exit.signal}`;
      throw new ImagePullError(
        `rpc error: code = Unknown desc = failed to pull and unpack image "${ref}": building it from ${this.describeMap} failed: \`${step.command.join(" ")}\`: ${why}: ${output.trim()}`,
      );
    }
    renameSync(work, out);
  }
}
