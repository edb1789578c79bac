/** Shared helpers of the dev cluster tests: raw HTTP requests and fixture loading. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as yaml from "js-yaml";
import { tokenFor } from "../../src/devcluster/auth/authn.js";
import type { DevCluster } from "../../src/devcluster/index.js";

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

export function fixture<T = Record<string, unknown>>(name: string): T {
  return yaml.load(readFileSync(join(fixturesDir, name), "utf8")) as T;
}

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
  body: any;
  headers: Headers;
}

export interface RequestOptions {
  contentType?: string;
  accept?: string;
  user?: string;
  headers?: Record<string, string>;
}

/** One HTTP request to the cluster; JSON bodies are encoded, JSON answers decoded. */
export async function call(
  cluster: DevCluster,
  method: string,
  path: string,
  body?: unknown,
  opts: RequestOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.user) headers.Authorization = `Bearer ${tokenFor(opts.user)}`;
  if (opts.accept) headers.Accept = opts.accept;
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === "string" ? body : JSON.stringify(body);
    headers["Content-Type"] = opts.contentType ?? "application/json";
  }
  const res = await fetch(`${cluster.url}${path}`, { method, headers, body: payload });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Non-JSON answers (healthz) stay text.
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export const NS_CONFIGMAPS = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;
export const NS_DEPLOYMENTS = (ns: string) => `/apis/apps/v1/namespaces/${ns}/deployments`;
export const WIDGETS = (ns: string) => `/apis/test.devcluster.dev/v1alpha1/namespaces/${ns}/widgets`;

export function deployment(name: string, replicas = 2, image = "nginx:1.27") {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "main", image, ports: [{ containerPort: 8080 }] }] },
      },
    },
  };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 3000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ""}`);
}

/** Reads watch events from a streaming response until `count` arrived (or the stream ended). */
export async function readWatch(
  cluster: DevCluster,
  path: string,
  count: number,
  opts: RequestOptions & { timeoutMs?: number; during?: () => Promise<void> } = {},
  // biome-ignore lint/suspicious/noExplicitAny: watch events are arbitrary JSON
): Promise<{ status: number; events: any[] }> {
  const headers: Record<string, string> = {};
  if (opts.user) headers.Authorization = `Bearer ${tokenFor(opts.user)}`;
  if (opts.accept) headers.Accept = opts.accept;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs ?? 3000);
  const res = await fetch(`${cluster.url}${path}`, { headers, signal: controller.signal });
  // biome-ignore lint/suspicious/noExplicitAny: watch events are arbitrary JSON
  const events: any[] = [];
  if (res.status !== 200 || !res.body) {
    clearTimeout(timer);
    return { status: res.status, events: [await res.json()] };
  }
  const during = opts.during?.();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) events.push(JSON.parse(line));
        nl = buffer.indexOf("\n");
      }
    }
  } catch (e) {
    if ((e as Error).name !== "AbortError") throw e;
  } finally {
    clearTimeout(timer);
    controller.abort();
    await during;
  }
  return { status: res.status, events };
}
