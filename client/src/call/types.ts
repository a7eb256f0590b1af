/** The types the call and its views share (see call.ts). */
import type { Params } from '../../../protocol/signaling.ts';
import type { AnyErrorCode } from '../errors.ts';
import type { MessageKey } from '../i18n/translate.ts';
import type { ChatMessage, HostAction } from './meeting-state.ts';

/**
 * idle → joining → (waiting →) joined → left; `error` when joining or the connection failed;
 * `ended` when the meeting ended for this person: denied, removed (maybe banned), ended by a host.
 */
export type CallState = 'idle' | 'joining' | 'waiting' | 'joined' | 'error' | 'left' | 'ended';
export type MediaKind = Params<'produce'>['kind'];
export type Source = Params<'produce'>['source'];
/** The protocol's schema types are narrower than mediasoup-client's (codec parameters: string | number). */
export type WireRtpParameters = Params<'produce'>['rtpParameters'];
export type WireRtpCapabilities = Params<'consume'>['rtpCapabilities'];
/** Host controls the views call through `hostRequest`. */
export type HostMethod =
  'admit' | 'admitAll' | 'deny' | 'mute' | 'muteAll' | 'askToUnmute' | 'setCameraAllowed' | 'setScreenShareAllowed' | 'remove' | 'setRole';

export interface CallView {
  setState(state: CallState, errorCode: AnyErrorCode | null): void;
  status(key: MessageKey, vars?: Record<string, string>): void;
  /** Something the person must know and keep seeing (not an error of theirs), in the alert region. */
  alert(key: MessageKey, vars?: Record<string, string>): void;
  showLocal(stream: MediaStream | null): void;
  addParticipant(id: string, displayName: string): void;
  removeParticipant(id: string): void;
  addTrack(participantId: string, consumerId: string, kind: MediaKind, source: Source, track: MediaStreamTrack): void;
  removeTrack(participantId: string, consumerId: string): void;
  clearRemote(): void;
  /** Something the controls or panels show changed: own media, roles, permissions, policy, lock, waiting room. */
  update(): void;
  chatMessage(message: ChatMessage): void;
  /** Who speaks now (the SFU's dominant speaker; someone else or oneself). */
  speaker(participantId: string): void;
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
