/**
 * What a WebApp leaves on this machine: its pods' processes and listening sockets. Every pod it ever had
 * is remembered (names and addresses, from the API server's events), so a process or a port that outlived
 * a pod replaced long ago is found too.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { NodeAgentEnv } from "../../../hack/lib/node-agent-env.js";

export interface PodTrail {
  names: Set<string>;
  ips: Set<string>;
  stop(): void;
}

/** Remembers every pod of the WebApp `instance` from now on (and those that exist). */
export function followPods(env: NodeAgentEnv, namespace: string, instance: string): PodTrail {
  const names = new Set<string>();
  const ips = new Set<string>();
  const note = (pod: {
    metadata: { namespace?: string; name?: string; labels?: Record<string, string> };
    status?: unknown;
  }) => {
    if (pod.metadata.namespace !== namespace) return;
    if (pod.metadata.labels?.["app.kubernetes.io/instance"] !== instance) return;
    if (pod.metadata.name) names.add(pod.metadata.name);
    const ip = (pod.status as { podIP?: string } | undefined)?.podIP;
    if (ip) ips.add(ip);
  };
  const pods = env.dc.registry.find("", "v1", "pods")!;
  for (const p of env.dc.ops.list(pods, namespace, {}).items) note(p);
  const unsubscribe = env.dc.store.subscribe((e) => {
    if (e.object.kind === "Pod") note(e.object);
  });
  return { names, ips, stop: unsubscribe };
}

/**
 * Processes whose environment names one of these pods (HOSTNAME, which the kubelet sets to the pod name
 * and every worker a server forks inherits), as "pid command".
 */
export function processesOfPods(podNames: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, "latin1");
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    const hostname = environ
      .split("\0")
      .find((v) => v.startsWith("HOSTNAME="))
      ?.slice("HOSTNAME=".length);
    if (hostname === undefined || !podNames.has(hostname)) continue;
    let command = "";
    try {
      command = readFileSync(`/proc/${entry}/cmdline`, "latin1").split("\0").join(" ").trim();
    } catch {}
    found.push(`${entry} ${command} (pod ${hostname})`);
  }
  return found;
}

/** Listening TCP sockets (IPv4) as "address:port", from /proc/net/tcp. */
export function listeningSockets(): string[] {
  const out: string[] = [];
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[3] !== "0A") continue; // LISTEN
    const [hexIp, hexPort] = (cols[1] ?? "").split(":");
    if (!hexIp || !hexPort) continue;
    const ip = (hexIp.match(/../g) ?? [])
      .map((b) => Number.parseInt(b, 16))
      .reverse()
      .join(".");
    out.push(`${ip}:${Number.parseInt(hexPort, 16)}`);
  }
  return out;
}

/** The listening sockets on any of these addresses, or on exactly these address:port pairs. */
export function listenersOn(addresses: ReadonlySet<string>): string[] {
  return listeningSockets().filter((s) => addresses.has(s) || addresses.has(s.slice(0, s.lastIndexOf(":"))));
}
