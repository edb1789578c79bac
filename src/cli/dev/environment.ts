import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { KubeObject } from "../../api/kube-object.js";
import { createOperator, WEBAPP_TYPE } from "../../controller/webapp-controller.js";
import { ensureNamespace, KubeClient } from "../../kube/client.js";
import { type Connection, loadConnection } from "../../kube/connection.js";
import { Kinds } from "../../kube/resources.js";
import type { Manager, ManagerOptions } from "../../runtime/manager.js";
import { parseYamlStream } from "../../util/yaml.js";
import { type DevClusterModule, loadDevCluster } from "./load-devcluster.js";

/*
 * The one operator environment of the demo, the tests and the benchmarks: the embedded API server,
 * the WebApp CRD installed, a kubeconfig on disk, a client that is not the operator, and the operator
 * itself when asked for (in this process, or as its own process by the caller).
 */

/** The repository root, from src/cli/dev and dist/cli/dev alike. */
export const ROOT = resolve(import.meta.dirname, "..", "..", "..");

export type DevCluster = Awaited<ReturnType<DevClusterModule["startDevCluster"]>>;
export type DevClusterOptions = Parameters<DevClusterModule["startDevCluster"]>[0];

export interface DevEnvironmentOptions {
  /** Options of the embedded cluster (port, workload simulator or node agent, ...). */
  cluster?: DevClusterOptions;
  /** Install the CRD with its spec schema opened up (an old or looser CRD). */
  loosenCrd?: boolean;
  /** Where to write the kubeconfig; default a new temporary directory, removed on stop(). */
  kubeconfigPath?: string;
  /** User agent of the environment's own client. */
  userAgent?: string;
}

export interface DevEnvironment {
  cluster: DevCluster;
  /** How to reach the cluster as its admin. */
  kc: Connection;
  kubeconfigPath: string;
  /** A client that is not the operator (its requests carry another user agent). */
  client: KubeClient;
  /** Creates a namespace (an existing one is fine). */
  createNamespace(name: string): Promise<void>;
  /** Starts the operator in this process against the environment. */
  startOperator(options: Omit<ManagerOptions, "kubeConfig">): Promise<Manager>;
  stop(): Promise<void>;
}

/** The CRD from crds/, optionally with the spec schema opened up. */
export function loadCrd(loosen = false): KubeObject {
  const [crd] = parseYamlStream(
    readFileSync(join(ROOT, "crds", "webapp-operator.dev_webapps.yaml"), "utf8"),
  ) as KubeObject[];
  if (!loosen) return crd!;
  const copy = structuredClone(crd!) as KubeObject & {
    spec: {
      versions: {
        schema: {
          openAPIV3Schema: { properties: Record<string, unknown>; "x-kubernetes-validations"?: unknown };
        };
      }[];
    };
  };
  for (const v of copy.spec.versions) {
    v.schema.openAPIV3Schema.properties.spec = {
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    };
    delete v.schema.openAPIV3Schema["x-kubernetes-validations"];
  }
  return copy;
}

export async function startDevEnvironment(opts: DevEnvironmentOptions = {}): Promise<DevEnvironment> {
  const { startDevCluster } = await loadDevCluster();
  const cluster = await startDevCluster(opts.cluster ?? {});
  const tempDir = opts.kubeconfigPath ? undefined : mkdtempSync(join(tmpdir(), "webapp-operator-env-"));
  const kubeconfigPath = opts.kubeconfigPath ?? join(tempDir!, "kubeconfig");
  await cluster.writeKubeconfig(kubeconfigPath);
  const kc = await loadConnection({ kubeconfig: kubeconfigPath });
  const client = new KubeClient(kc, undefined, opts.userAgent ?? "webapp-operator-dev");
  const managers: Manager[] = [];
  try {
    await client.create(Kinds.CustomResourceDefinition, undefined, loadCrd(opts.loosenCrd));
    await waitUntil(async () => {
      const kinds = await client.servedKinds(WEBAPP_TYPE.apiVersion);
      return kinds.has(WEBAPP_TYPE.kind);
    }, 10_000);
  } catch (err) {
    client.close();
    await cluster.stop();
    throw err;
  }
  return {
    cluster,
    kc,
    kubeconfigPath,
    client,
    createNamespace: (name) => ensureNamespace(client, name),
    async startOperator(options) {
      const manager = createOperator({ kubeConfig: kc, ...options });
      managers.push(manager);
      await manager.start();
      return manager;
    },
    async stop() {
      await Promise.all(managers.map((m) => m.stop()));
      client.close();
      await cluster.stop();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end)
      throw new Error(`the WebApp API was not served ${timeoutMs} ms after installing the CRD`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
