/**
 * A counting semaphore with a bounded FIFO wait queue, for work that is expensive in CPU and
 * memory (password hashing). Bounding both the running and the waiting work keeps memory flat
 * under a flood of requests: past the queue limit callers are refused at once instead of piling up.
 */
export class BoundedSemaphore {
  readonly #maxRunning: number;
  readonly #maxWaiting: number;
  readonly #refusal: () => Error;
  readonly #waiting: Array<() => void> = [];
  #running = 0;

  /** `refusal` makes the error thrown when every slot is taken and the queue is full. */
  constructor(maxRunning: number, maxWaiting: number, refusal: () => Error) {
    if (!Number.isInteger(maxRunning) || maxRunning < 1) throw new Error(`maxRunning must be an integer >= 1, got ${maxRunning}`);
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0) throw new Error(`maxWaiting must be an integer >= 0, got ${maxWaiting}`);
    this.#maxRunning = maxRunning;
    this.#maxWaiting = maxWaiting;
    this.#refusal = refusal;
  }

  /** Runs `task` once a slot is free; rejects with the refusal error if the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  // Decides synchronously, at call time, so a refusal never depends on scheduling.
  #acquire(): Promise<void> | undefined {
    if (this.#running < this.#maxRunning) {
      this.#running += 1;
      return undefined;
    }
    if (this.#waiting.length >= this.#maxWaiting) throw this.#refusal();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  // Hands the slot straight to the oldest waiter, so a newcomer can never overtake the queue.
  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#running -= 1;
  }
}
