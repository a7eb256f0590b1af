/**
 * Everything one participant has in the SFU: at most one send and one receive transport, one
 * producer per source, and its consumers. It owns them: close() closes the transports, which
 * cascades to producers and consumers in mediasoup, so "participant left", "participant removed"
 * and "media worker died" are one code path. Ids from a client are only looked up here, among
 * this participant's own objects, so a forged id can never reach someone else's media.
 */
import type { types } from 'mediasoup';
import { DomainError } from '../errors.ts';
import type { Params, Result } from '../../protocol/signaling.ts';

type Direction = 'send' | 'recv';
type Source = Params<'produce'>['source'];

const SOURCE_KIND: Record<Source, 'audio' | 'video'> = { microphone: 'audio', camera: 'video', screen: 'video' };

export interface ParticipantMediaEvents {
  /** A consumer closed because its producer or transport went away. */
  consumerClosed(consumerId: string): void;
}

/** How a page shows one video it receives (`setReceiveLayers`). */
export interface TileView {
  visible: boolean;
  /** Drawn height in CSS pixels. */
  height: number;
}

/** Key-frame requests towards one sender: at most one per this many milliseconds (mediasoup's keyFrameRequestDelay). */
export const KEY_FRAME_REQUEST_DELAY_MS = 300;

/** The simulcast layer for a tile this tall: below 200 px the lowest, below 400 px the middle, else the highest. */
export function spatialLayerFor(height: number, layers: number): number {
  const wanted = height < 200 ? 0 : height < 400 ? 1 : 2;
  return Math.min(wanted, Math.max(0, layers - 1));
}

export class ParticipantMedia {
  readonly #router: types.Router;
  readonly #webRtcServer: types.WebRtcServer;
  readonly #events: ParticipantMediaEvents;
  readonly #transports = new Map<string, types.WebRtcTransport>();
  readonly #producers = new Map<string, types.Producer>();
  readonly #consumers = new Map<string, types.Consumer>();
  /** Consumers the page has wired up (resumeConsumer), and those whose tile it does not show. */
  readonly #ready = new Set<string>();
  readonly #hidden = new Set<string>();
  readonly #speakers: SpeakerObserver | null;
  #closed = false;

  constructor(router: types.Router, webRtcServer: types.WebRtcServer, events: ParticipantMediaEvents, speakers: SpeakerObserver | null = null) {
    this.#router = router;
    this.#webRtcServer = webRtcServer;
    this.#events = events;
    this.#speakers = speakers;
  }

  get producers(): ReadonlyMap<string, types.Producer> {
    return this.#producers;
  }

  get transports(): ReadonlyMap<string, types.WebRtcTransport> {
    return this.#transports;
  }

  get consumers(): ReadonlyMap<string, types.Consumer> {
    return this.#consumers;
  }

