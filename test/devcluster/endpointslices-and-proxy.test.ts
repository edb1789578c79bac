/**
 * EndpointSlices follow the selected pods' readiness and termination, and the Service proxy spreads new
 * connections over the ready ones, stops sending new connections to a backend the moment it turns
 * unready (while its open connections go on), refuses connections when nothing is ready, follows
 * Services as they come and go, and leaves no port open after the cluster stops.
 */
import { execFile, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import type { JsonObject, KubeObject } from "../../src/devcluster/types.js";
import { systemContext } from "../../src/devcluster/writes/operations.js";
import { eventually } from "./helpers.js";
import { findKubectl, Kubectl } from "./kubectl-runner.js";
import { FakeKubelet } from "./support/fake-kubelet.js";
import { getOn, httpGet, openConnection, portIsFree } from "./support/tcp.js";
import { list, POD_PORT, remove } from "./support/workloads.js";

const SLICES = "discovery.k8s.io/endpointslices";
const PODS = "/pods";
const bin = findKubectl();

function app(name: string, replicas: number): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "default" },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            { name: "app", image: "example/app:1", ports: [{ name: "http", containerPort: POD_PORT }] },
          ],
        },
      },
    },
  };
}

function service(name: string, selector: Record<string, string>, port = 8080): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default", labels: { tier: "test" } },
    spec: { selector, ports: [{ port, targetPort: "http" }] },
  };
}

const endpointsOf = (slices: KubeObject[]) => slices.flatMap((s) => (s.endpoints ?? []) as JsonObject[]);

