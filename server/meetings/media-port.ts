/**
 * What the meeting core needs of the SFU: a room per meeting and each participant's media in it.
 * server/media implements it with mediasoup (one router per meeting, ParticipantMedia per
 * participant); the meeting rules reach mediasoup only through it, so they can be tested without a
 * media worker. The meeting decides (who may send, who is muted); the media side only does.
 */
import type { Params, Result } from '../../protocol/signaling.ts';

export type Source = Params<'produce'>['source'];
export type MediaKind = Params<'produce'>['kind'];
export type Direction = Params<'createTransport'>['direction'];

/** A producer as the meeting sees it (mediasoup's Producer fits this shape). */
export interface ProducerHandle {
  readonly id: string;
  readonly kind: MediaKind;
  readonly paused: boolean;
  readonly closed: boolean;
  /** `{ source }`, set when it was produced. */
  readonly appData: Readonly<Record<string, unknown>>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): void;
}

export function sourceOf(producer: ProducerHandle): Source {
  return producer.appData.source as Source;
}

export interface ConsumerInfo {
  id: string;
  kind: MediaKind;
  rtpParameters: unknown;
}

/** One participant's transports, producers and consumers. Ids from clients are looked up here only. */
export interface ParticipantMediaPort {
  readonly producers: ReadonlyMap<string, ProducerHandle>;
  producerFor(source: Source): ProducerHandle | undefined;
  /** One of this participant's producers, or NOT_FOUND. */
  producer(producerId: string): ProducerHandle;
  createTransport(direction: Direction): Promise<Result<'createTransport'>>;
  connectTransport(transportId: string, dtlsParameters: unknown): Promise<void>;
  restartIce(transportId: string): Promise<{ iceParameters: unknown }>;
  produce(p: { transportId: string; kind: MediaKind; source: Source; rtpParameters: unknown; paused: boolean }): Promise<ProducerHandle>;
  /** A paused consumer of another participant's producer (one per producer). */
  consume(transportId: string, producerId: string, rtpCapabilities: unknown): Promise<ConsumerInfo>;
  resumeConsumer(consumerId: string): Promise<void>;
  /**
   * How the page shows each video it receives, by consumer id: hidden ones paused at the SFU,
   * shown ones at the simulcast layer their height calls for. Returns how many ids were known.
   */
  setTileViews(views: ReadonlyMap<string, { visible: boolean; height: number }>): Promise<number>;
  /** Closes everything this participant has in the SFU. */
  close(): void;
}

export interface MediaRoom {
  /** What a browser loads its device with. */
  readonly rtpCapabilities: unknown;
  participantMedia(events: { consumerClosed(consumerId: string): void }): ParticipantMediaPort;
  /** Each new dominant speaker, by microphone producer id. */
  onDominantSpeaker(listener: (producerId: string) => void): void;
  /** Called once if the media under this room fails (the worker died). */
  onFailure(listener: () => void): void;
  readonly closed: boolean;
  close(): void;
}
