/**
 * The life of one call session (one signalling socket, from connect to close). Everything a
 * session starts asynchronously continues through `live()`: once the session is closed, a result
 * that arrives late is disposed of (a stream stopped, a producer closed) and the continuation
 * stops with `SessionClosed`, so nothing of an old session touches the call or the page again.
 */
export class SessionClosed extends Error {
  constructor() {
    super('the call session is closed');
    this.name = 'SessionClosed';
  }
}

export class Lifetime {
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
  }

  /** The promise's value while the session lives; after it closed, `dispose(value)` and SessionClosed. */
  async live<T>(work: Promise<T>, dispose?: (value: T) => void): Promise<T> {
    const value = await work;
    if (this.#closed) {
      dispose?.(value);
      throw new SessionClosed();
    }
    return value;
  }

  /** Throws SessionClosed once the session is closed (before an effect that must not outlive it). */
  check(): void {
    if (this.#closed) throw new SessionClosed();
  }

  /**
   * `target` as seen by this session: its methods (all returning nothing) do nothing once the
   * session is closed. The session hands its parts the page through this, so none of them need
   * to ask whether they are still current.
   */
  gate<T extends object>(target: T): T {
    return new Proxy(target, {
      get: (obj, key, receiver) => {
        const value: unknown = Reflect.get(obj, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (!this.#closed) (value as (...a: unknown[]) => unknown).apply(obj, args);
        };
      },
    });
  }
}
