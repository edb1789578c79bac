import { createHash } from "node:crypto";
import type { KubeObject, ResourceType } from "../api/kube-object.js";
import { isRetryable, retryAfterMs } from "../kube/errors.js";
import { Kinds } from "../kube/resources.js";
import { sleep } from "./backoff.js";
import type { Logger } from "./logger.js";
import { nowRfc3339 } from "./time.js";

export type EventType = "Normal" | "Warning";

export interface EventSink {
  create(type: ResourceType, namespace: string, body: object): Promise<unknown>;
  /** A JSON merge patch of an existing Event (its count, last time and message). */
  patch?(type: ResourceType, namespace: string, name: string, body: object): Promise<unknown>;
}

const COMPONENT = "webapp-operator";

/** client-go's EventCorrelator defaults. */
export const EVENT_CORRELATION = {
  /** How long a recorded event is remembered for aggregation. */
  windowMs: 10 * 60_000,
  /** Distinct messages for one object, type and reason before they are combined into one Event. */
  similarThreshold: 10,
  /** Remembered events (least recently used go first). */
  cacheSize: 4096,
};

/**
 * Waits before the second, third and fourth try of an Event write that failed in a way a retry may
 * fix (no answer, 5xx, 429, a conflict): short, since the reconcile waits for the recorder (1.25 s at
 * most), and few, since an Event is worth less than the work it reports on. With one request in ten
 * failing, one Event in 10,000 is lost.
 */
const RETRY_DELAYS_MS = [50, 200, 1000];
/** The longest Retry-After an Event write waits for. */
const MAX_RETRY_AFTER_MS = 1000;

interface Recorded {
  /** The Event object's name: repeats patch it instead of creating another. */
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  lastSeen: number;
  /** Whether the API server has (as far as we know) the object. */
  created: boolean;
}

/**
 * Kubernetes Events as client-go's recorder makes them: the first occurrence creates an Event; a
 * repeat of the same type, reason and message about the same object within ten minutes patches that
 * Event's count and lastTimestamp instead of adding an object; more than ten different messages of one
 * reason become one Event "(combined from similar events): ...". An Event's name is fixed when it is
 * first sent, so a retry after a lost answer finds it (409 AlreadyExists) rather than making a second
 * one; a write that failed in a way a retry may fix is tried again (three times, briefly), and one
 * that is not delivered in the end is not counted.
 *
 * `recordOnce` is for occurrences that have an identity of their own (a WebApp became Ready after
 * the state its previous status names): its Event's name is derived from that identity, so however
 * often it is recorded, by this process or one restarted after a kill, one Event exists.
 */
export class EventRecorder {
  private readonly recorded = new Map<string, Recorded>();
  private readonly similar = new Map<string, { messages: Set<string>; since: number }>();
  /** Names of the Events recordOnce delivered (oldest dropped first). */
  private readonly delivered = new Set<string>();
  /** Makes names unique within a millisecond (the cache's size can repeat once entries are dropped). */
  private sequence = 0;

  constructor(
    private readonly sink: EventSink,
    private readonly log: Logger,
    private readonly instance: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Never throws: a lost event must not fail a reconcile. */
  async record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const now = this.now();
    const namespace = obj.metadata.namespace ?? "default";
    const objectKey = `${obj.metadata.uid ?? `${namespace}/${obj.metadata.name}`}|${type}|${reason}`;
    let text = message.slice(0, 1024);
    let key = `${objectKey}|${text}`;
    if (this.isSimilarFlood(objectKey, text, now)) {
      text = `(combined from similar events): ${text}`.slice(0, 1024);
      key = `${objectKey}|(combined)`;
    }
    this.expire(now);
    const previous = this.recorded.get(key);
    const time = nowRfc3339(now);
    const entry: Recorded = previous
      ? { ...previous, count: previous.count + 1, lastSeen: now }
      : {
          name: `${obj.metadata.name}.${(BigInt(now) * 1_000_000n + BigInt(this.sequence++ % 1_000_000)).toString(16)}`,
          namespace,
          count: 1,
          firstTimestamp: time,
          lastSeen: now,
          created: false,
        };
    this.recorded.delete(key);
    this.recorded.set(key, entry);
    const event = this.event(obj, entry.name, type, reason, text, entry.firstTimestamp, time, entry.count);
    const repeat = { count: entry.count, lastTimestamp: time, message: text };
    if (!(await this.deliver(() => this.write(entry, event, repeat), reason))) {
      // Not delivered: not counted either, so the Event's count says how often it reached the server.
      if (previous) entry.count--;
      else this.recorded.delete(key);
    }
  }

