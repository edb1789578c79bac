// A dev cluster with the WebApp CRD and an operator Manager in this process: the setup shared by
// the controller integration tests and hack/bench-controller.ts.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { createLogger, type LogLevel } from "../../src/controller/logger.js";
import { Manager, type ManagerOptions, WEBAPP_TYPE } from "../../src/controller/manager.js";
import { KubeClient } from "../../src/kube/client.js";
import { isConflict } from "../../src/kube/errors.js";
import type { KubeObject } from "../../src/kube/resources.js";
import { parseYamlStream } from "../../src/util/yaml.js";

export const ROOT = join(import.meta.dirname, "..", "..");
export const CRD_TYPE = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  plural: "customresourcedefinitions",
};

type DevCluster = Awaited<ReturnType<typeof import("../../src/devcluster/index.js").startDevCluster>>;

export interface Env {
  dc: DevCluster;
  kc: KubeConfig;
  kubeconfigPath: string;
  /** A client that is not the operator (its requests carry another user agent). */
  client: KubeClient;
  stop(): Promise<void>;
}

/** The real CRD from crds/, optionally with the spec schema opened up (an old or looser CRD). */
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

/** The embedded API server with the workload simulator, the WebApp CRD installed. */
export async function startEnv(
  opts: { loosenCrd?: boolean; readyDelayMs?: number; watchHistory?: number } = {},
): Promise<Env> {
  const { startDevCluster } = await import("../../src/devcluster/index.js");
  const dc = await startDevCluster({
    simulateWorkloads: { readyDelayMs: opts.readyDelayMs ?? 50 },
    ...(opts.watchHistory !== undefined ? { watchHistory: opts.watchHistory } : {}),
  });
  const dir = mkdtempSync(join(tmpdir(), "webapp-operator-test-"));
  const kubeconfigPath = join(dir, "kubeconfig");
  await dc.writeKubeconfig(kubeconfigPath);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const client = new KubeClient(kc, undefined, "integration-test");
  await client.create(CRD_TYPE, undefined, loadCrd(opts.loosenCrd));
  await waitFor(
    async () =>
      client.list(WEBAPP_TYPE, undefined).then(
        () => true,
        () => false,
      ),
    { message: "WebApp API served after CRD install" },
  );
  return {
    dc,
    kc,
    kubeconfigPath,
    client,
    async stop() {
      client.close();
      await dc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function createNamespace(env: Env, name: string): Promise<void> {
  const namespaces = { apiVersion: "v1", kind: "Namespace", plural: "namespaces" };
  await env.client
    .create(namespaces, undefined, { apiVersion: "v1", kind: "Namespace", metadata: { name } })
    .catch((err) => {
      if (!isConflict(err)) throw err;
    });
}

/** An in-process operator with test timings; logs are silent unless TEST_LOG_LEVEL is set. */
export async function startOperator(env: Env, overrides: Partial<ManagerOptions> = {}): Promise<Manager> {
  const level = (process.env.TEST_LOG_LEVEL ?? "silent") as LogLevel;
  const manager = new Manager({
    kubeConfig: env.kc,
    logger: level === "silent" ? pino({ level: "silent" }) : createLogger(level),
    concurrency: 2,
    metricsBindAddress: "127.0.0.1:0",
    healthProbeBindAddress: "127.0.0.1:0",
    resyncPeriodMs: 1000,
    stallTimeoutMs: 1500,
    watchTimeoutSeconds: 30,
    gracefulShutdownMs: 5000,
    userAgent: "webapp-operator/test",
    ...overrides,
  });
  await manager.start();
  return manager;
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  opts: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<T> {
  const end = Date.now() + (opts.timeoutMs ?? 15_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false && v !== null) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) {
      throw new Error(
        `timed out waiting for ${opts.message ?? "condition"}${last ? `: ${(last as Error).message}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

export function condition(webapp: KubeObject | undefined, type: string) {
  return (
    webapp?.status as
      | { conditions?: { type: string; status: string; reason: string; message: string }[] }
      | undefined
  )?.conditions?.find((c) => c.type === type);
}

/** Resolves with the WebApp once Ready=True for its current generation. */
export function waitReady(env: Env, ns: string, name: string, timeoutMs = 20_000): Promise<KubeObject> {
  return waitFor(
    async () => {
      const wa = await env.client.get(WEBAPP_TYPE, ns, name);
      const ready = condition(wa, "Ready");
      const status = wa.status as { observedGeneration?: number } | undefined;
      return ready?.status === "True" && status?.observedGeneration === wa.metadata.generation
        ? wa
        : undefined;
    },
    { timeoutMs, message: `${ns}/${name} Ready=True` },
  );
}

export function webappManifest(ns: string, name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: WEBAPP_TYPE.apiVersion,
    kind: WEBAPP_TYPE.kind,
    metadata: { name, namespace: ns },
    spec,
  };
}

export function mergePatch(env: Env, path: string, patch: object): Promise<KubeObject> {
  return env.client.transport.request("PATCH", path, {
    body: patch,
    contentType: "application/merge-patch+json",
  });
}
