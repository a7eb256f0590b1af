/**
 * The decryption keys a receiver holds for the other senders of a meeting.
 *
 * When a sender switches keys, frames it encrypted just before the switch are still in flight
 * (and receivers may install the new key a moment before or after the sender starts using it), so
 * the previous key stays usable for a short grace window. After that it is dropped: a key someone
 * who left may know must stop opening frames soon.
 */
import type { SFrameKey } from './sframe.ts';

export const DEFAULT_KEY_GRACE_MS = 2_000;

export class SenderKeyRing {
  readonly #graceMs: number;
  readonly #now: () => number;
  readonly #bySender = new Map<string, { current: SFrameKey; previous?: SFrameKey; previousUntil: number }>();

  /** `now` is injectable so tests can move time; it defaults to the wall clock. */
  constructor(options: { graceMs?: number; now?: () => number } = {}) {
    this.#graceMs = options.graceMs ?? DEFAULT_KEY_GRACE_MS;
    if (!(this.#graceMs >= 0 && Number.isFinite(this.#graceMs))) throw new RangeError('graceMs must be a finite number ≥ 0');
    this.#now = options.now ?? Date.now;
  }

  /**
   * Makes `key` the sender's current key. The key it replaces stays usable for the grace window;
   * any older one is dropped at once.
   */
  install(senderId: string, key: SFrameKey): void {
    const existing = this.#bySender.get(senderId);
    if (existing?.current.kid === key.kid) {
      // The same KID again (e.g. a repeated grant) is not a key switch: keep the grace window as is.
      existing.current = key;
      return;
    }
    this.#bySender.set(senderId, { current: key, previous: existing?.current, previousUntil: this.#now() + this.#graceMs });
  }

  /**
   * The key for a frame with this KID on this sender's track, if any. Scoping the lookup by
   * sender means one participant's key can never open frames presented as another's.
   */
  keyFor(senderId: string, kid: bigint): SFrameKey | undefined {
    const keys = this.#bySender.get(senderId);
    if (!keys) return undefined;
    if (keys.current.kid === kid) return keys.current;
    if (keys.previous?.kid !== kid) return undefined;
    if (this.#now() < keys.previousUntil) return keys.previous;
    keys.previous = undefined;
    return undefined;
  }

  /** Forgets a sender who left the meeting. */
  remove(senderId: string): void {
    this.#bySender.delete(senderId);
  }
}
