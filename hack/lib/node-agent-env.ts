// The operator on the embedded cluster's node agent: every pod the operator renders runs as real
// processes (NGINX, Gunicorn, uWSGI, the sample apps of examples/apps), on loopback addresses of the
// environment's own, behind the in-process kube-proxy. The environment of the end-to-end tests
// (test/e2e) and of hack/bench-rollout.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startDevEnvironment } from "../../src/cli/dev/environment.js";
import type { KubeObject as StoredObject } from "../../src/devcluster/types.js";
import type { KubeObject } from "../../src/kube/resources.js";
import type { Manager, ManagerOptions } from "../../src/runtime/manager.js";
import { parseYamlStream } from "../../src/util/yaml.js";
import { listeningSockets } from "./listening-sockets.js";
import { type Env, ROOT, startOperator, waitFor } from "./operator-env.js";

export const IMAGE_MAP = join(ROOT, "examples", "apps", "image-map.yaml");
const NODE_LOG_LINES = 500;

export interface NodeAgentEnvOptions {
  /**
   * Pods get addresses from 127.<octet>.0.0/16 and Services from 127.<octet + 1>.0.0/16. Environments
   * that run at the same time (test files run in parallel) need octets of their own: two of them on
   * one address would answer each other's requests.
   */
  octet: number;
  /** The operator's options over the test timings of hack/lib/operator-env.ts. */
  operator?: Partial<ManagerOptions>;
}

export interface NodeAgentEnv extends Env {
  operator: Manager;
  podOctet: number;
  serviceOctet: number;
  /** The node agent's last log lines (image builds, processes that could not start). */
  nodeLog(): string[];
}

export async function startNodeAgentEnv(options: NodeAgentEnvOptions): Promise<NodeAgentEnv> {
  const { octet } = options;
  if (!Number.isInteger(octet) || octet < 3 || octet > 253)
    throw new Error(`octet must be an integer from 3 to 253, got ${octet}`);
  const taken = listeningSockets().filter(
    (s) => s.startsWith(`127.${octet}.`) || s.startsWith(`127.${octet + 1}.`),
  );
  if (taken.length > 0)
    throw new Error(
      `127.${octet}.0.0/16 or 127.${octet + 1}.0.0/16 is in use (${taken.slice(0, 3).join(", ")}): another ` +
        "environment runs on this machine with the same octet; choose another one",
    );
  const log: string[] = [];
  const dev = await startDevEnvironment({
    cluster: {
      serviceCIDR: `127.${octet + 1}.0.0/16`,
      nodeAgent: {
        imageMap: IMAGE_MAP,
        podCidr: `127.${octet}.0.0/16`,
        log: (line) => {
          log.push(line);
          if (log.length > NODE_LOG_LINES) log.shift();
        },
      },
    },
    userAgent: "e2e-test",
  });
  const env: Env = { ...dev, dc: dev.cluster };
  try {
    const operator = await startOperator(env, options.operator);
    return { ...env, operator, podOctet: octet, serviceOctet: octet + 1, nodeLog: () => [...log] };
  } catch (err) {
    await env.stop();
    throw err;
  }
}

/** A WebApp of examples/, as a user has it in a file (no namespace). */
export function exampleWebApp(file: string): KubeObject {
  const [webapp] = parseYamlStream(readFileSync(join(ROOT, "examples", file), "utf8")) as KubeObject[];
  if (!webapp) throw new Error(`examples/${file} holds no object`);
  return webapp;
}

/** The tier's pods that are not being deleted, read in process. */
export function tierPods(
  env: Env,
  namespace: string,
  instance: string,
  component: "web" | "app",
): StoredObject[] {
  const pods = env.dc.registry.find("", "v1", "pods")!;
  return env.dc.ops
    .list(pods, namespace, {})
    .items.filter(
      (p) =>
        !p.metadata.deletionTimestamp &&
        p.metadata.labels?.["app.kubernetes.io/instance"] === instance &&
        p.metadata.labels?.["app.kubernetes.io/component"] === component,
    );
}

/** The pid of a pod's container's main process, as the node agent runs it. */
export function containerPid(env: Env, namespace: string, pod: string, container: string): number {
  const worker = env.dc.nodeAgent?.worker(namespace, pod);
  const pid = worker?.containers.find((c) => c.name === container)?.pid;
  if (pid === undefined) throw new Error(`container ${container} of pod ${namespace}/${pod} is not running`);
  return pid;
}

/**
 * Waits until none of `oldPods` exists any more, terminating ones included (a rollout is over only when
 * the last old pod has stopped); returns the tier's pods then.
 */
export function waitPodsReplaced(
  env: Env,
  namespace: string,
  instance: string,
  component: "web" | "app",
  oldPods: readonly string[],
  timeoutMs = 120_000,
): Promise<string[]> {
  const pods = env.dc.registry.find("", "v1", "pods")!;
  return waitFor(
    () => {
      const all = env.dc.ops.list(pods, namespace, {}).items.map((p) => p.metadata.name!);
      if (all.some((n) => oldPods.includes(n))) return undefined;
      return tierPods(env, namespace, instance, component).map((p) => p.metadata.name!);
    },
    { timeoutMs, intervalMs: 100, message: `the old ${component} pods of ${namespace}/${instance} gone` },
  );
}
