// The harness's view of the kubelet's translation (src/devcluster/node/translate): the same
// functions, given local folders and loopback ports instead of a pod's volumes and address.
import type { ImageDefinition } from "../../../src/devcluster/node/image-map.js";
import {
  type CommandTranslation,
  hostFiles,
  type ListenMapping,
  PathMap,
  type PathMapping,
  type ServiceResolver,
} from "../../../src/devcluster/node/translate/index.js";

export interface HarnessTranslation {
  image: ImageDefinition;
  paths?: readonly PathMapping[];
  listen: ListenMapping;
  resolve?: ServiceResolver;
  /** Where translated config copies go; required only when a config is translated. */
  generatedDir?: string;
}

export function harnessTranslation(t: HarnessTranslation): CommandTranslation {
  return {
    image: t.image,
    paths: new PathMap(t.paths ?? []),
    listen: t.listen,
    resolve: t.resolve ?? (() => []),
    ...hostFiles,
    generatedDir: t.generatedDir ?? "/nonexistent",
    scratchDir: process.cwd(),
  };
}

/** An image with nothing but the programs a step runs. */
export function programsOnlyImage(
  programs: Record<string, string>,
  filesystem: Record<string, string> = {},
): ImageDefinition {
  return {
    repository: "local",
    filesystem,
    programs,
    programEnv: {},
    env: {},
    entrypoint: [],
    cmd: [],
    build: [],
  };
}
