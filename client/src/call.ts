/**
 * The call: local media, signalling and mediasoup-client transports, producers and consumers.
 * Knows nothing about the DOM; it drives a `CallView` (implemented in views/meeting.ts).
 *
 * Sequence on join (only ever started by the user's click):
 *   getUserMedia → WebSocket → join → device.load → createTransport send + recv →
 *   produce mic + camera, and consume every producer of the others (existing ones from the join
 *   result, new ones from `producerAdded`), each consumer resumed once wired to the page.
 */
import { Device } from 'mediasoup-client';
import type { Consumer, RtpCapabilities, RtpParameters, Transport, TransportOptions } from 'mediasoup-client/types';
import type { CloseCode, NotificationParams, Params } from '../../server/signaling/protocol.ts';
import { CallConnection } from './call-connection.ts';
import type { AnyErrorCode } from './errors.ts';
import type { MessageKey } from './i18n/translate.ts';
import { consumerStats, errorCodeOf, getLocalMedia, type ConsumerStats } from './media.ts';
import { Signaling, SignalingError } from './signaling.ts';

export type CallState = 'idle' | 'joining' | 'joined' | 'error' | 'left';
export type MediaKind = Params<'produce'>['kind'];
export type Source = Params<'produce'>['source'];
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
  /** Whether the account's sign-in still holds: a refused socket looks like any network failure. */
  stillSignedIn: () => Promise<boolean>;
};

