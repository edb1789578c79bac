/**
 * A tiny deduplicating work queue for the in-process controllers (CRD establishing, garbage collector,
 * namespace deletion, workload simulator, workload controllers). Work runs outside the store's event
 * delivery, like a real controller reacting to a watch, and errors are retried with a delay rather than lost.
 * A key asked for both later and sooner runs at the sooner time (as client-go's AddAfter), so a controller
 * can always ask to be woken for its next deadline.
 */
export class WorkQueue {
  private readonly pending = new Map<string, { timer: NodeJS.Timeout | "immediate"; due: number }>();
  private stopped = false;

  constructor(
    private readonly process: (key: string) => void,
    private readonly onError: (key: string, err: unknown) => void = () => {},
  ) {}

  add(key: string, delayMs = 0): void {
    if (this.stopped) return;
    const due = Date.now() + Math.max(0, delayMs);
    const existing = this.pending.get(key);
    if (existing && (existing.timer === "immediate" || existing.due <= due)) return;
    if (existing && existing.timer !== "immediate") clearTimeout(existing.timer);
    if (delayMs <= 0) {
      this.pending.set(key, { timer: "immediate", due });
      setImmediate(() => this.run(key));
    } else {
      const t = setTimeout(() => this.run(key), delayMs);
      t.unref();
      this.pending.set(key, { timer: t, due });
    }
  }

  private run(key: string): void {
    this.pending.delete(key);
    if (this.stopped) return;
    try {
      this.process(key);
    } catch (err) {
      this.onError(key, err);
      this.add(key, 100);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.pending.values()) if (timer !== "immediate") clearTimeout(timer);
    this.pending.clear();
  }
}
