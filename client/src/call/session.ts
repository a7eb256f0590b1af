/**
 * One call session: one signalling socket from connect to close — the join, the waiting room,
 * and once inside, the parts it owns (what we send, what we receive, end-to-end encryption,
 * host controls, chat), fed by what the server tells this socket. A re-join makes a new session;
 * a closed one is silent (its page and events are gated by its `Lifetime`, its socket dispatches
 * nothing more), so no part ever asks whether it is still current.
 */
import { Device } from 'mediasoup-client';
import type { RtpCapabilities, Transport, TransportOptions } from 'mediasoup-client/types';
import { CloseCode } from '../../../protocol/close-codes.ts';
import type { NotificationName, NotificationParams } from '../../../protocol/signaling.ts';
import type { AnyErrorCode } from '../errors.ts';
import { errorCodeOf } from '../media.ts';
import { Signaling, SignalingError } from '../signaling.ts';
import { Chat } from './chat.ts';
import { CallE2ee, produceOptions, transformSupport } from './e2ee.ts';
import { HostControls } from './host-controls.ts';
import { IceKeeper, type IceRoute } from './ice.ts';
import { Lifetime, SessionClosed } from './lifetime.ts';
import type { LocalMedia } from './local-media.ts';
import { MeetingState, type HostAction, type MeetingInfo, type Participant, type WaitingReason } from './meeting-state.ts';
import { OwnMedia } from './own-media.ts';
import { RemoteMedia } from './remote-media.ts';
import type { CallView, JoinOptions } from './types.ts';

/** What a session tells its call (nothing once it is closed). */
export type SessionEvents = {
  /** In the waiting room (nothing is sent from there). */
  waiting(reason: WaitingReason): void;
  /** Inside the meeting, setting up media. */
  entering(selfId: string): void;
  /** Inside with media. */
  joined(): void;
  /** The join or the connection failed. */
  failed(code: AnyErrorCode): void;
  /** The meeting ended for this person: denied, removed, banned, ended by a host. */
  ended(code: AnyErrorCode): void;
  /** The server asks us to join again (a media failure, a restart). */
  reconnect(reason: NotificationParams<'reconnect'>['reason']): void;
};

/** The parts of a session inside the meeting. */
export type Inside = { meeting: MeetingState; own: OwnMedia; remote: RemoteMedia; host: HostControls; chat: Chat; e2ee: CallE2ee | null };

export class CallSession {
  readonly #life = new Lifetime();
  readonly #opts: JoinOptions;
  readonly #local: LocalMedia;
  readonly #view: CallView;
  readonly #events: SessionEvents;
  #sig: Signaling | null = null;
  #waiting: WaitingReason | null = null;
  #inside: Inside | null = null;
  #device: Device | null = null;
  #transports: Transport[] = [];
  #ice: IceKeeper | null = null;

  constructor(opts: JoinOptions, local: LocalMedia, view: CallView, events: SessionEvents) {
    this.#opts = opts;
    this.#local = local;
    this.#view = this.#life.gate(view);
    this.#events = this.#life.gate(events);
  }

  /** In the waiting room: why. */
  get waitingReason(): WaitingReason | null {
    return this.#waiting;
  }

  /** Inside the meeting: its parts; null before (and while waiting). */
  get inside(): Inside | null {
    return this.#inside;
  }

  /** Connects and joins: into the meeting, or into the waiting room. Failures become `failed`. */
  async start(): Promise<void> {
    const opts = this.#opts;
    try {
      this.#view.status('statusConnecting');
      const sig = await this.#life.live(Signaling.connect(opts.wsUrl), (s) => s.close());
      this.#sig = sig;
      this.#listen(sig);
      // The server refuses an end-to-end encrypted meeting to a browser that cannot encrypt.
      const joined = await this.#life.live(sig.request('join', { meetingId: opts.meetingId, e2ee: transformSupport() !== null }));
      if (joined.status === 'waiting') {
        this.#waiting = joined.reason;
        this.#events.waiting(joined.reason);
        return;
      }
      await this.#enter(joined.meeting);
    } catch (err) {
      await this.#failed(err);
    }
  }

  /** How each transport reaches the SFU (its selected candidate pair). */
  iceRoutes(): Promise<IceRoute[]> {
    return this.#ice?.routes() ?? Promise.resolve([]);
  }