/** The server's close code for an ended session (typed against protocol.ts, without bundling it). */
const SESSION_ENDED_CLOSE: (typeof CloseCode)['SESSION_ENDED'] = 4401;

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Call {
  readonly #view: CallView;
  #state: CallState = 'idle';
  #errorCode: AnyErrorCode | null = null;
  #participantId: string | null = null;
  #stream: MediaStream | null = null;
  #connection: CallConnection | null = null;
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
    const connection = new CallConnection();
    this.#connection = connection;
    const current = () => this.#connection === connection;
    try {
      this.#view.status('statusConnecting');
      const sig = await Signaling.connect(opts.wsUrl);
      connection.signaling = sig;
      if (!current()) {
        sig.close();
        return;
      }
      this.#wireNotifications(connection, sig);
      sig.onClose((code) => {
        if (!current()) return;
        console.warn(`[call] signalling socket closed (${code})`);
        this.#fail(connection, code === SESSION_ENDED_CLOSE ? 'SESSION_ENDED' : 'CONNECTION_LOST');
      });

      const joined = await sig.request('join', { meetingId: opts.meetingId });
      if (!current()) return;
      this.#participantId = joined.participantId;

      const device = new Device();
      await device.load({ routerRtpCapabilities: joined.routerRtpCapabilities as RtpCapabilities });
      connection.device = device;

      const [sendInfo, recvInfo] = await Promise.all([
        sig.request('createTransport', { direction: 'send' }),
        sig.request('createTransport', { direction: 'recv' }),
      ]);
      if (!current()) return;
      const send = device.createSendTransport(sendInfo as TransportOptions);
      const recv = device.createRecvTransport(recvInfo as TransportOptions);
      connection.sendTransport = send;
      connection.recvTransport = recv;
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
      connection.markRecvReady();

      for (const p of joined.participants) this.#addParticipant(connection, p.id, p.displayName);
      if (joined.participants.length === 0) this.#view.status('statusAlone');

      // Consume the others while producing our own: both start their transport's DTLS handshake.
      const consuming = joined.participants.flatMap((p) => p.producers.map((pr) => this.#consume(connection, p.id, pr.id)));
      await this.#produceAll(connection, send, stream);
      if (!current()) return;
      this.#reconnectsLeft = 1;
      this.#setState('joined');
      this.#view.status('statusJoined');
      await Promise.all(consuming);
    } catch (err) {
      if (!current()) return;
      console.error('[call] join failed', err);
      const code = errorCodeOf(err);
      const signedOut = code === 'CONNECTION_FAILED' && !(await opts.stillSignedIn());
      if (current()) this.#fail(connection, signedOut ? 'SESSION_ENDED' : code);
    }
  }

  /** Drops a connection that failed or that the server closed, releasing camera and microphone. */
  #fail(connection: CallConnection, code: AnyErrorCode): void {
    this.#connection = null;
    connection.teardown();
    this.#view.clearRemote();
    this.#stopLocal();
    this.#setState('error', code);
  }

  async #produceAll(connection: CallConnection, send: Transport, stream: MediaStream): Promise<void> {
    const audio = stream.getAudioTracks()[0];
    const video = stream.getVideoTracks()[0];
    const tasks: Promise<void>[] = [];
    if (audio) {
      tasks.push(
        send.produce({ track: audio, stopTracks: false, appData: { source: 'microphone' } }).then((p) => {
          connection.producers.set('microphone', p);
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
            connection.producers.set('camera', p);
            if (this.#cameraOff) p.pause();
          }),
      );
    }
    await Promise.all(tasks);
  }

  #wireNotifications(connection: CallConnection, sig: Signaling): void {
    const current = () => this.#connection === connection;
    sig.on('participantJoined', ({ participant }) => {
      if (!current()) return;
      this.#addParticipant(connection, participant.id, participant.displayName);
      this.#view.status('statusParticipantJoined', { name: participant.displayName });
      for (const pr of participant.producers) void this.#consume(connection, participant.id, pr.id);
    });
    sig.on('participantLeft', ({ participantId }) => {
      if (!current()) return;
      for (const [id, entry] of connection.consumers) {
        if (entry.participantId === participantId) this.#closeConsumer(connection, id);
      }
      const name = connection.participants.get(participantId);
      connection.participants.delete(participantId);
      this.#view.removeParticipant(participantId);
      if (name !== undefined) this.#view.status('statusParticipantLeft', { name });
    });
    sig.on('producerAdded', ({ participantId, producer }) => {
      if (!current()) return;
      void this.#consume(connection, participantId, producer.id);
    });
    sig.on('producerClosed', ({ producerId }) => {
      if (!current()) return;
      connection.closedProducers.add(producerId);
      for (const [id, entry] of connection.consumers) {
        if (entry.producerId === producerId) this.#closeConsumer(connection, id);
      }
    });
    sig.on('consumerClosed', ({ consumerId }) => {
      if (!current()) return;
      this.#closeConsumer(connection, consumerId);
    });
    sig.on('reconnect', (params) => {
      if (!current()) return;
      void this.#onReconnect(connection, params);
    });
  }

  #addParticipant(connection: CallConnection, id: string, displayName: string): void {
    if (id === this.#participantId || connection.participants.has(id)) return;
    connection.participants.set(id, displayName);
    this.#view.addParticipant(id, displayName);
  }

  async #consume(connection: CallConnection, participantId: string, producerId: string): Promise<void> {
    if (participantId === this.#participantId || connection.seenProducers.has(producerId)) return;
    connection.seenProducers.add(producerId);
    await connection.recvReady;
    const sig = connection.signaling;
    const recv = connection.recvTransport;
    const device = connection.device;
    if (!sig || !recv || !device || this.#connection !== connection) return;
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
      if (this.#connection !== connection || connection.closedProducers.has(producerId) || !connection.participants.has(r.participantId)) {
        consumer.close();
        return;
      }
      connection.consumers.set(consumer.id, { consumer, participantId: r.participantId, producerId, kind: r.kind });
      consumer.on('trackended', () => this.#closeConsumer(connection, r.consumerId));
      this.#view.addTrack(r.participantId, consumer.id, r.kind, consumer.track);
      await sig.request('resumeConsumer', { consumerId: consumer.id });
    } catch (err) {
      if (this.#connection !== connection) return;
      // The producer may have gone away meanwhile (NOT_FOUND); anything else is logged only,
      // one failed stream must not end the call.
      console.warn(`[call] consuming ${producerId} failed`, err);
      if (consumer) this.#closeConsumer(connection, consumer.id);
    }
  }

  #closeConsumer(connection: CallConnection, consumerId: string): void {
    const entry = connection.consumers.get(consumerId);
    if (!entry) return;
    connection.consumers.delete(consumerId);
    entry.consumer.close();
    this.#view.removeTrack(entry.participantId, consumerId);
  }

  async #onReconnect(connection: CallConnection, { reason }: NotificationParams<'reconnect'>): Promise<void> {
    console.warn(`[call] server asked to reconnect: ${reason}`);
    this.#connection = null;
    this.#view.status('statusReconnecting');
    try {
      await connection.signaling?.request('leave', {}, 2000);
    } catch {
      // the server may already be gone
    }
    connection.teardown();
    this.#view.clearRemote();
    if (this.#reconnectsLeft <= 0 || this.#state === 'left') {
      this.#stopLocal();
      this.#setState('error', 'CONNECTION_LOST');
      return;
    }
    this.#reconnectsLeft--;
    this.#setState('joining');
    await delay(reason === 'server-shutdown' ? 1500 : 300);
    if (this.#state !== 'joining' || this.#connection !== null) return;
    await this.#connect();
  }

  /** Sends `leave`, closes everything and stops camera and microphone. */
  async leave(): Promise<void> {
    const connection = this.#connection;
    this.#connection = null;
    if (connection) {
      try {
        await connection.signaling?.request('leave', {}, 3000);
      } catch (err) {
        console.warn('[call] leave request failed', err);
      }
      connection.teardown();
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
    const producer = this.#connection?.producers.get(source);
    if (producer) {
      if (paused) producer.pause();
      else producer.resume();
    } else {
      for (const t of tracks ?? []) t.enabled = !paused;
    }
  }

  /** inbound-rtp figures of every remote consumer (for tests and the bench). */
  async stats(): Promise<ConsumerStats[]> {
    const connection = this.#connection;
    if (!connection) return [];
    return consumerStats([...connection.consumers.values()]);
  }
}
