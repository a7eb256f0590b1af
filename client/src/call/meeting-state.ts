/**
 * What the client knows about the meeting it is in: itself (role and host-controlled
 * permissions), the others, the policy, the lock and — for hosts and co-hosts — who is waiting.
 * Filled from the join result or `admitted`, kept current by notifications (session.ts); the
 * views only read it. The server enforces every rule and says in each participant view what we
 * may do (`controls` on someone, `meetingControls` in our own): the page offers exactly that.
 */
import type { NotificationParams } from '../../../protocol/signaling.ts';

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
/** A host control on one person (the signalling method of that name; `ban` is `remove` with a ban). */
export type PersonControl = Participant['controls'][number];
/** One of the meeting's own controls (`admit` covers admit, admit all and deny). */
export type MeetingControl = NonNullable<Participant['meetingControls']>[number];

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

  /** Whether the server lets us use one of the meeting's controls (from our own participant view). */
  may(control: MeetingControl): boolean {
    return this.self.meetingControls?.includes(control) ?? false;
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

/** For people waiting under a name someone else waiting has too: 1, 2, … in order of arrival. */
export function sameNameOrdinals(waiting: readonly WaitingPerson[]): Map<string, number> {
  const byName = new Map<string, WaitingPerson[]>();
  for (const person of waiting) {
    const key = person.displayName.normalize('NFKC').toLocaleLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), person]);
  }
  const ordinals = new Map<string, number>();
  for (const people of byName.values()) {
    if (people.length < 2) continue;
    [...people].sort((a, b) => a.since - b.since).forEach((person, i) => ordinals.set(person.id, i + 1));
  }
  return ordinals;
}
