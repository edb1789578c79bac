import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PatchStrategy } from "@kubernetes/client-node";
import { pino } from "pino";
import { WEBAPP_TYPE } from "../../controller/webapp-controller.js";
import type { KubeClient } from "../../kube/client.js";
import { type KubeObject, type ResourceType, resourcePath } from "../../kube/resources.js";
import { ALL_CHILD_KINDS } from "../../render/index.js";
import { createLogger } from "../../runtime/logger.js";
import { parseYamlStream } from "../../util/yaml.js";
import { type Command, type CommandIO, UsageError } from "../command.js";
import { ROOT, startDevEnvironment } from "../dev/environment.js";
import { parseFlags } from "../flags.js";

const help = `Usage: webapp-operator demo [options]   (or: npm run demo)

Starts a SIMULATED Kubernetes API server in this process (no containers run: a workload simulator
marks pods ready), installs the WebApp CRD, runs the operator against it, applies every WebApp in
examples/, waits until each is Ready, and prints them and their children the way kubectl does.
Then it keeps running until Ctrl-C, with a kubeconfig written so you can explore with kubectl.

Options:
  --port N               API server port on 127.0.0.1 (default: any free port)
  --kubeconfig-out PATH  where to write the kubeconfig (default: .tmp/demo/kubeconfig)
  --examples DIR         directory of WebApp manifests (default: examples/)
  --exit-when-ready      stop once everything is Ready instead of waiting for Ctrl-C
  --log-level LEVEL      operator log level on stderr (default: silent)
`;

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
  say("NOTE: this is a SIMULATED cluster: an embedded Kubernetes API server in this process.");
  say("      No containers run; a simulator marks the pods of each Deployment ready.");
  mkdirSync(resolve(kubeconfigPath, ".."), { recursive: true });
  const env = await startDevEnvironment({
    cluster: { ...(port !== undefined ? { port } : {}), simulateWorkloads: { readyDelayMs: 1500 } },
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
    // Optional kinds (Gateway API routes) are not served by the simulated cluster: nothing to list.
    if (type.optional && !(await client.servedKinds(type.apiVersion)).has(type.kind)) continue;
    await printGet(client, io, type, namespace);
  }

  if (flags.bool("exit-when-ready")) {
    await env.stop();
    return 0;
  }
  say("");
  say("The simulated cluster keeps running. Try, in another terminal:");
  say(`  export KUBECONFIG=${kubeconfigPath}`);
  say("  kubectl get webapps            # kubectl: ./hack/kube-tools.sh prints its directory");
  say("  kubectl scale webapp/flask-demo --replicas=4 && kubectl get deploy");
  say("Press Ctrl-C to stop.");
  await new Promise<void>((resolveStop) => {
    process.once("SIGINT", () => resolveStop());
    process.once("SIGTERM", () => resolveStop());
  });
  say("Stopping...");
  await env.stop();
  return 0;
}

export const demoCommand: Command = {
  name: "demo",
  summary: "run the operator on a simulated cluster with the examples applied (npm run demo)",
  help,
  run: demo,
};
