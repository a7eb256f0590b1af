/**
 * One handler per protocol method. Params arrive already validated against the method's schema
 * (dispatch in connection.ts); each handler reads: authorise → act → notify → audit.
 */
import { randomUUID } from 'node:crypto';
import type { types } from 'mediasoup';
import { AppError } from '../errors.ts';
import { JoinTokenError, verifyJoinToken } from '../tokens/join-token.ts';
import type { Services, Session } from './context.ts';
import type { MethodName, Params, Result } from './protocol.ts';

type Handler<M extends MethodName> = (services: Services, session: Session, params: Params<M>) => Promise<Result<M>>;
export type Handlers = { [M in MethodName]: Handler<M> };

function joined(session: Session) {
  if (!session.membership) throw new AppError('NOT_JOINED', 'join a meeting first');
  return session.membership;
}

export const handlers: Handlers = {
  async join(services, session, params) {
    if (session.membership) throw new AppError('ALREADY_JOINED', 'this connection is in a meeting already');
    const deny = (code: AppError['code'], message: string, detail: Record<string, unknown> = {}): never => {
      services.audit({ action: 'meeting.join', outcome: 'denied', meetingId: params.meetingId, detail: { code, ip: session.remoteAddress, ...detail } });
      throw new AppError(code, message);
    };

    let claims;
    try {
      claims = await verifyJoinToken(services.joinTokenKey, params.token, params.meetingId);
    } catch (error) {
      if (error instanceof JoinTokenError) return deny(error.code, error.message);
      throw error;
    }
    if (!services.meetingStore.get(params.meetingId)) return deny('MEETING_NOT_FOUND', 'no such meeting', { tokenId: claims.tokenId });
    const meeting = await services.meetings.open(params.meetingId);
    if (meeting.size >= services.config.media.maxParticipantsPerMeeting) return deny('MEETING_FULL', 'the meeting is full', { tokenId: claims.tokenId });

    const participantId = randomUUID();
    const displayName = params.displayName ?? claims.displayName;
    const others = meeting.participants().map((p) => p.info());
    const participant = meeting.add(participantId, displayName, {
      notify: (name, payload) => session.notify(name, payload),
      evicted: () => {
        if (session.membership?.participant.id === participantId) session.membership = undefined;
      },
    });
    session.membership = { meeting, participant };

    services.audit({
      action: 'meeting.join',
      outcome: 'ok',
      actor: participantId,
      meetingId: meeting.id,
      detail: { tokenId: claims.tokenId, tokenName: claims.displayName, displayName, ip: session.remoteAddress },
    });
    return { participantId, displayName, routerRtpCapabilities: meeting.routerRtpCapabilities, participants: others };
  },

  async createTransport(_services, session, params) {
    const { participant } = joined(session);
    return participant.media.createTransport(params.direction);
  },

  async connectTransport(_services, session, params) {
    const { participant } = joined(session);
    await participant.media.connectTransport(params.transportId, params.dtlsParameters as types.DtlsParameters);
    return {};
  },

  async produce(_services, session, params) {
    const { meeting, participant } = joined(session);
    const producer = await participant.media.produce({
      transportId: params.transportId,
      kind: params.kind,
      source: params.source,
      rtpParameters: params.rtpParameters as types.RtpParameters,
    });
    meeting.broadcast('producerAdded', { participantId: participant.id, producer: { id: producer.id, kind: params.kind, source: params.source } }, participant.id);
    return { producerId: producer.id };
  },

  async closeProducer(_services, session, params) {
    const { meeting, participant } = joined(session);
    participant.media.closeProducer(params.producerId);
    meeting.broadcast('producerClosed', { participantId: participant.id, producerId: params.producerId }, participant.id);
    return {};
  },

  async consume(_services, session, params) {
    const { meeting, participant } = joined(session);
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

  async resumeConsumer(_services, session, params) {
    const { participant } = joined(session);
    await participant.media.resumeConsumer(params.consumerId);
    return {};
  },

  async leave(services, session) {
    const { meeting, participant } = joined(session);
    session.membership = undefined;
    meeting.remove(participant.id);
    services.audit({ action: 'meeting.leave', outcome: 'ok', actor: participant.id, meetingId: meeting.id });
    return {};
  },
};
