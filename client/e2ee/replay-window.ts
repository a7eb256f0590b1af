/**
 * Sliding-window replay protection per KID, as in IPsec/SRTP. SFrame itself has none
 * (RFC 9605 §9), yet a relay can resend an old frame, so the receiver tracks what it has accepted.
 *
 * Frames may arrive out of order (retransmissions), so a CTR below the highest one seen is still
 * accepted once while it is within `size` of it. A sender's CTR runs across all of its tracks and
 * its group chat, so one received stream sees only some of the CTRs and the window must cover
 * what the sender's other streams advance the counter by meanwhile: the default 1024 CTRs is
 * about 9 s of a microphone (50 frames/s), a camera and a screen share (30 each) together.
 *
 * Each accepted CTR keeps the frame's authentication tag, so a CTR seen again is told apart:
 *  - `duplicate`: the very frame accepted before (the same tag under this key and nonce: the same
 *    bytes). Chromium hands the receiver transform a video frame a second time when the frame's
 *    packets were retransmitted more than once and it is put together again. Dropped; harmless.
 *  - `replayed`: a different authentic frame under a CTR already used (the sender repeated a
 *    nonce — it never does, frame-cryptor.ts), or a CTR too old for the window (nothing is left to
 *    compare it with). Dropped.
 */
export type ReplayVerdict = 'new' | 'duplicate' | 'replayed';

/**
 * Windows are kept for this many KIDs, the least recently used dropped first. A sender's frames
 * open under at most two of its keys at a time (the current one, and the previous one for its grace
 * period: sender-key-ring.ts), so a KID four key switches behind no longer opens anything.
 */
export const REPLAY_WINDOW_KIDS = 4;

const TAG_BYTES = 16;

type KidWindow = {
  /** The highest CTR accepted (0 before the first). */
  highest: bigint;
  /** Slot `ctr mod size`: whether it holds a CTR, which one, and that frame's tag. */
  used: Uint8Array;
  ctrs: BigUint64Array;
  tags: Uint8Array;
};

export class ReplayWindow {
  readonly size: number;
  readonly #byKid = new Map<bigint, KidWindow>();
  #lastKid: bigint | undefined;

  constructor(size = 1024) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('replay window size must be a positive integer');
    this.size = size;
  }

  /**
   * Records `ctr` under `kid` with the frame's 16-byte authentication tag, and says whether the
   * frame is new. Call it only for authenticated frames: otherwise forged frames could advance the
   * window and make genuine ones look stale.
   */
  accept(kid: bigint, ctr: bigint, tag: Uint8Array): ReplayVerdict {
    if (tag.length !== TAG_BYTES) throw new RangeError(`an authentication tag is ${TAG_BYTES} bytes`);
    const state = this.#windowFor(kid);
    const size = BigInt(this.size);
    if (ctr + size <= state.highest) return 'replayed';
    const slot = Number(ctr % size);
    // A slot holds the last CTR it was given. One inside the window that holds another CTR holds
    // an older one, long gone from the window: `ctr` was never accepted.
    if (state.used[slot] === 1 && state.ctrs[slot] === ctr) {
      return equalBytes(state.tags.subarray(slot * TAG_BYTES, (slot + 1) * TAG_BYTES), tag) ? 'duplicate' : 'replayed';
    }
    state.used[slot] = 1;
    state.ctrs[slot] = ctr;
    state.tags.set(tag, slot * TAG_BYTES);
    if (ctr > state.highest) state.highest = ctr;
    return 'new';
  }

  /** Drops the state of a KID whose key has been discarded or replaced. */
  forget(kid: bigint): void {
    this.#byKid.delete(kid);
    if (this.#lastKid === kid) this.#lastKid = undefined;
  }

  #windowFor(kid: bigint): KidWindow {
    let state = this.#byKid.get(kid);
    if (state && this.#lastKid === kid) return state;
    if (state) {
      // Least recently used first: move this KID to the end.
      this.#byKid.delete(kid);
    } else {
      state = { highest: 0n, used: new Uint8Array(this.size), ctrs: new BigUint64Array(this.size), tags: new Uint8Array(this.size * TAG_BYTES) };
      if (this.#byKid.size >= REPLAY_WINDOW_KIDS) {
        const oldest = this.#byKid.keys().next();
        if (!oldest.done) this.#byKid.delete(oldest.value);
      }
    }
    this.#byKid.set(kid, state);
    this.#lastKid = kid;
    return state;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
