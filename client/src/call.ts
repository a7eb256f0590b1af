/**
 * The call: signalling, the waiting room, local media, mediasoup-client transports, producers and
 * consumers, and what the client knows about the meeting (meeting-state.ts). Knows nothing about
 * the DOM; it drives a `CallView` (implemented in views/meeting.ts).
 *
 * Sequence on join (only ever started by the user's click):
 *   WebSocket → join → either `waiting` (no camera, no microphone, no media at all until a host
 *   admits: `admitted`) or inside → getUserMedia (camera only if allowed) → device.load →
 *   createTransport send + recv → produce mic + camera, and consume every producer of the others
 *   (existing ones from the meeting view, new ones from `producerAdded`), each consumer resumed
 *   once wired to the page.
 *
 * Own microphone and camera go on and off through the server (pauseProducer / resumeProducer),
 * so a host's mute is real: while muted by a host the server refuses to resume, and only the
 * person can turn the microphone back on once asked (no remote unmute, no remote camera start).
 */
import { Device } from 'mediasoup-client';
import type { Consumer, Producer, RtpCapabilities, RtpParameters, Transport, TransportOptions } from 'mediasoup-client/types';
import type { CloseCode, MethodName, NotificationParams, Params, Result } from '../../server/signaling/protocol.ts';
import { CallConnection } from './call-connection.ts';
import type { AnyErrorCode } from './errors.ts';
import type { MessageKey } from './i18n/translate.ts';
import { consumerStats, errorCodeOf, getLocalMedia, type ConsumerStats } from './media.ts';
import { MeetingState, type ChatMessage, type HostAction, type MeetingInfo, type Participant, type PolicyPatch, type WaitingReason } from './meeting-state.ts';
import { Signaling, SignalingError } from './signaling.ts';

/**
 * idle → joining → (waiting →) joined → left; `error` when joining or the connection failed;
 * `ended` when the meeting ended for this person: denied, removed (maybe banned), ended by a host.
 */
export type CallState = 'idle' | 'joining' | 'waiting' | 'joined' | 'error' | 'left' | 'ended';
export type MediaKind = Params<'produce'>['kind'];
export type Source = Params<'produce'>['source'];
/** The protocol's schema types are narrower than mediasoup-client's (codec parameters: string | number). */
type WireRtpParameters = Params<'produce'>['rtpParameters'];
type WireRtpCapabilities = Params<'consume'>['rtpCapabilities'];
/** Host controls the views call through `hostRequest`. */
export type HostMethod = 'admit' | 'admitAll' | 'deny' | 'mute' | 'muteAll' | 'askToUnmute' | 'setCameraAllowed' | 'setScreenShareAllowed' | 'remove' | 'setRole';

export interface CallView {
  setState(state: CallState, errorCode: AnyErrorCode | null): void;
  status(key: MessageKey, vars?: Record<string, string>): void;
  showLocal(stream: MediaStream | null): void;
  addParticipant(id: string, displayName: string): void;
  removeParticipant(id: string): void;
  addTrack(participantId: string, consumerId: string, kind: MediaKind, source: Source, track: MediaStreamTrack): void;
  removeTrack(participantId: string, consumerId: string): void;
  clearRemote(): void;
  /** Something the controls or panels show changed: own media, roles, permissions, policy, lock, waiting room. */
  update(): void;
  chatMessage(message: ChatMessage): void;
  hostAction(action: HostAction): void;
}

export type JoinOptions = {
  wsUrl: string;
  meetingId: string;
  /** Whether the account's sign-in (or the guest session) still holds: a refused socket looks like any network failure. */
  stillSignedIn: () => Promise<boolean>;
  /** What an ended session means here: SESSION_ENDED (an account: sign in again) or GUEST_SESSION_ENDED. */
  sessionEndedCode?: 'SESSION_ENDED' | 'GUEST_SESSION_ENDED';
};

