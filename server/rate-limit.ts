/** A token bucket: `burst` messages at once, refilled at `perSecond`. */
export class TokenBucket {
  readonly #capacity: number;
  readonly #perMs: number;
  #tokens: number;
  #last: number;

  constructor(perSecond: number, burst: number, now = Date.now()) {
    this.#capacity = burst;
    this.#perMs = perSecond / 1000;
    this.#tokens = burst;
    this.#last = now;
  }

  take(now = Date.now()): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there (0: one is there now). */
  waitMs(now = Date.now()): number {
    this.#refill(now);
    return this.#tokens >= 1 ? 0 : Math.ceil((1 - this.#tokens) / this.#perMs);
  }

  #refill(now: number): void {
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#last) * this.#perMs);
    this.#last = now;
  }
}

/**
 * Failures per key (an account): `burst` failures at once, then one more per `refillSeconds`.
 * Used against guessing (meeting ids): only failures cost, so honest use is never slowed.
 */
export class FailureLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #perSecond: number;
  readonly #burst: number;

  constructor(burst: number, refillSeconds: number) {
    this.#burst = burst;
    this.#perSecond = 1 / refillSeconds;
  }

  /** True while `key` has failures left. */
  allowed(key: string, now = Date.now()): boolean {
    return this.retryAfterSeconds(key, now) === 0;
  }

  /** Seconds until `key` may fail again (0: now). */
  retryAfterSeconds(key: string, now = Date.now()): number {
    const bucket = this.#buckets.get(key);
    return bucket ? Math.ceil(bucket.waitMs(now) / 1000) : 0;
  }

  fail(key: string, now = Date.now()): void {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= 100_000) this.#buckets.delete(this.#buckets.keys().next().value!);
      bucket = new TokenBucket(this.#perSecond, this.#burst, now);
      this.#buckets.set(key, bucket);
    }
    bucket.take(now);
  }
}
