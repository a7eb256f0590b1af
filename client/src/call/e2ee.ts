/**
 * End-to-end encryption inside a call: the encoded-transform Worker on every sender and receiver,
 * and the key session (client/e2ee/session.ts) fed by signalling.
 *
 * Transforms are attached synchronously where mediasoup-client creates each RTCRtpSender
 * (`onRtpSender`, called right after `addTransceiver`) and RTCRtpReceiver (`onRtpReceiver`, before
 * the consumer is resumed): attached any later, Chromium sends video unencrypted without an error.
 * The Worker drops frames until keys exist, so nothing leaves or plays in clear while keys are
 * being exchanged.
 */
import type { Device } from 'mediasoup-client';
import type { RtpCodecCapability } from 'mediasoup-client/types';
import type { StreamOptions, StreamStats } from '../../e2ee/frame-cryptor.ts';
import type { FrameKind } from '../../e2ee/media-frame.ts';
import { generateParticipantKeyPairs, type ParticipantKeyPairs } from '../../e2ee/keys.ts';
import { E2eeSession, type E2eeCryptorPort, type E2eeStatus } from '../../e2ee/session.ts';
import type { ToWorker, WorkerReply } from '../../e2ee/worker-protocol.ts';
import { SendPacer } from './send-pacer.ts';
import type { Signaling } from '../signaling.ts';

/** `script`: RTCRtpScriptTransform; `legacy`: createEncodedStreams; null: this browser cannot encrypt. */
export type TransformMode = 'script' | 'legacy';

export function transformSupport(): TransformMode | null {
  if (typeof RTCRtpScriptTransform === 'function') return 'script';
  if (typeof RTCRtpSender !== 'undefined' && 'createEncodedStreams' in RTCRtpSender.prototype) return 'legacy';
  return null;
}

let nextKeyPairs: Promise<ParticipantKeyPairs> | null = null;

/**
 * Generates the key pairs for the next join ahead of time (when the meeting page opens, and again
 * after leaving), so that ML-KEM key generation is not on the join's critical path. Each pair is
 * used for one meeting session only.
 */
export function prepareKeyPairs(): void {
  if (transformSupport() === null) return;
  nextKeyPairs ??= generateParticipantKeyPairs();
  // A failure surfaces (and is retried) when a join takes them.
  nextKeyPairs.catch(() => {
    nextKeyPairs = null;
  });
}

function takeKeyPairs(): Promise<ParticipantKeyPairs> {
  const keys = nextKeyPairs ?? generateParticipantKeyPairs();
  nextKeyPairs = null;
  return keys;
}

/** A request to the Worker before it is given its reply id. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

type LegacyEndpoint = { createEncodedStreams(): { readable: ReadableStream; writable: WritableStream } };

/** What the page shows and the tests read. */
export type E2eeView = E2eeStatus & { streams: StreamStats[] };

export class CallE2ee {
  readonly mode: TransformMode;
  readonly #worker: Worker;
  readonly #replies = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #session: E2eeSession | null = null;
  /** Signalling events that arrived before the session started, replayed in order. */
  #early: ((session: E2eeSession) => void)[] = [];
  #status: E2eeStatus | null = null;
  readonly #onChange: () => void;

