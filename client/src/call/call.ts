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
 *
 * The pieces: call-join.ts (join, admission, re-join, leave), call-notifications.ts (what the
 * server tells us), call-own-media.ts (own microphone and camera), call-screen.ts (screen
 * sharing), call-remote-media.ts (the others' media), call-chat.ts, call-host.ts (host controls),
 * all acting on the state in call-core.ts.
 */
import type { Params, Result } from '../../protocol/signaling.ts';
import { sendChat } from './call-chat.ts';
import { CallCore } from './call-core.ts';
import { endForEveryone, hostRequest, setLocked, updatePolicy } from './call-host.ts';
import { join, leave } from './call-join.ts';
import { toggleCamera, toggleMic } from './call-own-media.ts';
import { toggleScreenShare } from './call-screen.ts';
import type { CallState, CallView, HostMethod, JoinOptions } from './call-types.ts';
import type { AnyErrorCode } from './errors.ts';
import { prepareKeyPairs, type E2eeView } from './call-e2ee.ts';
import type { E2eeStatus } from '../e2ee/session.ts';
import { consumerStats, type ConsumerStats } from './media.ts';
import type { MeetingState, PolicyPatch, WaitingReason } from './meeting-state.ts';

export type { CallState, CallView, HostMethod, JoinOptions, MediaKind, Source } from './call-types.ts';

export class Call {
  readonly #core: CallCore;

  constructor(view: CallView) {
    this.#core = new CallCore(view);
    prepareKeyPairs();
  }

  get state(): CallState {
    return this.#core.state;
  }
  get errorCode(): AnyErrorCode | null {
    return this.#core.errorCode;
  }
  get participantId(): string | null {
    return this.#core.participantId;
  }
  get micMuted(): boolean {
    return this.#core.micMuted;
  }
  get cameraOff(): boolean {
    return this.#core.cameraOff;
  }
  get screenSharing(): boolean {
    return this.#core.screenTrack !== null;
  }
  /** Whether there is a microphone to turn on and off. */
  get hasMicrophone(): boolean {
    return this.#core.connection?.producers.has('microphone') ?? false;
  }
  /** Inside a meeting: what the client knows about it; null otherwise (also while waiting). */
  get meeting(): MeetingState | null {
    const core = this.#core;
    return core.state === 'joined' || core.state === 'joining' ? (core.connection?.meeting ?? null) : null;
  }
  /** In the waiting room: why. */
  get waitingReason(): WaitingReason | null {
    const core = this.#core;
    return core.state === 'waiting' ? (core.connection?.waiting ?? null) : null;
  }

  /** Joins (or enters the waiting room). Call only from a user gesture: it leads to camera and microphone. */
  join(opts: JoinOptions): Promise<void> {
    return join(this.#core, opts);
  }

  /**
   * Sends `leave` (from the meeting or the waiting room), closes everything and stops camera,
   * microphone and screen sharing. A host may hand the host role to someone.
   */
  leave(handOverTo?: string): Promise<void> {
    prepareKeyPairs();
    return leave(this.#core, handOverTo);
  }

  /** Mutes or unmutes the microphone, at the server too. Unmuting is refused while a host has it muted. */
  toggleMic(): Promise<void> {
    return toggleMic(this.#core);
  }

  /** Turns the camera off (paused at the server) or on (resumed, or started again if it was closed). */
  toggleCamera(): Promise<void> {
    return toggleCamera(this.#core);
  }

  /** Starts sharing the screen (the browser asks what to share) or stops it. */
  toggleScreenShare(): Promise<void> {
    return toggleScreenShare(this.#core);
  }

  /** Sends a chat message to everyone or to one participant; shows it once sent. */
  sendChat(text: string, to: string | null): Promise<void> {
    return sendChat(this.#core, text, to);
  }

  /** A host control (FORBIDDEN for participants; the server decides). */
  hostRequest<M extends HostMethod>(method: M, params: Params<M>): Promise<Result<M>> {
    return hostRequest(this.#core, method, params);
  }

  updatePolicy(patch: PolicyPatch): Promise<void> {
    return updatePolicy(this.#core, patch);
  }

  setLocked(locked: boolean): Promise<void> {
    return setLocked(this.#core, locked);
  }

  /** Ends the meeting for everyone (hosts); everyone, this page included, leaves the call. */
  endForEveryone(): Promise<void> {
    return endForEveryone(this.#core);
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
    return { mode: 'on', status: this.#core.connection?.e2ee?.status ?? null };
  }

  /** Key status plus the transform Worker's per-stream counters (tests and the bench). */
  async e2eeStats(): Promise<E2eeView | null> {
    return (await this.#core.connection?.e2ee?.view()) ?? null;
  }

  /** inbound-rtp figures of every remote consumer (for tests and the bench). */
  async stats(): Promise<ConsumerStats[]> {
    const connection = this.#core.connection;
    if (!connection) return [];
    return consumerStats([...connection.consumers.values()]);
  }
}
