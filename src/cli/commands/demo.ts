import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { parseWebApp, publicHosts, resolveSpec } from "../../api/index.js";
import { WEBAPP_TYPE } from "../../controller/webapp-controller.js";
import { type KubeClient, PatchStrategy } from "../../kube/client.js";
import { isConflict } from "../../kube/errors.js";
import { Kinds, type KubeObject, type ResourceType, resourcePath } from "../../kube/resources.js";
import { ALL_CHILD_KINDS } from "../../render/index.js";
import { createLogger } from "../../runtime/logger.js";
import { parseYamlStream } from "../../util/yaml.js";
import { type Command, type CommandIO, UsageError } from "../command.js";
import { type DevCluster, ROOT, startDevEnvironment } from "../dev/environment.js";
import { loadDevCluster } from "../dev/load-devcluster.js";
import { parseFlags } from "../flags.js";

const help = `Usage: webapp-operator demo [options]   (or: npm run demo)

Starts an embedded Kubernetes API server in this process, installs the WebApp CRD, runs the
operator against it, applies every WebApp in examples/, waits until each is Ready, and prints them
and their children the way kubectl does. Then it keeps running until Ctrl-C, with a kubeconfig
written so you can explore with kubectl.

When nginx, Gunicorn, uWSGI, Flask and Django are installed (the Debian packages .ci/run installs),
the cluster has a node agent that runs every pod as real processes on this machine: NGINX in front
of Gunicorn and uWSGI running the sample apps, reachable on the local ports the demo prints.
Otherwise it is a SIMULATED cluster: no containers run, a simulator marks each Deployment's pods
ready; the demo says which, and why.

Options:
  --port N               API server port on 127.0.0.1 (default: any free port)
  --kubeconfig-out PATH  where to write the kubeconfig (default: .tmp/demo/kubeconfig)
  --examples DIR         directory of WebApp manifests (default: examples/)
  --simulated            simulate the workloads even when the programs to run them are installed
  --exit-when-ready      stop once everything is Ready instead of waiting for Ctrl-C
  --log-level LEVEL      operator log level on stderr (default: silent)
`;

/** The image map of the examples' images: which local programs and folders run them. */
const IMAGE_MAP = join(ROOT, "examples", "apps", "image-map.yaml");
/** The sample apps' Python packages, which the image map's programs import. */
const PYTHON_MODULES = ["flask", "django"];

/** Why the examples cannot run for real here (missing programs or Python modules); empty when they can. */
async function missingForNodeAgent(): Promise<string[]> {
  const { loadImageMap, missingPrograms } = await loadDevCluster();
  const missing = missingPrograms(loadImageMap(IMAGE_MAP));
  const probe = spawnSync("/usr/bin/python3", ["-c", `import ${PYTHON_MODULES.join(", ")}`], {
    stdio: "ignore",
  });
  if (probe.status !== 0) missing.push(`python3 modules ${PYTHON_MODULES.join(", ")}`);
  return missing;
}

/** Secrets the examples name, created as a user would (the Django example reads SECRET_KEY from one). */
const EXAMPLE_SECRETS = [
  { name: "django-shop-secrets", data: { SECRET_KEY: () => randomBytes(32).toString("hex") } },
];

const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

interface Table {
  kind?: string;
  columnDefinitions?: { name: string; priority?: number }[];
  rows?: { cells: unknown[] }[];
}

