/**
 * A container, made a local process: the program its command names in the image (the image map's
 * programs), its argv with container paths and listen addresses translated, its environment (the image's,
 * then the container's, then what this machine's build of the program needs), its working directory, and
 * for NGINX a translated copy of its config. Everything but reading the config files is pure, so the
 * kubelet and the data-plane harness get the same answer for the same container.
 */
import { posix } from "node:path";
import type { ImageDefinition } from "../image-map.js";
import { type ListenMapping, type ServiceResolver, translateAddressToken } from "./addresses.js";
import { translateNginxConfig } from "./nginx-config.js";
import type { PathMap } from "./path-map.js";

/** How containerd reports a command the image does not have (the container ends in StartError, 128). */
export class ExecNotFoundError extends Error {
  constructor(readonly program: string) {
    super(
      program.startsWith("/")
        ? `exec: "${program}": stat ${program}: no such file or directory`
        : `exec: "${program}": executable file not found in $PATH`,
    );
  }
}

/** A container with neither a command nor an image default (CreateContainerError). */
export class NoCommandError extends Error {
  constructor() {
    super("no command specified");
  }
}

export interface ContainerCommand {
  /** The container's command and args exactly as in the pod spec, after `$(VAR)` expansion. */
  command?: string[];
  args?: string[];
  workingDir?: string;
  /** The container's environment from the pod spec, resolved (values, valueFrom, envFrom), in order. */
  env: Record<string, string>;
}

export interface CommandTranslation {
  image: ImageDefinition;
  paths: PathMap;
  listen: ListenMapping;
  resolve: ServiceResolver;
  /** Reads a host file (a config named on the command line, and what it includes). */
  readFile: (hostPath: string) => string | undefined;
  /** Host file names in a host directory (for `include dir/*.conf`). */
  listDir: (hostDir: string) => string[];
  /** A host directory of this container where translated copies of config files go. */
  generatedDir: string;
  /** Where a working directory the image and mounts do not provide goes (the container's own layer). */
  scratchDir: string;
}

export interface GeneratedFile {
  hostPath: string;
  content: string;
}

export interface LocalProcess {
  /** The host program. */
  program: string;
  /** The name the container's command used for it (argv[0] in the container). */
  containerProgram: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Files to write before starting (translated configs). */
  files: GeneratedFile[];
}

/** A container's default PATH (Docker's), used unless the image or the container sets one. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The image program standing for a command's first word, by exact name, then by the base name of a path. */
export function resolveProgram(image: ImageDefinition, program: string): string {
  const exact = image.programs[program];
  if (exact) return exact;
  if (program.includes("/")) {
    const byBase = image.programs[posix.basename(program)];
    if (byBase) return byBase;
  }
  throw new ExecNotFoundError(program);
}

/** The command line a container runs: its command (or the image's entrypoint) and args (or the image's cmd). */
export function effectiveArgv(
  image: ImageDefinition,
  c: Pick<ContainerCommand, "command" | "args">,
): string[] {
  const hasCommand = c.command !== undefined && c.command.length > 0;
  const entry = hasCommand ? c.command! : image.entrypoint;
  const rest =
    c.args !== undefined && (c.args.length > 0 || hasCommand) ? c.args : hasCommand ? [] : image.cmd;
  const argv = [...entry, ...rest];
  if (argv.length === 0) throw new NoCommandError();
  return argv;
}

/** One argument: a listen address, else a container path (also as `--flag=/path` or `unix:/path`). */
export function translateArgument(arg: string, paths: PathMap, listen: ListenMapping): string {
  const address = translateAddressToken(arg, listen);
  if (address !== undefined) return address;
  if (arg.startsWith("/")) return paths.translate(arg);
  if (arg.startsWith("unix:/")) return `unix:${paths.translate(arg.slice(5))}`;
  const eq = arg.indexOf("=");
  if (arg.startsWith("-") && eq > 0 && arg[eq + 1] === "/")
    return arg.slice(0, eq + 1) + paths.translate(arg.slice(eq + 1));
  return arg;
}

/** An environment value that is an absolute container path, or a `:`-list of them (PYTHONPATH). */
export function translateEnvValue(value: string, paths: PathMap): string {
  if (!value.startsWith("/")) return value;
  const parts = value.split(":");
  if (parts.every((p) => p.startsWith("/"))) return parts.map((p) => paths.translate(p)).join(":");
  return value;
}