/** The server's close code for an ended session (typed against protocol.ts, without bundling it). */
const SESSION_ENDED_CLOSE: (typeof CloseCode)['SESSION_ENDED'] = 4401;

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Call {
  readonly #view: CallView;
  #state: CallState = 'idle';
  #errorCode: AnyErrorCode | null = null;
  #participantId: string | null = null;
  /** Camera and microphone (only while inside a meeting). */
  #stream: MediaStream | null = null;
  /** The shared screen, while sharing. */
  #screenTrack: MediaStreamTrack | null = null;
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
  get screenSharing(): boolean {
    return this.#screenTrack !== null;
  }
  /** Whether there is a microphone to turn on and off. */
  get hasMicrophone(): boolean {
    return this.#connection?.producers.has('microphone') ?? false;
  }
  /** Inside a meeting: what the client knows about it; null otherwise (also while waiting). */
  get meeting(): MeetingState | null {
    return this.#state === 'joined' || this.#state === 'joining' ? (this.#connection?.meeting ?? null) : null;
  }
  /** In the waiting room: why. */
  get waitingReason(): WaitingReason | null {
    return this.#state === 'waiting' ? (this.#connection?.waiting ?? null) : null;
  }

  #setState(state: CallState, errorCode: AnyErrorCode | null = null): void {
    this.#state = state;
    this.#errorCode = errorCode;
    this.#view.setState(state, errorCode);
    this.#view.update();
  }

  /** Joins (or enters the waiting room). Call only from a user gesture: it leads to camera and microphone. */
  async join(opts: JoinOptions): Promise<void> {
    if (this.#state === 'joining' || this.#state === 'waiting' || this.#state === 'joined') return;
    this.#opts = opts;
    this.#reconnectsLeft = 1;
    this.#participantId = null;
    this.#micMuted = false;
    this.#cameraOff = false;
    this.#setState('joining');
    if (!navigator.mediaDevices?.getUserMedia) {
      this.#setState('error', 'UNSUPPORTED');
      return;
    }
    await this.#connect();
  }

  async #connect(): Promise<void> {
    const opts = this.#opts;
    if (!opts) return;
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
        this.#fail(connection, code === SESSION_ENDED_CLOSE ? this.#sessionEndedCode : 'CONNECTION_LOST');
      });

      const joined = await sig.request('join', { meetingId: opts.meetingId });
      if (!current()) return;
      if (joined.status === 'waiting') {
        connection.waiting = joined.reason;
        // Nothing is sent from the waiting room: camera and microphone stay off until admitted.
        this.#stopLocal();
        this.#setState('waiting');
        this.#view.status(joined.reason === 'no-host' ? 'statusWaitingNoHost' : 'statusWaitingRoom');
        return;
      }
      await this.#enter(connection, joined.meeting);
    } catch (err) {
      await this.#joinFailed(connection, err);
    }
  }

  async #joinFailed(connection: CallConnection, err: unknown): Promise<void> {
    if (this.#connection !== connection) return;
    console.error('[call] join failed', err);
    const code = errorCodeOf(err);
    const signedOut = code === 'CONNECTION_FAILED' && this.#opts !== null && !(await this.#opts.stillSignedIn());
    if (this.#connection === connection) this.#fail(connection, signedOut ? this.#sessionEndedCode : code);
  }

  get #sessionEndedCode(): AnyErrorCode {
    return this.#opts?.sessionEndedCode ?? 'SESSION_ENDED';
  }

  /** Inside the meeting (joined directly, or admitted): media on, transports, produce, consume. */
  async #enter(connection: CallConnection, info: MeetingInfo): Promise<void> {
    const current = () => this.#connection === connection;
    const sig = connection.signaling;
    if (!sig) return;
    const meeting = new MeetingState(info);
    connection.meeting = meeting;
    connection.waiting = null;
    this.#participantId = info.self.id;
    // Mute on entry is for participants (the server starts their microphone paused; produce says so).
    if (info.self.mutedByHost || (info.policy.muteOnEntry && info.self.role === 'participant')) this.#micMuted = true;
    if (this.#state !== 'joining') this.#setState('joining');
    this.#view.update();
    for (const p of meeting.others.values()) this.#addParticipant(connection, p.id, p.displayName);
    // Consuming waits for the receive transport; start it now so it runs alongside the rest.
    const consuming = [...meeting.others.values()].flatMap((p) => p.producers.map((pr) => this.#consume(connection, p.id, pr.id)));

    // Only now, inside the meeting after the user's click: camera (if allowed) and microphone.
    if (!this.#stream) {
      this.#view.status('statusMedia');
      const stream = await getLocalMedia({ video: meeting.self.cameraAllowed });
      if (!current()) {
        for (const t of stream.getTracks()) t.stop();
        return;
      }
      this.#stream = stream;
    }
    const stream = this.#stream;
    if (!meeting.self.cameraAllowed) this.#dropCameraTrack();
    if (stream.getVideoTracks().length === 0) this.#cameraOff = true;
    for (const t of stream.getAudioTracks()) t.enabled = !this.#micMuted;
    for (const t of stream.getVideoTracks()) t.enabled = !this.#cameraOff;
    this.#view.showLocal(stream);
    this.#view.status('statusConnecting');

    const device = new Device();
    await device.load({ routerRtpCapabilities: info.routerRtpCapabilities as RtpCapabilities });
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
      sig.request('produce', { transportId: send.id, kind, source, rtpParameters: rtpParameters as WireRtpParameters }).then(({ producerId, paused }) => {
        if (paused) connection.pausedAtServer.add(producerId);
        callback({ id: producerId });
      }, errback);
    });
    connection.markRecvReady();

    await this.#produceAll(connection, send, stream);
    if (!current()) return;
    this.#reconnectsLeft = 1;
    this.#setState('joined');
    if (meeting.others.size === 0) this.#view.status(this.#micMuted ? 'statusAloneMuted' : 'statusAlone');
    else this.#view.status(this.#micMuted ? 'statusJoinedMuted' : 'statusJoined');
    await Promise.all(consuming);
  }

  /** Drops a connection that failed or that the server closed, releasing camera and microphone. */
  #fail(connection: CallConnection, code: AnyErrorCode): void {
    this.#drop(connection);
    this.#setState('error', code);
  }

  /** The meeting ended for this person (denied, removed, ended by a host): everything stops. */
  #end(connection: CallConnection, code: AnyErrorCode): void {
    this.#drop(connection);
    this.#view.status('statusCallEnded');
    this.#setState('ended', code);
  }

  #drop(connection: CallConnection): void {
    this.#connection = null;
    connection.teardown();
    this.#stopScreenTrack();
    this.#view.clearRemote();
    this.#stopLocal();
  }

  async #produceAll(connection: CallConnection, send: Transport, stream: MediaStream): Promise<void> {
    const audio = stream.getAudioTracks()[0];
    const video = stream.getVideoTracks()[0];
    const sig = connection.signaling;
    /** Paused from the start: the server is told too, so nothing is forwarded. */
    const pauseAtServer = (p: Producer) => sig?.request('pauseProducer', { producerId: p.id }).then(() => undefined, (err: unknown) => console.warn('[call] pauseProducer failed', err));
    const tasks: Promise<void>[] = [];
    if (audio) {
      tasks.push(
        send.produce({ track: audio, stopTracks: false, appData: { source: 'microphone' } }).then(async (p) => {
          connection.producers.set('microphone', p);
          if (connection.pausedAtServer.has(p.id)) {
            // Mute on entry, or a host mute: the person unmutes when they choose (or are asked).
            this.#micMuted = true;
            p.pause();
          } else if (this.#micMuted) {
            p.pause();
            await pauseAtServer(p);
          }
        }),
      );
    }
    if (video) {
      tasks.push(
        send
          .produce({ track: video, stopTracks: false, codecOptions: { videoGoogleStartBitrate: 1000 }, appData: { source: 'camera' } })
          .then(async (p) => {
            connection.producers.set('camera', p);
            if (this.#cameraOff) {
              p.pause();
              await pauseAtServer(p);
            }
          }),
      );
    }
    await Promise.all(tasks);
  }

  #wireNotifications(connection: CallConnection, sig: Signaling): void {
    const current = () => this.#connection === connection;
    /** The meeting, when this connection is current and inside it. */
    const inside = () => (current() ? connection.meeting : null);

    sig.on('admitted', ({ meeting }) => {
      if (!current() || connection.waiting === null) return;
      this.#view.status('statusAdmitted');
      this.#enter(connection, meeting).catch((err: unknown) => this.#joinFailed(connection, err));
    });
    sig.on('denied', () => {
      if (current()) this.#end(connection, 'DENIED');
    });
    sig.on('removed', ({ banned }) => {
      if (current()) this.#end(connection, banned ? 'BANNED' : 'REMOVED');
    });
    sig.on('meetingEnded', () => {
      if (current()) this.#end(connection, 'MEETING_ENDED');
    });

    sig.on('participantJoined', ({ participant }) => {
      const meeting = inside();
      if (!meeting) return;
      meeting.others.set(participant.id, participant);
      this.#addParticipant(connection, participant.id, participant.displayName);
      this.#view.status('statusParticipantJoined', { name: participant.displayName });
      for (const pr of participant.producers) void this.#consume(connection, participant.id, pr.id);
      this.#view.update();
    });
    sig.on('participantLeft', ({ participantId }) => {
      const meeting = inside();
      if (!meeting) return;
      for (const [id, entry] of connection.consumers) {
        if (entry.participantId === participantId) this.#closeConsumer(connection, id);
      }
      const name = connection.participants.get(participantId);
      connection.participants.delete(participantId);
      meeting.others.delete(participantId);
      this.#view.removeParticipant(participantId);
      if (name !== undefined) this.#view.status('statusParticipantLeft', { name });
      this.#view.update();
    });
    sig.on('participantUpdated', ({ participant }) => {
      const meeting = inside();
      if (!meeting) return;
      if (participant.id === meeting.self.id) this.#applySelf(connection, participant);
      else if (meeting.others.has(participant.id)) {
        meeting.others.set(participant.id, participant);
        this.#view.update();
      }
    });
    sig.on('waitingRoomChanged', ({ waiting }) => {
      const meeting = inside();
      if (!meeting) return;
      const before = new Set(meeting.waiting.map((w) => w.id));
      meeting.waiting = waiting;
      const arrived = waiting.filter((w) => !before.has(w.id));
      if (arrived.length === 1) this.#view.status('statusWaitingArrived', { name: arrived[0]!.displayName });
      else if (arrived.length > 1) this.#view.status('statusWaitingArrivedMany', { count: String(arrived.length) });
      this.#view.update();
    });
    sig.on('hostAction', ({ action }) => {
      if (inside()) this.#onHostAction(connection, action);
    });
    sig.on('policyChanged', ({ policy }) => {
      const meeting = inside();
      if (!meeting) return;
      meeting.policy = policy;
      this.#view.update();
    });
    sig.on('lockChanged', ({ locked }) => {
      const meeting = inside();
      if (!meeting || meeting.locked === locked) return;
      meeting.locked = locked;
      this.#view.status(locked ? 'statusLocked' : 'statusUnlocked');
      this.#view.update();
    });
    sig.on('chatMessage', (message) => {
      if (inside()) this.#view.chatMessage(message);
    });

    sig.on('producerAdded', ({ participantId, producer }) => {
      const meeting = inside();
      if (!meeting) return;
      const p = meeting.others.get(participantId);
      if (p && !p.producers.some((x) => x.id === producer.id)) p.producers.push(producer);
      void this.#consume(connection, participantId, producer.id);
    });
    sig.on('producerClosed', ({ participantId, producerId }) => {
      const meeting = inside();
      if (!meeting) return;
      connection.closedProducers.add(producerId);
      const p = meeting.others.get(participantId);
      if (p) p.producers = p.producers.filter((x) => x.id !== producerId);
      for (const [id, entry] of connection.consumers) {
        if (entry.producerId === producerId) this.#closeConsumer(connection, id);
      }
      // One of our own, closed by the server (a host forbade the camera or screen sharing).
      for (const [source, producer] of connection.producers) {
        if (producer.id !== producerId) continue;
        if (source === 'screen') void this.#stopScreen(connection, false);
        else if (source === 'camera') this.#closeCamera(connection, false);
        else {
          connection.producers.delete(source);
          producer.close();
          this.#view.update();
        }
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

  /** Our own role or host-controlled permissions changed: act on what was taken away. */
  #applySelf(connection: CallConnection, next: Participant): void {
    const meeting = connection.meeting;
    if (!meeting) return;
    const prev = meeting.self;
    meeting.self = next;
    if (next.mutedByHost && !prev.mutedByHost) this.#micForcedOff(connection);
    if (!next.cameraAllowed && prev.cameraAllowed) this.#closeCamera(connection, true);
    if (!next.screenShareAllowed && prev.screenShareAllowed) void this.#stopScreen(connection, true);
    if (next.role !== prev.role) {
      if (next.role !== 'participant' && prev.role === 'participant') meeting.waiting = [];
      this.#view.status(next.role === 'host' ? 'statusNowHost' : next.role === 'cohost' ? 'statusNowCohost' : 'statusNowParticipant');
    }
    this.#view.update();
  }

  #onHostAction(connection: CallConnection, action: HostAction): void {
    const meeting = connection.meeting;
    if (!meeting) return;
    // participantUpdated carries the same change; this keeps the two in step whichever comes first.
    const self = meeting.self;
    switch (action) {
      case 'muted':
        if (!self.mutedByHost) this.#applySelf(connection, { ...self, mutedByHost: true });
        break;
      case 'unmute-requested':
        if (self.mutedByHost) this.#applySelf(connection, { ...self, mutedByHost: false });
        break;
      case 'camera-disallowed':
      case 'camera-allowed': {
        const allowed = action === 'camera-allowed';
        if (self.cameraAllowed !== allowed) this.#applySelf(connection, { ...self, cameraAllowed: allowed });
        break;
      }
      case 'screen-share-disallowed':
      case 'screen-share-allowed': {
        const allowed = action === 'screen-share-allowed';
        if (self.screenShareAllowed !== allowed) this.#applySelf(connection, { ...self, screenShareAllowed: allowed });
        break;
      }
    }
    this.#view.hostAction(action);
  }

  /** A host muted us (the server paused the microphone): stop sending locally as well. */
  #micForcedOff(connection: CallConnection): void {
    this.#micMuted = true;
    const producer = connection.producers.get('microphone');
    if (producer) producer.pause();
    else for (const t of this.#stream?.getAudioTracks() ?? []) t.enabled = false;
  }

  /** The camera is not allowed (any more): close its producer and release the camera. */
  #closeCamera(connection: CallConnection, tellServer: boolean): void {
    const producer = connection.producers.get('camera');
    if (producer) {
      connection.producers.delete('camera');
      producer.close();
      // The server closes it itself when it forbids the camera; NOT_FOUND then is fine.
      if (tellServer) connection.signaling?.request('closeProducer', { producerId: producer.id }).catch(() => {});
    }
    this.#dropCameraTrack();
    this.#cameraOff = true;
    if (this.#stream) this.#view.showLocal(this.#stream);
    this.#view.update();
  }

  #dropCameraTrack(): void {
    for (const t of this.#stream?.getVideoTracks() ?? []) {
      t.stop();
      this.#stream?.removeTrack(t);
    }
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
      this.#view.addTrack(r.participantId, consumer.id, r.kind, r.source, consumer.track);
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
    this.#stopScreenTrack();
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

  /**
   * Sends `leave` (from the meeting or the waiting room), closes everything and stops camera,
   * microphone and screen sharing. A host may hand the host role to someone.
   */
  async leave(handOverTo?: string): Promise<void> {
    const connection = this.#connection;
    this.#connection = null;
    if (connection) {
      try {
        await connection.signaling?.request('leave', handOverTo ? { handOverTo } : {}, 3000);
      } catch (err) {
        console.warn('[call] leave request failed', err);
      }
      connection.teardown();
    }
    this.#stopScreenTrack();
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

  #stopScreenTrack(): void {
    this.#screenTrack?.stop();
    this.#screenTrack = null;
  }

  /** The signalling of the meeting we are in; NOT_JOINED otherwise. */
  #inside(): { connection: CallConnection; sig: Signaling; meeting: MeetingState } {
    const connection = this.#connection;
    const sig = connection?.signaling;
    const meeting = connection?.meeting;
    if (!connection || !sig || !meeting || (this.#state !== 'joined' && this.#state !== 'joining')) throw new SignalingError('NOT_JOINED', 'not in a meeting');
    return { connection, sig, meeting };
  }

  // ---------------------------------------------------------------------------------------------
  // Own microphone, camera and screen

  /** Mutes or unmutes the microphone, at the server too. Unmuting is refused while a host has it muted. */
  async toggleMic(): Promise<void> {
    const connection = this.#connection;
    const producer = connection?.producers.get('microphone');
    const sig = connection?.signaling;
    if (!this.#micMuted) {
      this.#micMuted = true;
      if (producer) producer.pause();
      else for (const t of this.#stream?.getAudioTracks() ?? []) t.enabled = false;
      this.#view.update();
      this.#view.status('statusMicMuted');
      if (producer && sig) await sig.request('pauseProducer', { producerId: producer.id }).catch((err: unknown) => console.warn('[call] pauseProducer failed', err));
      return;
    }
    const meeting = connection?.meeting;
    if (meeting?.self.mutedByHost) throw new SignalingError('HOST_MUTED', 'muted by a host');
    if (producer && sig && connection) {
      try {
        await sig.request('resumeProducer', { producerId: producer.id });
      } catch (err) {
        if (err instanceof SignalingError && err.code === 'HOST_MUTED' && meeting && this.#connection === connection) {
          this.#applySelf(connection, { ...meeting.self, mutedByHost: true });
        }
        throw err;
      }
      // A host may have muted us while the request was on its way.
      if (this.#connection !== connection || meeting?.self.mutedByHost) return;
      producer.resume();
    } else {
      for (const t of this.#stream?.getAudioTracks() ?? []) t.enabled = true;
    }
    this.#micMuted = false;
    this.#view.update();
    this.#view.status('statusMicOn');
  }

  /** Turns the camera off (paused at the server) or on (resumed, or started again if it was closed). */
  async toggleCamera(): Promise<void> {
    const connection = this.#connection;
    const producer = connection?.producers.get('camera');
    const sig = connection?.signaling;
    if (!this.#cameraOff) {
      this.#cameraOff = true;
      if (producer) producer.pause();
      else for (const t of this.#stream?.getVideoTracks() ?? []) t.enabled = false;
      this.#view.update();
      this.#view.status('statusCameraOff');
      if (producer && sig) await sig.request('pauseProducer', { producerId: producer.id }).catch((err: unknown) => console.warn('[call] pauseProducer failed', err));
      return;
    }
    const meeting = connection?.meeting;
    if (meeting && !meeting.self.cameraAllowed) throw new SignalingError('CAMERA_NOT_ALLOWED', 'camera not allowed');
    if (producer && sig) {
      await sig.request('resumeProducer', { producerId: producer.id });
      if (this.#connection !== connection) return;
      producer.resume();
    } else if (connection?.sendTransport && this.#state === 'joined') {
      await this.#startCamera(connection, connection.sendTransport);
      if (this.#connection !== connection) return;
    } else {
      for (const t of this.#stream?.getVideoTracks() ?? []) t.enabled = true;
    }
    this.#cameraOff = false;
    this.#view.update();
    this.#view.status('statusCameraOn');
  }

  /** The camera again after it was closed (forbidden, then allowed) or absent at first. */
  async #startCamera(connection: CallConnection, send: Transport): Promise<void> {
    let track = this.#stream?.getVideoTracks().find((t) => t.readyState === 'live');
    if (!track) {
      const fresh = await navigator.mediaDevices.getUserMedia({ video: true });
      track = fresh.getVideoTracks()[0];
      if (!track) throw new SignalingError('MEDIA_UNAVAILABLE', 'no camera track');
      if (this.#connection !== connection) {
        track.stop();
        return;
      }
      this.#stream ??= new MediaStream();
      this.#stream.addTrack(track);
    }
    track.enabled = true;
    try {
      const producer = await send.produce({ track, stopTracks: false, codecOptions: { videoGoogleStartBitrate: 1000 }, appData: { source: 'camera' } });
      if (this.#connection !== connection) {
        producer.close();
        return;
      }
      connection.producers.set('camera', producer);
    } catch (err) {
      // Refused (CAMERA_NOT_ALLOWED): release the camera again.
      this.#dropCameraTrack();
      throw err;
    } finally {
      if (this.#stream) this.#view.showLocal(this.#stream);
    }
  }

  /** Starts sharing the screen (the browser asks what to share) or stops it. */
  async toggleScreenShare(): Promise<void> {
    const { connection, meeting } = this.#inside();
    if (this.#screenTrack) {
      await this.#stopScreen(connection, true);
      return;
    }
    const send = connection.sendTransport;
    if (!send || this.#state !== 'joined') throw new SignalingError('NOT_JOINED', 'not in a meeting yet');
    if (!meeting.self.screenShareAllowed) throw new SignalingError('SCREEN_SHARE_NOT_ALLOWED', 'screen sharing not allowed');
    let display: MediaStream;
    try {
      // Straight from the click: the browser needs the user gesture for its picker.
      display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (err) {
      console.warn('[call] getDisplayMedia failed', err);
      throw new SignalingError('SCREEN_SHARE_FAILED', String(err));
    }
    const track = display.getVideoTracks()[0];
    for (const t of display.getAudioTracks()) t.stop();
    if (!track) return;
    if (this.#connection !== connection || this.#screenTrack) {
      track.stop();
      return;
    }
    this.#screenTrack = track;
    // "Stop sharing" in the browser's own bar ends the track.
    track.addEventListener('ended', () => {
      if (this.#screenTrack === track) void this.#stopScreen(connection, true);
    });
    this.#view.update();
    try {
      const producer = await send.produce({ track, stopTracks: false, appData: { source: 'screen' } });
      if (this.#connection !== connection || this.#screenTrack !== track) {
        producer.close();
        connection.signaling?.request('closeProducer', { producerId: producer.id }).catch(() => {});
        return;
      }
      connection.producers.set('screen', producer);
    } catch (err) {
      if (this.#screenTrack === track) this.#stopScreenTrack();
      track.stop();
      this.#view.update();
      throw err;
    }
    this.#view.status('statusScreenSharing');
  }

  async #stopScreen(connection: CallConnection, tellServer: boolean): Promise<void> {
    const producer = connection.producers.get('screen');
    connection.producers.delete('screen');
    const wasSharing = this.#screenTrack !== null || producer !== undefined;
    this.#stopScreenTrack();
    if (wasSharing) {
      this.#view.update();
      this.#view.status('statusScreenStopped');
    }
    if (producer) {
      producer.close();
      if (tellServer) await connection.signaling?.request('closeProducer', { producerId: producer.id }).catch((err: unknown) => console.warn('[call] closeProducer failed', err));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Chat and host controls

  /** Sends a chat message to everyone or to one participant; shows it once sent. */
  async sendChat(text: string, to: string | null): Promise<void> {
    const { sig, meeting } = this.#inside();
    const { messageId } = await sig.request('sendChat', to ? { text, to } : { text });
    // The server may or may not echo it to the sender: the view shows each id once.
    this.#view.chatMessage({ id: messageId, from: meeting.self.id, fromName: meeting.self.displayName, to, text, at: Date.now() });
  }

  /** A host control (FORBIDDEN for participants; the server decides). */
  async hostRequest<M extends HostMethod>(method: M, params: Params<M>): Promise<Result<M>> {
    const { sig } = this.#inside();
    return sig.request<MethodName & M>(method, params);
  }

  async updatePolicy(patch: PolicyPatch): Promise<void> {
    const { connection, sig } = this.#inside();
    const { policy } = await sig.request('updatePolicy', { policy: patch });
    if (this.#connection === connection && connection.meeting) connection.meeting.policy = policy;
    this.#view.update();
  }

  async setLocked(locked: boolean): Promise<void> {
    const { connection, sig } = this.#inside();
    await sig.request('setLocked', { locked });
    const meeting = connection.meeting;
    if (this.#connection === connection && meeting && meeting.locked !== locked) {
      meeting.locked = locked;
      this.#view.status(locked ? 'statusLocked' : 'statusUnlocked');
    }
    this.#view.update();
  }

  /** Ends the meeting for everyone (hosts); everyone, this page included, leaves the call. */
  async endForEveryone(): Promise<void> {
    const { connection, sig } = this.#inside();
    try {
      await sig.request('endMeeting', {});
    } catch (err) {
      // `meetingEnded` reached this page first and closed its socket: that is success.
      if (this.#connection !== connection && this.#state === 'ended') return;
      throw err;
    }
    if (this.#connection === connection) this.#end(connection, 'MEETING_ENDED');
  }

  /** inbound-rtp figures of every remote consumer (for tests and the bench). */
  async stats(): Promise<ConsumerStats[]> {
    const connection = this.#connection;
    if (!connection) return [];
    return consumerStats([...connection.consumers.values()]);
  }
}
