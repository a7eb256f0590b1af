/**
 * The call: local media, signalling and mediasoup-client transports, producers and consumers.
 * Knows nothing about the DOM; it drives a `CallView` (implemented in ui.ts).
 *
 * Sequence on join (only ever started by the user's click):
 *   getUserMedia → WebSocket → join → device.load → createTransport send + recv →
 *   produce mic + camera, and consume every producer of the others (existing ones from the join
 *   result, new ones from `producerAdded`), each consumer resumed once wired to the page.
 */
import { Device } from 'mediasoup-client';
import type { Consumer, Producer, RtpCapabilities, RtpParameters, Transport, TransportOptions } from 'mediasoup-client/types';
import type { NotificationParams, Params } from '../../server/signaling/protocol.ts';
import { consumerStats, errorCodeOf, getLocalMedia, type ConsumerStats } from './media.ts';
import { Signaling, SignalingError } from './signaling.ts';
import type { AnyErrorCode, MessageKey } from './i18n.ts';

export type CallState = 'idle' | 'joining' | 'joined' | 'error' | 'left';
export type MediaKind = Params<'produce'>['kind'];
type Source = Params<'produce'>['source'];
/** The protocol's schema types are narrower than mediasoup-client's (codec parameters: string | number). */
type WireRtpParameters = Params<'produce'>['rtpParameters'];
type WireRtpCapabilities = Params<'consume'>['rtpCapabilities'];

export interface CallView {
  setState(state: CallState, errorCode: AnyErrorCode | null): void;
  status(key: MessageKey, vars?: Record<string, string>): void;
  showLocal(stream: MediaStream | null): void;
  addParticipant(id: string, displayName: string): void;
  removeParticipant(id: string): void;
  addTrack(participantId: string, consumerId: string, kind: MediaKind, track: MediaStreamTrack): void;
  removeTrack(participantId: string, consumerId: string): void;
  clearRemote(): void;
  setMicMuted(muted: boolean): void;
  setCameraOff(off: boolean): void;
}

export type JoinOptions = {
  wsUrl: string;
  meetingId: string;
  token: string;
  displayName?: string | undefined;
};

export type ConsumerEntry = { consumer: Consumer; participantId: string; producerId: string; kind: MediaKind };

/** Everything belonging to one join on one socket; replaced wholesale on re-join. */
class Session {
  signaling: Signaling | null = null;
  device: Device | null = null;
  sendTransport: Transport | null = null;
  recvTransport: Transport | null = null;
  readonly producers = new Map<Source, Producer>();
  readonly consumers = new Map<string, ConsumerEntry>();
  readonly participants = new Map<string, string>();
  /** Producers already being consumed (or tried), so a producer is never consumed twice. */
  readonly seenProducers = new Set<string>();
  readonly closedProducers = new Set<string>();
  readonly recvReady: Promise<void>;
  markRecvReady: () => void = () => {};

  constructor() {
    this.recvReady = new Promise<void>((resolve) => {
      this.markRecvReady = resolve;
    });
  }

  teardown(): void {
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.signaling?.close();
    this.producers.clear();
    this.consumers.clear();
  }
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Call {
  readonly #view: CallView;
  #state: CallState = 'idle';
  #errorCode: AnyErrorCode | null = null;
  #participantId: string | null = null;
  #stream: MediaStream | null = null;
  #session: Session | null = null;
  #opts: JoinOptions | null = null;
  #micMuted = false;
  #cameraOff = false;
  /** Automatic re-joins allowed for the current `reconnect` notice. */
  #reconnectsLeft = 1;

  constructor(view: CallView) {
    this.#view = view;
  }

  get state(): CallState {
    return this.#state;
  }
  get errorCode(): AnyErrorCode | null {
    return this.#errorCode;
  }
  get participantId(): string | null {
    return this.#participantId;
  }
  get micMuted(): boolean {
    return this.#micMuted;
  }
  get cameraOff(): boolean {
    return this.#cameraOff;
  }

  #isState(state: CallState): boolean {
    return this.#state === state;
  }

