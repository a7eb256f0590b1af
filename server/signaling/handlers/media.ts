/** A participant's own media: transports, producers (the meeting's rules decide), consumers. */
import { auditedRefusals, inMeeting, type HandlerSet } from './common.ts';

type MediaMethods =
  | 'createTransport'
  | 'connectTransport'
  | 'restartIce'
  | 'produce'
  | 'closeProducer'
  | 'pauseProducer'
  | 'resumeProducer'
  | 'consume'
  | 'resumeConsumer'
  | 'setReceiveLayers';

export const mediaHandlers: HandlerSet<MediaMethods> = {
  async createTransport(services, caller, params) {
    const { participant } = inMeeting(caller);
    const transport = await participant.media.createTransport(params.direction);
    // TURN for networks that reach the SFU only through a relay: credentials for this participant, within their session.
    const iceServers = services.turn.iceServers(participant.id, caller.sessionExpiresAt);
    return iceServers ? { ...transport, iceServers } : transport;
  },

  async connectTransport(_services, caller, params) {
    await inMeeting(caller).participant.media.connectTransport(params.transportId, params.dtlsParameters);
    return {};
  },

  async restartIce(_services, caller, params) {
    return inMeeting(caller).participant.media.restartIce(params.transportId);
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

  async setReceiveLayers(_services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return { applied: await meeting.showTiles(participant, params.consumers) };
  },
};
