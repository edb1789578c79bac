/**
 * The image map: which local programs and folders stand for a container image on this machine. An image
 * that is not in the map cannot be pulled. The format (YAML file or the same object in code):
 *
 *   images:
 *     - repository: nginxinc/nginx-unprivileged     # matches any tag or digest
 *     - repository: registry.example.com/shop       # with `tag`, only that tag (preferred over an
 *       tag: "2.0.0"                                # entry without one): another version's files
 *       filesystem: { /etc/nginx: /etc/nginx }      # container path -> host path (the image's files)
 *       programs: { nginx: /usr/sbin/nginx }        # what a command may run
 *       stopSignal: SIGQUIT                         # the image's STOPSIGNAL
 *     - repository: registry.example.com/flask-demo
 *       workingDir: /app
 *       filesystem: { /app: flask }                 # relative paths: to the map file
 *       env: { STATIC_ROOT: /app/staticfiles }
 *       build:                                      # run once per image, like a Dockerfile RUN
 *         - output: /app/staticfiles                # the container path the step fills
 *           command: [python, make_static_files.py, /app/staticfiles]
 *       programs: { gunicorn: /usr/bin/gunicorn, python: /usr/bin/python3 }
 *       programEnv: { uwsgi: { UWSGI_PLUGIN: python3 } }
 *       command: [gunicorn, app:app]                # the image's ENTRYPOINT + CMD, when a pod sets none
 */
