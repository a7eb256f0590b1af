/**
 * Sliding-window replay protection per KID, as in IPsec/SRTP. SFrame itself has none
 * (RFC 9605 §9), yet a relay can resend an old frame, so the receiver tracks what it has accepted.
 *
 * Frames may arrive out of order (retransmissions, simulcast layer switches), so a CTR below the
 * highest one seen is still accepted once while it is within `size` of it.
 */
export class ReplayWindow {
  readonly size: number;
  readonly #byKid = new Map<bigint, { highest: bigint; seen: bigint }>();

  constructor(size = 128) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('replay window size must be a positive integer');
    this.size = size;
  }

  /**
   * Records `ctr` for `kid` and says whether it is new. Call it only for authenticated frames:
   * otherwise forged frames could advance the window and make genuine ones look stale.
   */
  accept(kid: bigint, ctr: bigint): boolean {
    const state = this.#byKid.get(kid);
    if (!state) {
      this.#byKid.set(kid, { highest: ctr, seen: 1n });
      return true;
    }
    if (ctr > state.highest) {
      const shift = ctr - state.highest;
      // Bit i of `seen` stands for CTR `highest - i`; bits beyond the window are masked off.
      state.seen = shift >= BigInt(this.size) ? 1n : ((state.seen << shift) | 1n) & this.#mask();
      state.highest = ctr;
      return true;
    }
    const age = state.highest - ctr;
    if (age >= BigInt(this.size)) return false;
    const bit = 1n << age;
    if ((state.seen & bit) !== 0n) return false;
    state.seen |= bit;
    return true;
  }

  /** Drops the state of a KID whose key has been discarded, so the map does not grow forever. */
  forget(kid: bigint): void {
    this.#byKid.delete(kid);
  }

  #mask(): bigint {
    return (1n << BigInt(this.size)) - 1n;
  }
}
