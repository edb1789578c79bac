/**
 * A tiny deduplicating work queue for the in-process controllers (CRD establishing, garbage collector,
 * namespace deletion, workload simulator). Work runs outside the store's event delivery, like a real
 * controller reacting to a watch, and errors are retried with a delay rather than lost.
 */
export class WorkQueue {
  private readonly pending = new Map<string, NodeJS.Timeout | "immediate">();
  private stopped = false;

  constructor(
    private readonly process: (key: string) => void,
    private readonly onError: (key: string, err: unknown) => void = () => {},
  ) {}

  add(key: string, delayMs = 0): void {
    if (this.stopped) return;
    const existing = this.pending.get(key);
    if (existing === "immediate" || (existing && delayMs > 0)) return;
    if (existing) clearTimeout(existing);
    if (delayMs <= 0) {
      this.pending.set(key, "immediate");
      setImmediate(() => this.run(key));
    } else {
      const t = setTimeout(() => this.run(key), delayMs);
      t.unref();
      this.pending.set(key, t);
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
    for (const t of this.pending.values()) if (t !== "immediate") clearTimeout(t);
    this.pending.clear();
  }
}
