/** The others: their tiles, and consuming their media. */
import type { Consumer, RtpParameters } from 'mediasoup-client/types';
import type { CallConnection } from './call-connection.ts';
import type { CallCore } from './call-core.ts';
import type { WireRtpCapabilities } from './call-types.ts';

/** A tile for someone else (the view ignores someone it already shows). */
export function addParticipant(core: CallCore, id: string, displayName: string): void {
  if (id === core.participantId) return;
  core.view.addParticipant(id, displayName);
}

export async function consume(core: CallCore, connection: CallConnection, participantId: string, producerId: string): Promise<void> {
  if (participantId === core.participantId || connection.seenProducers.has(producerId)) return;
  connection.seenProducers.add(producerId);
  await connection.recvReady;
  const sig = connection.signaling;
  const recv = connection.recvTransport;
  const device = connection.device;
  if (!sig || !recv || !device || core.connection !== connection) return;
  let consumer: Consumer | undefined;
  try {
    const r = await sig.request('consume', {
      transportId: recv.id,
      producerId,
      rtpCapabilities: device.recvRtpCapabilities as WireRtpCapabilities,
    });
    consumer = await recv.consume({
      id: r.consumerId,
      producerId: r.producerId,
      kind: r.kind,
      rtpParameters: r.rtpParameters as RtpParameters,
      ...(connection.e2ee ? { onRtpReceiver: connection.e2ee.receiverHook(r.kind, r.participantId) } : {}),
      appData: { participantId: r.participantId, source: r.source },
    });
    if (core.connection !== connection || connection.closedProducers.has(producerId) || !connection.meeting?.others.has(r.participantId)) {
      consumer.close();
      return;
    }
    connection.consumers.set(consumer.id, { consumer, participantId: r.participantId, producerId, kind: r.kind });
    consumer.on('trackended', () => closeConsumer(core, connection, r.consumerId));
    core.view.addTrack(r.participantId, consumer.id, r.kind, r.source, consumer.track);
    await sig.request('resumeConsumer', { consumerId: consumer.id });
  } catch (err) {
    if (core.connection !== connection) return;
    // The producer may have gone away meanwhile (NOT_FOUND); anything else is logged only,
    // one failed stream must not end the call.
    console.warn(`[call] consuming ${producerId} failed`, err);
    if (consumer) closeConsumer(core, connection, consumer.id);
  }
}

export function closeConsumer(core: CallCore, connection: CallConnection, consumerId: string): void {
  const entry = connection.consumers.get(consumerId);
  if (!entry) return;
  connection.consumers.delete(consumerId);
  entry.consumer.close();
  core.view.removeTrack(entry.participantId, consumerId);
}
