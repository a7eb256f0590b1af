/**
 * What this session receives: one consumer per producer of the others, each resumed once wired to
 * the page, closed when its producer or its participant goes. One per session.
 */
import type { Device } from 'mediasoup-client';
import type { Consumer, RtpParameters, Transport } from 'mediasoup-client/types';
import { consumerStats, type ConsumerEntry, type ConsumerStats } from '../media.ts';
import type { Signaling } from '../signaling.ts';
import type { Lifetime } from './lifetime.ts';
import type { CallView, MediaKind, WireRtpCapabilities } from './types.ts';

export type RemoteMediaPorts = {
  life: Lifetime;
  sig: Signaling;
  /** The page, as this session sees it (silent once the session is closed). */
  view: Pick<CallView, 'addTrack' | 'removeTrack'>;
  /** Whether someone is (still) in the meeting as we know it. */
  present: (participantId: string) => boolean;
  /** The decrypting transform for a new receiver (end-to-end encrypted meetings). */
  receiverHook: ((kind: MediaKind, senderId: string) => (receiver: RTCRtpReceiver) => void) | null;
};

export class RemoteMedia {
  readonly #p: RemoteMediaPorts;
  readonly #consumers = new Map<string, ConsumerEntry>();
  /** Producers already being consumed (or tried), so a producer is never consumed twice. */
  readonly #seen = new Set<string>();
  readonly #closedProducers = new Set<string>();
  #recv: { device: Device; transport: Transport } | null = null;
  readonly #ready: Promise<void>;
  #markReady: () => void = () => {};

  constructor(ports: RemoteMediaPorts) {
    this.#p = ports;
    this.#ready = new Promise<void>((resolve) => {
      this.#markReady = resolve;
    });
  }

  /** The receive transport is there: consuming (asked for meanwhile) starts. */
  attach(device: Device, transport: Transport): void {
    this.#recv = { device, transport };
    this.#markReady();
  }

  /** Consumes someone's producer (once), when the receive transport is there. */
  async consume(participantId: string, producerId: string): Promise<void> {
    if (this.#seen.has(producerId)) return;
    this.#seen.add(producerId);
    const { life, sig, view } = this.#p;
    let consumer: Consumer | undefined;
    try {
      await life.live(this.#ready);
      const { device, transport } = this.#recv!;
      const r = await life.live(
        sig.request('consume', { transportId: transport.id, producerId, rtpCapabilities: device.recvRtpCapabilities as WireRtpCapabilities }),
      );
      const hook = this.#p.receiverHook;
      consumer = await life.live(
        transport.consume({
          id: r.consumerId,
          producerId: r.producerId,
          kind: r.kind,
          rtpParameters: r.rtpParameters as RtpParameters,
          ...(hook ? { onRtpReceiver: hook(r.kind, r.participantId) } : {}),
          appData: { participantId: r.participantId, source: r.source },
        }),
        (c) => c.close(),
      );
      if (this.#closedProducers.has(producerId) || !this.#p.present(r.participantId)) {
        consumer.close();
        return;
      }
      this.#consumers.set(consumer.id, { consumer, participantId: r.participantId, producerId, kind: r.kind });
      consumer.on('trackended', () => this.closeConsumer(r.consumerId));
      view.addTrack(r.participantId, consumer.id, r.kind, r.source, consumer.track);
      await sig.request('resumeConsumer', { consumerId: consumer.id });
    } catch (err) {
      if (life.closed) return;
      // The producer may have gone away meanwhile (NOT_FOUND); anything else is logged only,
      // one failed stream must not end the call.
      console.warn(`[call] consuming ${producerId} failed`, err);
      if (consumer) this.closeConsumer(consumer.id);
    }
  }

  closeConsumer(consumerId: string): void {
    const entry = this.#consumers.get(consumerId);
    if (!entry) return;
    this.#consumers.delete(consumerId);
    entry.consumer.close();
    this.#p.view.removeTrack(entry.participantId, consumerId);
  }

  producerClosed(producerId: string): void {
    this.#closedProducers.add(producerId);
    for (const [id, entry] of this.#consumers) if (entry.producerId === producerId) this.closeConsumer(id);
  }

  participantLeft(participantId: string): void {
    for (const [id, entry] of this.#consumers) if (entry.participantId === participantId) this.closeConsumer(id);
  }

  /**
   * Tells the server how the page shows the videos it receives (visible, drawn height), so the SFU
   * pauses what is not seen and sends each tile the layer its size needs. Unknown ids are dropped here.
   */
  async showTiles(tiles: readonly { consumerId: string; visible: boolean; height: number }[]): Promise<void> {
    const known = tiles.filter((t) => this.#consumers.get(t.consumerId)?.kind === 'video').slice(0, 200);
    if (known.length === 0) return;
    const consumers = known.map((t) => ({ consumerId: t.consumerId, visible: t.visible, height: Math.max(0, Math.min(4320, Math.round(t.height))) }));
    await this.#p.life.live(this.#p.sig.request('setReceiveLayers', { consumers }));
  }

  /** inbound-rtp figures of every consumer (tests and the bench). */
  stats(): Promise<ConsumerStats[]> {
    return consumerStats([...this.#consumers.values()]);
  }

  close(): void {
    for (const entry of this.#consumers.values()) entry.consumer.close();
    this.#consumers.clear();
  }
}
