// Lays the static files out where the web pod's init container would put them, by running
// that init container's own command through the kubelet's translation
// (src/devcluster/node/translate), with its two container paths mapped to local folders.
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { promisify } from "node:util";
import { localProcess } from "../../../src/devcluster/node/translate/index.js";
import { NGINX_PATHS } from "../../../src/render/index.js";
import { harnessTranslation, programsOnlyImage } from "./translation.js";

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
  const command = copier.command ?? [];
  const names = (path: string) => command.some((arg) => arg === path || arg.startsWith(`${path}/`));
  if (!names(image) || !names(NGINX_PATHS.staticRoot)) {
    throw new Error(
      `init container ${copier.name} command ${JSON.stringify(copier.command)} must name both ${image} and ${NGINX_PATHS.staticRoot}`,
    );
  }
  // The app image as far as the copy step needs it: its files at imagePath and a cp.
  const local = localProcess(
    { command, env: {} },
    harnessTranslation({
      image: programsOnlyImage({ cp: "/bin/cp" }),
      paths: [
        { containerPath: image, hostPath: source, source: "image" },
        { containerPath: NGINX_PATHS.staticRoot, hostPath: staticRoot, source: "mount" },
      ],
      listen: (port) => `127.0.0.1:${port}`,
    }),
  );
  // The translated argv, with the container's own program name (cp) kept first, as rendered.
  return [local.containerProgram, ...local.args];
}
