/**
 * What the client knows about the meeting it is in: itself (role and host-controlled
 * permissions), the others, the policy, the lock and — for hosts and co-hosts — who is waiting.
 * Filled from the join result or `admitted`, kept current by notifications (call.ts); the views
 * only read it. The server enforces every rule; this is for showing them.
 */
import type { NotificationParams } from '../../protocol/signaling.ts';

export type MeetingInfo = NotificationParams<'admitted'>['meeting'];
export type Participant = NotificationParams<'participantUpdated'>['participant'];
export type Policy = MeetingInfo['policy'];
export type PolicyPatch = Partial<Policy>;
export type Role = Participant['role'];
export type WaitingPerson = NotificationParams<'waitingRoomChanged'>['waiting'][number];
/** A chat message as shown: sealed ones (end-to-end encrypted meetings) once opened. */
export type ChatMessage = Extract<NotificationParams<'chatMessage'>, { text: string }>;
export type HostAction = NotificationParams<'hostAction'>['action'];
export type WaitingReason = 'waiting-room' | 'no-host';

export class MeetingState {
  self: Participant;
  title: string;
  policy: Policy;
  locked: boolean;
  /** Everyone else, in the order they came in. */
  readonly others = new Map<string, Participant>();
  /** Who is in the waiting room (sent to hosts and co-hosts only). */
  waiting: WaitingPerson[] = [];

  constructor(info: MeetingInfo) {
    this.self = info.self;
    this.title = info.title;
    this.policy = info.policy;
    this.locked = info.locked;
    for (const p of info.participants) if (p.id !== info.self.id) this.others.set(p.id, p);
  }

  /** Host or co-host: sees the waiting room and has the host controls (as the server says: the role it sent). */
  get hasHostControls(): boolean {
    return this.self.role !== 'participant';
  }

  nameOf(id: string): string | undefined {
    return id === this.self.id ? this.self.displayName : this.others.get(id)?.displayName;
  }

  /** Whether someone else holds the host role (so leaving does not leave the meeting without one). */
  get otherHostPresent(): boolean {
    for (const p of this.others.values()) if (p.role === 'host') return true;
    return false;
  }
}
