/**
 * An in-memory SFU behind the meeting core's media port: producers that pause, resume and close,
 * consumers that count. It records what the SFU was asked to do, so a rule's effect "at the SFU"
 * can be checked in a unit test that runs in milliseconds.
 */
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../server/errors.ts';
import type { ConsumerInfo, MediaKind, MediaRoom, ParticipantMediaPort, ProducerHandle, Source } from '../../server/meetings/media-port.ts';

export class FakeProducer implements ProducerHandle {
  readonly id = randomUUID();
  readonly kind: MediaKind;
  readonly appData: { source: Source };
  paused: boolean;
  closed = false;
  constructor(kind: MediaKind, source: Source, paused: boolean) {
    this.kind = kind;
    this.appData = { source };
    this.paused = paused;
  }
  async pause(): Promise<void> {
    this.paused = true;
  }
  async resume(): Promise<void> {
    this.paused = false;
  }
  close(): void {
    this.closed = true;
  }
}

export class FakeParticipantMedia implements ParticipantMediaPort {
  readonly #producers = new Map<string, FakeProducer>();
  readonly consumers = new Map<string, string>(); // consumer id → producer id
  closed = false;
  /** Resolves `produce` only when released: lets a test act while the SFU is "creating" it. */
  hold: Promise<void> | undefined;

  get producers(): ReadonlyMap<string, FakeProducer> {
    for (const [id, p] of this.#producers) if (p.closed) this.#producers.delete(id);
    return this.#producers;
  }
  producerFor(source: Source): FakeProducer | undefined {
    return [...this.producers.values()].find((p) => p.appData.source === source);
  }
  producer(producerId: string): FakeProducer {
    const p = this.producers.get(producerId);
    if (!p) throw new DomainError('NOT_FOUND', 'no such producer');
    return p;
  }
  async createTransport(): Promise<{ id: string; iceParameters: unknown; iceCandidates: unknown; dtlsParameters: unknown }> {
    return { id: randomUUID(), iceParameters: {}, iceCandidates: [], dtlsParameters: {} };
  }
  async connectTransport(): Promise<void> {}
  async restartIce(): Promise<{ iceParameters: unknown }> {
    return { iceParameters: {} };
  }
  async produce(p: { kind: MediaKind; source: Source; paused: boolean }): Promise<FakeProducer> {
    if (this.producerFor(p.source)) throw new DomainError('CONFLICT', `a ${p.source} producer exists already`);
    await this.hold;
    const producer = new FakeProducer(p.kind, p.source, p.paused);
    this.#producers.set(producer.id, producer);
    return producer;
  }
  async consume(_transportId: string, producerId: string): Promise<ConsumerInfo> {
    if ([...this.consumers.values()].includes(producerId)) throw new DomainError('TOO_MANY', 'received already');
    const id = randomUUID();
    this.consumers.set(id, producerId);
    return { id, kind: 'audio', rtpParameters: {} };
  }
  async resumeConsumer(): Promise<void> {}
  /** The last tile views the page sent, by consumer id. */
  readonly tileViews = new Map<string, { visible: boolean; height: number }>();
  async setTileViews(views: ReadonlyMap<string, { visible: boolean; height: number }>): Promise<number> {
    let applied = 0;
    for (const [id, view] of views) {
      if (!this.consumers.has(id)) continue;
      this.tileViews.set(id, view);
      applied++;
    }
    return applied;
  }
  close(): void {
    this.closed = true;
    for (const p of this.#producers.values()) p.close();
  }
}

export class FakeRoom implements MediaRoom {
  readonly rtpCapabilities = { codecs: [] };
  readonly media: FakeParticipantMedia[] = [];
  closed = false;
  #fail: (() => void) | undefined;
  #speaker: ((producerId: string) => void) | undefined;
  participantMedia(): FakeParticipantMedia {
    const m = new FakeParticipantMedia();
    this.media.push(m);
    return m;
  }
  onFailure(listener: () => void): void {
    this.#fail = listener;
  }
  onDominantSpeaker(listener: (producerId: string) => void): void {
    this.#speaker = listener;
  }
  /** The SFU's speaker observer names this microphone producer. */
  speaks(producerId: string): void {
    this.#speaker?.(producerId);
  }
  /** The media worker under the room dies. */
  fail(): void {
    this.closed = true;
    this.#fail?.();
  }
  close(): void {
    this.closed = true;
  }
}
