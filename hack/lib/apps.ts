// The sample apps in examples/apps, made ready to run on this machine from the Debian
// packages: where each lives, its WSGI callable, the environment it needs, and its static
// files laid out in a work directory (Flask's generated benchmark files, Django's
// collectstatic output). Knows nothing about how the operator renders a WebApp.
import { execFile } from "node:child_process";
import { mkdir, readdir } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DEBIAN_TOOLS } from "./tools.js";

export { freePort, type RunningProcess, spawnProcess, startServer, waitForHttp } from "./process.js";

const execFileAsync = promisify(execFile);

export const APP_NAMES = ["flask", "django"] as const;
export type AppName = (typeof APP_NAMES)[number];

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The WSGI callable each app exposes, importable with the app's folder on sys.path. */
export const WSGI_CALLABLES: Readonly<Record<AppName, string>> = {
  flask: "app:app",
  django: "mysite.wsgi:application",
};

/** The URL path the web tier serves the static files under (Django's STATIC_URL). */
export const STATIC_URL_PATH = "/static/";
export const HEALTH_PATH = "/healthz";

/** Files make_static_files.py writes for the Flask app, with their sizes in bytes. */
export const FLASK_BENCHMARK_FILES = { "10k.bin": 10 * 1024, "1m.bin": 1024 * 1024 } as const;

export function appDir(name: AppName): string {
  if (!APP_NAMES.includes(name)) {
    throw new Error(`app name must be one of ${APP_NAMES.join(", ")}, got ${JSON.stringify(name)}`);
  }
  return join(REPO_ROOT, "examples", "apps", name);
}

export interface PrepareOptions {
  /** Interpreter for collectstatic and the static-file generator; default /usr/bin/python3. */
  python?: string;
  /** Django's ALLOWED_HOSTS; default localhost and 127.0.0.1. Add the Host a test sends. */
  allowedHosts?: readonly string[];
  /** Django's SECRET_KEY; a fixed test key by default. */
  secretKey?: string;
}

export interface PreparedApp {
  name: AppName;
  /** Working directory for the app server: the app's source folder. */
  cwd: string;
  /**
   * The variables the app needs, to be layered over process.env (which supplies PATH).
   * PYTHONPATH holds the app folder, so the callable imports whatever directory the
   * server changes into.
   */
  env: Record<string, string>;
  wsgiCallable: string;
  /** The collected / generated static files: what the web tier's init container copies out. */
  staticDir: string;
  staticUrlPath: string;
  /** Paths of every file under staticDir, relative to it, sorted. */
  staticFiles: string[];
  healthPath: string;
}

/**
 * Lays the app's static files out under workDir/staticfiles and returns what is needed to
 * start it. Django: runs `manage.py collectstatic --noinput` (hashed names plus
 * staticfiles.json); the running app must keep the same STATIC_ROOT, which `env` sets.
 * Flask: writes the deterministic 10 KB and 1 MB benchmark files.
 */
export async function prepareApp(
  name: AppName,
  workDir: string,
  options: PrepareOptions = {},
): Promise<PreparedApp> {
  const cwd = appDir(name);
  const python = options.python ?? DEBIAN_TOOLS.python3;
  const staticDir = join(resolve(workDir), "staticfiles");
  await mkdir(staticDir, { recursive: true });
  const common = {
    PYTHONPATH: cwd,
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONUNBUFFERED: "1",
    STATIC_ROOT: staticDir,
  };

  let env: Record<string, string>;
  if (name === "django") {
    const mediaRoot = join(resolve(workDir), "media");
    await mkdir(mediaRoot, { recursive: true });
    env = {
      ...common,
      DJANGO_SETTINGS_MODULE: "mysite.settings",
      SECRET_KEY: options.secretKey ?? "webapp-operator-local-test-key-not-secret",
      DEBUG: "0",
      ALLOWED_HOSTS: (options.allowedHosts ?? ["localhost", "127.0.0.1"]).join(","),
      STATIC_URL: STATIC_URL_PATH,
      MEDIA_ROOT: mediaRoot,
    };
    await runPython(python, ["manage.py", "collectstatic", "--noinput"], cwd, env);
  } else {
    env = common;
    await runPython(python, ["make_static_files.py", staticDir], cwd, env);
  }

  return {
    name,
    cwd,
    env,
    wsgiCallable: WSGI_CALLABLES[name],
    staticDir,
    staticUrlPath: STATIC_URL_PATH,
    staticFiles: await listFiles(staticDir),
    healthPath: HEALTH_PATH,
  };
}

async function runPython(
  python: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<void> {
  try {
    await execFileAsync(python, args, { cwd, env: { ...process.env, ...env }, timeout: 120_000 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `\`${python} ${args.join(" ")}\` in ${cwd} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`.trimEnd(),
    );
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)))
    .sort();
}

/**
 * Command line of the Werkzeug development server for the Flask app (the benchmark's "not
 * for production" reference). Run it with cwd and env from prepareApp("flask", ...).
 */
export function flaskDevServerCommand(
  port: number,
  python: string = DEBIAN_TOOLS.python3,
): { command: string; args: string[] } {
  return { command: python, args: ["dev_server.py", "--host", "127.0.0.1", "--port", String(port)] };
}

/**
 * The Flask app with its files served by WhiteNoise under /static/ (the benchmark's reference for
 * "Gunicorn serves the static files itself"). Run it with cwd and env from prepareApp("flask", ...).
 */
export const FLASK_WHITENOISE_CALLABLE = "whitenoise_app:application";

/** The sample apps' /api/info answer (examples/apps/README.md). */
export interface InfoJson {
  framework: string;
  pid: number;
  instance: string;
  server: string;
  remote_addr: string;
  scheme: string;
  host: string;
  is_secure: boolean;
  path: string;
  forwarded: Record<string, string | null>;
  direct?: { remote_addr: string; scheme: string; host: string };
}
