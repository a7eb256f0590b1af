/**
 * What every SIEM destination shares: one loop that sends the outbox in order, waits for new
 * records (polling the chain, or woken), retries with exponential backoff and jitter when the
 * receiver cannot be reached, logs the first failure and the recovery, and on close sends what is
 * left for a moment before giving up (the rest stays in the outbox for the next start).
 */
import type { Logger } from 'pino';
import type { Outbox } from './outbox.ts';

export interface RetryOptions {
  /** First delay after a failure; doubles (with jitter) up to maxMs. */
  minMs: number;
  maxMs: number;
}

export interface ForwarderOptions {
  outbox: Outbox;
  log: Logger;
  /** Items per syslog write or HTTPS request. */
  batchSize: number;
  retry: RetryOptions;
  /** How often an idle destination looks for new records (it is also woken on each checkpoint). */
  pollMs?: number;
}

/** Resolves its waiters on wake() or when their time is up. */
class Signal {
  #waiters = new Set<() => void>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

export abstract class Forwarder {
  readonly outbox: Outbox;
  protected readonly log: Logger;
  protected readonly batchSize: number;
  protected readonly pollMs: number;
  readonly #retry: RetryOptions;
  readonly #signal = new Signal();
  #failures = 0;
  #stopping = false;
  #deadline = Number.POSITIVE_INFINITY;
  #loop: Promise<void> | undefined;

  constructor(options: ForwarderOptions) {
    this.outbox = options.outbox;
    this.log = options.log;
    this.batchSize = options.batchSize;
    this.#retry = options.retry;
    this.pollMs = options.pollMs ?? 200;
  }

  get destination(): string {
    return this.outbox.destination;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** New records or a checkpoint to send: stop waiting. */
  wake(): void {
    this.#signal.wake();
  }

  /**
   * Sends what is left for up to `graceMs` (the last checkpoint, written on shutdown), then
   * abandons what is in flight; nothing acknowledged is lost, the rest is sent at the next start.
   */
  async close(graceMs = 1000): Promise<void> {
    this.#stopping = true;
    this.#deadline = Date.now() + graceMs;
    this.wake();
    const timer = setTimeout(() => this.abort(), graceMs);
    try {
      await this.#loop;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closing: send what is left, then return. */
  protected get stopping(): boolean {
    return this.#stopping;
  }

  /** Closing and out of time. */
  protected get pastDeadline(): boolean {
    return Date.now() >= this.#deadline;
  }

  /** Waits for new records (or close). */
  protected idle(ms = this.pollMs): Promise<void> {
    return this.#signal.wait(ms);
  }

  /** The receiver took something (or the connection proved healthy): backoff starts over; logs a recovery. */
  protected succeeded(): void {
    if (this.#failures > 0) this.log.info({ destination: this.destination, pending: this.outbox.length() }, 'SIEM destination reachable again');
    this.#failures = 0;
  }

  /**
   * Sends from the acknowledged position until it fails (throws) or, once closing, until nothing
   * is left or the deadline passed (returns).
   */
  protected abstract session(): Promise<void>;

  /** Closing ran out of time: end what is in flight (the session then throws or returns). */
  protected abstract abort(): void;

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        await this.session();
        // A session returns only once closing; anything else must not spin.
        if (!this.#stopping) await this.idle();
      } catch (error) {
        if (this.#stopping) break;
        this.#failed(error);
        await this.idle(this.#delay());
      }
    }
  }

  #failed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const pending = this.outbox.length();
    if (this.#failures === 0)
      this.log.warn({ destination: this.destination, error: message, pending }, 'SIEM destination unreachable; records kept in the outbox');
    else this.log.debug({ destination: this.destination, error: message, pending }, 'SIEM destination still unreachable');
    this.#failures++;
  }

  /** Exponential backoff with jitter: minMs · 2^(failures−1), at most maxMs, times 0.5–1. */
  #delay(): number {
    const base = Math.min(this.#retry.maxMs, this.#retry.minMs * 2 ** Math.min(this.#failures - 1, 30));
    return Math.round(base * (0.5 + Math.random() / 2));
  }
}