  async createTransport(direction: Direction): Promise<Result<'createTransport'>> {
    this.#assertOpen();
    if ([...this.#transports.values()].some((t) => t.appData.direction === direction)) {
      throw new DomainError('CONFLICT', `a ${direction} transport exists already`);
    }
    const transport = await this.#router.createWebRtcTransport({
      webRtcServer: this.#webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      // What the SFU may send a receiver before its estimate is in: a large tile's top layer
      // (≈1.5 Mbit/s) and a few small ones; the estimate lowers it at once on a short downlink.
      initialAvailableOutgoingBitrate: direction === 'recv' ? 3_000_000 : 1_000_000,
      appData: { direction },
    });
    if (this.#closed) {
      transport.close();
      throw new DomainError('NOT_JOINED', 'left the meeting');
    }
    this.#transports.set(transport.id, transport);
    transport.observer.once('close', () => this.#transports.delete(transport.id));
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async connectTransport(transportId: string, dtlsParameters: unknown): Promise<void> {
    const transport = this.#transport(transportId);
    await mediaCall(() => transport.connect({ dtlsParameters: dtlsParameters as types.DtlsParameters }));
  }

  /** New ICE parameters for a transport whose network path changed (the browser restarts ICE with them). */
  async restartIce(transportId: string): Promise<{ iceParameters: unknown }> {
    const transport = this.#transport(transportId);
    return { iceParameters: await mediaCall(() => transport.restartIce()) };
  }

  /** This participant's producer for a source, if any. */
  producerFor(source: Source): types.Producer | undefined {
    return [...this.#producers.values()].find((p) => p.appData.source === source);
  }

  /** Finds one of this participant's producers, or NOT_FOUND. */
  producer(producerId: string): types.Producer {
    const producer = this.#producers.get(producerId);
    if (!producer) throw new DomainError('NOT_FOUND', 'no such producer');
    return producer;
  }

  async produce(p: {
    transportId: string;
    kind: 'audio' | 'video';
    source: Source;
    rtpParameters: unknown;
    /** Start paused at the SFU (mute on entry, or muted by a host): nothing is forwarded. */
    paused?: boolean;
  }): Promise<types.Producer> {
    const transport = this.#transport(p.transportId, 'send');
    if (SOURCE_KIND[p.source] !== p.kind) throw new DomainError('INVALID_PARAMS', `${p.source} must be ${SOURCE_KIND[p.source]}`);
    if ([...this.#producers.values()].some((x) => x.appData.source === p.source)) {
      throw new DomainError('CONFLICT', `a ${p.source} producer exists already`);
    }
    const producer = await mediaCall(() =>
      transport.produce({
        kind: p.kind,
        rtpParameters: p.rtpParameters as types.RtpParameters,
        paused: p.paused ?? false,
        // Many receivers asking for a key frame at once (joins, layer switches) cost the sender one per 300 ms
        // (one per second made a join wait for its first frame: 710 ms against 384 ms, side by side).
        keyFrameRequestDelay: KEY_FRAME_REQUEST_DELAY_MS,
        appData: { source: p.source },
      }),
    );
    this.#producers.set(producer.id, producer);
    producer.observer.once('close', () => this.#producers.delete(producer.id));
    if (p.source === 'microphone') this.#speakers?.add(producer);
    return producer;
  }

  closeProducer(producerId: string): void {
    this.producer(producerId).close();
  }

  /**
   * A paused consumer of a producer in this router (the meeting checked whose it is);
   * resumeConsumer() starts the flow.
   */
  async consume(transportId: string, producerId: string, capabilities: unknown): Promise<{ id: string; kind: 'audio' | 'video'; rtpParameters: unknown }> {
    const transport = this.#transport(transportId, 'recv');
    const rtpCapabilities = capabilities as types.RtpCapabilities;
    // One receiver per producer: a second one would only double the SFU's work.
    if ([...this.#consumers.values()].some((c) => c.producerId === producerId)) {
      throw new DomainError('TOO_MANY', 'this producer is received already');
    }
    if (!this.#router.canConsume({ producerId, rtpCapabilities })) {
      throw new DomainError('MEDIA_ERROR', 'cannot receive this producer with these RTP capabilities');
    }
    const consumer = await mediaCall(() => transport.consume({ producerId, rtpCapabilities, paused: true }));
    this.#consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => {
      this.#consumers.delete(consumer.id);
      this.#ready.delete(consumer.id);
      this.#hidden.delete(consumer.id);
    });
    const gone = () => {
      consumer.close();
      this.#events.consumerClosed(consumer.id);
    };
    consumer.once('producerclose', gone);
    return { id: consumer.id, kind: consumer.kind, rtpParameters: consumer.rtpParameters };
  }

  /** The page has wired the consumer up: it flows, unless its tile is not shown. */
  async resumeConsumer(consumerId: string): Promise<void> {
    const consumer = this.#consumers.get(consumerId);
    if (!consumer) throw new DomainError('NOT_FOUND', 'no such consumer');
    this.#ready.add(consumerId);
    if (!this.#hidden.has(consumerId)) await mediaCall(() => consumer.resume());
  }

  /**
   * What the page shows of each video it receives: a hidden tile's consumer is paused at the SFU
   * (nothing forwarded), a shown one flows at the simulcast layer its height calls for. Unknown
   * ids (closed meanwhile) are skipped; returns how many were applied.
   */
  async setTileViews(views: ReadonlyMap<string, TileView>): Promise<number> {
    this.#assertOpen();
    let applied = 0;
    const work: Promise<unknown>[] = [];
    for (const [consumerId, view] of views) {
      const consumer = this.#consumers.get(consumerId);
      if (!consumer || consumer.kind !== 'video') continue;
      applied++;
      if (!view.visible) {
        this.#hidden.add(consumerId);
        work.push(consumer.pause());
        continue;
      }
      this.#hidden.delete(consumerId);
      if (consumer.type === 'simulcast') {
        const layers = spatialLayersOf(consumer);
        work.push(consumer.setPreferredLayers({ spatialLayer: spatialLayerFor(view.height, layers), temporalLayer: 2 }));
      }
      if (this.#ready.has(consumerId) && consumer.paused) work.push(consumer.resume());
    }
    await mediaCall(() => Promise.all(work));
    return applied;
  }

  close(): void {
    this.#closed = true;
    for (const transport of this.#transports.values()) transport.close();
  }

  #transport(id: string, direction?: Direction): types.WebRtcTransport {
    this.#assertOpen();
    const transport = this.#transports.get(id);
    if (!transport) throw new DomainError('NOT_FOUND', 'no such transport');
    if (direction && transport.appData.direction !== direction) {
      throw new DomainError('INVALID_PARAMS', `transport is not a ${direction} transport`);
    }
    return transport;
  }

  #assertOpen(): void {
    if (this.#closed) throw new DomainError('NOT_JOINED', 'left the meeting');
  }
}

/** Listens for who speaks among the microphones added (the room's ActiveSpeakerObserver). */
export interface SpeakerObserver {
  add(producer: types.Producer): void;
}

/** How many spatial layers a simulcast consumer's producer sends (its encodings). */
function spatialLayersOf(consumer: types.Consumer): number {
  const mode = consumer.rtpParameters.encodings?.[0]?.scalabilityMode ?? '';
  const match = /^[LS](\d+)/.exec(mode);
  return match ? Number(match[1]) : 1;
}

/** mediasoup's own refusals (bad RTP parameters, DTLS already connected, …) become MEDIA_ERROR. */
async function mediaCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError('MEDIA_ERROR', (error as Error).message);
  }
}
