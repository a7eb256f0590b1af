/**
 * The frame cryptor: everything the encoded-transform Worker does, without the Worker plumbing
 * (transform-worker.ts), so Node tests run exactly this code.
 *
 * It holds this participant's current sender key (one CTR across all of its tracks and group chat,
 * so a nonce is never reused under a key) and the other senders' keys (ReceiverKeys). Until a key
 * exists it drops frames: nothing is ever sent or played unencrypted, and a frame that does not
 * authenticate is never handed to a decoder (undecryptable audio would otherwise play as noise).
 */
import { concatBytes, lengthPrefixed, utf8, type Bytes } from './bytes.ts';
import { decryptFrame, encryptFrame, kidForEpoch, type FrameKind } from './media-frame.ts';
import { ReceiverKeys } from './receiver-keys.ts';
import { AES_256_GCM_SHA512_128, decrypt, deriveKeyMaterial, encrypt, ReplayWindow, SFrameError, type SFrameErrorCode, type SFrameKey } from './sframe.ts';

/** Counters of one transformed stream (or of group chat), for the page's stats and the tests. */
export type StreamStats = {
  direction: 'send' | 'recv';
  kind: FrameKind | 'chat';
  /** The sender whose frames these are (recv), or null for our own. */
  senderId: string | null;
  frames: number;
  /** Frames encrypted (send) or decrypted (recv) and passed on. */
  passed: number;
  /** Frames dropped because no key exists yet (send: none of ours; recv: none of the sender's). */
  noKey: number;
  authFailed: number;
  malformed: number;
  /** Frames under a CTR already used by another frame, or too old for the replay window. */
  replayed: number;
  /**
   * Frames that are an exact copy of one already passed (Chromium hands a receiver transform a
   * video frame again when its packets were retransmitted twice): dropped, as a replay would be,
   * but not a sign of one.
   */
  duplicates: number;
  bytesIn: number;
  bytesOut: number;
  /** Milliseconds each of the last frames (up to TIMING_SAMPLES) took to encrypt or decrypt. */
  recentMs: number[];
};

export type StreamOptions = { direction: 'send' | 'recv'; kind: FrameKind; senderId?: string };

type KeyWaiter = { arrived: Promise<void>; resolve: () => void };

const CHAT_LABEL = 'Recinto group chat v1';
/**
 * How long a stream holds a frame of a sender whose first key has not arrived yet (RFC 9605
 * §4.4.4 allows buffering): the first frames after a join include the key frame the SFU starts
 * with; dropping it would cost a key-frame request round trip before the picture appears.
 */
export const FIRST_KEY_WAIT_MS = 1_000;
const TIMING_SAMPLES = 512;

export class FrameCryptor {
  readonly #receiverKeys: ReceiverKeys;
  #sendKey: { epoch: number; key: SFrameKey } | null = null;
  #ctr = 0n;
  readonly #streams = new Set<StreamStats>();
  readonly #chatReplay = new Map<string, ReceiveState>();
  readonly #firstKey = new Map<string, KeyWaiter>();

  constructor(options: { graceMs?: number; now?: () => number } = {}) {
    this.#receiverKeys = new ReceiverKeys(options);
  }

