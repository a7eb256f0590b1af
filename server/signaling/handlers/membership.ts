/** Entering and leaving a meeting, and the waiting room. */
import { DomainError } from '../../errors.ts';
import type { MemberLink } from '../../meetings/participant.ts';
import { requireE2eeCapable, requireHostControls, requireMeetingSlot, requireNotBanned, requirePlaceFor } from '../../meetings/rules.ts';
import type { Caller, Services } from '../context.ts';
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
      services.audit({ action: 'meeting.join', outcome, actor: caller.account.id, meetingId: params.meetingId, detail: { ip: caller.remoteAddress, ...detail } });
    const refuse = (code: DomainError['code'], message: string): never => {
      audit('denied', { code });
      const error = new DomainError(code, message);
      error.audited = true;
      throw error;
    };
    /** Applies a rule from rules.ts; its refusal is audited like the others. */
    const check = (rule: () => void): void => {
      try {
        rule();
      } catch (error) {
        if (error instanceof DomainError) refuse(error.code, error.message);
        throw error;
      }
    };

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
    // before a router is made, and again once the meeting is open (other sockets of the same
    // person may have joined meanwhile); from there on nothing awaits until the person is placed.
    const { maxPlacesPerPerson, maxMeetingsPerAccount } = services.config.meetings;
    const caps = (places: number) => {
      requirePlaceFor(places, maxPlacesPerPerson);
      if (places === 0) requireMeetingSlot(services.meetings.meetingsOf(caller.account.id), maxMeetingsPerAccount);
    };
    check(() => caps(services.meetings.find(record.id)?.placesOf(caller.account.id) ?? 0));
    const isHost = !guest && record.hostIds.includes(caller.account.id);
    const meeting = await services.meetings.open(record);
    try {
      caps(meeting.placesOf(caller.account.id));
    } catch (error) {
      meeting.releaseIfEmpty();
      if (error instanceof DomainError) return refuse(error.code, error.message);
      throw error;
    }
    const identity = { accountId: caller.account.id, displayName: caller.account.displayName, guestSessionHash: guest ? caller.sessionIdHash : undefined };
    const link = linkFor(caller);

    // A host is never locked out of their own meeting, nor kept waiting.
    if (isHost) {
      const participant = meeting.admitDirectly(identity, 'host', link, { designatedHost: true });
      caller.membership = { meeting, participant };
      meeting.admitThoseWaitingForAHost();
      audit('ok', { participantId: participant.id, role: 'host' });
      return { status: 'joined', meeting: meeting.viewFor(participant) };
    }
    const refuseAndRelease = (code: DomainError['code'], message: string): never => {
      meeting.releaseIfEmpty();
      return refuse(code, message);
    };
    if (meeting.locked) return refuseAndRelease('MEETING_LOCKED', 'the meeting is locked');
    if (!meeting.hasRoom) return refuseAndRelease('MEETING_FULL', 'the meeting is full');

    // Someone admitted before a media failure comes back in without waiting again; guests always
    // pass through the waiting room otherwise.
    const readmit = meeting.wasAdmitted(caller.account.id);
    const reason = readmit ? null : meeting.policy.waitingRoom || guest ? 'waiting-room' : !meeting.policy.joinBeforeHost && !meeting.hostPresent ? 'no-host' : null;
    if (reason) {
      const waiting = meeting.addWaiting(identity, link, reason);
      caller.membership = { meeting, waiting };
      audit('ok', { waitingId: waiting.id, waiting: reason, previouslyRemoved: waiting.previouslyRemoved });
      return { status: 'waiting', waitingId: waiting.id, reason };
    }
    const participant = meeting.admitDirectly(identity, 'participant', link);
    caller.membership = { meeting, participant };
    audit('ok', { participantId: participant.id, role: 'participant' });
    return { status: 'joined', meeting: meeting.viewFor(participant) };
  },

  async leave(services, caller, params) {
    const m = caller.membership;
    if (!m) throw new DomainError('NOT_JOINED', 'join a meeting first');
    if (m.waiting) {
      m.meeting.dropWaiting(m.waiting.id, false);
    } else {
      if (params.handOverTo !== undefined) {
        if (m.participant.role !== 'host') throw new DomainError('FORBIDDEN', 'only hosts hand over the host role');
        if (!m.meeting.get(params.handOverTo) || params.handOverTo === m.participant.id) throw new DomainError('NOT_FOUND', 'no such participant in this meeting');
      }
      m.meeting.remove(m.participant.id, params.handOverTo);
    }
    caller.membership = undefined;
    services.audit({ action: 'meeting.leave', outcome: 'ok', actor: caller.account.id, meetingId: m.meeting.id, detail: { handOverTo: params.handOverTo ?? null } });
    return {};
  },

  async admit(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'meeting.admit', { waitingId: params.waitingId }, () => {
      requireHostControls(participant);
      const entry = meeting.getWaiting(params.waitingId);
      if (!entry) throw new DomainError('NOT_FOUND', 'nobody with that id is waiting');
      requireNotBanned(services.meetingStore.isBanned(meeting.id, entry.identity.accountId));
      if (!meeting.hasRoom) throw new DomainError('MEETING_FULL', 'the meeting is full');
      meeting.admit(params.waitingId);
      return {};
    });
  },

  /** Everyone waiting, as room allows — except people removed before: a host admits them one by one. */
  async admitAll(services, caller) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'meeting.admit_all', {}, () => {
      requireHostControls(participant);
      let admitted = 0;
      for (const w of meeting.waiting()) {
        if (!meeting.hasRoom) break;
        if (w.previouslyRemoved || services.meetingStore.isBanned(meeting.id, w.identity.accountId)) continue;
        meeting.admit(w.id);
        admitted++;
      }
      return { admitted };
    });
  },

  async deny(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'meeting.deny', { waitingId: params.waitingId }, () => {
      requireHostControls(participant);
      if (!meeting.dropWaiting(params.waitingId, true)) throw new DomainError('NOT_FOUND', 'nobody with that id is waiting');
      return {};
    });
  },
};
