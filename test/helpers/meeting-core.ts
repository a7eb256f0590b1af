/**
 * A running meeting's core without a media worker, for unit tests of its rules: the in-memory SFU
 * of fake-media.ts behind the media port, and links that record every notification. `arrive`
 * enters someone as the signalling `join` does, and keeps the MeetingView `join` would answer.
 */
import { loadConfig } from '../../server/config/load.ts';
import { DomainError } from '../../server/errors.ts';
import { Meeting, type MeetingMemory } from '../../server/meetings/meeting.ts';
import type { Identity, MemberLink, Participant } from '../../server/meetings/participant.ts';
import type { MeetingRecord } from '../../server/meetings/store.ts';
import type { MeetingPolicy } from '../../protocol/policy.ts';
import type { NotificationName } from '../../protocol/signaling.ts';
import { FakeRoom, type FakeParticipantMedia } from './fake-media.ts';

export const DEFAULT_POLICY = loadConfig({ env: {} }).meetings.policy;

export class Link implements MemberLink {
  readonly notes: { name: NotificationName; params: unknown }[] = [];
  participant: Participant | undefined;
  /** Entered directly: the MeetingView `join` answered, and how many notifications had come before it. */
  joined: { view: ReturnType<Meeting['viewFor']>; at: number } | undefined;
  gone = false;
  notify(name: NotificationName, params: unknown): void {
    this.notes.push({ name, params });
  }
  admitted(p: Participant): void {
    this.participant = p;
  }
  evicted(): void {
    this.gone = true;
  }
  names(): NotificationName[] {
    return this.notes.map((n) => n.name);
  }
}

export type Arrival = ReturnType<ReturnType<typeof start>['arrive']>;

export function start(policy: Partial<MeetingPolicy> = {}, memory?: MeetingMemory) {
  const room = new FakeRoom();
  const record: MeetingRecord = {
    id: 'abcd-efgh-jkmn-pqrt',
    title: 'Comité',
    ownerId: 'hilda',
    hostIds: ['hilda'],
    startsAt: null,
    durationMinutes: null,
    policy: { ...DEFAULT_POLICY, ...policy },
    hasPassword: true,
    createdAt: 0,
    updatedAt: null,
  };
  const meeting = new Meeting(record, room, memory);
  /** Someone arrives on a new connection: `host` for the meeting's own hosts, `guest` for guests. */
  const arrive = (accountId: string, kind: 'host' | 'staff' | 'guest' = 'staff') => {
    const link = new Link();
    const identity: Identity = { accountId, displayName: accountId, guestSessionHash: kind === 'guest' ? `session-${accountId}` : undefined };
    const entered = meeting.enter(identity, link, { designatedHost: kind === 'host' });
    if (entered.status === 'joined') {
      link.participant = entered.participant;
      link.joined = { view: meeting.viewFor(entered.participant), at: link.notes.length };
    }
    return {
      link,
      entered,
      get p() {
        if (!link.participant) throw new Error(`${accountId} is not inside`);
        return link.participant;
      },
    };
  };
  const media = (p: Participant) => p.media as FakeParticipantMedia;
  return { meeting, room, arrive, media };
}

export const noBans = () => false;

/** The refusal's code, or 'allowed'. */
export async function refusal(act: () => unknown): Promise<string> {
  try {
    await act();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return 'allowed';
}
