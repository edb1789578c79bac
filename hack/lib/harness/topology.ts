// Runs what the operator renders for one WebApp as a real web stack on loopback: N app
// server processes started with the rendered Deployment's own command line, the static
// files laid out by the rendered init container's own copy step, and real NGINX on the
// rendered nginx.conf. The only changes are the ones a machine without Kubernetes needs:
// container paths, the listen address and the upstream servers (see nginx-local.ts), and
// the app servers' bind address (see local-command.ts).
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseWebApp, type WebApp } from "../../../src/api/index.js";
import {
  type ChildRole,
  type KubeObject,
  NGINX_HEALTH_PATH,
  type RenderResult,
  render,
} from "../../../src/render/index.js";
import { parseYamlStream } from "../../../src/util/yaml.js";
import { type AppName, freePort, type PreparedApp, prepareApp } from "../apps.js";
import { startNginx } from "../nginx.js";
import { localizeNginxConf } from "../nginx-local.js";
import { type RunningProcess, startServer } from "../process.js";
import { type AppServerKind, localAppCommand } from "./local-command.js";
import { fillStaticRoot } from "./static-files.js";

export interface TopologyOptions {
  /** A WebApp manifest: the object, or its YAML text. */
  manifest: unknown;
  /** The sample app that stands for spec.app.image. Required when the WebApp has an app tier. */
  app?: AppName;
  /** Reuse an app prepared earlier (collectstatic is slow); must be the `app` named above. */
  prepared?: PreparedApp;
  /**
   * The folder that stands for the image's (or claim's) static files. Default: the prepared
   * app's static files (Django's collectstatic output, Flask's benchmark files).
   */
  staticSource?: string;
  /** App replicas to start; default the rendered Deployment's replicas. */
  replicas?: number;
  /** Host names Django accepts besides localhost and 127.0.0.1. */
  allowedHosts?: readonly string[];
}

export interface AppReplica {
  /** HOSTNAME of the replica (its pod name in a cluster); the apps echo it as X-Served-By. */
  instance: string;
  port: number;
  process: RunningProcess;
  /** Everything the server wrote (its access log included) so far. */
  log(): Promise<string>;
}

export interface Topology {
  webapp: WebApp;
  rendered: RenderResult;
  /** The app container's command exactly as rendered. */
  renderedAppCommand?: readonly string[];
  appServer?: AppServerKind;
  replicas: AppReplica[];
  nginx?: RunningProcess;
  nginxPort?: number;
  /** The nginx.conf NGINX runs: the rendered one with only the local substitutions. */
  nginxConf?: string;
  /** Everything NGINX wrote (its access log included) so far. */
  nginxLog(): Promise<string>;
  /** Where a client connects: NGINX when there is a web tier, otherwise the first replica. */
  entryPort: number;
  staticRoot?: string;
  app?: PreparedApp;
  workDir: string;
  /** Stops every process and removes the work directory. Safe to call more than once. */
  stop(): Promise<void>;
}

interface Container {
  name: string;
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  envFrom?: unknown[];
  readinessProbe?: { httpGet?: { path?: string } };
}

interface DeploymentLike {
  spec: { replicas?: number; template: { spec: { containers: Container[]; initContainers?: Container[] } } };
}

export function parseManifest(manifest: unknown): WebApp {
  const doc = typeof manifest === "string" ? parseYamlStream(manifest)[0] : manifest;
  const withNamespace = { ...(doc as object) } as { metadata?: Record<string, unknown> };
  withNamespace.metadata = { namespace: "default", ...(withNamespace.metadata ?? {}) };
  const parsed = parseWebApp(withNamespace);
  if (!parsed.ok) {
    throw new Error(
      `the WebApp manifest is invalid: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`,
    );
  }
  return parsed.webapp;
}

function containerNamed(deployment: KubeObject, name: string): Container {
  const spec = (deployment as unknown as DeploymentLike).spec.template.spec;
  const container = spec.containers.find((c) => c.name === name);
  if (!container) throw new Error(`Deployment ${deployment.metadata.name} has no container ${name}`);
  return container;
}

/** The container's literal env; anything the harness cannot resolve without a cluster is an error. */
function literalEnv(container: Container): Record<string, string> {
  if ((container.envFrom ?? []).length > 0) {
    throw new Error(`container ${container.name} uses envFrom, which the local harness cannot resolve`);
  }
  const env: Record<string, string> = {};
  for (const [i, variable] of (container.env ?? []).entries()) {
    if (variable.value === undefined) {
      throw new Error(`container ${container.name} env[${i}] (${variable.name}) is not a literal value`);
    }
    env[variable.name] = variable.value;
  }
  return env;
}

/** NGINX's workers run as nobody when the master is root: every folder they read must be open to them. */
async function openToNginxWorkers(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath ?? entry.path, entry.name);
    await chmod(path, entry.isDirectory() ? 0o755 : 0o644);
  }
}

async function readLog(path: string): Promise<string> {
  return readFile(path, "utf8").catch(() => "");
}

