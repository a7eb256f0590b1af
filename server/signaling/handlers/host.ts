/**
 * Host controls: each handler is authorise (in the meeting) → one verb of the meeting core (which
 * checks the rank and acts at the SFU) → audit. There is no remote unmute and no remote camera start.
 */
import { isGuest } from '../../meetings/participant.ts';
import { writesStoredPolicy } from '../../meetings/rules.ts';
import { audited, inMeeting, type HandlerSet } from './common.ts';

type HostMethods =
  'mute' | 'muteAll' | 'askToUnmute' | 'setCameraAllowed' | 'setScreenShareAllowed' | 'remove' | 'setRole' | 'setLocked' | 'updatePolicy' | 'endMeeting';

export const hostHandlers: HandlerSet<HostMethods> = {
  async mute(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.mute', { target: params.participantId }, async () => {
      await meeting.hardMute(participant, params.participantId);
      return {};
    });
  },

  async muteAll(services, caller) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.mute_all', {}, async () => ({ muted: await meeting.muteAll(participant) }));
  },

  async askToUnmute(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.ask_to_unmute', { target: params.participantId }, () => {
      meeting.askToUnmute(participant, params.participantId);
      return {};
    });
  },

  async setCameraAllowed(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.set_camera_allowed', { target: params.participantId, allowed: params.allowed }, () => {
      meeting.setCameraAllowed(participant, params.participantId, params.allowed);
      return {};
    });
  },

  async setScreenShareAllowed(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.set_screen_share_allowed', { target: params.participantId, allowed: params.allowed }, () => {
      meeting.setScreenShareAllowed(participant, params.participantId, params.allowed);
      return {};
    });
  },

  /**
   * Removes a person — all their connections. With `ban` they are refused for good; a banned
   * guest's sessions end, and since a fresh browser cannot be recognised, the meeting password
   * changes (the hosts are told) and guest sessions opened with the old one but not in use end.
   */
  async remove(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, params.ban ? 'host.remove_and_ban' : 'host.remove', { target: params.participantId }, () => {
      const { target, removed } = meeting.removePerson(participant, params.participantId, params.ban);
      if (!params.ban) return {};
      const guest = isGuest(target.identity);
      services.meetingStore.ban(meeting.id, guest ? 'guest-device' : 'account', target.identity.accountId, target.displayName, caller.account.id);
      if (guest) {
        services.guests.end(removed.map((p) => p.identity.guestSessionHash!));
        const password = services.meetingStore.rotatePassword(meeting.id);
        services.guests.endForMeeting(meeting.id, meeting.guestSessionsInUse());
        meeting.passwordChanged(password);
      }
      return {};
    });
  },

  async setRole(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.set_role', { target: params.participantId, role: params.role }, () => {
      meeting.setRole(participant, params.participantId, params.role);
      return {};
    });
  },

  async setLocked(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.set_locked', { locked: params.locked }, () => {
      meeting.setLocked(participant, params.locked);
      return {};
    });
  },

  /** Live at once; stored as the meeting's defaults only when one of its own hosts makes it. */
  async updatePolicy(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.update_policy', { changed: params.policy, stored: writesStoredPolicy(participant) }, () => {
      const { policy } = meeting.applyPolicy(participant, params.policy, (patch) => services.meetingStore.update(meeting.id, { policy: patch }));
      return { policy };
    });
  },

  async endMeeting(services, caller) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'host.end_meeting', {}, () => {
      meeting.end(participant);
      return {};
    });
  },
};
