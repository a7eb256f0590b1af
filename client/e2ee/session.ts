/**
 * One participant's end-to-end encryption for one meeting session: its key pairs, its sender key
 * and who has it, the other senders' keys, the security code, and sealed chat. The page's
 * signalling relays what it produces (`E2eeRelay`); the frame cryptor (in the transform Worker,
 * `E2eeCryptorPort`) does the per-frame work.
 *
 * Key lifecycle (keys.ts explains the crypto):
 *  - start: fresh key pairs and a random sender key (epoch 0), announced bundle, the key wrapped
 *    for everyone already there;
 *  - someone announces their bundle (they joined): ratchet our key one epoch, then hand the
 *    ratcheted key to them only — the others follow the ratchet on their own (receiver-keys.ts);
 *  - someone leaves or is removed: a fresh random key, wrapped for each remaining participant,
 *    and used only once all of them have been sent it (the old one lingers only for their grace
 *    window), so the departed cannot read what follows;
 *  - every RATCHET_INTERVAL_MS: a ratchet, which keeps the SFrame counter (and header) short and
 *    limits what one leaked key opens.
 * Key operations run one at a time in order (`#serial`), so an epoch is never used twice.
 */
import { concatBytes, fromBase64, lengthPrefixed, toBase64, utf8, type Bytes } from './bytes.ts';
import { createAnnouncement, openAnnouncement } from './announcement.ts';
import {
  generateBaseKey,
  generateParticipantKeyPairs,
  KeyWrapError,
  ratchet,
  unwrapKey,
  wrapKeyFor,
  WRAPPED_KEY_LENGTH,
  type ParticipantKeyPairs,
} from './keys.ts';
import { meetingSecurityCode } from './security-code.ts';
import { AES_256_GCM_SHA512_128, decrypt, deriveKeyMaterial, encrypt, SFrameError } from './sframe.ts';
import { kidForEpoch } from './media-frame.ts';

export interface E2eeRelay {
  announce(bundle: string): Promise<void>;
  sendKey(to: string, blob: string): Promise<void>;
}

/** The frame cryptor, wherever it runs (the transform Worker in the browser). */
export interface E2eeCryptorPort {
  setSendKey(epoch: number, baseKey: Uint8Array): void;
  setReceiveKey(senderId: string, epoch: number, baseKey: Uint8Array): void;
  forgetSender(senderId: string): void;
  sealGroupChat(meetingId: string, senderId: string, text: string): Promise<Uint8Array>;
  openGroupChat(meetingId: string, senderId: string, sealed: Uint8Array): Promise<string>;
}

/** What the page shows: the lock only when `complete` (every other participant's key is here). */
export type E2eeStatus = {
  securityCode: string;
  /** Other participants in the meeting. */
  peers: number;
  /** Of those, whose sender key we hold (their media and chat can be decrypted). */
  peersKeyed: number;
  complete: boolean;
  /** Key blobs and announcements refused (forged, replayed, malformed, for someone else). */
  rejected: Record<string, number>;
};

export const RATCHET_INTERVAL_MS = 5 * 60_000;
/**
 * After a leave, the fresh key is used once everyone was sent it, or after this long at most: in a
 * large meeting sending every wrapped key takes a while (the relay paces them), and the departed
 * must not keep reading for that long. Those not served yet catch up when their key arrives.
 */
export const REKEY_SWITCH_MAX_MS = 1_500;
/** Blobs that arrive before their sender's bundle wait, a few per sender at most. */
const MAX_PENDING_BLOBS = 4;
const GROUP_CHAT = 1;
const PRIVATE_CHAT = 2;
const PRIVATE_CHAT_LABEL = 'Recinto private chat v1';

type Peer = {
  bundle: Bytes | null;
  /** Bundle and signing key, from their verified announcement: what the security code commits to. */
  identity: Bytes | null;
  /** We handed them our current key lineage (the last fresh key or a ratchet of it). */
  given: boolean;
  /** Their latest key epoch we accepted; older blobs are refused. */
  theirEpoch: number | undefined;
  pending: Bytes[];
};

