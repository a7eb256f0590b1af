/**
 * End-to-end encryption needs the server only as a relay: public key bundles to everyone in the
 * meeting, wrapped sender keys to one participant. Nothing here is decoded or stored beyond the
 * latest bundle (so newcomers get it); the server cannot read media or chat keys.
 */
import { inMeeting, target, type HandlerSet } from './common.ts';

export const e2eeHandlers: HandlerSet<'announceE2eeKeys' | 'sendE2eeKey'> = {
  async announceE2eeKeys(_services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    participant.e2eeBundle = params.bundle;
    meeting.broadcast('e2eeKeysAnnounced', { participantId: participant.id, bundle: params.bundle }, participant.id);
    return {};
  },

  async sendE2eeKey(_services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    target(meeting, params.to).link.notify('e2eeKey', { from: participant.id, blob: params.blob });
    return {};
  },
};
