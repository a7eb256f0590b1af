/**
 * Who may do what in a running meeting: one place per rule, used by the meeting's verbs.
 * Each require* function throws a DomainError with the code the client shows, or returns; the
 * host-control rules are also predicates, from which each person's view lists what they may do.
 */
import type { Static } from '@sinclair/typebox';
import { DomainError } from '../errors.ts';
import type { MeetingPolicy } from '../../protocol/policy.ts';
import type { MeetingControl, PersonControl } from '../../protocol/signaling.ts';
import { isGuest, type MeetingRole, type Participant } from './participant.ts';

/** What the rules read of a meeting: its live policy, and what a participant is allowed. */
export interface MeetingView {
  readonly policy: MeetingPolicy;
  info(p: Participant): { cameraAllowed: boolean; screenShareAllowed: boolean };
}

const RANK: Record<MeetingRole, number> = { participant: 0, cohost: 1, host: 2 };

/**
 * Who outranks whom: participant < co-host < host, and among hosts the meeting's own (designated)
 * hosts above someone who inherited the role when the last host dropped out — so a host who
 * comes back can take her meeting back.
 */
export function authority(p: Participant): number {
  return RANK[p.role] * 2 + (p.role === 'host' && p.designatedHost ? 1 : 0);
}

// Each rule is a predicate, used twice: by the verb (the require* form throws the refusal) and by
// the views (controlsOver, meetingControls), so what a person is shown is what the verbs allow.

/** Host controls are for hosts and co-hosts. */
export function hasHostControls(actor: Participant): boolean {
  return actor.isHostLike;
}

export function requireHostControls(actor: Participant): void {
  if (!hasHostControls(actor)) throw new DomainError('FORBIDDEN', 'only hosts and co-hosts can do this');
}

/** Only the host role itself (not co-hosts): roles and ending the meeting. */
export function isHost(actor: Participant): boolean {
  return actor.role === 'host';
}

export function requireHost(actor: Participant): void {
  if (!isHost(actor)) throw new DomainError('FORBIDDEN', 'only hosts can do this');
}

/** Acting on someone else needs host controls and a higher rank than theirs: co-hosts cannot act on hosts. */
export function mayActOn(actor: Participant, target: Participant): boolean {
  return hasHostControls(actor) && actor !== target && authority(actor) > authority(target);
}

export function requireAuthorityOver(actor: Participant, target: Participant): void {
  if (mayActOn(actor, target)) return;
  requireHostControls(actor);
  if (actor === target) throw new DomainError('FORBIDDEN', 'not on yourself');
  throw new DomainError('FORBIDDEN', `a ${actor.role} cannot do this to a ${target.role}${target.designatedHost ? ' of this meeting' : ''}`);
}

/** Guests cannot be co-hosts. */
export function mayMakeCohost(target: Participant): boolean {
  return !isGuest(target.identity);
}

export function requireMayMakeCohost(target: Participant): void {
  if (!mayMakeCohost(target)) throw new DomainError('FORBIDDEN', 'guests cannot be co-hosts');
}

/**
 * Whether the actor may change the target's role at all (`setRole` to a role they do not hold):
 * a host, over someone she outranks; a co-host or an inherited host can be made a participant, a
 * participant a co-host unless a guest.
 */
export function mayChangeRoleOf(actor: Participant, target: Participant): boolean {
  return isHost(actor) && mayActOn(actor, target) && (target.role !== 'participant' || mayMakeCohost(target));
}

type PersonControlName = Static<typeof PersonControl>;
type MeetingControlName = Static<typeof MeetingControl>;

/** Each host control on a person, by the rule its verb enforces (in the order of the protocol). */
const ON_A_PERSON: Record<PersonControlName, (actor: Participant, target: Participant) => boolean> = {
  mute: mayActOn,
  askToUnmute: mayActOn,
  setCameraAllowed: mayActOn,
  setScreenShareAllowed: mayActOn,
  setRole: mayChangeRoleOf,
  remove: mayActOn,
  ban: mayActOn,
};

/** Each of the meeting's own controls, by the rule its verbs enforce. */
const ON_THE_MEETING: Record<MeetingControlName, (actor: Participant) => boolean> = {
  admit: hasHostControls,
  muteAll: hasHostControls,
  setLocked: hasHostControls,
  updatePolicy: hasHostControls,
  endMeeting: isHost,
};

/** What `actor` may do to `target` (nothing to oneself, nothing to anyone not outranked). */
export function controlsOver(actor: Participant, target: Participant): PersonControlName[] {
  return (Object.keys(ON_A_PERSON) as PersonControlName[]).filter((c) => ON_A_PERSON[c](actor, target));
}

/** The meeting's own controls `actor` holds. */
export function meetingControls(actor: Participant): MeetingControlName[] {
  return (Object.keys(ON_THE_MEETING) as MeetingControlName[]).filter((c) => ON_THE_MEETING[c](actor));
}

/**
 * Changes to the stored policy (the meeting's defaults) are its own hosts' (and owner's); a
 * co-host's or an inherited host's changes last for the call only.
 */
export function writesStoredPolicy(actor: Participant): boolean {
  return actor.role === 'host' && actor.designatedHost;
}

