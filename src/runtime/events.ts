import { Kinds, type KubeObject, type ResourceType } from "../kube/resources.js";
import type { Logger } from "./logger.js";
import { nowRfc3339 } from "./time.js";

export type EventType = "Normal" | "Warning";

export interface EventSink {
  create(type: ResourceType, namespace: string, body: object): Promise<unknown>;
}

const COMPONENT = "webapp-operator";

/**
 * Kubernetes Events on a WebApp. Warnings found by every reconcile (invalid spec, render warnings) are
 * sent once per `dedupeMs`: level-triggered reconciles repeat themselves, events must not, and a steady
 * state makes no writes. Events about an actual change (`dedupe: false`) are sent each time.
 */
export class EventRecorder {
  private readonly sent = new Map<string, number>();

  constructor(
    private readonly sink: EventSink,
    private readonly log: Logger,
    private readonly instance: string,
    private readonly dedupeMs = 30 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Never throws: a lost event must not fail a reconcile. */
  async record(
    obj: KubeObject,
    type: EventType,
    reason: string,
    message: string,
    opts: { dedupe?: boolean } = {},
  ): Promise<void> {
    const key = `${obj.metadata.uid}|${reason}|${message}`;
    const now = this.now();
    const dedupe = opts.dedupe ?? true;
    const last = this.sent.get(key);
    if (dedupe && last !== undefined && now - last < this.dedupeMs) return;
    if (dedupe) this.sent.set(key, now);
    if (this.sent.size > 5000) this.prune(now);
    const namespace = obj.metadata.namespace ?? "default";
    const time = nowRfc3339(now);
    try {
      await this.sink.create(Kinds.Event, namespace, {
        apiVersion: "v1",
        kind: "Event",
        metadata: { generateName: `${obj.metadata.name}.`, namespace },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.metadata.name,
          namespace,
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
        },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component: COMPONENT },
        reportingComponent: COMPONENT,
        reportingInstance: this.instance,
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
      });
    } catch (err) {
      this.sent.delete(key);
      this.log.warn({ err: (err as Error).message, reason }, "could not record an event");
    }
  }

  private prune(now: number): void {
    for (const [key, at] of this.sent) if (now - at >= this.dedupeMs) this.sent.delete(key);
  }
}
