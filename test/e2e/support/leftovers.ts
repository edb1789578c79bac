/**
 * What a WebApp leaves on this machine: its pods' processes and listening sockets. Every pod it ever had
 * is remembered (names and addresses, from the API server's events), so a process or a port that outlived
 * a pod replaced long ago is found too.
 */
import { readdirSync, readFileSync } from "node:fs";
import { listeningSockets } from "../../../hack/lib/listening-sockets.js";
import type { NodeAgentEnv } from "../../../hack/lib/node-agent-env.js";

export interface PodTrail {
  names: Set<string>;
  ips: Set<string>;
  /** The process groups of every container the node agent started for them (each one a group leader). */
  groups: Set<number>;
  stop(): void;
}

/** Remembers every pod of the WebApp `instance` from now on (and those that exist). */
export function followPods(env: NodeAgentEnv, namespace: string, instance: string): PodTrail {
  const names = new Set<string>();
  const ips = new Set<string>();
  const groups = new Set<number>();
  const note = (pod: {
    metadata: { namespace?: string; name?: string; labels?: Record<string, string> };
    status?: unknown;
  }) => {
    if (pod.metadata.namespace !== namespace) return;
    if (pod.metadata.labels?.["app.kubernetes.io/instance"] !== instance) return;
    if (pod.metadata.name) names.add(pod.metadata.name);
    const ip = (pod.status as { podIP?: string } | undefined)?.podIP;
    if (ip) ips.add(ip);
    // A pod's status is written each time one of its containers starts: its process is known by then.
    const worker = pod.metadata.name ? env.dc.nodeAgent?.worker(namespace, pod.metadata.name) : undefined;
    for (const c of [...(worker?.init ?? []), ...(worker?.containers ?? [])]) if (c.pid) groups.add(c.pid);
  };
  const pods = env.dc.registry.find("", "v1", "pods")!;
  for (const p of env.dc.ops.list(pods, namespace, {}).items) note(p);
  const unsubscribe = env.dc.store.subscribe((e) => {
    if (e.object.kind === "Pod") note(e.object);
  });
  return { names, ips, groups, stop: unsubscribe };
}

/**
 * Processes left of these pods, as "pid command": members of the containers' process groups (every
 * worker a server forks stays in its group), or processes whose environment names one of the pods
 * (HOSTNAME, the pod's name, which children inherit even if they leave the group).
 */
export function processesOf(trail: PodTrail): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const why = belongsTo(entry, trail);
    if (!why) continue;
    let command = "";
    try {
      command = readFileSync(`/proc/${entry}/cmdline`, "latin1").split("\0").join(" ").trim();
    } catch {}
    found.push(`${entry} ${command} (${why})`);
  }
  return found;
}

function belongsTo(pid: string, trail: PodTrail): string | undefined {
  try {
    // Field 5 is the process group; the command (field 2) is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const group = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    if (trail.groups.has(group)) return `process group ${group}`;
    const hostname = readFileSync(`/proc/${pid}/environ`, "latin1")
      .split("\0")
      .find((v) => v.startsWith("HOSTNAME="))
      ?.slice("HOSTNAME=".length);
    if (hostname !== undefined && trail.names.has(hostname)) return `pod ${hostname}`;
  } catch {
    // gone meanwhile
  }
  return undefined;
}

/** The listening sockets on any of these addresses, or on exactly these address:port pairs. */
export function listenersOn(addresses: ReadonlySet<string>): string[] {
  return listeningSockets().filter((s) => addresses.has(s) || addresses.has(s.slice(0, s.lastIndexOf(":"))));
}