/** A server-side Table (the CRD's printer columns included) laid out like `kubectl get`. */
function formatTable(table: Table): string {
  const columns = (table.columnDefinitions ?? []).map((c, i) => ({ ...c, i })).filter((c) => !c.priority);
  const rows = (table.rows ?? []).map((r) => columns.map((c) => String(r.cells[c.i] ?? "")));
  const header = columns.map((c) => c.name.toUpperCase());
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("   ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

async function printGet(
  client: KubeClient,
  io: CommandIO,
  type: ResourceType,
  namespace: string,
): Promise<void> {
  const table = await client.transport.request<Table>("GET", resourcePath(type, namespace), {
    accept: TABLE_ACCEPT,
  });
  if (table.kind === "Table") {
    if ((table.rows ?? []).length === 0) return;
    io.stdout.write(`\n$ kubectl get ${type.plural}\n${formatTable(table)}\n`);
    return;
  }
  const list = table as unknown as { items?: KubeObject[] };
  if (!list.items?.length) return;
  io.stdout.write(
    `\n$ kubectl get ${type.plural}\nNAME\n${list.items.map((o) => o.metadata.name).join("\n")}\n`,
  );
}

function readExamples(dir: string): KubeObject[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort()
    .flatMap((f) => parseYamlStream(readFileSync(join(dir, f), "utf8")) as KubeObject[])
    .filter((o) => o.kind === WEBAPP_TYPE.kind);
}

async function demo(args: string[], io: CommandIO): Promise<number> {
  const flags = parseFlags("demo", args, {
    port: {},
    "kubeconfig-out": {},
    examples: {},
    simulated: { boolean: true },
    "exit-when-ready": { boolean: true },
    "log-level": {},
  });
  const port = flags.int("port", { min: 0, max: 65535 });
  const level = flags.logLevel("silent");
  const kubeconfigPath = resolve(flags.string("kubeconfig-out", join(ROOT, ".tmp", "demo", "kubeconfig")));
  const examplesDir = resolve(flags.string("examples", join(ROOT, "examples")));
  const webapps = readExamples(examplesDir);
  if (webapps.length === 0) throw new UsageError(`no WebApp manifests found in ${examplesDir}`);

  const say = (text: string) => io.stdout.write(`${text}\n`);
  say("== webapp-operator demo ==");
  const missing = flags.bool("simulated") ? ["(--simulated)"] : await missingForNodeAgent();
  const runsPods = missing.length === 0;
  if (runsPods) {
    say("An embedded Kubernetes API server in this process, with a node agent that runs every pod as");
    say("real processes on this machine (NGINX, Gunicorn, uWSGI and the sample apps in examples/apps/).");
  } else {
    say("NOTE: this is a SIMULATED cluster: an embedded Kubernetes API server in this process.");
    say("      No containers run; a simulator marks the pods of each Deployment ready.");
    say(`      (Running the pods for real needs: ${missing.join(", ")}; bash .ci/run installs them.)`);
  }
  mkdirSync(resolve(kubeconfigPath, ".."), { recursive: true });
  const env = await startDevEnvironment({
    cluster: {
      ...(port !== undefined ? { port } : {}),
      ...(runsPods ? { nodeAgent: { imageMap: IMAGE_MAP } } : { simulateWorkloads: { readyDelayMs: 1500 } }),
    },
    kubeconfigPath,
    userAgent: "webapp-operator-demo",
  });
  const { client } = env;
  say(`API server: ${env.cluster.url}`);
  say("CRD webapps.webapp-operator.dev installed.");

  const manager = await env.startOperator({
    logger: level === "silent" ? pino({ level: "silent" }) : createLogger(level),
    metricsBindAddress: "127.0.0.1:0",
    healthProbeBindAddress: "0",
    resyncPeriodMs: 60_000,
  });
  say(`Operator running (metrics: ${manager.metricsUrl}/metrics).`);

  const namespace = "default";
  await env.createNamespace(namespace);
  for (const secret of EXAMPLE_SECRETS) {
    const data = Object.fromEntries(
      Object.entries(secret.data).map(([k, make]) => [k, Buffer.from(make()).toString("base64")]),
    );
    await client
      .create({ apiVersion: "v1", kind: "Secret", plural: "secrets" }, namespace, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: secret.name, namespace },
        type: "Opaque",
        data,
      })
      .catch((err) => {
        if (!isConflict(err)) throw err;
      });
    say(`secret/${secret.name} created (a random ${Object.keys(secret.data).join(", ")})`);
  }
  for (const wa of webapps) {
    // As `kubectl apply --server-side` would: the user's field manager, not the operator's.
    await client.transport.request("PATCH", resourcePath(WEBAPP_TYPE, namespace, wa.metadata.name), {
      query: { fieldManager: "kubectl", force: true },
      body: { ...wa, metadata: { ...wa.metadata, namespace } },
      contentType: PatchStrategy.ServerSideApply,
    });
    say(`webapp.webapp-operator.dev/${wa.metadata.name} applied`);
  }

  say("Waiting for every WebApp to be Ready...");
  const deadline = Date.now() + 120_000;
  for (;;) {
    const list = await client.list(WEBAPP_TYPE, namespace);
    const notReady = list.items.filter((o) => {
      const st = o.status as
        | { observedGeneration?: number; conditions?: { type: string; status: string }[] }
        | undefined;
      const ready = st?.conditions?.find((c) => c.type === "Ready");
      return !(ready?.status === "True" && st?.observedGeneration === o.metadata.generation);
    });
    if (notReady.length === 0) break;
    if (Date.now() > deadline) {
      say(`Still not Ready after 2 minutes: ${notReady.map((o) => o.metadata.name).join(", ")}`);
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }

  await printGet(client, io, WEBAPP_TYPE, namespace);
  for (const type of ALL_CHILD_KINDS) {
    // Optional kinds (Gateway API routes) are not served by the demo's cluster: nothing to list.
    if (type.optional && !(await client.servedKinds(type.apiVersion)).has(type.kind)) continue;
    await printGet(client, io, type, namespace);
  }
  if (runsPods) await printGet(client, io, Kinds.Pod, namespace);
  if (runsPods) await printUrls(env.cluster, client, io, namespace);

  if (flags.bool("exit-when-ready")) {
    await env.stop();
    return 0;
  }
  say("");
  say(`The ${runsPods ? "cluster" : "simulated cluster"} keeps running. Try, in another terminal:`);
  say(`  export KUBECONFIG=${kubeconfigPath}`);
  say("  kubectl get webapps            # kubectl: ./hack/kube-tools.sh prints its directory");
  say("  kubectl scale webapp/flask-demo --replicas=4 && kubectl get deploy");
  if (runsPods) say("  kubectl get pods; kubectl logs deploy/flask-demo-app");
  say("Press Ctrl-C to stop.");
  await new Promise<void>((resolveStop) => {
    process.once("SIGINT", () => resolveStop());
    process.once("SIGTERM", () => resolveStop());
  });
  say("Stopping...");
  await env.stop();
  return 0;
}

/**
 * Where each WebApp answers on this machine: its entry Service's port on 127.0.0.1 (kube-proxy's host
 * listener), with the Host header its app expects when it checks one (Django's ALLOWED_HOSTS).
 */
async function printUrls(
  cluster: DevCluster,
  client: KubeClient,
  io: CommandIO,
  namespace: string,
): Promise<void> {
  const { items } = await client.list(WEBAPP_TYPE, namespace);
  io.stdout.write("\nWhere each WebApp answers on this machine (through its entry Service):\n");
  for (const wa of items) {
    const parsed = parseWebApp({ ...wa, status: undefined });
    if (!parsed.ok) continue;
    const spec = resolveSpec(parsed.webapp.spec);
    const address = await cluster.serviceAddress(namespace, wa.metadata.name, spec.service.port);
    const url = `http://${address.host}:${address.port}/`;
    // The host its Ingress or route serves, which the app may check (Django's ALLOWED_HOSTS).
    const host = publicHosts(spec).find((h) => !h.host.startsWith("*."))?.host;
    io.stdout.write(
      `  ${wa.metadata.name.padEnd(16)} ${url}${host ? `   (Host: ${host}: curl -H 'Host: ${host}' ${url})` : ""}\n`,
    );
  }
}

export const demoCommand: Command = {
  name: "demo",
  summary: "run the operator and the examples on an embedded cluster (npm run demo)",
  help,
  run: demo,
};
