/**
 * End-to-end encryption needs the server only as a relay: public key bundles to everyone in the
 * meeting, wrapped sender keys to one participant. Nothing here is decoded or stored beyond the
 * bundle (so newcomers get it); the server cannot read media or chat keys. The rules (E2EE
 * meetings only, one announcement per join) are the meeting's.
 */
import { audited, auditedRefusals, inMeeting, type HandlerSet } from './common.ts';

export const e2eeHandlers: HandlerSet<'announceE2eeKeys' | 'sendE2eeKey'> = {
  async announceE2eeKeys(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'e2ee.announce_keys', {}, () => {
      meeting.announceKeys(participant, params.bundle);
      return {};
    });
  },

  // Sent to each participant at every key change: successes are not audited (too many).
  async sendE2eeKey(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return auditedRefusals(services, caller, 'e2ee.send_key', { to: params.to }, () => {
      meeting.relayKey(participant, params.to, params.blob);
      return {};
    });
  },
};