export class E2eeSession {
  readonly meetingId: string;
  readonly selfId: string;
  readonly #keys: ParticipantKeyPairs;
  /** Our bundle and signing key (the security code's share of us). */
  readonly #identity: Bytes;
  readonly #relay: E2eeRelay;
  readonly #cryptor: E2eeCryptorPort;
  readonly #onChange: () => void;
  readonly #peers = new Map<string, Peer>();
  readonly #rejected: Record<string, number> = {};
  readonly #seenPrivate = new Set<string>();
  #epoch = 0;
  #baseKey: Bytes = generateBaseKey();
  #serial: Promise<void> = Promise.resolve();
  /** A rekey is queued and not started: further leaves need no other (it reads the peers when it runs). */
  #rekeyQueued = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  private constructor(init: {
    meetingId: string;
    selfId: string;
    keys: ParticipantKeyPairs;
    identity: Bytes;
    relay: E2eeRelay;
    cryptor: E2eeCryptorPort;
    onChange: () => void;
  }) {
    this.meetingId = init.meetingId;
    this.selfId = init.selfId;
    this.#keys = init.keys;
    this.#identity = init.identity;
    this.#relay = init.relay;
    this.#cryptor = init.cryptor;
    this.#onChange = init.onChange;
  }

  /**
   * Generates the key pairs, installs our first sender key (so nothing waits unencrypted) and
   * announces our bundle; resolves then (the server lets us send media from that point), while
   * the key is given to everyone already present in the background (`settled` when done).
   */
  static async start(options: {
    meetingId: string;
    selfId: string;
    relay: E2eeRelay;
    cryptor: E2eeCryptorPort;
    peers: ReadonlyArray<{ id: string; bundle?: string }>;
    onChange?: () => void;
    ratchetIntervalMs?: number;
    /** Key pairs generated ahead of time (used for this session only); fresh ones otherwise. */
    keys?: Promise<ParticipantKeyPairs>;
  }): Promise<E2eeSession> {
    const keys = await (options.keys ?? generateParticipantKeyPairs());
    const { announcement, opened } = await createAnnouncement(keys, { meetingId: options.meetingId, participantId: options.selfId });
    const session = new E2eeSession({ ...options, keys, identity: opened.identity, onChange: options.onChange ?? (() => {}) });
    session.#cryptor.setSendKey(session.#epoch, session.#baseKey);
    await options.relay.announce(toBase64(announcement));
    for (const peer of options.peers) session.peerJoined(peer.id);
    await Promise.all(options.peers.map((peer) => (peer.bundle ? session.#setBundle(peer.id, peer.bundle) : Promise.resolve(false))));
    void session.#run(() => session.#giveKeyToNewPeers(false));
    const interval = options.ratchetIntervalMs ?? RATCHET_INTERVAL_MS;
    if (interval > 0) session.#timer = setInterval(() => void session.#run(() => session.#ratchetOwnKey()), interval);
    return session;
  }

  /** Someone entered the meeting (their bundle follows in `peerAnnounced`). */
  peerJoined(id: string): void {
    if (id === this.selfId || this.#peers.has(id)) return;
    this.#peers.set(id, { bundle: null, identity: null, given: false, theirEpoch: undefined, pending: [] });
    this.#onChange();
  }

  /**
   * A participant published their public keys: they are new to our key, so ratchet and give it.
   * Only for someone already known to be in the meeting (`peerJoined`, which the page shows in its
   * participant list): a bundle for anyone else — a "ghost" the server made up to receive our key —
   * is refused.
   */
  async peerAnnounced(id: string, bundle: string): Promise<void> {
    if (id === this.selfId) return;
    if (!this.#peers.has(id)) return this.#reject('UNKNOWN_PARTICIPANT');
    if (!(await this.#setBundle(id, bundle))) return;
    return this.#run(() => this.#giveKeyToNewPeers(true));
  }

  /** Someone left or was removed: forget their key, and switch ours to a fresh one they never get. */
  peerLeft(id: string): Promise<void> {
    if (!this.#peers.delete(id)) return Promise.resolve();
    this.#cryptor.forgetSender(id);
    this.#onChange();
    if (this.#rekeyQueued) return this.#serial;
    this.#rekeyQueued = true;
    return this.#run(() => {
      this.#rekeyQueued = false;
      return this.#rekey();
    });
  }

  /** A wrapped sender key from `from`. Refused blobs change nothing and are counted. */
  keyReceived(from: string, blob: string): Promise<void> {
    const peer = this.#peers.get(from);
    if (!peer) return Promise.resolve(this.#reject('UNKNOWN_SENDER'));
    let bytes: Bytes;
    try {
      bytes = fromBase64(blob);
    } catch {
      return Promise.resolve(this.#reject('MALFORMED_BLOB'));
    }
    if (!peer.bundle) {
      if (peer.pending.length < MAX_PENDING_BLOBS) peer.pending.push(bytes);
      else this.#reject('TOO_MANY_PENDING');
      return Promise.resolve();
    }
    return this.#run(() => this.#unwrapFrom(from, bytes));
  }

  async status(): Promise<E2eeStatus> {
    const peers = [...this.#peers.values()];
    const peersKeyed = peers.filter((p) => p.theirEpoch !== undefined).length;
    return {
      securityCode: await this.securityCode(),
      peers: peers.length,
      peersKeyed,
      complete: peersKeyed === peers.length,
      rejected: { ...this.#rejected },
    };
  }

  /** The meeting security code over our keys and every participant's we know: compare it aloud. */
  securityCode(): Promise<string> {
    const identities = [this.#identity, ...[...this.#peers.values()].flatMap((p) => (p.identity ? [p.identity] : []))];
    return meetingSecurityCode(this.meetingId, identities);
  }

  /**
   * Seals chat text. To everyone: under our sender key (everyone in the meeting holds it). To one
   * person: under a one-time key wrapped for them alone, so no one else could read it even if the
   * server passed it on.
   */
  async sealChat(text: string, to: string | null): Promise<string> {
    if (to === null) {
      const sealed = await this.#cryptor.sealGroupChat(this.meetingId, this.selfId, text);
      return toBase64(concatBytes(Uint8Array.of(GROUP_CHAT), sealed));
    }
    const bundle = this.#peers.get(to)?.bundle;
    if (!bundle) throw new SFrameError('UNKNOWN_KID', 'no keys for this participant yet');
    const oneTime = generateBaseKey();
    const blob = await wrapKeyFor(this.#keys, bundle, {
      meetingId: this.meetingId,
      senderId: this.selfId,
      recipientId: to,
      kid: 0n,
      epoch: 0,
      baseKey: oneTime,
    });
    const key = await deriveKeyMaterial(AES_256_GCM_SHA512_128, 0n, oneTime, 'encrypt');
    const sealed = await encrypt({ key, ctr: 0n, metadata: privateChatMetadata(this.meetingId, this.selfId, to), plaintext: utf8(text) });
    return toBase64(concatBytes(Uint8Array.of(PRIVATE_CHAT), blob, sealed));
  }

  /**
   * Opens sealed chat from `from`, sent to everyone (`to` null) or to us. Our own messages are
   * shown when sent, never opened from the server's echo. Throws an SFrameError if it does not open.
   */
  async openChat(from: string, to: string | null, sealedText: string): Promise<string> {
    const sealed = fromBase64(sealedText);
    const body = sealed.subarray(1);
    if (sealed[0] === GROUP_CHAT && to === null) return this.#cryptor.openGroupChat(this.meetingId, from, body);
    if (sealed[0] !== PRIVATE_CHAT || to !== this.selfId || body.length <= WRAPPED_KEY_LENGTH)
      throw new SFrameError('MALFORMED_HEADER', 'not a sealed chat message for us');
    const bundle = this.#peers.get(from)?.bundle;
    if (!bundle) throw new SFrameError('UNKNOWN_KID', 'no keys for this sender');
    const [senderId, recipientId] = [from, this.selfId];
    const blob = body.subarray(0, WRAPPED_KEY_LENGTH);
    const replayId = toBase64(blob.subarray(13, 45));
    if (this.#seenPrivate.has(replayId)) throw new SFrameError('REPLAYED', 'private message seen before');
    let grant;
    try {
      grant = await unwrapKey(this.#keys, bundle, blob, { meetingId: this.meetingId, senderId, recipientId });
    } catch {
      throw new SFrameError('AUTH_FAILED', 'private message key does not open');
    }
    const key = await deriveKeyMaterial(AES_256_GCM_SHA512_128, 0n, grant.baseKey, 'decrypt');
    const opened = await decrypt({
      keys: (kid) => (kid === 0n ? key : undefined),
      metadata: privateChatMetadata(this.meetingId, senderId, recipientId),
      frame: body.subarray(WRAPPED_KEY_LENGTH),
    });
    this.#seenPrivate.add(replayId);
    return new TextDecoder('utf-8', { fatal: true }).decode(opened.plaintext);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
  }

  /** Verifies and keeps a participant's announcement; false (counted) if refused or already known. */
  async #setBundle(id: string, announcement: string): Promise<boolean> {
    let opened;
    try {
      opened = await openAnnouncement(fromBase64(announcement), { meetingId: this.meetingId, participantId: id });
    } catch (err) {
      this.#reject(err instanceof KeyWrapError ? err.code : 'MALFORMED_BUNDLE');
      return false;
    }
    const peer = this.#peers.get(id);
    if (!peer) return false;
    if (peer.identity) {
      // A participant's keys never change within a session: a second, different bundle is refused.
      if (toBase64(peer.identity) !== toBase64(opened.identity)) this.#reject('BUNDLE_CHANGED');
      return false;
    }
    peer.bundle = opened.bundle;
    peer.identity = opened.identity;
    this.#onChange();
    const pending = peer.pending.splice(0);
    for (const blob of pending) void this.#run(() => this.#unwrapFrom(id, blob));
    return true;
  }

  /** Everyone with a bundle who does not have our key gets it; after a ratchet if `ratchetFirst`. */
  async #giveKeyToNewPeers(ratchetFirst: boolean): Promise<void> {
    const newcomers = [...this.#peers].filter(([, p]) => p.bundle && !p.given);
    if (newcomers.length === 0) return;
    if (ratchetFirst) await this.#ratchetOwnKey();
    await Promise.all(newcomers.map(([id, peer]) => this.#give(id, peer)));
  }

  async #ratchetOwnKey(): Promise<void> {
    this.#baseKey = await ratchet(this.#baseKey);
    this.#epoch++;
    this.#cryptor.setSendKey(this.#epoch, this.#baseKey);
    this.#onChange();
  }

  async #rekey(): Promise<void> {
    const baseKey = generateBaseKey();
    const epoch = this.#epoch + 1;
    this.#baseKey = baseKey;
    this.#epoch = epoch;
    for (const peer of this.#peers.values()) peer.given = false;
    const sent = Promise.all([...this.#peers].filter(([, p]) => p.bundle).map(([id, peer]) => this.#give(id, peer)));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([sent, new Promise<void>((r) => (timer = setTimeout(r, REKEY_SWITCH_MAX_MS)))]);
    clearTimeout(timer);
    if (this.#closed) return;
    this.#cryptor.setSendKey(epoch, baseKey);
    this.#onChange();
    // Later key operations start once every wrapped key of this one went out.
    await sent;
  }

  async #give(id: string, peer: Peer): Promise<void> {
    if (!peer.bundle) return;
    peer.given = true;
    try {
      const blob = await wrapKeyFor(this.#keys, peer.bundle, {
        meetingId: this.meetingId,
        senderId: this.selfId,
        recipientId: id,
        kid: kidForEpoch(this.#epoch),
        epoch: this.#epoch,
        baseKey: this.#baseKey,
      });
      await this.#relay.sendKey(id, toBase64(blob));
    } catch (err) {
      // They may have left meanwhile (the server answers NOT_FOUND); a bad bundle is counted.
      if (err instanceof KeyWrapError) this.#reject(err.code);
      peer.given = false;
    }
  }

  async #unwrapFrom(from: string, blob: Bytes): Promise<void> {
    const peer = this.#peers.get(from);
    if (!peer?.bundle) return this.#reject('UNKNOWN_SENDER');
    try {
      const grant = await unwrapKey(this.#keys, peer.bundle, blob, {
        meetingId: this.meetingId,
        senderId: from,
        recipientId: this.selfId,
        ...(peer.theirEpoch === undefined ? {} : { lastAcceptedEpoch: peer.theirEpoch }),
      });
      if (grant.kid !== kidForEpoch(grant.epoch)) return this.#reject('MALFORMED_BLOB');
      peer.theirEpoch = grant.epoch;
      this.#cryptor.setReceiveKey(from, grant.epoch, grant.baseKey);
      this.#onChange();
    } catch (err) {
      if (!(err instanceof KeyWrapError)) throw err;
      this.#reject(err.code);
    }
  }

  #reject(code: string): void {
    this.#rejected[code] = (this.#rejected[code] ?? 0) + 1;
  }

  /** Resolves once every key operation queued so far has run (tests). */
  settled(): Promise<void> {
    return this.#serial;
  }

  #run(task: () => Promise<void>): Promise<void> {
    const next = this.#serial.then(() => (this.#closed ? undefined : task()));
    this.#serial = next.catch((err: unknown) => console.error('[e2ee] key operation failed', err));
    return this.#serial;
  }
}

function privateChatMetadata(meetingId: string, senderId: string, recipientId: string): Bytes {
  return concatBytes(utf8(PRIVATE_CHAT_LABEL), lengthPrefixed(utf8(meetingId)), lengthPrefixed(utf8(senderId)), lengthPrefixed(utf8(recipientId)));
}
