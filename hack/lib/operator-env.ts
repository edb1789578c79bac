// The operator environment of the controller integration tests and hack/bench-controller.ts: the
// same one the demo uses (src/cli/dev/environment.ts), with test timings and wait helpers.
import { pino } from "pino";
import { type DevEnvironment, loadCrd, ROOT, startDevEnvironment } from "../../src/cli/dev/environment.js";
import { WEBAPP_TYPE } from "../../src/controller/webapp-controller.js";
import type { KubeObject } from "../../src/kube/resources.js";
import { createLogger, type LogLevel } from "../../src/runtime/logger.js";
import type { Manager, ManagerOptions } from "../../src/runtime/manager.js";

export { loadCrd, ROOT };
export const CRD_TYPE = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  plural: "customresourcedefinitions",
};

export interface Env extends DevEnvironment {
  /** The embedded cluster (same as `cluster`). */
  dc: DevEnvironment["cluster"];
}

/** The embedded API server with the workload simulator, the WebApp CRD installed. */
export async function startEnv(
  opts: {
    loosenCrd?: boolean;
    readyDelayMs?: number;
    watchHistory?: number;
    kubernetesVersion?: string;
  } = {},
): Promise<Env> {
  const env = await startDevEnvironment({
    cluster: {
      simulateWorkloads: { readyDelayMs: opts.readyDelayMs ?? 50 },
      ...(opts.watchHistory !== undefined ? { watchHistory: opts.watchHistory } : {}),
      ...(opts.kubernetesVersion ? { kubernetesVersion: opts.kubernetesVersion } : {}),
    },
    loosenCrd: opts.loosenCrd ?? false,
    userAgent: "integration-test",
  });
  return { ...env, dc: env.cluster };
}

export async function createNamespace(env: Env, name: string): Promise<void> {
  await env.createNamespace(name);
}

/** An in-process operator with test timings; logs are silent unless TEST_LOG_LEVEL is set. */
export async function startOperator(env: Env, overrides: Partial<ManagerOptions> = {}): Promise<Manager> {
  const level = (process.env.TEST_LOG_LEVEL ?? "silent") as LogLevel;
  return env.startOperator({
    logger: level === "silent" ? pino({ level: "silent" }) : createLogger(level),
    concurrency: 2,
    metricsBindAddress: "127.0.0.1:0",
    healthProbeBindAddress: "127.0.0.1:0",
    resyncPeriodMs: 1000,
    stallTimeoutMs: 1500,
    watchTimeoutSeconds: 30,
    gracefulShutdownMs: 5000,
    userAgent: "webapp-operator/test",
    freezeCache: true,
    ...overrides,
  });
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

/**
 * A production-grade WebApp spec for benchmarks: no render warning (each would be an Event of its
 * own), two app replicas, static files from the image, 8 children.
 */
export const BENCH_WEBAPP_SPEC = {
  app: {
    image: "registry.example.com/shop:1.0.0",
    module: "shop.wsgi:application",
    replicas: 2,
    resources: { requests: { cpu: "500m" } },
  },
  web: {},
  static: { fromImage: { path: "/app/staticfiles" } },
};

export function webappManifest(ns: string, name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: WEBAPP_TYPE.apiVersion,
    kind: WEBAPP_TYPE.kind,
    metadata: { name, namespace: ns },
    spec,
  };
}

export function mergePatch(env: Pick<Env, "client">, path: string, patch: object): Promise<KubeObject> {
  return env.client.transport.request("PATCH", path, {
    body: patch,
    contentType: "application/merge-patch+json",
  });
}