export async function startTopology(options: TopologyOptions): Promise<Topology> {
  const webapp = parseManifest(options.manifest);
  const rendered = render(webapp);
  const byRole = (role: ChildRole) => rendered.children.find((c) => c.role === role)?.object;
  const appDeployment = byRole("app-deployment");
  const webDeployment = byRole("web-deployment");
  const nginxConfig = byRole("nginx-config") as (KubeObject & { data?: Record<string, string> }) | undefined;

  const workDir = await mkdtemp(join(tmpdir(), `webapp-topology-${webapp.metadata.name}-`));
  await chmod(workDir, 0o755);
  const logsDir = join(workDir, "logs");
  await mkdir(logsDir, { recursive: true });
  const started: RunningProcess[] = [];
  const nginxLogFile = join(logsDir, "nginx.log");
  const topology: Topology = {
    webapp,
    rendered,
    replicas: [],
    entryPort: 0,
    workDir,
    nginxLog: () => readLog(nginxLogFile),
    async stop() {
      await Promise.all(started.map((p) => p.stop({ graceMs: 5000 })));
      await rm(workDir, { recursive: true, force: true });
    },
  };

  try {
    if (appDeployment) {
      if (options.app === undefined)
        throw new Error("the WebApp has an app tier: name the sample app (options.app)");
      const app =
        options.prepared ??
        (await prepareApp(options.app, join(workDir, "app"), {
          allowedHosts: ["localhost", "127.0.0.1", ...(options.allowedHosts ?? [])],
        }));
      if (app.name !== options.app)
        throw new Error(`options.prepared is the ${app.name} app, not ${options.app}`);
      topology.app = app;
      const container = containerNamed(appDeployment, "app");
      if (container.command === undefined)
        throw new Error(`Deployment ${appDeployment.metadata.name} has no command`);
      topology.renderedAppCommand = container.command;
      const containerEnv = literalEnv(container);
      const readyPath = container.readinessProbe?.httpGet?.path ?? "/";
      const count = options.replicas ?? (appDeployment as unknown as DeploymentLike).spec.replicas ?? 1;
      topology.replicas = await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const instance = `${appDeployment.metadata.name}-${i}`;
          const port = await freePort();
          const local = localAppCommand(container.command ?? [], port);
          topology.appServer = local.server;
          const logFile = join(logsDir, `${instance}.log`);
          const server = await startServer(local.command, local.args, {
            name: `${local.server} ${instance}`,
            cwd: app.cwd,
            env: { ...process.env, ...app.env, ...containerEnv, ...local.env, HOSTNAME: instance },
            port,
            readyPath,
            logFile,
            timeoutMs: 30_000,
          });
          started.push(server);
          return { instance, port, process: server, log: () => readLog(logFile) };
        }),
      );
      topology.entryPort = topology.replicas[0]?.port ?? 0;
    }

    if (webDeployment) {
      const conf = nginxConfig?.data?.["nginx.conf"];
      if (conf === undefined) throw new Error(`ConfigMap ${nginxConfig?.metadata.name} has no nginx.conf`);
      const webDir = join(workDir, "web");
      const staticRoot = join(webDir, "static");
      const mediaRoot = join(webDir, "media");
      await mkdir(mediaRoot, { recursive: true });
      const source = options.staticSource ?? topology.app?.staticDir;
      if (webapp.spec.static !== undefined) {
        if (source === undefined)
          throw new Error("the WebApp serves static files: give options.staticSource");
        await fillStaticRoot({
          initContainers:
            (webDeployment as unknown as DeploymentLike).spec.template.spec.initContainers ?? [],
          imagePath: webapp.spec.static.fromImage?.path,
          source,
          staticRoot,
        });
      }
      await mkdir(staticRoot, { recursive: true });
      await openToNginxWorkers(webDir);
      topology.staticRoot = staticRoot;

      const port = await freePort();
      const localConf = localizeNginxConf(conf, {
        runtimeDir: join(webDir, "run"),
        staticRoot,
        mediaRoot,
        listen: `127.0.0.1:${port}`,
        ...(topology.replicas.length > 0
          ? { upstreamServers: topology.replicas.map((r) => `127.0.0.1:${r.port}`) }
          : {}),
      });
      await chmod(join(webDir, "run"), 0o755);
      await writeFile(join(webDir, "nginx.rendered.conf"), conf);
      topology.nginxConf = localConf;
      // The rendered config sets daemon, pid and its logs itself: nothing is added (-g ""). Its
      // workers run as nobody when this runs as root, which is why the folders were opened up.
      topology.nginx = await startNginx({
        workDir: webDir,
        config: localConf,
        globalDirectives: [],
        port,
        readyPath: NGINX_HEALTH_PATH,
        logFile: nginxLogFile,
      });
      started.push(topology.nginx);
      topology.nginxPort = port;
      topology.entryPort = port;
    }
    if (topology.entryPort === 0) throw new Error("the WebApp rendered neither an app nor a web tier");
    return topology;
  } catch (err) {
    await topology.stop();
    throw err;
  }
}
