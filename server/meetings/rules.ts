/**
 * Who may do what in a running meeting: one place per rule, used by the signalling handlers.
 * Each function throws an AppError with the code the client shows, or returns.
 */
import { AppError } from '../errors.ts';
import type { Meeting } from './meeting.ts';
import type { MeetingRole, Participant } from './participant.ts';

const RANK: Record<MeetingRole, number> = { participant: 0, cohost: 1, host: 2 };

/** Host controls are for hosts and co-hosts. */
export function requireHostControls(actor: Participant): void {
  if (!actor.isHostLike) throw new AppError('FORBIDDEN', 'only hosts and co-hosts can do this');
}

/** Only the host role itself (not co-hosts): roles and ending the meeting. */
export function requireHost(actor: Participant): void {
  if (actor.role !== 'host') throw new AppError('FORBIDDEN', 'only hosts can do this');
}

/** Acting on someone else needs a higher role than theirs: co-hosts cannot act on hosts. */
export function requireAuthorityOver(actor: Participant, target: Participant): void {
  requireHostControls(actor);
  if (actor === target) throw new AppError('FORBIDDEN', 'not on yourself');
  if (RANK[actor.role] <= RANK[target.role]) throw new AppError('FORBIDDEN', `a ${actor.role} cannot do this to a ${target.role}`);
}

export type Source = 'microphone' | 'camera' | 'screen';

/** May `p` start sending this source now? */
export function requireMaySend(meeting: Meeting, p: Participant, source: Source): void {
  const info = meeting.info(p);
  if (source === 'camera' && !info.cameraAllowed) throw new AppError('CAMERA_NOT_ALLOWED', 'the camera is not allowed');
  if (source === 'screen' && !info.screenShareAllowed) throw new AppError('SCREEN_SHARE_NOT_ALLOWED', 'screen sharing is not allowed');
}

/** May `p` resume a paused source? A host mute holds until a host asks to unmute. */
export function requireMayResume(meeting: Meeting, p: Participant, source: Source): void {
  if (source === 'microphone' && p.mutedByHost) throw new AppError('HOST_MUTED', 'a host muted your microphone');
  requireMaySend(meeting, p, source);
}

export function requireChat(meeting: Meeting): void {
  if (!meeting.policy.chat) throw new AppError('CHAT_DISABLED', 'chat is off in this meeting');
}
