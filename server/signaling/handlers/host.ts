/**
 * Host controls. Each one is enforced here, at the SFU (producers paused or closed server-side),
 * never only in a client; there is no remote unmute and no remote camera start.
 */
import { DomainError } from '../../errors.ts';
import type { Meeting } from '../../meetings/meeting.ts';
import type { Participant } from '../../meetings/participant.ts';
import { isGuest } from '../../meetings/participant.ts';
import { requireAuthorityOver, requireE2eeUnchanged, requireHost, requireHostControls, writesStoredPolicy, type Source } from '../../meetings/rules.ts';
import { audited, inMeeting, target, type HandlerSet } from './common.ts';

type HostMethods = 'mute' | 'muteAll' | 'askToUnmute' | 'setCameraAllowed' | 'setScreenShareAllowed' | 'remove' | 'setRole' | 'setLocked' | 'updatePolicy' | 'endMeeting';

/**
 * Hard-mutes participants: the hold is set first (so no resume slips in), their microphones are
 * paused at the SFU together, then each is told and everyone sees their new state.
 */
async function hardMute(meeting: Meeting, people: readonly Participant[]): Promise<void> {
  for (const p of people) p.mutedByHost = true;
  await Promise.all(people.map((p) => p.media.producerFor('microphone')?.pause()));
  for (const p of people) {
    p.link.notify('hostAction', { action: 'muted' });
    meeting.updated(p);
  }
}

/** Closes a producer at the SFU because the rules no longer allow it, and tells everyone. */
function stopSource(meeting: Meeting, p: Participant, source: Source): void {
  const producer = p.media.producerFor(source);
  if (!producer) return;
  producer.close();
  meeting.broadcast('producerClosed', { participantId: p.id, producerId: producer.id });
}

export const hostHandlers: HandlerSet<HostMethods> = {
  async mute(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.mute', { target: params.participantId }, async () => {
      const who = target(meeting, params.participantId);
      requireAuthorityOver(participant, who);
      await hardMute(meeting, [who]);
      return {};
    });
  },

  async muteAll(services, caller) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.mute_all', {}, async () => {
      requireHostControls(participant);
      const below = meeting.participants().filter((p) => p !== participant && (participant.role === 'host' ? p.role !== 'host' : p.role === 'participant'));
      await hardMute(meeting, below);
      return { muted: below.length };
    });
  },

  async askToUnmute(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.ask_to_unmute', { target: params.participantId }, () => {
      const who = target(meeting, params.participantId);
      requireAuthorityOver(participant, who);
      who.mutedByHost = false; // lifts the hold; the microphone stays paused until they resume it
      who.link.notify('hostAction', { action: 'unmute-requested' });
      meeting.updated(who);
      return {};
    });
  },

  async setCameraAllowed(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.set_camera_allowed', { target: params.participantId, allowed: params.allowed }, () => {
      const who = target(meeting, params.participantId);
      requireAuthorityOver(participant, who);
      who.cameraForbidden = !params.allowed;
      if (!params.allowed) stopSource(meeting, who, 'camera');
      who.link.notify('hostAction', { action: params.allowed ? 'camera-allowed' : 'camera-disallowed' });
      meeting.updated(who);
      return {};
    });
  },

  async setScreenShareAllowed(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.set_screen_share_allowed', { target: params.participantId, allowed: params.allowed }, () => {
      const who = target(meeting, params.participantId);
      requireAuthorityOver(participant, who);
      who.screenShareByHost = params.allowed;
      if (!params.allowed) stopSource(meeting, who, 'screen');
      who.link.notify('hostAction', { action: params.allowed ? 'screen-share-allowed' : 'screen-share-disallowed' });
      meeting.updated(who);
      return {};
    });
  },

  /**
   * Removes a person — all their connections, inside and waiting. With `ban` they are refused for
   * good; a banned guest's session ends, and since a fresh browser cannot be recognised, the
   * meeting password changes (the hosts are told the new one) and guest sessions opened with the
   * old one but not in the meeting end.
   */
  async remove(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, params.ban ? 'host.remove_and_ban' : 'host.remove', { target: params.participantId }, () => {
      const who = target(meeting, params.participantId);
      requireAuthorityOver(participant, who);
      const person = who.identity.accountId;
      const guest = isGuest(who.identity);
      if (params.ban) services.meetingStore.ban(meeting.id, guest ? 'guest-device' : 'account', person, who.displayName, caller.account.id);
      const removed = meeting.removePerson(person, params.ban);
      if (params.ban && guest) {
        services.guests.end(removed.map((p) => p.identity.guestSessionHash!));
        const password = services.meetingStore.rotatePassword(meeting.id);
        const inUse = new Set([...meeting.participants(), ...meeting.waiting()].map((m) => m.identity.guestSessionHash).filter((h) => h !== undefined));
        services.guests.endForMeeting(meeting.id, inUse);
        meeting.passwordChanged(password);
      }
      return {};
    });
  },

  async setRole(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.set_role', { target: params.participantId, role: params.role }, () => {
      requireHost(participant);
      const who = target(meeting, params.participantId);
      requireAuthorityOver(participant, who);
      if (isGuest(who.identity) && params.role === 'cohost') throw new DomainError('FORBIDDEN', 'guests cannot be co-hosts');
      meeting.setRole(who, params.role);
      return {};
    });
  },

  async setLocked(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.set_locked', { locked: params.locked }, () => {
      requireHostControls(participant);
      meeting.locked = params.locked;
      meeting.broadcast('lockChanged', { locked: params.locked });
      return {};
    });
  },

  /**
   * Changes the live policy at once (what is no longer allowed stops at the SFU). The meeting's own
   * hosts also change its stored defaults; a co-host's or inherited host's change lasts for the call.
   */
  async updatePolicy(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    const stored = writesStoredPolicy(participant);
    return audited(services, caller, 'host.update_policy', { changed: params.policy, stored }, () => {
      requireHostControls(participant);
      requireE2eeUnchanged(params.policy);
      // What each participant showed before, to tell everyone only about those the change affects.
      const before = new Map(meeting.participants().map((p) => [p, JSON.stringify(meeting.info(p))]));
      if (stored) services.meetingStore.update(meeting.id, { policy: params.policy });
      meeting.policy = { ...meeting.policy, ...params.policy };
      meeting.broadcast('policyChanged', { policy: meeting.policy });
      // The new rules apply at once, at the SFU: what is no longer allowed stops.
      for (const p of meeting.participants()) {
        const allowed = meeting.info(p);
        if (!allowed.cameraAllowed) stopSource(meeting, p, 'camera');
        if (!allowed.screenShareAllowed) stopSource(meeting, p, 'screen');
        if (JSON.stringify(meeting.info(p)) !== before.get(p)) meeting.updated(p);
      }
      meeting.admitThoseWaitingForAHost();
      return { policy: meeting.policy };
    });
  },

  async endMeeting(services, caller) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.end_meeting', {}, () => {
      requireHost(participant);
      meeting.close('ended');
      return {};
    });
  },
};
