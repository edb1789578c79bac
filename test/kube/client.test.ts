import http from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeClient } from "../../src/kube/client.js";
import {
  isConflict,
  isGone,
  isNotFound,
  isRetryable,
  KubeApiError,
  retryAfterMs,
} from "../../src/kube/errors.js";
import { CHILD_KINDS } from "../../src/render/index.js";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A tiny scripted API server on 127.0.0.1: records requests, answers from `respond`. */
let server: http.Server;
let seen: Seen[] = [];
let respond: (req: Seen, res: http.ServerResponse) => void;
let kc: KubeConfig;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const s = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      seen.push(s);
      respond(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "u", token: "secret-token" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const json = (
  res: http.ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  res.writeHead(code, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};

describe("KubeClient", () => {
  it("server-side applies with the apply-patch content type, our field manager and force", async () => {
    seen = [];
    respond = (_req, res) =>
      json(res, 200, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", resourceVersion: "9" } });
    const calls: string[] = [];
    const client = new KubeClient(kc, (i) => calls.push(`${i.method} ${i.code}`));
    const body = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "a", namespace: "ns" },
      data: { k: "v" },
    };
    const out = await client.apply(CHILD_KINDS.ConfigMap, body);
    expect(out.metadata.resourceVersion).toBe("9");
    const req = seen[0]!;
    expect(req.method).toBe("PATCH");
    expect(req.url).toBe("/api/v1/namespaces/ns/configmaps/a?fieldManager=webapp-operator&force=true");
    expect(req.headers["content-type"]).toBe("application/apply-patch+yaml");
    expect(req.headers.authorization).toBe("Bearer secret-token");
    expect(JSON.parse(req.body)).toEqual(body);
    expect(calls).toEqual(["PATCH 200"]);
    client.close();
  });

  it("patches status with a merge patch on the /status subresource", async () => {
    seen = [];
    respond = (_req, res) => json(res, 200, { metadata: { name: "shop" } });
    const client = new KubeClient(kc);
    const type = { apiVersion: "webapp-operator.dev/v1alpha1", kind: "WebApp", plural: "webapps" };
    await client.patchStatus(type, "store", "shop", { status: { url: "u" } });
    expect(seen[0]?.url).toBe("/apis/webapp-operator.dev/v1alpha1/namespaces/store/webapps/shop/status");
    expect(seen[0]?.headers["content-type"]).toBe("application/merge-patch+json");
    client.close();
  });

  it("turns error responses into classified KubeApiErrors with the server's message", async () => {
    const client = new KubeClient(kc);
    const codes: [number, (e: unknown) => boolean][] = [
      [404, isNotFound],
      [409, isConflict],
      [410, isGone],
    ];
    for (const [code, check] of codes) {
      respond = (_req, res) => json(res, code, { kind: "Status", reason: "R", message: `m${code}` });
      const err = await client.get(CHILD_KINDS.ConfigMap, "ns", "a").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      expect(check(err)).toBe(true);
      expect((err as Error).message).toContain(`m${code}`);
    }
    respond = (_req, res) => json(res, 429, { message: "slow down" }, { "Retry-After": "3" });
    const throttled = await client.get(CHILD_KINDS.ConfigMap, "ns", "a").catch((e: unknown) => e);
    expect(isRetryable(throttled)).toBe(true);
    expect(retryAfterMs(throttled)).toBe(3000);
    respond = (_req, res) => json(res, 422, { message: "spec.x: Invalid" });
    expect(isRetryable(await client.get(CHILD_KINDS.ConfigMap, "ns", "a").catch((e: unknown) => e))).toBe(
      false,
    );
    respond = (req, res) => {
      req;
      res.socket?.destroy();
    };
    const reset = await client.get(CHILD_KINDS.ConfigMap, "ns", "a").catch((e: unknown) => e);
    expect((reset as KubeApiError).code).toBe(0);
    expect(isRetryable(reset)).toBe(true);
    client.close();
  });

  it("lists every page and fills in apiVersion and kind; watch streams events line by line", async () => {
    respond = (req, res) => {
      if (req.url.includes("watch=true")) {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.write(
          `${JSON.stringify({ type: "ADDED", object: { metadata: { name: "c", resourceVersion: "12" } } })}\n`,
        );
        res.write(JSON.stringify({ type: "BOOKMARK", object: { metadata: { resourceVersion: "13" } } }));
        res.end("\n");
        return;
      }
      if (req.url.includes("continue=p2"))
        return json(res, 200, { items: [{ metadata: { name: "b" } }], metadata: { resourceVersion: "11" } });
      json(res, 200, {
        items: [{ metadata: { name: "a" } }],
        metadata: { resourceVersion: "10", continue: "p2" },
      });
    };
    const client = new KubeClient(kc);
    const list = await client.list(CHILD_KINDS.Deployment, undefined, { labelSelector: "x=y" });
    expect(list.items.map((i) => [i.kind, i.apiVersion, i.metadata.name])).toEqual([
      ["Deployment", "apps/v1", "a"],
      ["Deployment", "apps/v1", "b"],
    ]);
    expect(list.resourceVersion).toBe("11");
    const events: string[] = [];
    const w = await client.watch(
      CHILD_KINDS.Deployment,
      "ns",
      { resourceVersion: "11", timeoutSeconds: 5 },
      (e) => events.push(`${e.type} ${e.object.metadata.resourceVersion}`),
    );
    await w.closed;
    expect(events).toEqual(["ADDED 12", "BOOKMARK 13"]);
    const watchUrl = seen.at(-1)!.url;
    expect(watchUrl).toContain("/apis/apps/v1/namespaces/ns/deployments?");
    expect(watchUrl).toContain("resourceVersion=11");
    expect(watchUrl).toContain("allowWatchBookmarks=true");
    client.close();
  });
});
