/**
 * The call: what the meeting page drives. Knows nothing about the DOM; it drives a `CallView`
 * (implemented in views/meeting.ts).
 *
 * A call is a sequence of sessions (session.ts), one per signalling socket: the first from the
 * user's click on "Unirse", another when the server asks us to join again. Each session owns
 * what it opened (transports, producers, consumers, the E2EE Worker, host controls, chat) and is
 * closed whole; the call keeps only what outlives a session: its state, the person's camera and
 * microphone (local-media.ts), and how many automatic re-joins are left.
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
import type { Params, Result } from '../../../protocol/signaling.ts';
import type { E2eeStatus } from '../../e2ee/session.ts';
import type { AnyErrorCode } from '../errors.ts';
import type { ConsumerStats } from '../media.ts';
import { SignalingError } from '../signaling.ts';
import { prepareKeyPairs, type E2eeView } from './e2ee.ts';
import type { IceRoute } from './ice.ts';
import { LocalMedia } from './local-media.ts';
import type { MeetingState, PolicyPatch, WaitingReason } from './meeting-state.ts';
import { CallSession, type Inside } from './session.ts';
import type { CallState, CallView, HostMethod, JoinOptions } from './types.ts';

export type { CallState, CallView, HostMethod, JoinOptions, MediaKind, Source } from './types.ts';

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** How long a lost connection is retried before the call says so and stops. */
const RECOVERY_MS = 60_000;

export class Call {
  readonly #view: CallView;
  readonly #local: LocalMedia;
  #state: CallState = 'idle';
  #errorCode: AnyErrorCode | null = null;
  #opts: JoinOptions | null = null;
  #session: CallSession | null = null;
  #participantId: string | null = null;
  /** Automatic re-joins allowed for the current `reconnect` notice. */
  #reconnectsLeft = 1;
  /** After a lost connection: until when new sessions are tried, and the next pause. */
  #recovering: { until: number; pauseMs: number } | null = null;

  constructor(view: CallView) {
    this.#view = view;
    this.#local = new LocalMedia(view);
    prepareKeyPairs();
  }

  get state(): CallState {
    return this.#state;
  }
  get errorCode(): AnyErrorCode | null {
    return this.#errorCode;
  }
  /** Our id in the meeting, once inside (kept after leaving, for the page and tests). */
  get participantId(): string | null {
    return this.#participantId;
  }
  get micMuted(): boolean {
    return this.#local.micMuted;
  }
  get cameraOff(): boolean {
    return this.#local.cameraOff;
  }
  get screenSharing(): boolean {
    return this.#session?.inside?.own.screenSharing ?? false;
  }
  /** Whether there is a microphone to turn on and off. */
  get hasMicrophone(): boolean {
    return this.#session?.inside?.own.hasMicrophone ?? false;
  }
  /** Inside a meeting: what the client knows about it; null otherwise (also while waiting). */
  get meeting(): MeetingState | null {
    return this.#state === 'joined' || this.#state === 'joining' ? (this.#session?.inside?.meeting ?? null) : null;
  }
  /** In the waiting room: why. */
  get waitingReason(): WaitingReason | null {
    return this.#state === 'waiting' ? (this.#session?.waitingReason ?? null) : null;
  }

