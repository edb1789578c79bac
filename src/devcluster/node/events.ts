/**
 * Events as the kubelet records them (core/v1 Events with source component "kubelet" and the node as
 * host), with the event correlator's aggregation: the same reason and message about the same object
 * again bumps count and lastTimestamp of the existing Event instead of creating a new one.
 */
import { ApiError } from "../errors.js";
import type { ResourceRegistry } from "../storage/registry.js";
import { nowTimestamp } from "../time-format.js";
import type { KubeObject } from "../types.js";
import type { Operations, WriteContext } from "../writes/operations.js";

export interface EventTarget {
  pod: KubeObject;
  /** `spec.containers{app}` / `spec.initContainers{init}`; none for the pod itself. */
  fieldPath?: string;
}

export class EventRecorder {
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly ops: Operations,
    private readonly registry: ResourceRegistry,
    private readonly ctx: WriteContext,
    private readonly nodeName: string,
  ) {}

  record(target: EventTarget, type: "Normal" | "Warning", reason: string, message: string): void {
    const pod = target.pod;
    const ns = pod.metadata.namespace ?? "default";
    const rt = this.registry.find("", "v1", "events");
    if (!rt) return;
    const key = [pod.metadata.uid, target.fieldPath ?? "", type, reason, message].join("\u0000");
    const now = nowTimestamp();
    try {
      const existingName = this.seen.get(key);
      const existing = existingName ? this.ops.tryGet(rt, ns, existingName) : undefined;
      if (existing) {
        this.ops.update(
          rt,
          ns,
          existingName!,
          { ...existing, count: Number(existing.count ?? 1) + 1, lastTimestamp: now },
          this.ctx,
        );
        return;
      }
      const involved: Record<string, unknown> = {
        kind: "Pod",
        namespace: ns,
        name: pod.metadata.name,
        uid: pod.metadata.uid,
        apiVersion: "v1",
        resourceVersion: pod.metadata.resourceVersion,
      };
      if (target.fieldPath) involved.fieldPath = target.fieldPath;
      const name = `${pod.metadata.name}.${(Date.now() * 1e6 + Math.floor(Math.random() * 1e6)).toString(16)}`;
      this.ops.create(
        rt,
        ns,
        {
          apiVersion: "v1",
          kind: "Event",
          metadata: { name, namespace: ns },
          involvedObject: involved,
          reason,
          message,
          source: { component: "kubelet", host: this.nodeName },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
          type,
          eventTime: null,
          reportingComponent: "kubelet",
          reportingInstance: this.nodeName,
        },
        this.ctx,
      );
      this.seen.set(key, name);
    } catch (e) {
      // Events are best effort, as in the real kubelet; a namespace being deleted refuses them.
      if (!(e instanceof ApiError)) throw e;
    }
  }

  /** Forgets a pod's events (after it is gone). */
  forget(podUid: string): void {
    for (const k of this.seen.keys()) if (k.startsWith(`${podUid}\u0000`)) this.seen.delete(k);
  }
}
