/** Entering and leaving a meeting, and the waiting room. */
import { DomainError } from '../../errors.ts';
import type { MemberLink } from '../../meetings/participant.ts';
import { requireE2eeCapable, requireMeetingSlot, requirePlaceFor } from '../../meetings/rules.ts';
import type { Caller } from '../context.ts';
import { audited, inMeeting, type HandlerSet } from './common.ts';

/** How the meeting reaches this connection; keeps the connection's membership in step. */
function linkFor(caller: Caller): MemberLink {
  return {
    notify: (name, payload) => caller.notify(name, payload),
    admitted: (participant) => {
      if (caller.membership?.waiting) caller.membership = { meeting: caller.membership.meeting, participant };
    },
    evicted: () => {
      caller.membership = undefined;
    },
  };
}

export const membershipHandlers: HandlerSet<'join' | 'leave' | 'admit' | 'admitAll' | 'deny'> = {
  async join(services, caller, params) {
    if (caller.membership) throw new DomainError('ALREADY_JOINED', 'this connection is in a meeting already');
    const audit = (outcome: 'ok' | 'denied', detail: Record<string, unknown>) =>
      services.audit({
        action: 'meeting.join',
        outcome,
        actor: caller.account.id,
        meetingId: params.meetingId,
        detail: { ip: caller.remoteAddress, ...detail },
      });
    /** Applies a rule; its refusal is audited (and marked so, for the dispatcher). */
    const check = <T>(rule: () => T): T => {
      try {
        return rule();
      } catch (error) {
        if (error instanceof DomainError) {
          audit('denied', { code: error.code });
          error.audited = true;
        }
        throw error;
      }
    };
    const refuse = (code: DomainError['code'], message: string): never =>
      check(() => {
        throw new DomainError(code, message);
      });

    if (!services.joinFailures.allowed(caller.account.id)) return refuse('RATE_LIMITED', 'too many unknown meetings tried; wait a minute');
    const guest = caller.account.guest;
    const record = services.meetingStore.get(params.meetingId);
    // A guest may enter only the meeting whose password they gave.
    if (!record || (guest && guest.meetingId !== record.id)) {
      services.joinFailures.fail(caller.account.id);
      return refuse('MEETING_NOT_FOUND', 'no such meeting');
    }
    // A banned account or guest device is refused for good: not even the waiting room.
    if (services.meetingStore.isBanned(record.id, caller.account.id)) return refuse('BANNED', 'you were removed from this meeting');
    if (guest && record.policy.guests !== 'password') return refuse('FORBIDDEN', 'this meeting is for staff only');
    // Before the meeting starts (or the waiting room takes anyone): hosts are no exception.
    // `e2ee` cannot change while a meeting runs, so the stored policy is the running one's.
    check(() => requireE2eeCapable(record.policy, params.e2ee));
    // Resource caps: places per person in this meeting, meetings per account at once. Checked
    // before a room is made in the SFU, and again once the meeting is open (other sockets of the
    // same person may have joined meanwhile); from there on nothing awaits until they are placed.
    const { maxPlacesPerPerson, maxMeetingsPerAccount } = services.config.meetings;
    const caps = (places: number) => {
      requirePlaceFor(places, maxPlacesPerPerson);
      if (places === 0) requireMeetingSlot(services.meetings.meetingsOf(caller.account.id), maxMeetingsPerAccount);
    };
    check(() => caps(services.meetings.find(record.id)?.placesOf(caller.account.id) ?? 0));
    const meeting = await services.meetings.open(record);
    const identity = {
      accountId: caller.account.id,
      displayName: caller.account.displayName,
      username: guest ? undefined : caller.account.username,
      guestSessionHash: guest ? caller.sessionIdHash : undefined,
    };
    const entered = check(() => {
      try {
        caps(meeting.placesOf(caller.account.id));
      } catch (error) {
        meeting.releaseIfEmpty();
        throw error;
      }
      return meeting.enter(identity, linkFor(caller), { designatedHost: !guest && record.hostIds.includes(caller.account.id) });
    });
    if (entered.status === 'waiting') {
      const { entry } = entered;
      caller.membership = { meeting, waiting: entry };
      audit('ok', { waitingId: entry.id, waiting: entry.reason, previouslyRemoved: entry.previouslyRemoved });
      return { status: 'waiting', waitingId: entry.id, reason: entry.reason };
    }
    const { participant } = entered;
    caller.membership = { meeting, participant };
    audit('ok', { participantId: participant.id, role: participant.role });
    return { status: 'joined', meeting: meeting.viewFor(participant) };
  },

  async leave(services, caller, params) {
    const m = caller.membership;
    if (!m) throw new DomainError('NOT_JOINED', 'join a meeting first');
    m.meeting.leave(m.waiting ? { waiting: m.waiting } : { participant: m.participant }, params.handOverTo);
    caller.membership = undefined;
    services.audit({
      action: 'meeting.leave',
      outcome: 'ok',
      actor: caller.account.id,
      meetingId: m.meeting.id,
      detail: { handOverTo: params.handOverTo ?? null },
    });
    return {};
  },

  async admit(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'meeting.admit', { waitingId: params.waitingId }, () => {
      meeting.admit(participant, params.waitingId, (accountId) => services.meetingStore.isBanned(meeting.id, accountId));
      return {};
    });
  },

  async admitAll(services, caller) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'meeting.admit_all', {}, () => ({
      admitted: meeting.admitAll(participant, (accountId) => services.meetingStore.isBanned(meeting.id, accountId)),
    }));
  },

  async deny(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'meeting.deny', { waitingId: params.waitingId }, () => {
      meeting.deny(participant, params.waitingId);
      return {};
    });
  },
};