describe("EndpointSlices and the Service proxy", () => {
  let c: DevCluster;
  let kubelet: FakeKubelet;
  const cidr = `127.2.${1 + Math.floor(Math.random() * 250)}.0/24`;

  beforeAll(async () => {
    c = await startDevCluster({ workloadControllers: true, kubeProxy: true, serviceCIDR: cidr });
    kubelet = new FakeKubelet(c, { readyDelayMs: 50, terminationDelayMs: 1500, serveHttp: true });
  });
  afterAll(async () => {
    kubelet?.stop();
    await c?.stop();
  });

  const slicesOf = (svc: string) =>
    list(c, SLICES).filter((s) => s.metadata.labels?.["kubernetes.io/service-name"] === svc);
  const podsOf = (name: string) =>
    list(c, PODS).filter((p) => p.metadata.labels?.app === name && !p.metadata.deletionTimestamp);
  const readyEndpoints = (svc: string, n: number) => () => {
    const eps = endpointsOf(slicesOf(svc)).filter((e) => (e.conditions as JsonObject).ready === true);
    return eps.length === n ? eps : undefined;
  };

  it("lists the selected pods in a slice owned by the Service, with the resolved named port", async () => {
    c.apply(app("shop", 2));
    const svc = c.apply(service("shop", { app: "shop" }));
    expect((svc.spec as JsonObject).clusterIP).toMatch(
      new RegExp(`^${cidr.split(".").slice(0, 3).join("\\.")}\\.\\d+$`),
    );
    await eventually(readyEndpoints("shop", 2), 10_000);
    const [slice] = slicesOf("shop");
    expect(slice!.metadata.name).toMatch(/^shop-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(slice!.metadata.labels).toEqual({
      tier: "test",
      "kubernetes.io/service-name": "shop",
      "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
    });
    expect(slice!.metadata.ownerReferences).toEqual([
      {
        apiVersion: "v1",
        kind: "Service",
        name: "shop",
        uid: svc.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(slice!.addressType).toBe("IPv4");
    expect(slice!.ports).toEqual([{ name: "", port: POD_PORT, protocol: "TCP" }]);
    const pods = podsOf("shop");
    expect(endpointsOf([slice!]).map((e) => e.addresses)).toEqual(
      pods.map((p) => [(p.status as JsonObject).podIP]),
    );
    expect(endpointsOf([slice!])[0]).toEqual({
      addresses: [(pods[0]!.status as JsonObject).podIP],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: "devcluster-node",
      targetRef: {
        kind: "Pod",
        namespace: "default",
        name: pods[0]!.metadata.name,
        uid: pods[0]!.metadata.uid,
      },
    });
  });

  it("follows readiness and termination: unready is neither ready nor serving, terminating is not ready", async () => {
    const [first, second] = podsOf("shop");
    kubelet.setReady("default", first!.metadata.name!, false);
    await eventually(readyEndpoints("shop", 1), 5000);
    const byName = (n: string) =>
      endpointsOf(slicesOf("shop")).find((e) => (e.targetRef as JsonObject).name === n);
    expect(byName(first!.metadata.name!)?.conditions).toEqual({
      ready: false,
      serving: false,
      terminating: false,
    });
    kubelet.setReady("default", first!.metadata.name!, true);
    await eventually(readyEndpoints("shop", 2), 5000);
    // A pod being deleted stays while a finalizer holds it (as it stays while the kubelet stops it):
    // the slice shows it terminating and no longer ready.
    const held = structuredClone(c.store.get(PODS, "default", second!.metadata.name!)!) as KubeObject;
    held.metadata.finalizers = ["test.devcluster.dev/hold"];
    const podType = c.registry.find("", "v1", "pods")!;
    const ctx = systemContext("admin", "test");
    c.ops.update(podType, "default", held.metadata.name!, held, ctx);
    remove(c, "pods", "default", second!.metadata.name!);
    const terminating = await eventually(() => {
      const e = byName(second!.metadata.name!);
      return (e?.conditions as JsonObject | undefined)?.terminating === true ? e : undefined;
    }, 5000);
    expect((terminating.conditions as JsonObject).ready).toBe(false);
    const release = structuredClone(c.store.get(PODS, "default", second!.metadata.name!)!) as KubeObject;
    release.metadata.finalizers = [];
    c.ops.update(podType, "default", release.metadata.name!, release, ctx);
    await eventually(() => (byName(second!.metadata.name!) === undefined ? true : undefined), 10_000);
    await eventually(readyEndpoints("shop", 2), 10_000);
  });

  it("keeps one empty slice for a Service that selects nothing, and refuses its connections", async () => {
    c.apply(service("nothing", { app: "nobody" }));
    const slice = await eventually(() => slicesOf("nothing")[0], 5000);
    expect(slice.endpoints).toEqual([]);
    expect(slice.ports).toBeUndefined();
    const address = await c.serviceAddress("default", "nothing");
    await expect(httpGet(address.host, address.port)).rejects.toThrow(
      /ECONNRESET|socket hang up|ECONNREFUSED/,
    );
  });

  it("spreads 200 connections over 4 ready backends, each getting at least 15%", async () => {
    c.apply(app("spread", 4));
    const svc = c.apply(service("spread", { app: "spread" }));
    await eventually(readyEndpoints("spread", 4), 10_000);
    const address = await c.serviceAddress("default", "spread", 8080);
    expect(address.host).toBe("127.0.0.1");
    const counts = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const body = await httpGet(address.host, address.port);
      counts.set(body, (counts.get(body) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(
      podsOf("spread")
        .map((p) => p.metadata.name)
        .sort(),
    );
    for (const n of counts.values()) expect(n).toBeGreaterThanOrEqual(30);
    // The clusterIP itself answers too: the service CIDR is a loopback range.
    const clusterIP = String((svc.spec as JsonObject).clusterIP);
    const viaClusterIp = await httpGet(clusterIP, 8080);
    expect(counts.has(viaClusterIp)).toBe(true);
  });

  it("sends no new connection to a backend that turned unready, while its open connections go on", async () => {
    const address = await c.serviceAddress("default", "spread");
    const pods = podsOf("spread");
    // Connections opened now, round-robin, reach every backend; one is kept open per backend.
    const open = await Promise.all(pods.map(() => openConnection(address.host, address.port)));
    await eventually(
      () => (c.proxy!.openConnections("default", "spread") === pods.length ? true : undefined),
      5000,
    );
    const victim = pods[0]!.metadata.name!;
    kubelet.setReady("default", victim, false);
    await eventually(readyEndpoints("spread", 3), 5000);
    const after = new Set<string>();
    for (let i = 0; i < 40; i++) after.add(await httpGet(address.host, address.port));
    expect(after.has(victim)).toBe(false);
    expect(after.size).toBe(3);
    const answers = await Promise.all(open.map((s) => getOn(s)));
    expect(answers).toContain(victim);
    kubelet.setReady("default", victim, true);
    await eventually(readyEndpoints("spread", 4), 5000);
  });

  it("closes a Service's listeners when the Service is deleted", async () => {
    c.apply(service("short-lived", { app: "spread" }, 8081));
    const address = await c.serviceAddress("default", "short-lived");
    // Until its EndpointSlice is written the new Service has no backend, as on a real cluster.
    const body = await eventually(() => httpGet(address.host, address.port).catch(() => undefined), 5000);
    expect(body).toMatch(/^spread-/);
    remove(c, "services", "default", "short-lived");
    await eventually(async () => ((await portIsFree(address.host, address.port)) ? true : undefined), 5000);
    await eventually(() => (slicesOf("short-lived").length === 0 ? true : undefined), 5000);
  });

  it.skipIf(!bin)("prints EndpointSlices as kubectl does", async () => {
    const k = new Kubectl(bin!, c);
    const out = await k.ok(["get", "endpointslices", "-l", "kubernetes.io/service-name=spread"]);
    expect(out).toMatch(/^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\n/);
    expect(out).toMatch(
      new RegExp(
        `spread-\\w{5}\\s+IPv4\\s+${POD_PORT}\\s+[\\d.]+,[\\d.]+,[\\d.]+ \\+ 1 more\\.\\.\\.\\s+\\d+s`,
      ),
    );
    const empty = await k.ok([
      "get",
      "endpointslices",
      "-l",
      "kubernetes.io/service-name=nothing",
      "--no-headers",
    ]);
    expect(empty).toMatch(/^nothing-\w{5}\s+IPv4\s+<unset>\s+<unset>\s+\d+s\n$/);
  });
});

describe("the Service proxy on an address it cannot bind, and at stop", () => {
  it("keeps the host listener and reports the clusterIP it could not bind; frees every port on stop", async () => {
    const warnings: string[] = [];
    const c = await startDevCluster({
      workloadControllers: true,
      kubeProxy: { onWarning: (m) => warnings.push(m) },
    });
    const kubelet = new FakeKubelet(c, { readyDelayMs: 20, serveHttp: true });
    try {
      c.apply(app("web", 1));
      const svc = c.apply(service("web", { app: "web" }, 80));
      // The default range (10.96.0.0/12) is no local address here: clusterIP:80 cannot be bound.
      const address = await c.serviceAddress("default", "web", 80);
      await eventually(async () => {
        try {
          return await httpGet(address.host, address.port);
        } catch {
          return undefined;
        }
      }, 10_000);
      const [port] = await c.proxy!.ports("default", "web");
      expect(port!.clusterIP).toBe((svc.spec as JsonObject).clusterIP);
      expect(port!.clusterError).toMatch(/EADDRNOTAVAIL|EACCES/);
      expect(warnings.join("\n")).toContain(`cannot listen on ${port!.clusterIP}:80`);
      kubelet.stop();
      await c.stop();
      expect(await portIsFree(address.host, address.port)).toBe(true);
    } finally {
      kubelet.stop();
      await c.stop();
    }
  });
});

describe("the Service proxy's forwarding, apart from the control plane", () => {
  it("answers through a Service while this process's main thread is blocked", async () => {
    const c = await startDevCluster({
      workloadControllers: true,
      kubeProxy: true,
      serviceCIDR: "127.2.202.0/28",
    });
    // A backend in a process of its own that answers after 300 ms, so that its answer crosses the proxy
    // while the main thread is blocked.
    const backend = spawn(
      process.execPath,
      [
        "-e",
        "require('http').createServer((q, r) => setTimeout(() => r.end('ok'), 300)).listen(0, '127.0.0.1', function () { console.log(this.address().port) })",
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const port = Number(
        await new Promise<string>((resolve) =>
          backend.stdout.once("data", (d: Buffer) => resolve(d.toString())),
        ),
      );
      // A Service without a selector, and its endpoints as whoever manages them writes them.
      c.apply({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "outside", namespace: "default" },
        spec: { ports: [{ port: 80, targetPort: port }] },
      } as never);
      c.apply({
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          name: "outside-1",
          namespace: "default",
          labels: { "kubernetes.io/service-name": "outside" },
        },
        addressType: "IPv4",
        endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true } }],
        ports: [{ name: "", port, protocol: "TCP" }],
      } as never);
      const address = await c.serviceAddress("default", "outside");
      expect(await eventually(() => httpGet(address.host, address.port).catch(() => undefined), 5000)).toBe(
        "ok",
      );
      const curl = new Promise<string>((resolve, reject) =>
        execFile(
          "curl",
          ["-s", "-m", "10", "-w", " %{time_total}", `http://${address.host}:${address.port}/`],
          (err, stdout) => (err ? reject(err) : resolve(stdout)),
        ),
      );
      await new Promise((r) => setTimeout(r, 50)); // curl is on its way
      // The main thread stops for 1.5 s, as a long control-plane pass would stop it.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
      const [body, seconds] = (await curl).split(" ");
      expect(body).toBe("ok");
      expect(Number(seconds)).toBeLessThan(1);
    } finally {
      backend.kill("SIGKILL");
      await c.stop();
    }
  });
});
