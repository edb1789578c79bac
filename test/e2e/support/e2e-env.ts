/**
 * One end-to-end environment per test file: the operator on the node agent (hack/lib/node-agent-env.ts)
 * driven by the real kubectl 1.35, as a user drives a cluster. Outside CI, missing programs (nginx, the
 * app servers, kubectl) skip the suite loudly; in CI they fail it.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { DATA_PLANE_REQUIREMENTS } from "../../../hack/lib/harness/index.js";
import { type HttpResponse, httpRequest } from "../../../hack/lib/http.js";
import {
  exampleWebApp,
  type NodeAgentEnv,
  startNodeAgentEnv,
  waitPodsReplaced,
} from "../../../hack/lib/node-agent-env.js";
import { condition, ROOT, waitFor } from "../../../hack/lib/operator-env.js";
import { dataPlaneAvailability } from "../../../hack/lib/tools.js";
import { WEBAPP_TYPE } from "../../../src/controller/webapp-controller.js";
import type { KubeObject } from "../../../src/kube/resources.js";
import { findKubectl, Kubectl } from "../../devcluster/kubectl-runner.js";

export interface E2eAvailability {
  skip: boolean;
  missing: string[];
  kubectl: string | undefined;
}

/** Whether an e2e suite can run here; call once per file, at the top. */
export function e2eAvailability(suite: string): E2eAvailability {
  const tools = dataPlaneAvailability(suite, DATA_PLANE_REQUIREMENTS);
  const kubectl = tools.skip ? undefined : findKubectl();
  return { skip: tools.skip || kubectl === undefined, missing: tools.missing, kubectl };
}

export interface E2e {
  env: NodeAgentEnv;
  kubectl: Kubectl;
  /** `kubectl apply -f -` of a manifest; returns kubectl's output. */
  apply(manifest: KubeObject | string): Promise<string>;
  /** `kubectl apply -f examples/<file>`, then waits until that WebApp is Ready. */
  applyExample(file: string): Promise<KubeObject>;
  /** The Secret the Django example reads SECRET_KEY from, created with kubectl as a user would. */
  createDjangoSecret(): Promise<void>;
  /** Where the host reaches a Service's first port through kube-proxy. */
  address(name: string): Promise<{ host: string; port: number }>;
  /** One HTTP request to a Service's first port. */
  request(
    service: string,
    path: string,
    init?: { method?: string; headers?: Record<string, string | number>; body?: Buffer | string },
  ): Promise<HttpResponse>;
  webapp(name: string): Promise<KubeObject>;
  /** Waits for Ready=True of the WebApp's current generation; the error shows its conditions. */
  waitReady(name: string, timeoutMs?: number): Promise<KubeObject>;
  stop(): Promise<void>;
}

export const NAMESPACE = "default";

/** Starts the environment; `octet` must be this file's own (see NodeAgentEnvOptions). */
export async function startE2e(octet: number, kubectlBin: string): Promise<E2e> {
  const env = await startNodeAgentEnv({ octet });
  const kubectl = new Kubectl(kubectlBin, env.dc);
  const address = (name: string) => env.dc.serviceAddress(NAMESPACE, name, undefined, 20_000);
  const webapp = (name: string) => env.client.get(WEBAPP_TYPE, NAMESPACE, name);
  const e: E2e = {
    env,
    kubectl,
    apply: (manifest) =>
      kubectl.ok(["apply", "-n", NAMESPACE, "-f", "-"], {
        input: typeof manifest === "string" ? manifest : JSON.stringify(manifest),
      }),
    async applyExample(file) {
      await kubectl.ok(["apply", "-n", NAMESPACE, "-f", join(ROOT, "examples", file)]);
      return e.waitReady(exampleWebApp(file).metadata.name);
    },
    async createDjangoSecret() {
      await kubectl.ok([
        "create",
        "secret",
        "generic",
        "django-shop-secrets",
        "-n",
        NAMESPACE,
        `--from-literal=SECRET_KEY=${randomBytes(24).toString("hex")}`,
      ]);
    },
    address,
    async request(service, path, init = {}) {
      const { host, port } = await address(service);
      return httpRequest({ host, port, path, timeoutMs: 15_000, ...init });
    },
    webapp,
    async waitReady(name, timeoutMs = 90_000) {
      let last: KubeObject | undefined;
      try {
        return await waitFor(
          async () => {
            last = await webapp(name);
            const ready = condition(last, "Ready");
            const observed = (last.status as { observedGeneration?: number } | undefined)?.observedGeneration;
            return ready?.status === "True" && observed === last.metadata.generation ? last : undefined;
          },
          { timeoutMs, intervalMs: 200, message: `${name} Ready=True` },
        );
      } catch (err) {
        const conditions = (last?.status as { conditions?: unknown } | undefined)?.conditions;
        throw new Error(
          `${(err as Error).message}\nconditions: ${JSON.stringify(conditions, null, 1)}\n` +
            `node agent: ${env.nodeLog().slice(-20).join("\n")}`,
        );
      }
    },
    async stop() {
      await env.stop();
      rmSync(kubectl.home, { recursive: true, force: true });
    },
  };
  return e;
}

/**
 * Starts this file's environment before its tests and hands it to `setup` (apply what the tests need),
 * and stops it after them, whatever failed, so no process or port outlives the file.
 */
export function useE2e(
  octet: number,
  kubectlBin: string | undefined,
  setup: (e: E2e) => Promise<unknown>,
): void {
  let started: E2e | undefined;
  beforeAll(async () => {
    if (!kubectlBin) throw new Error("kubectl 1.35 is required (see e2eAvailability)");
    started = await startE2e(octet, kubectlBin);
    await setup(started);
  });
  afterAll(async () => {
    await started?.stop();
  });
}

/** The tier's pods' names, read with kubectl as a user would. */
export async function podNames(
  kubectl: Kubectl,
  instance: string,
  component: "web" | "app",
): Promise<string[]> {
  const out = await kubectl.ok([
    "get",
    "pods",
    "-n",
    NAMESPACE,
    "-l",
    `app.kubernetes.io/instance=${instance},app.kubernetes.io/component=${component}`,
    "-o",
    "jsonpath={range .items[*]}{.metadata.name}{'\\n'}{end}",
  ]);
  return out.split("\n").filter(Boolean).sort();
}

/** Waits until the WebApp is Ready and its old pods are all gone (see waitPodsReplaced). */
export async function waitReplaced(
  e: E2e,
  name: string,
  component: "web" | "app",
  oldPods: readonly string[],
  timeoutMs = 120_000,
): Promise<string[]> {
  await e.waitReady(name, timeoutMs);
  return waitPodsReplaced(e.env, NAMESPACE, name, component, oldPods, timeoutMs);
}