  /** Our own key for `epoch`: from the next frame on, everything we send uses it (CTR from 0). */
  async setSendKey(epoch: number, baseKey: Uint8Array): Promise<void> {
    const key = await deriveKeyMaterial(AES_256_GCM_SHA512_128, kidForEpoch(epoch), baseKey, 'encrypt');
    // Derivations may finish out of order: never go back to an older key.
    if (this.#sendKey && this.#sendKey.epoch >= epoch) return;
    this.#sendKey = { epoch, key };
    this.#ctr = 0n;
  }

  /** Another sender's key (unwrapped by the session). Older epochs are ignored. */
  async setReceiveKey(senderId: string, epoch: number, baseKey: Uint8Array): Promise<boolean> {
    const installed = await this.#receiverKeys.install(senderId, epoch, baseKey);
    this.#firstKey.get(senderId)?.resolve();
    this.#firstKey.delete(senderId);
    return installed;
  }

  forgetSender(senderId: string): void {
    this.#receiverKeys.remove(senderId);
    this.#chatReplay.delete(senderId);
  }

  /** Registers a stream's counters; `stats()` reports them until `closeStream`. */
  openStream(options: StreamOptions): StreamStats {
    const stats: StreamStats = {
      direction: options.direction,
      kind: options.kind,
      senderId: options.senderId ?? null,
      frames: 0,
      passed: 0,
      noKey: 0,
      authFailed: 0,
      malformed: 0,
      replayed: 0,
      duplicates: 0,
      bytesIn: 0,
      bytesOut: 0,
      recentMs: [],
    };
    this.#streams.add(stats);
    return stats;
  }

  closeStream(stats: StreamStats): void {
    this.#streams.delete(stats);
  }

  stats(): StreamStats[] {
    return [...this.#streams].map((s) => ({ ...s, recentMs: [...s.recentMs] }));
  }

  /** Our frame, encrypted; null (drop) while we have no key. */
  async encrypt(stats: StreamStats, kind: FrameKind, frame: Uint8Array): Promise<Bytes | null> {
    stats.frames++;
    stats.bytesIn += frame.length;
    const sending = this.#sendKey;
    if (!sending) {
      stats.noKey++;
      return null;
    }
    // Taken before any await: concurrent streams never share a CTR.
    const ctr = this.#ctr++;
    const started = performance.now();
    const out = await encryptFrame(sending.key, ctr, kind, frame);
    record(stats, performance.now() - started);
    stats.passed++;
    stats.bytesOut += out.length;
    return out;
  }

  /**
   * A frame from `senderId`, decrypted; null (drop) if it does not open. `state` is the stream's
   * own (a sender's CTR runs across all its tracks, each stream sees a subset of it).
   */
  async decrypt(stats: StreamStats, state: ReceiveState, senderId: string, kind: FrameKind, frame: Uint8Array): Promise<Bytes | null> {
    stats.frames++;
    stats.bytesIn += frame.length;
    if (this.#receiverKeys.epochOf(senderId) === undefined && !state.gaveUpWaiting) {
      // Hold the frame (and, the stream being in order, those behind it) until the first key comes.
      if (!(await this.#awaitFirstKey(senderId))) state.gaveUpWaiting = true;
    }
    try {
      const started = performance.now();
      const opened = await this.#open(senderId, state, (keys, window) => decryptFrame({ keys, kind, frame, replayWindow: window }));
      record(stats, performance.now() - started);
      stats.passed++;
      stats.bytesOut += opened.frame.length;
      return opened.frame;
    } catch (err) {
      if (!(err instanceof SFrameError)) throw err;
      count(stats, err.code);
      return null;
    }
  }

  /** Whether the sender's first key arrived within FIRST_KEY_WAIT_MS. */
  async #awaitFirstKey(senderId: string): Promise<boolean> {
    let waiter = this.#firstKey.get(senderId);
    if (!waiter) {
      let resolve = () => {};
      const arrived = new Promise<void>((r) => (resolve = r));
      waiter = { arrived, resolve };
      this.#firstKey.set(senderId, waiter);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), FIRST_KEY_WAIT_MS)));
    const arrived = await Promise.race([waiter.arrived.then(() => true), timedOut]);
    clearTimeout(timer);
    return arrived;
  }

  /** Group chat text sealed under our current key (the same CTR as our media). */
  async sealGroupChat(meetingId: string, senderId: string, text: string): Promise<Bytes> {
    const sending = this.#sendKey;
    if (!sending) throw new SFrameError('UNKNOWN_KID', 'no sender key yet');
    const ctr = this.#ctr++;
    return encrypt({ key: sending.key, ctr, metadata: chatMetadata(meetingId, senderId), plaintext: utf8(text) });
  }

  /** Group chat from `senderId`; throws SFrameError when it does not open (or was seen before). */
  async openGroupChat(meetingId: string, senderId: string, sealed: Uint8Array): Promise<string> {
    let replay = this.#chatReplay.get(senderId);
    if (!replay) {
      replay = new ReceiveState();
      this.#chatReplay.set(senderId, replay);
    }
    const metadata = chatMetadata(meetingId, senderId);
    let opened;
    try {
      opened = await this.#open(senderId, replay, (keys, window) => decrypt({ keys, metadata, frame: sealed, replayWindow: window }));
    } catch (err) {
      // The server relays each sealed message once: a second copy is a replay, whatever its bytes.
      if (err instanceof SFrameError && err.code === 'DUPLICATE') throw new SFrameError('REPLAYED', 'chat message seen before');
      throw err;
    }
    return new TextDecoder('utf-8', { fatal: true }).decode(opened.plaintext);
  }

  /**
   * Opens with the sender's known keys, or else with its ratcheted key when the KID is one of the
   * next epochs (kept once a frame authenticates under it).
   */
  async #open<T>(
    senderId: string,
    replay: ReceiveState,
    attempt: (keys: (kid: bigint) => SFrameKey | undefined, window: ReplayWindow) => Promise<T>,
  ): Promise<T> {
    const keys = this.#receiverKeys;
    let askedKid: bigint | undefined;
    try {
      return await attempt((kid) => {
        askedKid = kid;
        return replay.prepare(kid, keys.keyFor(senderId, kid));
      }, replay.window);
    } catch (err) {
      if (!(err instanceof SFrameError) || err.code !== 'UNKNOWN_KID' || askedKid === undefined) throw err;
    }
    // Unknown KID: maybe the sender ratcheted because someone joined.
    const candidate = await keys.ratchetCandidate(senderId, askedKid);
    if (!candidate) throw new SFrameError('UNKNOWN_KID', `no key for KID ${askedKid}`);
    const result = await attempt((kid) => (kid === candidate.key.kid ? replay.prepare(kid, candidate.key) : undefined), replay.window);
    keys.confirm(senderId, candidate);
    return result;
  }

  /** Our current epoch (tests and stats). */
  get sendEpoch(): number | null {
    return this.#sendKey?.epoch ?? null;
  }
}

/**
 * What the cryptor keeps per received stream (and per sender's group chat): a replay window that
 * follows key changes — KIDs repeat every 256 epochs, so when a KID comes back with a different
 * key its window starts afresh (CTR restarts at 0 under each key) — and whether the stream already
 * gave up waiting for the sender's first key.
 */
export class ReceiveState {
  readonly window = new ReplayWindow();
  /** The sender's first key did not come in time: stop holding frames for it. */
  gaveUpWaiting = false;
  readonly #keyByKid = new Map<bigint, SFrameKey>();

  prepare(kid: bigint, key: SFrameKey | undefined): SFrameKey | undefined {
    if (key && this.#keyByKid.get(kid) !== key) {
      this.#keyByKid.set(kid, key);
      this.window.forget(kid);
    }
    return key;
  }
}

/** Binds a group chat message to its meeting and sender: it opens nowhere else. */
function chatMetadata(meetingId: string, senderId: string): Bytes {
  return concatBytes(utf8(CHAT_LABEL), lengthPrefixed(utf8(meetingId)), lengthPrefixed(utf8(senderId)));
}

function record(stats: StreamStats, ms: number): void {
  if (stats.recentMs.length >= TIMING_SAMPLES) stats.recentMs.shift();
  stats.recentMs.push(ms);
}

function count(stats: StreamStats, code: SFrameErrorCode): void {
  switch (code) {
    case 'UNKNOWN_KID':
      stats.noKey++;
      break;
    case 'AUTH_FAILED':
      stats.authFailed++;
      break;
    case 'MALFORMED_HEADER':
      stats.malformed++;
      break;
    case 'REPLAYED':
      stats.replayed++;
      break;
    case 'DUPLICATE':
      stats.duplicates++;
      break;
  }
}