  constructor(mode: TransformMode, onChange: () => void) {
    this.mode = mode;
    this.#onChange = onChange;
    this.#worker = new Worker(new URL('../../e2ee/transform-worker.ts', import.meta.url), { type: 'module', name: 'recinto-e2ee' });
    this.#worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      const pending = this.#replies.get(reply.id);
      if (!pending) return;
      this.#replies.delete(reply.id);
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(Object.assign(new Error(`e2ee worker: ${reply.code}`), { code: reply.code }));
    };
  }

  /** RTCPeerConnection settings the legacy path needs (Chromium's encodedInsertableStreams). */
  get peerConnectionSettings(): Partial<RTCConfiguration> {
    return this.mode === 'legacy' ? ({ encodedInsertableStreams: true } as Partial<RTCConfiguration>) : {};
  }

  /** For `produce({ onRtpSender })`: encrypts everything this sender sends. */
  senderHook(kind: FrameKind): (sender: RTCRtpSender) => void {
    return (sender) => this.#attach(sender, { direction: 'send', kind });
  }

  /** For `consume({ onRtpReceiver })`: decrypts (or drops) what `senderId` sends. */
  receiverHook(kind: FrameKind, senderId: string): (receiver: RTCRtpReceiver) => void {
    return (receiver) => this.#attach(receiver, { direction: 'recv', kind, senderId });
  }

  /** Starts the key session (announces our keys): before producing, which the server requires. */
  async start(init: { meetingId: string; selfId: string; sig: Signaling; peers: ReadonlyArray<{ id: string; e2eeBundle?: string }> }): Promise<void> {
    const { sig } = init;
    const pacer = new SendPacer();
    const session = await E2eeSession.start({
      meetingId: init.meetingId,
      selfId: init.selfId,
      cryptor: this.#port(),
      peers: init.peers.map((p) => ({ id: p.id, ...(p.e2eeBundle ? { bundle: p.e2eeBundle } : {}) })),
      relay: {
        announce: async (bundle) => void (await sig.request('announceE2eeKeys', { bundle })),
        sendKey: async (to, blob) => void (await pacer.run(() => sig.request('sendE2eeKey', { to, blob }))),
      },
      onChange: () => void this.#refresh(),
      keys: takeKeyPairs(),
    });
    this.#session = session;
    for (const event of this.#early.splice(0)) event(session);
    await this.#refresh();
  }

  peerJoined(id: string): void {
    this.#withSession((s) => s.peerJoined(id));
  }
  peerAnnounced(id: string, bundle: string): void {
    this.#withSession((s) => void s.peerAnnounced(id, bundle));
  }
  peerLeft(id: string): void {
    this.#withSession((s) => void s.peerLeft(id));
  }
  keyReceived(from: string, blob: string): void {
    this.#withSession((s) => void s.keyReceived(from, blob));
  }

  sealChat(text: string, to: string | null): Promise<string> {
    if (!this.#session) return Promise.reject(new Error('E2EE not started'));
    return this.#session.sealChat(text, to);
  }
  openChat(from: string, to: string | null, sealed: string): Promise<string> {
    if (!this.#session) return Promise.reject(new Error('E2EE not started'));
    return this.#session.openChat(from, to, sealed);
  }

  /** The last known status (security code, who is keyed), or null until the session started. */
  get status(): E2eeStatus | null {
    return this.#status;
  }

  /** Status plus the Worker's per-stream counters. */
  async view(): Promise<E2eeView | null> {
    const status = this.#session ? await this.#session.status() : null;
    if (!status) return null;
    const streams = (await this.#request({ op: 'stats' })) as StreamStats[];
    return { ...status, streams };
  }

  close(): void {
    this.#session?.close();
    this.#worker.terminate();
    for (const pending of this.#replies.values()) pending.reject(new Error('E2EE closed'));
    this.#replies.clear();
  }

  #attach(endpoint: RTCRtpSender | RTCRtpReceiver, options: StreamOptions): void {
    if (this.mode === 'script') {
      endpoint.transform = new RTCRtpScriptTransform(this.#worker, options);
      return;
    }
    const { readable, writable } = (endpoint as unknown as LegacyEndpoint).createEncodedStreams();
    this.#post({ op: 'stream', options, readable, writable }, [readable, writable]);
  }

  #withSession(event: (session: E2eeSession) => void): void {
    if (this.#session) event(this.#session);
    else this.#early.push(event);
  }

  async #refresh(): Promise<void> {
    if (!this.#session) return;
    this.#status = await this.#session.status();
    this.#onChange();
  }

  #port(): E2eeCryptorPort {
    return {
      setSendKey: (epoch, baseKey) => this.#post({ op: 'sendKey', epoch, baseKey }),
      setReceiveKey: (senderId, epoch, baseKey) => this.#post({ op: 'receiveKey', senderId, epoch, baseKey }),
      forgetSender: (senderId) => this.#post({ op: 'forgetSender', senderId }),
      sealGroupChat: async (meetingId, senderId, text) => (await this.#request({ op: 'sealChat', meetingId, senderId, text })) as Uint8Array,
      openGroupChat: async (meetingId, senderId, sealed) => (await this.#request({ op: 'openChat', meetingId, senderId, sealed })) as string,
    };
  }

  #post(message: ToWorker, transfer: Transferable[] = []): void {
    this.#worker.postMessage(message, transfer);
  }

  #request(message: WithoutId<Extract<ToWorker, { id: number }>>): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#replies.set(id, { resolve, reject });
      this.#post({ ...message, id });
    });
  }
}

/**
 * What `produce` needs in an encrypted meeting: the transform hook, and VP8 for video (the SFU
 * reads VP8's clear key-frame byte; the server refuses other codecs there). Empty otherwise.
 */
export function produceOptions(
  connection: { readonly e2ee: CallE2ee | null; readonly device: Device | null },
  kind: FrameKind,
): { onRtpSender?: (sender: RTCRtpSender) => void; codec?: RtpCodecCapability } {
  const e2ee = connection.e2ee;
  if (!e2ee) return {};
  const codec = kind === 'video' ? connection.device?.rtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === 'video/vp8') : undefined;
  return { onRtpSender: e2ee.senderHook(kind), ...(codec ? { codec } : {}) };
}
