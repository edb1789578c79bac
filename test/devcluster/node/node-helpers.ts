/** Shared helpers of the node agent tests: a cluster with a node agent, pods, waiting, and leak checks. */
import { readFileSync } from "node:fs";
import { type DevCluster, type NodeAgentOptions, startDevCluster } from "../../../src/devcluster/index.js";
import { isObject, type JsonObject, type KubeObject } from "../../../src/devcluster/types.js";

export const NODE = "devcluster-node";

/** The shell image of these tests: only programs every machine has. */
export const SHELL_IMAGE = {
  repository: "example.test/shell",
  programs: { sh: "/bin/sh", sleep: "/bin/sleep", cat: "/bin/cat", echo: "/bin/echo", true: "/bin/true" },
};

/**
 * A cluster with a node agent whose pod addresses come from a CIDR of this test file's own (test files
 * run in parallel; two files must never hand out the same address). The kubelet alone: these tests
 * create pods bound to the node themselves, without the workload controllers or kube-proxy.
 */
export async function nodeCluster(cidrOctet: number, options: NodeAgentOptions = {}): Promise<DevCluster> {
  return startDevCluster({
    workloadControllers: false,
    kubeProxy: false,
    serviceCIDR: "10.96.0.0/12",
    nodeAgent: {
      podCidr: `127.${cidrOctet}.0.0/16`,
      imageMap: { images: [SHELL_IMAGE] },
      crashBackoff: { initialMs: 500, maxMs: 4000 },
      log: () => {},
      ...options,
    },
  });
}

export function pod(name: string, spec: JsonObject, namespace = "default"): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 5, ...spec },
  } as KubeObject;
}

export function getPod(cluster: DevCluster, name: string, namespace = "default"): KubeObject | undefined {
  return cluster.get("v1", "Pod", namespace, name);
}

export function status(p: KubeObject | undefined): JsonObject {
  return p && isObject(p.status) ? p.status : {};
}

export function containerStatus(
  p: KubeObject | undefined,
  name: string,
  init = false,
): JsonObject | undefined {
  const list = status(p)[init ? "initContainerStatuses" : "containerStatuses"];
  return Array.isArray(list) ? (list as JsonObject[]).find((c) => c.name === name) : undefined;
}

/** Polls until check returns a value (not undefined/false), or fails with the last observation. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
  describe: () => unknown = () => "",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}\n${JSON.stringify(describe(), null, 1)}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function podReady(p: KubeObject | undefined): boolean {
  const conds = status(p).conditions;
  return (
    Array.isArray(conds) && (conds as JsonObject[]).some((c) => c.type === "Ready" && c.status === "True")
  );
}

export function events(cluster: DevCluster, podName: string): JsonObject[] {
  const rt = cluster.registry.find("", "v1", "events")!;
  return cluster.ops
    .list(rt, "default", {})
    .items.filter(
      (e) => isObject(e.involvedObject) && e.involvedObject.name === podName,
    ) as unknown as JsonObject[];
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** TCP sockets listening on an address in 127.<octet>.0.0/16, from /proc/net/tcp. */
export function listenersIn(octet: number): string[] {
  const out: string[] = [];
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[3] !== "0A") continue; // LISTEN
    const [hexIp, hexPort] = (cols[1] ?? "").split(":");
    if (!hexIp || !hexPort) continue;
    const bytes = hexIp
      .match(/../g)!
      .map((b) => Number.parseInt(b, 16))
      .reverse();
    if (bytes[0] === 127 && bytes[1] === octet)
      out.push(`${bytes.join(".")}:${Number.parseInt(hexPort, 16)}`);
  }
  return out;
}

/** A container's state.terminated (or its state.waiting), or an empty object. */
export function stateOf(
  p: KubeObject | undefined,
  name: string,
  kind: "terminated" | "waiting" | "running",
  init = false,
): JsonObject {
  const state = containerStatus(p, name, init)?.state;
  const value = isObject(state) ? state[kind] : undefined;
  return isObject(value) ? value : {};
}

/** Waits until the pod is Ready; on timeout the error shows its status. */
export function waitReady(
  cluster: DevCluster,
  name: string,
  timeoutMs = 20_000,
  namespace = "default",
): Promise<true> {
  return waitFor(
    `pod ${namespace}/${name} Ready`,
    () => podReady(getPod(cluster, name, namespace)),
    timeoutMs,
    () => status(getPod(cluster, name, namespace)),
  );
}