  /**
   * Records the occurrence `occurrence` of `reason` about `obj` at most once: a second call, after a
   * failed status write or in a process restarted after a kill, finds the Event (its name comes from
   * the object's uid, the reason and `occurrence`) instead of making another. Never throws.
   */
  async recordOnce(
    obj: KubeObject,
    type: EventType,
    reason: string,
    message: string,
    occurrence: string,
  ): Promise<void> {
    const id = createHash("sha256")
      .update(`${obj.metadata.uid ?? ""}|${type}|${reason}|${occurrence}`)
      .digest("hex")
      .slice(0, 16);
    const name = `${obj.metadata.name}.${id}`;
    if (this.delivered.has(name)) return;
    const time = nowRfc3339(this.now());
    const event = this.event(obj, name, type, reason, message.slice(0, 1024), time, time, 1);
    const namespace = obj.metadata.namespace ?? "default";
    const created = await this.deliver(async () => {
      try {
        await this.sink.create(Kinds.Event, namespace, event);
      } catch (err) {
        if ((err as { reason?: string }).reason !== "AlreadyExists") throw err;
      }
    }, reason);
    if (!created) return;
    this.delivered.add(name);
    if (this.delivered.size > EVENT_CORRELATION.cacheSize) {
      this.delivered.delete(this.delivered.values().next().value as string);
    }
  }

  /** A core/v1 Event about `obj`. */
  private event(
    obj: KubeObject,
    name: string,
    type: EventType,
    reason: string,
    message: string,
    firstTimestamp: string,
    lastTimestamp: string,
    count: number,
  ): Record<string, unknown> {
    const namespace = obj.metadata.namespace ?? "default";
    return {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace },
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
      message,
      source: { component: COMPONENT },
      reportingComponent: COMPONENT,
      reportingInstance: this.instance,
      firstTimestamp,
      lastTimestamp,
      count,
    };
  }

  /** Tries `write` until it succeeds, fails in a way no retry fixes, or the tries run out. */
  private async deliver(write: () => Promise<void>, reason: string): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await write();
        return true;
      } catch (err) {
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined || !isRetryable(err)) {
          this.log.warn({ err: (err as Error).message, reason }, "could not record an event");
          return false;
        }
        await sleep(Math.max(delay, Math.min(retryAfterMs(err) ?? 0, MAX_RETRY_AFTER_MS)));
      }
    }
  }

  /**
   * One try: a repeat patches the Event's count (set, not incremented, so a retry after a lost answer
   * cannot overcount), anything else creates it under its fixed name. Resolves once the server has it.
   */
  private async write(entry: Recorded, event: Record<string, unknown>, repeat: object): Promise<void> {
    const namespace = entry.namespace;
    if (entry.created && this.sink.patch) {
      try {
        await this.sink.patch(Kinds.Event, namespace, entry.name, repeat);
        return;
      } catch (err) {
        // Gone from the server (its events expire after an hour): create it anew, now.
        if ((err as { code?: number }).code !== 404) throw err;
        entry.created = false;
      }
    }
    try {
      await this.sink.create(Kinds.Event, namespace, event);
    } catch (err) {
      // An earlier try got through although its answer was lost: the Event exists. Any other 409
      // (a conflict the server could not resolve) is retried like a server error.
      if ((err as { reason?: string }).reason !== "AlreadyExists") throw err;
    }
    entry.created = true;
  }

  /** True once more than `similarThreshold` different messages of one reason came within the window. */
  private isSimilarFlood(objectKey: string, message: string, now: number): boolean {
    let seen = this.similar.get(objectKey);
    if (!seen || now - seen.since > EVENT_CORRELATION.windowMs) {
      seen = { messages: new Set(), since: now };
      this.similar.set(objectKey, seen);
    }
    seen.messages.add(message);
    return seen.messages.size > EVENT_CORRELATION.similarThreshold;
  }

  private expire(now: number): void {
    for (const [key, entry] of this.recorded) {
      if (
        this.recorded.size <= EVENT_CORRELATION.cacheSize &&
        now - entry.lastSeen < EVENT_CORRELATION.windowMs
      )
        break;
      this.recorded.delete(key);
    }
    if (this.similar.size > EVENT_CORRELATION.cacheSize) this.similar.clear();
  }
}
