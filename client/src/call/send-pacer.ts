/**
 * Spaces out bursts of signalling requests so they stay under the server's per-connection rate
 * limit (`signaling.messagesPerSecond` / `burst`, 50/s and 100 by default): after someone leaves,
 * every participant wraps its new key for everyone else at once, which in a large meeting would
 * otherwise be refused with RATE_LIMITED. A token bucket below the server's, leaving room for the
 * call's other requests; a request still refused with RATE_LIMITED is retried after a pause.
 */
export class SendPacer {
  readonly #ratePerSecond: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #tokens: number;
  #refilledAt: number;

  constructor(options: { ratePerSecond?: number; burst?: number; now?: () => number; sleep?: (ms: number) => Promise<void> } = {}) {
    this.#ratePerSecond = options.ratePerSecond ?? 20;
    this.#burst = options.burst ?? 40;
    this.#now = options.now ?? (() => performance.now());
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#tokens = this.#burst;
    this.#refilledAt = this.#now();
  }

  /** Runs `request` once a token is free; retries it (up to `retries` times) when refused as RATE_LIMITED. */
  async run<T>(request: () => Promise<T>, retries = 3): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.#take();
      try {
        return await request();
      } catch (err) {
        const code = (err as { code?: unknown } | null)?.code;
        if (code !== 'RATE_LIMITED' || attempt >= retries) throw err;
        await this.#sleep(1_000);
      }
    }
  }

  async #take(): Promise<void> {
    for (;;) {
      const now = this.#now();
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#refilledAt) * this.#ratePerSecond) / 1000);
      this.#refilledAt = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await this.#sleep(((1 - this.#tokens) * 1000) / this.#ratePerSecond);
    }
  }
}
