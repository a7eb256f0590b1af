/**
 * End-to-end encryption needs the server only as a relay: public key bundles to everyone in the
 * meeting, wrapped sender keys to one participant. Nothing here is decoded or stored beyond the
 * bundle (so newcomers get it); the server cannot read media or chat keys. Both are for E2EE
 * meetings only, and a bundle is announced once per join: participants compare a security code
 * derived from the bundles, which must not change under them.
 */
import { requireE2eeOn, requireFirstAnnouncement } from '../../meetings/rules.ts';
import { audited, auditedRefusals, inMeeting, target, type HandlerSet } from './common.ts';

export const e2eeHandlers: HandlerSet<'announceE2eeKeys' | 'sendE2eeKey'> = {
  async announceE2eeKeys(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'e2ee.announce_keys', {}, () => {
      requireE2eeOn(meeting);
      requireFirstAnnouncement(participant);
      participant.e2eeBundle = params.bundle;
      meeting.broadcast('e2eeKeysAnnounced', { participantId: participant.id, bundle: params.bundle }, participant.id);
      return {};
    });
  },

  // Sent to each participant at every key change: successes are not audited (too many).
  async sendE2eeKey(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return auditedRefusals(services, caller, 'e2ee.send_key', { to: params.to }, () => {
      requireE2eeOn(meeting);
      target(meeting, params.to).link.notify('e2eeKey', { from: participant.id, blob: params.blob });
      return {};
    });
  },
};
