// Lays the static files out where the web pod's init container would put them, by running
// that init container's own command with its two container paths mapped to local folders.
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { promisify } from "node:util";
import { NGINX_PATHS } from "../../../src/render/index.js";

const execFileAsync = promisify(execFile);

interface Container {
  name: string;
  command?: string[];
}

export interface FillStaticRootOptions {
  /** The web Deployment's init containers, as rendered. */
  initContainers: readonly Container[];
  /** spec.static.fromImage.path: the folder inside the app (or site) image. */
  imagePath: string | undefined;
  /** The local folder that stands for imagePath (what the image would hold there). */
  source: string;
  /** The local folder that stands for the static emptyDir (NGINX_PATHS.staticRoot). */
  staticRoot: string;
}

/**
 * With an init container (static files from an image): runs its command, mapping the image
 * path to `source` and the emptyDir to `staticRoot`; each mapping must apply, so a renderer
 * change to the copy step fails here. Without one (a claim the user fills): copies `source`
 * into `staticRoot` the way `cp -R source/. staticRoot/` does.
 */
export async function fillStaticRoot(options: FillStaticRootOptions): Promise<string[]> {
  await mkdir(options.staticRoot, { recursive: true });
  const copier = options.initContainers.find((c) => c.command?.includes(`${NGINX_PATHS.staticRoot}/`));
  let argv: string[];
  if (copier?.command === undefined) {
    argv = ["cp", "-R", "--", `${options.source}/.`, `${options.staticRoot}/`];
  } else {
    if (options.imagePath === undefined) {
      throw new Error(
        `init container ${copier.name} copies static files but spec.static.fromImage.path is unset`,
      );
    }
    argv = mapPaths(copier, options.imagePath, options.source, options.staticRoot);
  }
  const [command = "", ...args] = argv;
  if (command !== "cp") throw new Error(`the static copy step must run cp, got ${JSON.stringify(argv)}`);
  await execFileAsync(command, args, { timeout: 60_000 });
  return argv;
}

function mapPaths(copier: Container, imagePath: string, source: string, staticRoot: string): string[] {
  const image = imagePath.replace(/\/$/, "");
  let mappedImage = false;
  let mappedRoot = false;
  const argv = (copier.command ?? []).map((arg) => {
    if (arg === image || arg.startsWith(`${image}/`)) {
      mappedImage = true;
      return source + arg.slice(image.length);
    }
    if (arg === NGINX_PATHS.staticRoot || arg.startsWith(`${NGINX_PATHS.staticRoot}/`)) {
      mappedRoot = true;
      return staticRoot + arg.slice(NGINX_PATHS.staticRoot.length);
    }
    return arg;
  });
  if (!mappedImage || !mappedRoot) {
    throw new Error(
      `init container ${copier.name} command ${JSON.stringify(copier.command)} must name both ${image} and ${NGINX_PATHS.staticRoot}`,
    );
  }
  return argv;
}