export function localProcess(container: ContainerCommand, t: CommandTranslation): LocalProcess {
  const [containerProgram, ...rest] = effectiveArgv(t.image, container);
  const program = resolveProgram(t.image, containerProgram!);
  const programKey = t.image.programs[containerProgram!]
    ? containerProgram!
    : posix.basename(containerProgram!);
  const env: Record<string, string> = { PATH: DEFAULT_PATH };
  for (const [k, v] of Object.entries({ ...t.image.env, ...container.env }))
    env[k] = translateEnvValue(v, t.paths);
  Object.assign(env, t.image.programEnv[programKey] ?? {});
  const workingDir = container.workingDir || t.image.workingDir || "/";
  const cwd = t.paths.toHost(workingDir) ?? t.scratchDir;
  const files: GeneratedFile[] = [];
  const args =
    posix.basename(program) === "nginx"
      ? nginxArgs(rest, t, files)
      : rest.map((a) => translateArgument(a, t.paths, t.listen));
  return { program, containerProgram: containerProgram!, args, env, cwd, files };
}

/** NGINX's options that take a value, as its own parser reads them (`-c file` or `-cfile`). */
const NGINX_VALUE_OPTIONS = new Set(["c", "p", "e", "g", "s"]);
const NGINX_DEFAULT_CONF = "/etc/nginx/nginx.conf";
const MAX_INCLUDE_DEPTH = 8;

function nginxArgs(args: string[], t: CommandTranslation, files: GeneratedFile[]): string[] {
  const out: string[] = [];
  let conf: string | undefined;
  let errorLogGiven = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const opt = /^-([a-zA-Z])(.*)$/.exec(a);
    if (!opt || !NGINX_VALUE_OPTIONS.has(opt[1]!)) {
      out.push(a);
      continue;
    }
    const flag = opt[1]!;
    const value = opt[2] ? opt[2] : args[++i];
    if (value === undefined) {
      out.push(a);
      continue;
    }
    if (flag === "c") {
      conf = value;
      continue;
    }
    if (flag === "e") {
      errorLogGiven = true;
      out.push("-e", value === "stderr" ? value : t.paths.translate(value));
    } else if (flag === "p") out.push("-p", t.paths.translate(value));
    else out.push(`-${flag}`, value);
  }
  const confPath =
    conf === undefined ? NGINX_DEFAULT_CONF : conf.startsWith("/") ? conf : posix.join("/etc/nginx", conf);
  out.unshift("-c", translateNginxFile(confPath, t, files, true, 0));
  // Never the compiled-in error log path (/var/log/nginx/error.log): errors before the config's own
  // error_log is read go to the container's stderr.
  if (!errorLogGiven) out.push("-e", "stderr");
  return out;
}

/** Translates one config file into the generated directory; returns the host path NGINX should read. */
function translateNginxFile(
  containerPath: string,
  t: CommandTranslation,
  files: GeneratedFile[],
  main: boolean,
  depth: number,
  targetPath?: string,
): string {
  const hostPath = t.paths.translate(containerPath);
  const text = t.readFile(hostPath);
  // A file that is not there is left for NGINX to report, as it would in the container.
  if (text === undefined || depth > MAX_INCLUDE_DEPTH) return hostPath;
  const target = targetPath ?? posix.join(t.generatedDir, `${files.length}-${posix.basename(containerPath)}`);
  const slot = files.length;
  files.push({ hostPath: target, content: "" });
  const translated = translateNginxConfig(text, {
    paths: t.paths,
    listen: t.listen,
    resolve: t.resolve,
    configDir: posix.dirname(containerPath),
    main,
    include: (included) => translateInclude(included, t, files, depth + 1),
  });
  files[slot] = { hostPath: target, content: translated.text };
  return target;
}

function translateInclude(
  containerPath: string,
  t: CommandTranslation,
  files: GeneratedFile[],
  depth: number,
): string {
  const base = posix.basename(containerPath);
  if (!/[*?[]/.test(base)) return translateNginxFile(containerPath, t, files, false, depth);
  // A glob: every match gets a translated copy in a directory of its own, and the include keeps its pattern.
  const dir = posix.dirname(containerPath);
  const pattern = new RegExp(
    `^${base
      .replace(/[.+^${}()|\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  const globDir = posix.join(t.generatedDir, `${files.length}-include`);
  for (const name of t
    .listDir(t.paths.translate(dir))
    .filter((n) => pattern.test(n))
    .sort())
    translateNginxFile(posix.join(dir, name), t, files, false, depth, posix.join(globDir, name));
  return posix.join(globDir, base);
}