/** A banned person is never admitted, by `admit` or `admitAll`. */
export function requireNotBanned(banned: boolean): void {
  if (banned) throw new DomainError('BANNED', 'this person was banned from this meeting');
}

/** At most `max` places (inside or waiting) for one person in one meeting. */
export function requirePlaceFor(places: number, max: number): void {
  if (places >= max) throw new DomainError('TOO_MANY', `you are in this meeting on ${places} connections already (at most ${max})`);
}

/** At most `max` meetings at once for one account. */
export function requireMeetingSlot(meetingsNow: number, max: number): void {
  if (meetingsNow >= max) throw new DomainError('TOO_MANY', `you are in ${meetingsNow} meetings at once already (at most ${max})`);
}

export type Source = 'microphone' | 'camera' | 'screen';

/** May `p` start sending this source now? */
export function requireMaySend(meeting: MeetingView, p: Participant, source: Source): void {
  const info = meeting.info(p);
  if (source === 'camera' && !info.cameraAllowed) throw new DomainError('CAMERA_NOT_ALLOWED', 'the camera is not allowed');
  if (source === 'screen' && !info.screenShareAllowed) throw new DomainError('SCREEN_SHARE_NOT_ALLOWED', 'screen sharing is not allowed');
}

/** May `p` resume a paused source? A host mute holds until a host asks to unmute. */
export function requireMayResume(meeting: MeetingView, p: Participant, source: Source): void {
  if (source === 'microphone' && p.mutedByHost) throw new DomainError('HOST_MUTED', 'a host muted your microphone');
  requireMaySend(meeting, p, source);
}

export function requireChat(meeting: MeetingView): void {
  if (!meeting.policy.chat) throw new DomainError('CHAT_DISABLED', 'chat is off in this meeting');
}

// --- end-to-end encryption -------------------------------------------------------------------

/** What an E2EE meeting accepts per kind: the codecs the client encrypts (SFrame), whose clear
 *  header the SFU can still read (VP8's key-frame bit). Video may add RTX for retransmissions. */
const E2EE_CODECS: Record<'audio' | 'video', string> = { audio: 'audio/opus', video: 'video/vp8' };

/** Joining: a client that cannot encrypt is refused by an encrypted meeting (waiting room too). */
export function requireE2eeCapable(policy: { e2ee: boolean }, clientEncrypts: boolean): void {
  if (policy.e2ee && !clientEncrypts) {
    throw new DomainError(
      'E2EE_UNSUPPORTED',
      'this meeting is end-to-end encrypted and this browser cannot encrypt end to end; use a current Chromium, Firefox or Safari',
    );
  }
}

/**
 * May `p` send this track in an E2EE meeting? Only after announcing their key bundle (others
 * must be able to receive their keys), and only Opus or VP8 (plus VP8's RTX).
 */
export function requireE2eeSendable(meeting: MeetingView, p: Participant, kind: 'audio' | 'video', codecs: readonly { mimeType: string }[]): void {
  if (!meeting.policy.e2ee) return;
  if (p.e2eeBundle === undefined)
    throw new DomainError('E2EE_KEYS_REQUIRED', 'announce your end-to-end encryption keys (announceE2eeKeys) before sending media');
  const allowed = E2EE_CODECS[kind];
  const [first, ...rest] = codecs.map((c) => c.mimeType.toLowerCase());
  // mediasoup-client sends the chosen codec, then (video) its RTX; nothing else is accepted.
  if (first !== allowed || rest.some((m) => !(kind === 'video' && m === 'video/rtx'))) {
    throw new DomainError('E2EE_CODEC', 'this meeting is end-to-end encrypted: audio must be Opus and video VP8');
  }
}

/** Key material is only for E2EE meetings. */
export function requireE2eeOn(meeting: MeetingView): void {
  if (!meeting.policy.e2ee) throw new DomainError('E2EE_OFF', 'this meeting is not end-to-end encrypted');
}

/** A participant's bundle is announced once per join: it must not change under the security code. */
export function requireFirstAnnouncement(p: Participant): void {
  if (p.e2eeBundle !== undefined) throw new DomainError('E2EE_KEYS_ALREADY_ANNOUNCED', 'your end-to-end encryption keys are announced already (once per join)');
}

/** Chat in the meeting's form: sealed in E2EE meetings (the server never sees text), text otherwise. */
export function requireChatForm(meeting: MeetingView, sealed: boolean): void {
  if (meeting.policy.e2ee && !sealed)
    throw new DomainError('E2EE_REQUIRED', 'this meeting is end-to-end encrypted: chat must be sealed by your client, not sent as text');
  if (!meeting.policy.e2ee && sealed) throw new DomainError('E2EE_OFF', 'this meeting is not end-to-end encrypted: send chat as text');
}

/** Whether a meeting is E2EE is fixed while it runs (senders get their transforms when created). */
export function requireE2eeUnchanged(patch: { e2ee?: boolean }): void {
  if (patch.e2ee !== undefined) throw new DomainError('E2EE_FIXED', 'end-to-end encryption cannot be turned on or off during a meeting');
}
