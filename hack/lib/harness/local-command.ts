// The app container's command line exactly as the rendered Deployment carries it, made
// runnable on loopback: the bind address is the only argv change, the executable is the
// Debian binary, and Debian's uWSGI gets its Python plugin through the environment.
import { DEBIAN_TOOLS } from "../tools.js";

export type AppServerKind = "gunicorn" | "uwsgi";

export interface LocalAppCommand {
  server: AppServerKind;
  command: string;
  args: string[];
  /** Variables the server needs on this machine (and never in the image). */
  env: Record<string, string>;
}

interface BindRule {
  flag: string;
  /** The rendered value, e.g. `[::]:8000`; anything else means the renderer changed. */
  rendered: RegExp;
  local: (port: number) => string;
}

const BIND_RULES: Record<AppServerKind, BindRule> = {
  gunicorn: {
    flag: "--bind",
    rendered: /^(0\.0\.0\.0|\[::\]):\d+$/,
    local: (port) => `127.0.0.1:${port}`,
  },
  uwsgi: { flag: "--http-socket", rendered: /^(\[::\])?:\d+$/, local: (port) => `127.0.0.1:${port}` },
};

const EXECUTABLES: Record<AppServerKind, string> = {
  gunicorn: DEBIAN_TOOLS.gunicorn,
  uwsgi: DEBIAN_TOOLS.uwsgi,
};

// Debian builds uWSGI without Python and loads it as a plugin; the pip build the sample
// images use has it built in. The environment form keeps the rendered argv untouched.
const SERVER_ENV: Record<AppServerKind, Record<string, string>> = {
  gunicorn: {},
  uwsgi: { UWSGI_PLUGIN: "python3" },
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
  const valueAt = (at[0] ?? 0) + 1;
  const value = args[valueAt];
  if (value === undefined || !rule.rendered.test(value)) {
    throw new Error(
      `the rendered ${executable} ${rule.flag} must match ${rule.rendered}, got ${JSON.stringify(value)}`,
    );
  }
  const localArgs = [...args];
  localArgs[valueAt] = rule.local(port);
  return {
    server: executable,
    command: EXECUTABLES[executable],
    args: localArgs,
    env: SERVER_ENV[executable],
  };
}