  #setState(state: CallState, errorCode: AnyErrorCode | null = null): void {
    this.#state = state;
    this.#errorCode = errorCode;
    this.#view.setState(state, errorCode);
  }

  /** Starts camera + microphone and joins. Call only from a user gesture. */
  async join(opts: JoinOptions): Promise<void> {
    if (this.#state === 'joining' || this.#state === 'joined') return;
    this.#opts = opts;
    this.#reconnectsLeft = 1;
    this.#participantId = null;
    this.#setState('joining');
    this.#view.status('statusMedia');
    try {
      if (!navigator.mediaDevices?.getUserMedia) throw new SignalingError('UNSUPPORTED', 'no mediaDevices');
      this.#stream = await getLocalMedia();
    } catch (err) {
      console.error('[call] getUserMedia failed', err);
      this.#setState('error', errorCodeOf(err));
      return;
    }
    if (!this.#isState('joining')) {
      // left while the permission prompt was open
      this.#stopLocal();
      return;
    }
    for (const t of this.#stream.getAudioTracks()) t.enabled = !this.#micMuted;
    for (const t of this.#stream.getVideoTracks()) t.enabled = !this.#cameraOff;
    this.#view.showLocal(this.#stream);
    await this.#connect();
  }

  async #connect(): Promise<void> {
    const opts = this.#opts;
    const stream = this.#stream;
    if (!opts || !stream) return;
    const session = new Session();
    this.#session = session;
    const current = () => this.#session === session;
    try {
      this.#view.status('statusConnecting');
      const sig = await Signaling.connect(opts.wsUrl);
      session.signaling = sig;
      if (!current()) {
        sig.close();
        return;
      }
      this.#wireNotifications(session, sig);
      sig.onClose(() => {
        if (!current()) return;
        console.warn('[call] signalling socket closed');
        this.#session = null;
        session.teardown();
        this.#view.clearRemote();
        this.#stopLocal();
        this.#setState('error', 'CONNECTION_LOST');
      });

      const joined = await sig.request('join', {
        meetingId: opts.meetingId,
        token: opts.token,
        ...(opts.displayName ? { displayName: opts.displayName } : {}),
      });
      if (!current()) return;
      this.#participantId = joined.participantId;

      const device = new Device();
      await device.load({ routerRtpCapabilities: joined.routerRtpCapabilities as RtpCapabilities });
      session.device = device;

      const [sendInfo, recvInfo] = await Promise.all([
        sig.request('createTransport', { direction: 'send' }),
        sig.request('createTransport', { direction: 'recv' }),
      ]);
      if (!current()) return;
      const send = device.createSendTransport(sendInfo as TransportOptions);
      const recv = device.createRecvTransport(recvInfo as TransportOptions);
      session.sendTransport = send;
      session.recvTransport = recv;
      for (const transport of [send, recv]) {
        transport.on('connect', ({ dtlsParameters }, callback, errback) => {
          sig.request('connectTransport', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
        });
        transport.on('connectionstatechange', (s) => {
          if (s === 'failed') console.warn(`[call] ${transport.direction} transport ICE/DTLS failed`);
        });
      }
      send.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        const source = (appData.source ?? (kind === 'audio' ? 'microphone' : 'camera')) as Source;
        sig.request('produce', { transportId: send.id, kind, source, rtpParameters: rtpParameters as WireRtpParameters }).then(
          ({ producerId }) => callback({ id: producerId }),
          errback,
        );
      });
      session.markRecvReady();

      for (const p of joined.participants) this.#addParticipant(session, p.id, p.displayName);
      if (joined.participants.length === 0) this.#view.status('statusAlone');

      // Consume the others while producing our own: both start their transport's DTLS handshake.
      const consuming = joined.participants.flatMap((p) => p.producers.map((pr) => this.#consume(session, p.id, pr.id)));
      await this.#produceAll(session, send, stream);
      if (!current()) return;
      this.#reconnectsLeft = 1;
      this.#setState('joined');
      this.#view.status('statusJoined');
      await Promise.all(consuming);
    } catch (err) {
      if (!current()) return;
      console.error('[call] join failed', err);
      this.#session = null;
      session.teardown();
      this.#view.clearRemote();
      this.#stopLocal();
      this.#setState('error', errorCodeOf(err));
    }
  }

  async #produceAll(session: Session, send: Transport, stream: MediaStream): Promise<void> {
    const audio = stream.getAudioTracks()[0];
    const video = stream.getVideoTracks()[0];
    const tasks: Promise<void>[] = [];
    if (audio) {
      tasks.push(
        send.produce({ track: audio, stopTracks: false, appData: { source: 'microphone' } }).then((p) => {
          session.producers.set('microphone', p);
          if (this.#micMuted) p.pause();
        }),
      );
    }
    if (video) {
      tasks.push(
        send
          .produce({
            track: video,
            stopTracks: false,
            codecOptions: { videoGoogleStartBitrate: 1000 },
            appData: { source: 'camera' },
          })
          .then((p) => {
            session.producers.set('camera', p);
            if (this.#cameraOff) p.pause();
          }),
      );
    }
    await Promise.all(tasks);
  }

  #wireNotifications(session: Session, sig: Signaling): void {
    const current = () => this.#session === session;
    sig.on('participantJoined', ({ participant }) => {
      if (!current()) return;
      this.#addParticipant(session, participant.id, participant.displayName);
      this.#view.status('statusParticipantJoined', { name: participant.displayName });
      for (const pr of participant.producers) void this.#consume(session, participant.id, pr.id);
    });
    sig.on('participantLeft', ({ participantId }) => {
      if (!current()) return;
      for (const [id, entry] of session.consumers) {
        if (entry.participantId === participantId) this.#closeConsumer(session, id);
      }
      const name = session.participants.get(participantId);
      session.participants.delete(participantId);
      this.#view.removeParticipant(participantId);
      if (name !== undefined) this.#view.status('statusParticipantLeft', { name });
    });
    sig.on('producerAdded', ({ participantId, producer }) => {
      if (!current()) return;
      void this.#consume(session, participantId, producer.id);
    });
    sig.on('producerClosed', ({ producerId }) => {
      if (!current()) return;
      session.closedProducers.add(producerId);
      for (const [id, entry] of session.consumers) {
        if (entry.producerId === producerId) this.#closeConsumer(session, id);
      }
    });
    sig.on('consumerClosed', ({ consumerId }) => {
      if (!current()) return;
      this.#closeConsumer(session, consumerId);
    });
    sig.on('reconnect', (params) => {
      if (!current()) return;
      void this.#onReconnect(session, params);
    });
  }

  #addParticipant(session: Session, id: string, displayName: string): void {
    if (id === this.#participantId || session.participants.has(id)) return;
    session.participants.set(id, displayName);
    this.#view.addParticipant(id, displayName);
  }

  async #consume(session: Session, participantId: string, producerId: string): Promise<void> {
    if (participantId === this.#participantId || session.seenProducers.has(producerId)) return;
    session.seenProducers.add(producerId);
    await session.recvReady;
    const sig = session.signaling;
    const recv = session.recvTransport;
    const device = session.device;
    if (!sig || !recv || !device || this.#session !== session) return;
    let consumer: Consumer | undefined;
    try {
      const r = await sig.request('consume', {
        transportId: recv.id,
        producerId,
        rtpCapabilities: device.recvRtpCapabilities as WireRtpCapabilities,
      });
      consumer = await recv.consume({
        id: r.consumerId,
        producerId: r.producerId,
        kind: r.kind,
        rtpParameters: r.rtpParameters as RtpParameters,
        appData: { participantId: r.participantId, source: r.source },
      });
      if (this.#session !== session || session.closedProducers.has(producerId) || !session.participants.has(r.participantId)) {
        consumer.close();
        return;
      }
      session.consumers.set(consumer.id, { consumer, participantId: r.participantId, producerId, kind: r.kind });
      consumer.on('trackended', () => this.#closeConsumer(session, r.consumerId));
      this.#view.addTrack(r.participantId, consumer.id, r.kind, consumer.track);
      await sig.request('resumeConsumer', { consumerId: consumer.id });
    } catch (err) {
      if (this.#session !== session) return;
      // The producer may have gone away meanwhile (NOT_FOUND); anything else is logged only,
      // one failed stream must not end the call.
      console.warn(`[call] consuming ${producerId} failed`, err);
      if (consumer) this.#closeConsumer(session, consumer.id);
    }
  }

  #closeConsumer(session: Session, consumerId: string): void {
    const entry = session.consumers.get(consumerId);
    if (!entry) return;
    session.consumers.delete(consumerId);
    entry.consumer.close();
    this.#view.removeTrack(entry.participantId, consumerId);
  }

  async #onReconnect(session: Session, { reason }: NotificationParams<'reconnect'>): Promise<void> {
    console.warn(`[call] server asked to reconnect: ${reason}`);
    this.#session = null;
    this.#view.status('statusReconnecting');
    try {
      await session.signaling?.request('leave', {}, 2000);
    } catch {
      // the server may already be gone
    }
    session.teardown();
    this.#view.clearRemote();
    if (this.#reconnectsLeft <= 0 || this.#state === 'left') {
      this.#stopLocal();
      this.#setState('error', 'CONNECTION_LOST');
      return;
    }
    this.#reconnectsLeft--;
    this.#setState('joining');
    await delay(reason === 'server-shutdown' ? 1500 : 300);
    if (this.#state !== 'joining' || this.#session !== null) return;
    await this.#connect();
  }

  /** Sends `leave`, closes everything and stops camera and microphone. */
  async leave(): Promise<void> {
    const session = this.#session;
    this.#session = null;
    if (session) {
      try {
        await session.signaling?.request('leave', {}, 3000);
      } catch (err) {
        console.warn('[call] leave request failed', err);
      }
      session.teardown();
    }
    this.#view.clearRemote();
    this.#stopLocal();
    this.#setState('left');
    this.#view.status('statusLeft');
  }

  #stopLocal(): void {
    for (const t of this.#stream?.getTracks() ?? []) t.stop();
    this.#stream = null;
    this.#view.showLocal(null);
  }

  toggleMic(): void {
    this.#micMuted = !this.#micMuted;
    this.#applyPause('microphone', this.#micMuted, this.#stream?.getAudioTracks());
    this.#view.setMicMuted(this.#micMuted);
    this.#view.status(this.#micMuted ? 'statusMicMuted' : 'statusMicOn');
  }

  toggleCamera(): void {
    this.#cameraOff = !this.#cameraOff;
    this.#applyPause('camera', this.#cameraOff, this.#stream?.getVideoTracks());
    this.#view.setCameraOff(this.#cameraOff);
    this.#view.status(this.#cameraOff ? 'statusCameraOff' : 'statusCameraOn');
  }

  #applyPause(source: Source, paused: boolean, tracks: MediaStreamTrack[] | undefined): void {
    const producer = this.#session?.producers.get(source);
    if (producer) {
      if (paused) producer.pause();
      else producer.resume();
    } else {
      for (const t of tracks ?? []) t.enabled = !paused;
    }
  }

  /** inbound-rtp figures of every remote consumer (for tests and the bench). */
  async stats(): Promise<ConsumerStats[]> {
    const session = this.#session;
    if (!session) return [];
    return consumerStats([...session.consumers.values()]);
  }
}
