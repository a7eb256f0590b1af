/**
 * One handler per protocol method. Params arrive already validated against the method's schema
 * (dispatch in connection.ts); each handler reads: authorise → act → notify → audit.
 */
import { randomUUID } from 'node:crypto';
import type { types } from 'mediasoup';
import { AppError } from '../errors.ts';
import type { Caller, Services } from './context.ts';
import type { MethodName, Params, Result } from './protocol.ts';

type Handler<M extends MethodName> = (services: Services, caller: Caller, params: Params<M>) => Promise<Result<M>>;
export type Handlers = { [M in MethodName]: Handler<M> };

function joined(caller: Caller) {
  if (!caller.membership) throw new AppError('NOT_JOINED', 'join a meeting first');
  return caller.membership;
}

export const handlers: Handlers = {
  async join(services, caller, params) {
    if (caller.membership) throw new AppError('ALREADY_JOINED', 'this connection is in a meeting already');
    const deny = (code: AppError['code'], message: string): never => {
      services.audit({ action: 'meeting.join', outcome: 'denied', actor: caller.account.id, meetingId: params.meetingId, detail: { code, ip: caller.remoteAddress } });
      throw new AppError(code, message);
    };

    const record = services.meetingStore.get(params.meetingId);
    if (!record) return deny('MEETING_NOT_FOUND', 'no such meeting');
    const meeting = await services.meetings.open(params.meetingId);
    if (meeting.size >= record.policy.maxParticipants) return deny('MEETING_FULL', 'the meeting is full');

    const participantId = randomUUID();
    const displayName = caller.account.displayName;
    const others = meeting.participants().map((p) => p.info());
    const participant = meeting.add(participantId, displayName, {
      notify: (name, payload) => caller.notify(name, payload),
      evicted: () => {
        if (caller.membership?.participant.id === participantId) caller.membership = undefined;
      },
    });
    caller.membership = { meeting, participant };

    services.audit({
      action: 'meeting.join',
      outcome: 'ok',
      actor: caller.account.id,
      meetingId: meeting.id,
      detail: { participantId, ip: caller.remoteAddress },
    });
    return { participantId, displayName, routerRtpCapabilities: meeting.routerRtpCapabilities, participants: others };
  },

  async createTransport(_services, caller, params) {
    const { participant } = joined(caller);
    return participant.media.createTransport(params.direction);
  },

  async connectTransport(_services, caller, params) {
    const { participant } = joined(caller);
    await participant.media.connectTransport(params.transportId, params.dtlsParameters as types.DtlsParameters);
    return {};
  },

  async produce(_services, caller, params) {
    const { meeting, participant } = joined(caller);
    const producer = await participant.media.produce({
      transportId: params.transportId,
      kind: params.kind,
      source: params.source,
      rtpParameters: params.rtpParameters as types.RtpParameters,
    });
    meeting.broadcast('producerAdded', { participantId: participant.id, producer: { id: producer.id, kind: params.kind, source: params.source } }, participant.id);
    return { producerId: producer.id };
  },

  async closeProducer(_services, caller, params) {
    const { meeting, participant } = joined(caller);
    participant.media.closeProducer(params.producerId);
    meeting.broadcast('producerClosed', { participantId: participant.id, producerId: params.producerId }, participant.id);
    return {};
  },

  async consume(_services, caller, params) {
    const { meeting, participant } = joined(caller);
    const found = meeting.findProducer(params.producerId, participant.id);
    if (!found) throw new AppError('NOT_FOUND', 'no such producer in this meeting');
    const consumer = await participant.media.consume(params.transportId, found.producer, params.rtpCapabilities as types.RtpCapabilities);
    return {
      consumerId: consumer.id,
      producerId: found.producer.id,
      participantId: found.owner.id,
      kind: consumer.kind,
      source: found.producer.appData.source as Params<'produce'>['source'],
      rtpParameters: consumer.rtpParameters,
    };
  },

  async resumeConsumer(_services, caller, params) {
    const { participant } = joined(caller);
    await participant.media.resumeConsumer(params.consumerId);
    return {};
  },

  async leave(services, caller) {
    const { meeting, participant } = joined(caller);
    caller.membership = undefined;
    meeting.remove(participant.id);
    services.audit({ action: 'meeting.leave', outcome: 'ok', actor: caller.account.id, meetingId: meeting.id, detail: { participantId: participant.id } });
    return {};
  },
};
