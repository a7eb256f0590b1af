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
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#last) * this.#perMs);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
