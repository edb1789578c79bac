/**
 * The kubelet's back-off for restarting crashed containers and for pulling images: the first failure is
 * retried at once (crashes) or after the base delay (pulls), each further one waits twice as long up to
 * the maximum, and a container that ran long enough starts over from the base. Durations print as Go
 * prints them, as they appear in the kubelet's messages ("back-off 10s", "5m0s").
 */

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A container that ran at least this long resets its back-off. */
  resetAfterMs: number;
}

export const CRASH_BACKOFF: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

/** time.Duration.String() for whole milliseconds. */
export function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const totalSeconds = ms / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds - hours * 3600 - minutes * 60;
  const s = `${Number(seconds.toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${s}`;
  if (minutes > 0) return `${minutes}m${s}`;
  return s;
}

/** One container's (or image's) back-off state. */
export class Backoff {
  /** The delay before the next retry; 0 until the first failure. */
  private delay = 0;

  constructor(private readonly policy: BackoffPolicy) {}

  /**
   * A failure happened after `ranMs` of running: returns the delay to wait before the next retry (0 for
   * at once) and advances the back-off.
   */
  next(ranMs = 0, immediateFirst = true): number {
    if (ranMs >= this.policy.resetAfterMs) this.delay = 0;
    if (this.delay === 0 && immediateFirst) {
      this.delay = this.policy.initialMs;
      return 0;
    }
    const wait = this.delay || this.policy.initialMs;
    this.delay = Math.min(wait * 2, this.policy.maxMs);
    return wait;
  }

  reset(): void {
    this.delay = 0;
  }
}
