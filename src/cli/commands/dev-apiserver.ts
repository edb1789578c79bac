import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import * as yaml from "js-yaml";
import type { KubeObject } from "../../devcluster/types.js";
import { type Command, UsageError } from "../command.js";

const HELP = `Usage: webapp-operator dev-apiserver [options]

Starts the embedded Kubernetes API server (in memory, HTTP on 127.0.0.1) for local runs of the operator,
kubectl and the demo, and writes a kubeconfig for it. Runs until interrupted (Ctrl-C).

Options:
  --port N                 port to listen on (default 0: a free port)
  --kubeconfig PATH        where to write the kubeconfig (default ./devcluster.kubeconfig)
  --user NAME              user of the kubeconfig (default admin, who may do anything)
  --authorization          enforce RBAC for every user but admin
  --simulate-workloads     fill in Deployment/HPA/PVC status as controllers and kubelets would
  --ready-delay-ms N       how long simulated pods take to become ready (default 0)
  --watch-history N        change events kept for watches (default 10000)
  -f, --filename FILE      objects to create at start (YAML, several documents allowed; repeatable),
                           e.g. -f crds/webapp-operator.dev_webapps.yaml

Then: KUBECONFIG=./devcluster.kubeconfig kubectl get ns`;

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a whole number >= 0, got "${value}"`);
  return n;
}

export const devApiserverCommand: Command = {
  name: "dev-apiserver",
  summary: "run the embedded Kubernetes API server for local development and tests",
  help: HELP,
  async run(args, io) {
    let parsed: ReturnType<
      typeof parseArgs<{
        options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;
      }>
    >;
    try {
      parsed = parseArgs({
        args,
        options: {
          port: { type: "string" },
          kubeconfig: { type: "string" },
          user: { type: "string" },
          authorization: { type: "boolean" },
          "simulate-workloads": { type: "boolean" },
          "ready-delay-ms": { type: "string" },
          "watch-history": { type: "string" },
          filename: { type: "string", short: "f", multiple: true },
        },
        allowPositionals: false,
      });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
    const readyDelayMs = positiveInt("ready-delay-ms", v["ready-delay-ms"] as string | undefined);
    const watchHistory = positiveInt("watch-history", v["watch-history"] as string | undefined);
    // Loaded on demand: the operator's own commands never load the embedded cluster.
    const { startDevCluster } = await import("../../devcluster/index.js");
    const cluster = await startDevCluster({
      port: positiveInt("port", v.port as string | undefined) ?? 0,
      authorization: Boolean(v.authorization),
      simulateWorkloads: v["simulate-workloads"] ? { readyDelayMs: readyDelayMs ?? 0 } : false,
      ...(watchHistory !== undefined ? { watchHistory } : {}),
    });
    for (const file of (v.filename as string[] | undefined) ?? []) {
      const docs = yaml.loadAll(await readFile(file, "utf8")).filter((d) => d !== null && d !== undefined);
      for (const doc of docs) {
        try {
          const obj = cluster.apply(doc as KubeObject);
          io.stderr.write(`created ${obj.kind} ${obj.metadata.name} from ${file}\n`);
        } catch (e) {
          await cluster.stop();
          throw new UsageError(`${file}: ${(e as Error).message}`);
        }
      }
    }
    const kubeconfig = (v.kubeconfig as string | undefined) ?? "devcluster.kubeconfig";
    const user = (v.user as string | undefined) ?? "admin";
    await cluster.writeKubeconfig(kubeconfig, user);
    io.stdout.write(
      `dev apiserver listening on ${cluster.url}\nkubeconfig (user ${user}) written to ${kubeconfig}\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    await cluster.stop();
    return 0;
  },
};
