// The app container's command line exactly as the rendered Deployment carries it, made
// runnable on loopback by the kubelet's own translation (src/devcluster/node/translate):
// the bind address is the only argv change, the executable is the Debian binary, and
// Debian's uWSGI gets its Python plugin through the environment.
import type { ImageDefinition } from "../../../src/devcluster/node/image-map.js";
import { localProcess } from "../../../src/devcluster/node/translate/index.js";
import { DEBIAN_TOOLS } from "../tools.js";
import { harnessTranslation, programsOnlyImage } from "./translation.js";

export type AppServerKind = "gunicorn" | "uwsgi";

export interface LocalAppCommand {
  server: AppServerKind;
  command: string;
  args: string[];
  /** Variables the server needs on this machine (and never in the image). */
  env: Record<string, string>;
}

/** The rendered bind value of each server (IPv4 and IPv6: `[::]`); anything else means the renderer changed. */
const BIND_RULES: Record<AppServerKind, { flag: string; rendered: RegExp }> = {
  gunicorn: { flag: "--bind", rendered: /^(0\.0\.0\.0|\[::\]):\d+$/ },
  uwsgi: { flag: "--http-socket", rendered: /^(\[::\])?:\d+$/ },
};

/**
 * The sample app images as this machine runs them. Debian builds uWSGI without Python and loads
 * it as a plugin; the pip build the sample images use has it built in. The environment form
 * keeps the rendered argv untouched.
 */
export const SAMPLE_APP_IMAGE: ImageDefinition = {
  ...programsOnlyImage({ gunicorn: DEBIAN_TOOLS.gunicorn, uwsgi: DEBIAN_TOOLS.uwsgi }),
  programEnv: { uwsgi: { UWSGI_PLUGIN: "python3" } },
};

function isKind(value: string | undefined): value is AppServerKind {
  return value === "gunicorn" || value === "uwsgi";
}

/**
 * Throws, naming what it expected, when the rendered command is not a Gunicorn or uWSGI one
 * or its bind flag is missing, repeated or has a value the harness does not know: the
 * harness must fail loudly rather than run something other than what was rendered.
 */
export function localAppCommand(rendered: readonly string[], port: number): LocalAppCommand {
  const [executable, ...args] = rendered;
  if (!isKind(executable)) {
    throw new Error(
      `the rendered app command must start with gunicorn or uwsgi to run locally, got ${JSON.stringify(executable)}`,
    );
  }
  const rule = BIND_RULES[executable];
  const at = args.flatMap((arg, i) => (arg === rule.flag ? [i] : []));
  if (at.length !== 1) {
    throw new Error(
      `the rendered ${executable} command must have ${rule.flag} exactly once, found ${at.length}`,
    );
  }
  const value = args[(at[0] ?? 0) + 1];
  if (value === undefined || !rule.rendered.test(value)) {
    throw new Error(
      `the rendered ${executable} ${rule.flag} must match ${rule.rendered}, got ${JSON.stringify(value)}`,
    );
  }
  const local = localProcess(
    { command: [...rendered], env: {} },
    harnessTranslation({ image: SAMPLE_APP_IMAGE, listen: () => `127.0.0.1:${port}` }),
  );
  return {
    server: executable,
    command: local.program,
    args: local.args,
    env: SAMPLE_APP_IMAGE.programEnv[executable] ?? {},
  };
}
