/**
 * The keys a participant decrypts the other senders' frames (and group chat) with.
 *
 * A sender switches keys in two ways (keys.ts): a fresh random key when someone leaves, delivered
 * wrapped to each remaining participant (`install`), and a ratchet (HKDF, one-way) when someone
 * joins or periodically, which present participants follow on their own: a frame under an unknown
 * KID that is one of the next few epochs of the sender's current key is tried with the ratcheted
 * key (`ratchetCandidate`), and the key is kept only if the frame authenticates (`confirm`). So a
 * join costs no key distribution to the people already there, a newcomer (given only the ratcheted
 * key) cannot go back, and someone who left (who never gets the fresh key) cannot go forward.
 */
import { ratchet } from './keys.ts';
import { kidForEpoch } from './media-frame.ts';
import { SenderKeyRing } from './sender-key-ring.ts';
import { AES_256_GCM_SHA512_128, deriveKeyMaterial, type SFrameKey } from './sframe.ts';

/** How many ratchet steps ahead of its current key a sender may be before we give up following. */
export const MAX_RATCHET_AHEAD = 8;

export type EpochKey = { epoch: number; baseKey: Uint8Array; key: SFrameKey };

export class ReceiverKeys {
  readonly #ring: SenderKeyRing;
  readonly #current = new Map<string, EpochKey>();
  /** Ratcheted keys already derived per sender and KID, so a frame burst derives each once. */
  readonly #candidates = new Map<string, Map<bigint, Promise<EpochKey | undefined>>>();

  constructor(options: { graceMs?: number; now?: () => number } = {}) {
    this.#ring = new SenderKeyRing(options);
  }

  /**
   * Installs a sender's key for `epoch`. An epoch not newer than the current one is ignored
   * (returns false): a replayed or late key can never roll a sender back.
   */
  async install(senderId: string, epoch: number, baseKey: Uint8Array): Promise<boolean> {
    if (!this.#isNewer(senderId, epoch)) return false;
    const key = await deriveKeyMaterial(AES_256_GCM_SHA512_128, kidForEpoch(epoch), baseKey, 'decrypt');
    return this.confirm(senderId, { epoch, baseKey, key });
  }

  /** Makes a key current (one that authenticated a frame, or was installed); false if it is stale. */
  confirm(senderId: string, next: EpochKey): boolean {
    if (!this.#isNewer(senderId, next.epoch)) return false;
    this.#current.set(senderId, next);
    this.#candidates.delete(senderId);
    this.#ring.install(senderId, next.key);
    return true;
  }

  /** The key for a frame of `senderId` under `kid` (current, or the previous within its grace window). */
  keyFor(senderId: string, kid: bigint): SFrameKey | undefined {
    return this.#ring.keyFor(senderId, kid);
  }

  /** The sender's current epoch, if any key of theirs is known. */
  epochOf(senderId: string): number | undefined {
    return this.#current.get(senderId)?.epoch;
  }

  /**
   * The sender's key ratcheted forward to the epoch whose KID is `kid`, if that epoch is at most
   * MAX_RATCHET_AHEAD steps ahead; undefined otherwise. Not installed until `confirm`.
   */
  ratchetCandidate(senderId: string, kid: bigint): Promise<EpochKey | undefined> {
    const current = this.#current.get(senderId);
    if (!current) return Promise.resolve(undefined);
    let bySender = this.#candidates.get(senderId);
    if (!bySender) {
      bySender = new Map();
      this.#candidates.set(senderId, bySender);
    }
    let candidate = bySender.get(kid);
    if (!candidate) {
      candidate = deriveAhead(current, kid);
      bySender.set(kid, candidate);
    }
    return candidate;
  }

  /** Forgets a sender who left: their frames stop opening at once. */
  remove(senderId: string): void {
    this.#current.delete(senderId);
    this.#candidates.delete(senderId);
    this.#ring.remove(senderId);
  }

  #isNewer(senderId: string, epoch: number): boolean {
    const current = this.#current.get(senderId);
    return current === undefined || epoch > current.epoch;
  }
}

async function deriveAhead(current: EpochKey, kid: bigint): Promise<EpochKey | undefined> {
  let baseKey = current.baseKey;
  for (let step = 1; step <= MAX_RATCHET_AHEAD; step++) {
    baseKey = await ratchet(baseKey);
    const epoch = current.epoch + step;
    if (kidForEpoch(epoch) === kid) {
      return { epoch, baseKey, key: await deriveKeyMaterial(AES_256_GCM_SHA512_128, kid, baseKey, 'decrypt') };
    }
  }
  return undefined;
}
