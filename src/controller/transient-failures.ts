/**
 * How long each WebApp's reconciles have been failing with errors a retry may fix, to decide when
 * they are worth reporting.
 *
 * A 5xx, a 429, a conflict or a request without an answer is retried with back-off, and the next try
 * almost always goes through. Reporting it would tell the on-call engineer, in `kubectl describe`
 * and in the conditions that Argo CD and kstatus read, that a WebApp which keeps serving is failing:
 * a Warning Event for a problem that was gone before anyone looked, and a Ready=False that flips
 * back a moment later (with another Ready event). client-go controllers likewise record persistent
 * failures, not every retried request. So a transient error stays in the logs and the metrics
 * (reconcile errors, requests by code) until it has lasted `graceMs`; only then do the conditions say
 * ApplyFailed and a Warning Event go out. An error no retry can fix (a 4xx refusal) is reported at once.
 */
export const TRANSIENT_FAILURE_GRACE_MS = 30_000;

export class TransientFailures {
  private readonly since = new Map<string, number>();

  constructor(private readonly graceMs = TRANSIENT_FAILURE_GRACE_MS) {}

  /** Notes a transient failure of `key` at `now`; true once its failures have lasted the grace period. */
  lasting(key: string, now: number): boolean {
    const first = this.since.get(key);
    if (first === undefined) this.since.set(key, now);
    return now - (first ?? now) >= this.graceMs;
  }

  /** `key` reconciled without an error (or is gone): its next failure starts a new count. */
  recovered(key: string): void {
    this.since.delete(key);
  }
}
