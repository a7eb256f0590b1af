/**
 * Live meetings for the admin console: what runs on this server now (title, hosts, how many are
 * inside and waiting, since when, encrypted, locked) — never content: no chat, no media, no
 * participants' names, no meeting password. An administrator may end one for everyone: the same
 * verb a host's "end for everyone" runs (Meeting.endForEveryone).
 */
import type { AccountStore } from '../auth/accounts.ts';
import { DomainError } from '../errors.ts';
import type { MeetingRegistry } from '../meetings/registry.ts';
import type { MeetingStore } from '../meetings/store.ts';
import type { LiveMeeting } from '../../protocol/admin.ts';

export class LiveMeetings {
  readonly #d: { meetings: MeetingRegistry; meetingStore: MeetingStore; accounts: AccountStore };

  constructor(deps: { meetings: MeetingRegistry; meetingStore: MeetingStore; accounts: AccountStore }) {
    this.#d = deps;
  }

  list(): LiveMeeting[] {
    return this.#d.meetings.list().map((m) => {
      const record = this.#d.meetingStore.get(m.id);
      const hosts = (record?.hostIds ?? []).map((id) => this.#d.accounts.byId(id)?.displayName).filter((name) => name !== undefined);
      return {
        id: m.id,
        title: m.title,
        hosts,
        participants: m.size,
        waiting: m.waiting().length,
        since: m.startedAt,
        e2ee: m.policy.e2ee,
        locked: m.locked,
      };
    });
  }

  /** Ends a running meeting for everyone inside and waiting; returns how many there were. */
  end(meetingId: string): { participants: number; waiting: number } {
    const meeting = this.#d.meetings.find(meetingId);
    if (!meeting || meeting.closed) throw new DomainError('MEETING_NOT_FOUND', 'no such meeting is running');
    return meeting.endForEveryone();
  }
}
