/** A participant's own media: transports, producers (the meeting's rules decide), consumers. */
import { auditedRefusals, inMeeting, type HandlerSet } from './common.ts';

type MediaMethods = 'createTransport' | 'connectTransport' | 'produce' | 'closeProducer' | 'pauseProducer' | 'resumeProducer' | 'consume' | 'resumeConsumer';

export const mediaHandlers: HandlerSet<MediaMethods> = {
  async createTransport(_services, caller, params) {
    return inMeeting(caller).participant.media.createTransport(params.direction);
  },

  async connectTransport(_services, caller, params) {
    await inMeeting(caller).participant.media.connectTransport(params.transportId, params.dtlsParameters);
    return {};
  },

  async produce(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return auditedRefusals(services, caller, 'media.produce', { source: params.source }, () => meeting.startProducing(participant, params));
  },

  async closeProducer(_services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    meeting.stopProducing(participant, params.producerId);
    return {};
  },

  async pauseProducer(_services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    await meeting.pauseProducing(participant, params.producerId);
    return {};
  },

  async resumeProducer(_services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    await meeting.resumeProducing(participant, params.producerId);
    return {};
  },

  async consume(_services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return meeting.receive(participant, params.transportId, params.producerId, params.rtpCapabilities);
  },

  async resumeConsumer(_services, caller, params) {
    await inMeeting(caller).participant.media.resumeConsumer(params.consumerId);
    return {};
  },
};