import { accessSync, constants, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import * as yaml from "js-yaml";
import { isObject, type JsonObject } from "../types.js";

export interface ImageBuildStep {
  /** The container path the step writes; it becomes part of the image's files. */
  output: string;
  command: string[];
  env: Record<string, string>;
}

export interface ImageDefinition {
  /** Normalized repository (`docker.io/library/nginx` for `nginx`). */
  repository: string;
  /** Only this tag of the repository; absent for any tag. */
  tag?: string;
  workingDir?: string;
  /** Container path -> absolute host path. */
  filesystem: Record<string, string>;
  /** Program name (or absolute container path) -> absolute host path. */
  programs: Record<string, string>;
  /** Variables added for one program only (keyed like programs). */
  programEnv: Record<string, Record<string, string>>;
  env: Record<string, string>;
  stopSignal?: NodeJS.Signals;
  /** ENTRYPOINT + CMD together (a pod's `args` replace what follows entrypoint). */
  entrypoint: string[];
  cmd: string[];
  build: ImageBuildStep[];
}

export interface ImageMap {
  images: ImageDefinition[];
}

export class ImageMapError extends Error {}

/** The tag of an image reference (`1.27` of `nginx:1.27`), undefined when it has none. */
export function tagOf(image: string): string | undefined {
  const ref = image.trim().split("@")[0] ?? "";
  const colon = ref.lastIndexOf(":");
  return colon > ref.lastIndexOf("/") ? ref.slice(colon + 1) : undefined;
}

/** `nginx:1.27` -> `docker.io/library/nginx`, `a/b:1` -> `docker.io/a/b`, digests and tags dropped. */
export function repositoryOf(image: string): string {
  let ref = image.trim();
  const at = ref.indexOf("@");
  if (at >= 0) ref = ref.slice(0, at);
  const lastSlash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  if (colon > lastSlash) ref = ref.slice(0, colon);
  const parts = ref.split("/");
  const first = parts[0] ?? "";
  const hasRegistry =
    parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (!hasRegistry) parts.unshift("docker.io");
  if (parts[0] === "docker.io" && parts.length === 2) parts.splice(1, 0, "library");
  return parts.join("/");
}

function stringRecord(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new ImageMapError(`${field} must be a mapping`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string" && typeof v !== "number")
      throw new ImageMapError(`${field}.${k} must be a string, got ${JSON.stringify(v)}`);
    out[k] = String(v);
  }
  return out;
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" && typeof v !== "number"))
    throw new ImageMapError(`${field} must be a list of strings`);
  return value.map(String);
}

function containerPath(value: string, field: string): string {
  if (!value.startsWith("/"))
    throw new ImageMapError(`${field} must be an absolute container path, got ${value}`);
  return value;
}

function parseImage(raw: unknown, i: number, baseDir: string): ImageDefinition {
  const field = `images[${i}]`;
  if (!isObject(raw)) throw new ImageMapError(`${field} must be a mapping`);
  const known = new Set([
    "repository",
    "tag",
    "workingDir",
    "filesystem",
    "programs",
    "programEnv",
    "env",
    "stopSignal",
    "entrypoint",
    "command",
    "build",
  ]);
  for (const k of Object.keys(raw))
    if (!known.has(k)) throw new ImageMapError(`${field}.${k} is not a known field`);
  if (typeof raw.repository !== "string" || !raw.repository)
    throw new ImageMapError(`${field}.repository is required`);
  const hostPath = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const filesystem: Record<string, string> = {};
  for (const [c, h] of Object.entries(stringRecord(raw.filesystem, `${field}.filesystem`)))
    filesystem[containerPath(c, `${field}.filesystem key`)] = hostPath(h);
  const programs: Record<string, string> = {};
  for (const [name, h] of Object.entries(stringRecord(raw.programs, `${field}.programs`)))
    programs[name] = hostPath(h);
  const programEnv: Record<string, Record<string, string>> = {};
  if (raw.programEnv !== undefined) {
    if (!isObject(raw.programEnv)) throw new ImageMapError(`${field}.programEnv must be a mapping`);
    for (const [name, env] of Object.entries(raw.programEnv))
      programEnv[name] = stringRecord(env, `${field}.programEnv.${name}`);
  }
  const build: ImageBuildStep[] = [];
  if (raw.build !== undefined) {
    if (!Array.isArray(raw.build)) throw new ImageMapError(`${field}.build must be a list`);
    raw.build.forEach((step: unknown, j: number) => {
      const sf = `${field}.build[${j}]`;
      if (!isObject(step)) throw new ImageMapError(`${sf} must be a mapping`);
      if (typeof step.output !== "string") throw new ImageMapError(`${sf}.output is required`);
      const command = stringList(step.command, `${sf}.command`);
      if (command.length === 0) throw new ImageMapError(`${sf}.command is required`);
      build.push({
        output: containerPath(step.output, `${sf}.output`),
        command,
        env: stringRecord(step.env, `${sf}.env`),
      });
    });
  }
  let stopSignal: NodeJS.Signals | undefined;
  if (raw.stopSignal !== undefined) {
    if (typeof raw.stopSignal !== "string" || !/^SIG[A-Z0-9]+$/.test(raw.stopSignal))
      throw new ImageMapError(`${field}.stopSignal must be a signal name such as SIGQUIT`);
    stopSignal = raw.stopSignal as NodeJS.Signals;
  }
  const def: ImageDefinition = {
    repository: repositoryOf(raw.repository),
    filesystem,
    programs,
    programEnv,
    env: stringRecord(raw.env, `${field}.env`),
    entrypoint: stringList(raw.entrypoint, `${field}.entrypoint`),
    cmd: stringList(raw.command, `${field}.command`),
    build,
  };
  if (raw.tag !== undefined) {
    if (typeof raw.tag !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(raw.tag))
      throw new ImageMapError(`${field}.tag must be an image tag such as 2.0.0`);
    def.tag = raw.tag;
  }
  if (typeof raw.workingDir === "string")
    def.workingDir = containerPath(raw.workingDir, `${field}.workingDir`);
  if (stopSignal) def.stopSignal = stopSignal;
  return def;
}

/** Parses an image map object; relative host paths are taken from baseDir. */
export function parseImageMap(doc: unknown, baseDir: string): ImageMap {
  if (!isObject(doc) || !Array.isArray((doc as JsonObject).images))
    throw new ImageMapError("an image map must have an `images` list");
  return { images: (doc.images as unknown[]).map((raw, i) => parseImage(raw, i, baseDir)) };
}

/** Reads an image map file (YAML); relative host paths in it are relative to the file. */
export function loadImageMap(path: string): ImageMap {
  let doc: unknown;
  try {
    doc = yaml.load(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ImageMapError(`cannot read the image map ${path}: ${(e as Error).message}`);
  }
  try {
    return parseImageMap(doc, dirname(resolve(path)));
  } catch (e) {
    throw new ImageMapError(`${path}: ${(e as Error).message}`);
  }
}

/**
 * The definition standing for an image reference, or undefined (the image cannot be pulled): the
 * entry of its repository and tag, else the repository's entry for any tag.
 */
export function findImage(map: ImageMap, image: string): ImageDefinition | undefined {
  const repo = repositoryOf(image);
  const tag = tagOf(image);
  const ofRepo = map.images.filter((d) => d.repository === repo);
  return ofRepo.find((d) => d.tag !== undefined && d.tag === tag) ?? ofRepo.find((d) => d.tag === undefined);
}

/** What the node caches a pull under: the repository, and the tag when the map has an entry for it. */
export function pullKey(map: ImageMap, image: string): string {
  const def = findImage(map, image);
  return def?.tag ? `${def.repository}:${def.tag}` : repositoryOf(image);
}

/**
 * The host programs a map names that are missing or not executable here: with any, the images
 * that name them cannot run (a demo falls back to simulating its workloads).
 */
export function missingPrograms(map: ImageMap): string[] {
  const missing = new Set<string>();
  for (const image of map.images) {
    for (const path of Object.values(image.programs)) {
      try {
        accessSync(path, constants.X_OK);
      } catch {
        missing.add(path);
      }
    }
  }
  return [...missing].sort();
}