  /** Leaves politely (`leave`, with the host role handed to someone, if given), then closes. */
  async leave(handOverTo: string | undefined, timeoutMs: number): Promise<void> {
    this.#life.close();
    try {
      await this.#sig?.request('leave', handOverTo ? { handOverTo } : {}, timeoutMs);
    } catch (err) {
      console.warn('[call] leave request failed (the server may be gone already)', err);
    }
    this.close();
  }

  /** Ends the meeting for everyone (hosts): everyone, this page included, leaves the call. */
  async endForEveryone(): Promise<void> {
    try {
      await this.#life.live(this.#request().request('endMeeting', {}));
    } catch (err) {
      // `meetingEnded` reached this page first and closed the session: that is success.
      if (this.#life.closed) return;
      throw err;
    }
    this.#events.ended('MEETING_ENDED');
  }

  /** Closes everything the session opened; idempotent. Camera and microphone are the call's. */
  close(): void {
    this.#life.close();
    this.#inside?.own.close();
    this.#inside?.remote.close();
    this.#ice?.close();
    for (const t of this.#transports) t.close();
    this.#sig?.close();
    this.#inside?.e2ee?.close();
  }

  #request(): Signaling {
    if (!this.#sig) throw new SignalingError('NOT_JOINED', 'not connected');
    return this.#sig;
  }

  async #failed(err: unknown): Promise<void> {
    if (err instanceof SessionClosed || this.#life.closed) return;
    console.error('[call] join failed', err);
    const code = errorCodeOf(err);
    const signedOut = code === 'CONNECTION_FAILED' && !(await this.#opts.stillSignedIn());
    this.#events.failed(signedOut ? this.#sessionEndedCode : code);
  }

  get #sessionEndedCode(): AnyErrorCode {
    return this.#opts.sessionEndedCode ?? 'SESSION_ENDED';
  }

  /** Inside the meeting (joined directly, or admitted): media on, transports, produce, consume. */
  async #enter(info: MeetingInfo): Promise<void> {
    const sig = this.#request();
    const life = this.#life;
    const view = this.#view;
    const local = this.#local;
    const meeting = new MeetingState(info);
    this.#waiting = null;
    // Created before anything is awaited, so key notifications arriving meanwhile are kept. Keys
    // are generated and announced while camera and transports are set up; producing waits for them
    // (the server refuses media before our keys are announced).
    let e2ee: CallE2ee | null = null;
    let e2eeStarted: Promise<void> = Promise.resolve();
    if (info.policy.e2ee) {
      const mode = transformSupport();
      if (!mode) throw new SignalingError('E2EE_UNSUPPORTED', 'this browser cannot encrypt media end to end');
      e2ee = new CallE2ee(mode, () => view.update());
      e2eeStarted = e2ee.start({ meetingId: this.#opts.meetingId, selfId: info.self.id, sig, peers: [...meeting.others.values()] });
      // Awaited before producing; until then a failure must not count as unhandled.
      e2eeStarted.catch(() => {});
    }
    const own = new OwnMedia({
      life,
      sig,
      local,
      view,
      self: () => meeting.self,
      heardHostMute: () => this.#applySelf({ ...meeting.self, mutedByHost: true }),
      produceOptions: (kind) => produceOptions({ e2ee, device: this.#device }, kind),
    });
    const remote = new RemoteMedia({
      life,
      sig,
      view,
      present: (id) => meeting.others.has(id),
      receiverHook: e2ee ? (kind, senderId) => e2ee.receiverHook(kind, senderId) : null,
    });
    this.#inside = { meeting, own, remote, e2ee, host: new HostControls(sig, meeting, view), chat: new Chat(sig, meeting, e2ee, view) };
    // A host's mute holds across a re-join; mute on entry is the server's to apply (produce says so).
    if (info.self.mutedByHost) local.micMuted = true;
    this.#events.entering(info.self.id);
    for (const p of meeting.others.values()) view.addParticipant(p.id, p.displayName);
    // Consuming waits for the receive transport; start it now so it runs alongside the rest.
    const consuming = [...meeting.others.values()].flatMap((p) => p.producers.map((pr) => remote.consume(p.id, pr.id)));

    // Only now, inside the meeting after the user's click: camera (if allowed) and microphone.
    if (!local.stream) view.status('statusMedia');
    const stream = await local.acquire(meeting.self.cameraAllowed, life);
    if (!meeting.self.cameraAllowed) local.dropCamera();
    local.apply();
    view.status('statusConnecting');

    const device = new Device();
    await life.live(device.load({ routerRtpCapabilities: info.routerRtpCapabilities as RtpCapabilities }));
    this.#device = device;
    const [sendInfo, recvInfo] = await life.live(
      Promise.all([sig.request('createTransport', { direction: 'send' }), sig.request('createTransport', { direction: 'recv' })]),
    );
    const additionalSettings = e2ee?.peerConnectionSettings ?? {};
    const send = device.createSendTransport({ ...(sendInfo as TransportOptions), additionalSettings });
    const recv = device.createRecvTransport({ ...(recvInfo as TransportOptions), additionalSettings });
    this.#transports = [send, recv];
    this.#ice = new IceKeeper(sig, life);
    for (const transport of this.#transports) {
      transport.on('connect', ({ dtlsParameters }, callback, errback) => {
        sig.request('connectTransport', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
      });
      this.#ice?.watch(transport);
    }
    own.attach(send);
    remote.attach(device, recv);

    await life.live(e2eeStarted);
    await own.produceAll(stream);
    this.#events.joined();
    if (meeting.others.size === 0) view.status(local.micMuted ? 'statusAloneMuted' : 'statusAlone');
    else view.status(local.micMuted ? 'statusJoinedMuted' : 'statusJoined');
    await Promise.all(consuming);
  }

  /** What the server tells this socket. */
  #listen(sig: Signaling): void {
    const view = this.#view;
    const events = this.#events;
    /** A notification that only means something inside the meeting. */
    const inside = <N extends NotificationName>(name: N, handler: (parts: Inside, params: NotificationParams<N>) => void) =>
      sig.on(name, (params) => {
        if (this.#inside) handler(this.#inside, params);
      });

    sig.onClose((code) => {
      console.warn(`[call] signalling socket closed (${code})`);
      events.failed(code === CloseCode.SESSION_ENDED ? this.#sessionEndedCode : 'CONNECTION_LOST');
    });
    sig.on('admitted', ({ meeting }) => {
      if (this.#waiting === null) return;
      view.status('statusAdmitted');
      this.#enter(meeting).catch((err: unknown) => this.#failed(err));
    });
    sig.on('denied', () => events.ended('DENIED'));
    sig.on('removed', ({ banned }) => events.ended(banned ? 'BANNED' : 'REMOVED'));
    sig.on('meetingEnded', () => events.ended('MEETING_ENDED'));
    sig.on('reconnect', ({ reason }) => events.reconnect(reason));
    // Kept in the alert region (inside or waiting): the call will end, and why.
    sig.on('serverDraining', ({ graceSeconds }) => view.alert('statusServerDraining', { seconds: String(graceSeconds) }));

    inside('participantJoined', ({ meeting, remote, e2ee }, { participant }) => {
      meeting.others.set(participant.id, participant);
      view.addParticipant(participant.id, participant.displayName);
      e2ee?.peerJoined(participant.id);
      view.status('statusParticipantJoined', { name: participant.displayName });
      for (const pr of participant.producers) void remote.consume(participant.id, pr.id);
      view.update();
    });
    inside('participantLeft', ({ meeting, remote, e2ee }, { participantId }) => {
      remote.participantLeft(participantId);
      e2ee?.peerLeft(participantId);
      const name = meeting.others.get(participantId)?.displayName;
      meeting.others.delete(participantId);
      view.removeParticipant(participantId);
      if (name !== undefined) view.status('statusParticipantLeft', { name });
      view.update();
    });
    inside('dominantSpeaker', (_, { participantId }) => view.speaker(participantId));
    inside('participantUpdated', ({ meeting }, { participant }) => {
      if (participant.id === meeting.self.id) this.#applySelf(participant);
      else if (meeting.others.has(participant.id)) {
        meeting.others.set(participant.id, participant);
        view.update();
      }
    });
    inside('waitingRoomChanged', ({ meeting }, { waiting }) => {
      meeting.waiting = waiting;
      if (waiting.length === 1) view.status('statusWaitingArrived', { name: waiting[0]!.displayName });
      else if (waiting.length > 1) view.status('statusWaitingArrivedMany', { count: String(waiting.length) });
      view.update();
    });
    inside('waitingAdded', ({ meeting }, { entry }) => {
      meeting.waiting = [...meeting.waiting.filter((w) => w.id !== entry.id), entry];
      view.status('statusWaitingArrived', { name: entry.displayName });
      view.update();
    });
    inside('waitingRemoved', ({ meeting }, { waitingId }) => {
      meeting.waiting = meeting.waiting.filter((w) => w.id !== waitingId);
      view.update();
    });
    inside('passwordChanged', (_, { password }) => {
      // Kept in the alert region: the host needs it to invite again (a status line is soon replaced).
      if (password !== undefined) view.alert('statusMeetingPasswordChangedTo', { password });
      else view.alert('statusMeetingPasswordChanged');
    });
    inside('hostAction', (_, { action }) => this.#onHostAction(action));
    inside('policyChanged', ({ meeting }, { policy }) => {
      meeting.policy = policy;
      view.update();
    });
    inside('lockChanged', ({ host }, { locked }) => {
      host.lockChanged(locked);
      view.update();
    });
    inside('chatMessage', ({ chat }, message) => chat.received(message));
    inside('e2eeKeysAnnounced', ({ meeting, e2ee }, { participantId, bundle }) => {
      // Only for someone in the participant list (the session refuses anyone it was not told of).
      if (meeting.others.has(participantId)) e2ee?.peerAnnounced(participantId, bundle);
    });
    inside('e2eeKey', ({ e2ee }, { from, blob }) => e2ee?.keyReceived(from, blob));
    inside('producerAdded', ({ meeting, remote }, { participantId, producer }) => {
      const p = meeting.others.get(participantId);
      if (!p) return;
      if (!p.producers.some((x) => x.id === producer.id)) p.producers.push(producer);
      void remote.consume(participantId, producer.id);
    });
    inside('producerClosed', ({ meeting, remote, own }, { participantId, producerId }) => {
      remote.producerClosed(producerId);
      const p = meeting.others.get(participantId);
      if (p) p.producers = p.producers.filter((x) => x.id !== producerId);
      own.closedByServer(producerId);
    });
    inside('consumerClosed', ({ remote }, { consumerId }) => remote.closeConsumer(consumerId));
  }

  /** Our own role or host-controlled permissions changed: act on what was taken away. */
  #applySelf(next: Participant): void {
    const parts = this.#inside;
    if (!parts) return;
    const { meeting, own } = parts;
    const prev = meeting.self;
    const sawWaitingRoom = meeting.may('admit');
    meeting.self = next;
    if (next.mutedByHost && !prev.mutedByHost) own.forcedMute();
    if (!next.cameraAllowed && prev.cameraAllowed) own.cameraForbidden(true);
    if (!next.screenShareAllowed && prev.screenShareAllowed) own.screenForbidden(true);
    // The server sends the whole waiting room to someone who may now admit.
    if (meeting.may('admit') && !sawWaitingRoom) meeting.waiting = [];
    if (next.role !== prev.role)
      this.#view.status(next.role === 'host' ? 'statusNowHost' : next.role === 'cohost' ? 'statusNowCohost' : 'statusNowParticipant');
    this.#view.update();
  }

  /** What a host did to us. `participantUpdated` carries the same change; this keeps the two in step whichever comes first. */
  #onHostAction(action: HostAction): void {
    const self = this.#inside?.meeting.self;
    if (!self) return;
    switch (action) {
      case 'muted':
        if (!self.mutedByHost) this.#applySelf({ ...self, mutedByHost: true });
        break;
      case 'unmute-requested':
        if (self.mutedByHost) this.#applySelf({ ...self, mutedByHost: false });
        break;
      case 'camera-disallowed':
      case 'camera-allowed': {
        const allowed = action === 'camera-allowed';
        if (self.cameraAllowed !== allowed) this.#applySelf({ ...self, cameraAllowed: allowed });
        break;
      }
      case 'screen-share-disallowed':
      case 'screen-share-allowed': {
        const allowed = action === 'screen-share-allowed';
        if (self.screenShareAllowed !== allowed) this.#applySelf({ ...self, screenShareAllowed: allowed });
        break;
      }
    }
    this.#view.hostAction(action);
  }
}
