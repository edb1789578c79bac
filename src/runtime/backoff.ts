export interface BackoffOptions {
  /** First delay in milliseconds. */
  baseMs: number;
  /** Ceiling in milliseconds, jitter included. */
  maxMs: number;
  /** Fraction of the delay randomised, 0..1: 0.2 spreads a 1 s delay over 0.8..1.2 s. */
  jitter?: number;
  random?: () => number;
}

/**
 * Exponential delay with jitter: base * 2^attempt, randomised so that many keys (or many operators)
 * failing together do not retry in lockstep against a struggling API server.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const jitter = opts.jitter ?? 0.2;
  const random = opts.random ?? Math.random;
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 52));
  const spread = exp * jitter * (2 * random() - 1);
  return Math.max(0, Math.min(opts.maxMs, Math.round(exp + spread)));
}

/** Per-key failure counts, as client-go's ItemExponentialFailureRateLimiter keeps them. */
export class KeyedBackoff {
  private readonly failures = new Map<string, number>();

  constructor(private readonly opts: BackoffOptions) {}

  /** Delay before the next retry of `key`; each call counts one more failure. */
  next(key: string): number {
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    return backoffDelay(attempt, this.opts);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}

/** Sleep that a stop signal cuts short. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
