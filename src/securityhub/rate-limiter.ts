import { setTimeout as delay } from "node:timers/promises";

export interface RateLimiter {
  /** Resolves when one request may be sent. */
  take(): Promise<void>;
}

export interface TokenBucketOptions {
  /** Sustained rate; Security Hub's BatchUpdateFindings allows 10 requests/s. */
  ratePerSecond?: number;
  /** Requests that may go at once after a quiet spell. */
  burst?: number;
  /** Milliseconds on a monotonic clock. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A token bucket that hands out reservations: a caller that finds the bucket empty takes a token
 * on credit (the count goes negative) and sleeps until its token has been earned. Concurrent
 * callers therefore queue up in order without a lock, each sleeping one interval longer than the
 * one before.
 */
export class TokenBucket implements RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #tokens: number;
  #last: number;

  constructor(options: TokenBucketOptions = {}) {
    const rate = options.ratePerSecond ?? 10;
    const burst = options.burst ?? 10;
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`ratePerSecond must be > 0, got ${rate}`);
    if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError(`burst must be >= 1, got ${burst}`);
    this.#rate = rate;
    this.#burst = burst;
    this.#now = options.now ?? (() => performance.now());
    this.#sleep = options.sleep ?? ((ms) => delay(ms));
    this.#tokens = burst;
    this.#last = this.#now();
  }

  take(): Promise<void> {
    const now = this.#now();
    // A clock that steps backwards (only possible with an injected one) earns nothing.
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#rate) / 1000);
    this.#tokens -= 1;
    if (this.#tokens >= 0) return Promise.resolve();
    return this.#sleep((-this.#tokens * 1000) / this.#rate);
  }
}

export function createRateLimiter(options: TokenBucketOptions = {}): RateLimiter {
  return new TokenBucket(options);
}
