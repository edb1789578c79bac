import { readFile } from "node:fs/promises";
import * as yaml from "js-yaml";
import type { KubeObject } from "../../api/kube-object.js";
import { type Command, UsageError } from "../command.js";
import { loadDevCluster } from "../dev/load-devcluster.js";
import { parseFlags } from "../flags.js";

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

export const devApiserverCommand: Command = {
  name: "dev-apiserver",
  summary: "run the embedded Kubernetes API server for local development and tests",
  help: HELP,
  async run(args, io) {
    const flags = parseFlags("dev-apiserver", args, {
      port: {},
      kubeconfig: {},
      user: {},
      authorization: { boolean: true },
      "simulate-workloads": { boolean: true },
      "ready-delay-ms": {},
      "watch-history": {},
      filename: { short: "f", multiple: true },
    });
    const port = flags.int("port", { min: 0, max: 65535 }) ?? 0;
    const readyDelayMs = flags.int("ready-delay-ms", { min: 0 }) ?? 0;
    const watchHistory = flags.int("watch-history", { min: 1 });
    const { startDevCluster } = await loadDevCluster();
    const cluster = await startDevCluster({
      port,
      authorization: flags.bool("authorization"),
      simulateWorkloads: flags.bool("simulate-workloads") ? { readyDelayMs } : false,
      ...(watchHistory !== undefined ? { watchHistory } : {}),
    });
    for (const file of flags.list("filename")) {
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
    const kubeconfig = flags.string("kubeconfig", "devcluster.kubeconfig");
    const user = flags.string("user", "admin");
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
