/** What every pod worker of one node shares: the API, the image puller, events, policies and the log. */
import type { KubeObject } from "../types.js";
import type { BackoffPolicy } from "./backoff.js";
import type { EventRecorder } from "./events.js";
import type { ImagePuller } from "./image-puller.js";

export interface NodeContext {
  nodeName: string;
  hostIP: string;
  rootDir: string;
  puller: ImagePuller;
  events: EventRecorder;
  crashBackoff: BackoffPolicy;
  pullBackoff: BackoffPolicy;
  /** Whether containers can run as their pod's runAsUser (this process is root). */
  canSwitchUser: boolean;
  nodeAllocatable: { cpu: string; memory: string };
  configMap(namespace: string, name: string): KubeObject | undefined;
  secret(namespace: string, name: string): KubeObject | undefined;
  claim(namespace: string, name: string): KubeObject | undefined;
  claimDirectory(namespace: string, claimName: string): string | undefined;
  /** A Service host name and port, seen from a pod in `namespace`, to `ip:port` addresses. */
  resolve(host: string, port: number, namespace: string): string[];
  /** The latest stored version of a pod, by uid. */
  currentPod(namespace: string, name: string, uid: string): KubeObject | undefined;
  /** Replaces the pod's status (status subresource); a pod that is gone is not an error. */
  writePodStatus(pod: KubeObject, status: Record<string, unknown>): void;
  /** Removes the pod object once it is stopped (grace period 0, uid precondition). */
  deletePod(pod: KubeObject): void;
  log(message: string): void;
}