  /** Joins (or enters the waiting room). Call only from a user gesture: it leads to camera and microphone. */
  async join(opts: JoinOptions): Promise<void> {
    if (this.#state === 'joining' || this.#state === 'waiting' || this.#state === 'joined') return;
    this.#opts = opts;
    this.#reconnectsLeft = 1;
    this.#recovering = null;
    this.#participantId = null;
    this.#local.reset();
    this.#setState('joining');
    if (!navigator.mediaDevices?.getUserMedia) {
      this.#setState('error', 'UNSUPPORTED');
      return;
    }
    await this.#connect();
  }

  /**
   * Sends `leave` (from the meeting or the waiting room), closes everything and stops camera,
   * microphone and screen sharing. A host may hand the host role to someone.
   */
  async leave(handOverTo?: string): Promise<void> {
    prepareKeyPairs();
    this.#recovering = null;
    const session = this.#session;
    this.#session = null;
    await session?.leave(handOverTo, 3000);
    this.#release(session);
    this.#setState('left');
    this.#view.status('statusLeft');
  }

  /** How the page shows the videos it receives (sent to the server, which picks layers and pauses hidden ones). */
  async showTiles(tiles: readonly { consumerId: string; visible: boolean; height: number }[]): Promise<void> {
    await this.#session?.inside?.remote.showTiles(tiles);
  }

  /** Mutes or unmutes the microphone, at the server too. Unmuting is refused while a host has it muted. */
  async toggleMic(): Promise<void> {
    const own = this.#session?.inside?.own;
    if (own) return own.toggleMic();
    this.#local.micMuted = !this.#local.micMuted;
    this.#local.setTracksEnabled('microphone', !this.#local.micMuted);
    this.#view.update();
  }

  /** Turns the camera off (paused at the server) or on (resumed, or started again if it was closed). */
  async toggleCamera(): Promise<void> {
    const own = this.#session?.inside?.own;
    if (own) return own.toggleCamera();
    this.#local.cameraOff = !this.#local.cameraOff;
    this.#local.setTracksEnabled('camera', !this.#local.cameraOff);
    this.#view.update();
  }

  /** Starts sharing the screen (the browser asks what to share) or stops it. */
  toggleScreenShare(): Promise<void> {
    return this.#inside().own.toggleScreenShare();
  }

  /** Sends a chat message to everyone or to one participant; shows it once sent. */
  sendChat(text: string, to: string | null): Promise<void> {
    return this.#inside().chat.send(text, to);
  }

  /** A host control (FORBIDDEN for participants; the server decides). */
  hostRequest<M extends HostMethod>(method: M, params: Params<M>): Promise<Result<M>> {
    return this.#inside().host.request(method, params);
  }

  updatePolicy(patch: PolicyPatch): Promise<void> {
    return this.#inside().host.updatePolicy(patch);
  }

  setLocked(locked: boolean): Promise<void> {
    return this.#inside().host.setLocked(locked);
  }

  /** Ends the meeting for everyone (hosts); everyone, this page included, leaves the call. */
  endForEveryone(): Promise<void> {
    this.#inside();
    return this.#session!.endForEveryone();
  }

  /**
   * End-to-end encryption as the page shows it: null outside a meeting, `off` in a meeting without
   * it, otherwise the key status (the lock only when `complete`: every other participant's key is
   * here and everything we send is encrypted, which the transforms guarantee from the first frame).
   */
  get e2ee(): { mode: 'off' } | { mode: 'on'; status: E2eeStatus | null } | null {
    const meeting = this.meeting;
    if (!meeting) return null;
    if (!meeting.policy.e2ee) return { mode: 'off' };
    return { mode: 'on', status: this.#session?.inside?.e2ee?.status ?? null };
  }

  /** Key status plus the transform Worker's per-stream counters (tests and the bench). */
  async e2eeStats(): Promise<E2eeView | null> {
    return (await this.#session?.inside?.e2ee?.view()) ?? null;
  }

  /** How each transport reaches the SFU (for tests and the bench). */
  async iceRoutes(): Promise<IceRoute[]> {
    return (await this.#session?.iceRoutes()) ?? [];
  }

  /** inbound-rtp figures of every remote consumer (for tests and the bench). */
  async stats(): Promise<ConsumerStats[]> {
    return (await this.#session?.inside?.remote.stats()) ?? [];
  }

  #setState(state: CallState, errorCode: AnyErrorCode | null = null): void {
    this.#state = state;
    this.#errorCode = errorCode;
    this.#view.setState(state, errorCode);
    this.#view.update();
  }

  /** The parts of the session we are inside; NOT_JOINED otherwise. */
  #inside(): Inside {
    const inside = this.#session?.inside;
    if (!inside || (this.#state !== 'joined' && this.#state !== 'joining')) throw new SignalingError('NOT_JOINED', 'not in a meeting');
    return inside;
  }

  async #connect(): Promise<void> {
    const opts = this.#opts;
    if (!opts) return;
    const session = new CallSession(opts, this.#local, this.#view, {
      waiting: (reason) => {
        // Nothing is sent from the waiting room: camera and microphone stay off until admitted.
        this.#local.stop();
        this.#setState('waiting');
        this.#recovered();
        this.#view.status(reason === 'no-host' ? 'statusWaitingNoHost' : 'statusWaitingRoom');
      },
      entering: (selfId) => {
        this.#participantId = selfId;
        if (this.#state !== 'joining') this.#setState('joining');
        this.#view.update();
      },
      joined: () => {
        this.#reconnectsLeft = 1;
        this.#setState('joined');
        this.#recovered();
      },
      failed: (code) => (this.#mayRecover(code) ? void this.#recover() : this.#finish('error', code)),
      ended: (code) => this.#finish('ended', code),
      reconnect: (reason) => void this.#rejoin(reason),
    });
    this.#session = session;
    await session.start();
  }

  /** The current session is over (failed, or the meeting ended for us): everything stops. */
  #finish(state: 'error' | 'ended', code: AnyErrorCode): void {
    this.#recovering = null;
    const session = this.#session;
    this.#session = null;
    this.#release(session);
    if (state === 'ended') this.#view.status('statusCallEnded');
    this.#setState(state, code);
  }

  /** Closes a session and what it showed; camera and microphone too unless `keepLocal` (a re-join uses them). */
  #release(session: CallSession | null, keepLocal = false): void {
    session?.close();
    this.#view.clearRemote();
    if (!keepLocal) this.#local.stop();
  }

  /**
   * The connection to the server was lost (a network blip, the server restarting or killed): new
   * sessions, with growing pauses, for up to a minute — the server gives people their places back
   * (the admitted straight in, co-hosts, the lock). A refusal (signed out, banned, …) ends it.
   */
  #mayRecover(code: AnyErrorCode): boolean {
    if (this.#recovering) return (code === 'CONNECTION_FAILED' || code === 'CONNECTION_LOST') && Date.now() < this.#recovering.until;
    return code === 'CONNECTION_LOST' && (this.#state === 'joined' || this.#state === 'joining' || this.#state === 'waiting');
  }

  async #recover(session = this.#session, said: 'statusConnectionLost' | 'statusServerRestarting' = 'statusConnectionLost', firstPauseMs = 500): Promise<void> {
    this.#session = null;
    const wasInside = this.#state === 'joined' || this.#state === 'joining';
    if (!this.#recovering) {
      this.#recovering = { until: Date.now() + RECOVERY_MS, pauseMs: firstPauseMs };
      console.warn('[call] connection lost; reconnecting');
    }
    // Camera and microphone stay on for the way back in (not in the waiting room: they were off).
    this.#release(session, wasInside && this.#local.stream !== null);
    this.#setState('joining');
    // After the state (showing 'joining' clears the alert region), on every attempt.
    this.#view.alert(said);
    const pause = this.#recovering.pauseMs;
    this.#recovering.pauseMs = Math.min(pause * 2, 4000);
    await delay(pause);
    if (this.#state !== 'joining' || this.#session !== null) return;
    await this.#connect();
  }

  /** Back in (or in the waiting room) after a lost connection: said once. */
  #recovered(): void {
    if (!this.#recovering) return;
    this.#recovering = null;
    this.#view.alert('statusConnectionBack');
  }

  /** The server asked us to join again: a new session, once per notice (else the call fails). */
  async #rejoin(reason: string): Promise<void> {
    console.warn(`[call] server asked to reconnect: ${reason}`);
    const session = this.#session;
    this.#session = null;
    this.#view.status('statusReconnecting');
    await session?.leave(undefined, 2000);
    // A server shutting down comes back later: keep trying as after a lost connection.
    if (reason === 'server-shutdown' && this.#state !== 'left') return this.#recover(session, 'statusServerRestarting', 1500);
    const givingUp = this.#reconnectsLeft <= 0 || this.#state === 'left';
    this.#release(session, !givingUp);
    if (givingUp) {
      this.#setState('error', 'CONNECTION_LOST');
      return;
    }
    this.#reconnectsLeft--;
    this.#setState('joining');
    await delay(300);
    if (this.#state !== 'joining' || this.#session !== null) return;
    await this.#connect();
  }
}
