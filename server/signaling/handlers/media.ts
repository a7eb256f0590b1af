/** A participant's own media: transports, producers (with the hosts' rules), consumers. */
import type { types } from 'mediasoup';
import { DomainError } from '../../errors.ts';
import { requireE2eeSendable, requireMayResume, requireMaySend, type Source } from '../../meetings/rules.ts';
import { auditedRefusals, inMeeting, type HandlerSet } from './common.ts';

type MediaMethods = 'createTransport' | 'connectTransport' | 'produce' | 'closeProducer' | 'pauseProducer' | 'resumeProducer' | 'consume' | 'resumeConsumer';

export const mediaHandlers: HandlerSet<MediaMethods> = {
  async createTransport(_services, caller, params) {
    const { participant } = inMeeting(caller);
    return participant.media.createTransport(params.direction);
  },

  async connectTransport(_services, caller, params) {
    const { participant } = inMeeting(caller);
    await participant.media.connectTransport(params.transportId, params.dtlsParameters as types.DtlsParameters);
    return {};
  },

  async produce(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return auditedRefusals(services, caller, 'media.produce', { source: params.source }, async () => {
      requireMaySend(meeting, participant, params.source);
      requireE2eeSendable(meeting, participant, params.kind, params.rtpParameters.codecs);
      // A host mute holds for a new microphone too; "mute on entry" starts the first one paused.
      const paused =
        params.source === 'microphone' && (participant.mutedByHost || (meeting.policy.muteOnEntry && !participant.isHostLike && !participant.enteredMuted));
      const producer = await participant.media.produce({
        transportId: params.transportId,
        kind: params.kind,
        source: params.source,
        rtpParameters: params.rtpParameters as types.RtpParameters,
        paused,
      });
      if (params.source === 'microphone') participant.enteredMuted = true;
      // A host may have acted while the SFU was creating it: the rules as they are now hold.
      try {
        requireMaySend(meeting, participant, params.source);
      } catch (error) {
        producer.close();
        throw error;
      }
      const mutedMeanwhile = params.source === 'microphone' && participant.mutedByHost && !paused;
      if (mutedMeanwhile) await producer.pause();
      meeting.broadcast('producerAdded', { participantId: participant.id, producer: { id: producer.id, kind: params.kind, source: params.source } }, participant.id);
      return { producerId: producer.id, paused: paused || mutedMeanwhile };
    });
  },

  async closeProducer(_services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    participant.media.closeProducer(params.producerId);
    meeting.broadcast('producerClosed', { participantId: participant.id, producerId: params.producerId }, participant.id);
    return {};
  },

  async pauseProducer(_services, caller, params) {
    const { participant } = inMeeting(caller);
    await participant.media.producer(params.producerId).pause();
    return {};
  },

  async resumeProducer(_services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    const producer = participant.media.producer(params.producerId);
    requireMayResume(meeting, participant, producer.appData.source as Source);
    await producer.resume();
    return {};
  },

  async consume(_services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    const found = meeting.findProducer(params.producerId, participant.id);
    if (!found) throw new DomainError('NOT_FOUND', 'no such producer in this meeting');
    const consumer = await participant.media.consume(params.transportId, found.producer, params.rtpCapabilities as types.RtpCapabilities);
    return {
      consumerId: consumer.id,
      producerId: found.producer.id,
      participantId: found.owner.id,
      kind: consumer.kind,
      source: found.producer.appData.source as Source,
      rtpParameters: consumer.rtpParameters,
    };
  },

  async resumeConsumer(_services, caller, params) {
    const { participant } = inMeeting(caller);
    await participant.media.resumeConsumer(params.consumerId);
    return {};
  },
};
