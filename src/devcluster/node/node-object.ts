/**
 * The Node this agent registers, as a kubelet does: labels, the pod CIDR, capacity and allocatable from
 * this machine, addresses (InternalIP 127.0.0.1 and Hostname), nodeInfo, and the four conditions with
 * Ready=True ("kubelet is posting ready status").
 */
import { arch, cpus, release, totalmem } from "node:os";
import { nowTimestamp, transitionTime } from "../time-format.js";
import type { JsonObject } from "../types.js";

export const KUBELET_VERSION = "v1.35.0-devcluster";

function goArch(): string {
  const a = arch();
  return a === "x64" ? "amd64" : a === "ia32" ? "386" : a;
}

export function nodeAllocatable(): { cpu: string; memory: string } {
  return { cpu: String(cpus().length || 1), memory: `${Math.floor(totalmem() / 1024)}Ki` };
}

export function nodeObject(name: string, podCidr: string): JsonObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "beta.kubernetes.io/arch": goArch(),
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": goArch(),
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
      },
      annotations: { "node.alpha.kubernetes.io/ttl": "0" },
    },
    spec: { podCIDR: podCidr, podCIDRs: [podCidr] },
  };
}

function condition(
  type: string,
  status: string,
  reason: string,
  message: string,
  previous: JsonObject[],
): JsonObject {
  const now = nowTimestamp();
  return {
    type,
    status,
    lastHeartbeatTime: now,
    lastTransitionTime: transitionTime(previous, type, status, now),
    reason,
    message,
  };
}

export function nodeStatus(name: string, previousConditions: JsonObject[]): JsonObject {
  const { cpu, memory } = nodeAllocatable();
  const resources = { cpu, memory, pods: "110", "ephemeral-storage": "10Gi" };
  return {
    capacity: resources,
    allocatable: resources,
    conditions: [
      condition(
        "MemoryPressure",
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
        previousConditions,
      ),
      condition(
        "DiskPressure",
        "False",
        "KubeletHasNoDiskPressure",
        "kubelet has no disk pressure",
        previousConditions,
      ),
      condition(
        "PIDPressure",
        "False",
        "KubeletHasSufficientPID",
        "kubelet has sufficient PID available",
        previousConditions,
      ),
      condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", previousConditions),
    ],
    addresses: [
      { type: "InternalIP", address: "127.0.0.1" },
      { type: "Hostname", address: name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: "",
      systemUUID: "",
      bootID: "",
      kernelVersion: release(),
      osImage: "devcluster node agent (local processes)",
      containerRuntimeVersion: "devcluster://0.1.0",
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: "",
      operatingSystem: "linux",
      architecture: goArch(),
    },
  };
}
