/**
 * A running meeting: who is in it, and the rules about them. Media plumbing lives in
 * server/media (one router per meeting, ParticipantMedia per participant); the wire protocol in
 * server/signaling. A Meeting only knows participants through the small Participant interface.
 */
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { ParticipantMedia } from '../media/participant-media.ts';
import type { Static } from '@sinclair/typebox';
import type { NotificationName, NotificationParams, ParticipantInfo } from '../signaling/protocol.ts';

export interface ParticipantLink {
  /** Push a notification to this participant's client. */
  notify<N extends NotificationName>(name: N, params: NotificationParams<N>): void;
  /** The meeting dropped this participant (media failure, shutdown): forget the membership. */
  evicted(): void;
}

export class Participant {
  readonly id: string;
  readonly displayName: string;
  readonly media: ParticipantMedia;
  readonly link: ParticipantLink;

  constructor(id: string, displayName: string, media: ParticipantMedia, link: ParticipantLink) {
    this.id = id;
    this.displayName = displayName;
    this.media = media;
    this.link = link;
  }

  info(): Static<typeof ParticipantInfo> {
    return {
      id: this.id,
      displayName: this.displayName,
      producers: [...this.media.producers.values()].map((p) => ({
        id: p.id,
        kind: p.kind,
        source: p.appData.source as 'microphone' | 'camera' | 'screen',
      })),
    };
  }
}

type MeetingEvents = { closed: [] };

export class Meeting extends EventEmitter<MeetingEvents> {
  readonly id: string;
  readonly #router: types.Router;
  readonly #webRtcServer: types.WebRtcServer;
  readonly #participants = new Map<string, Participant>();
  #closed = false;

  constructor(id: string, router: types.Router, webRtcServer: types.WebRtcServer) {
    super();
    this.id = id;
    this.#router = router;
    this.#webRtcServer = webRtcServer;
    // The media worker under this meeting died: everyone must reconnect (to a new router).
    router.once('workerclose', () => this.close('media-worker-died'));
  }

  get closed(): boolean {
    return this.#closed;
  }

  get size(): number {
    return this.#participants.size;
  }

  get routerRtpCapabilities(): types.RtpCapabilities {
    return this.#router.rtpCapabilities;
  }

  participants(): Participant[] {
    return [...this.#participants.values()];
  }

  get(participantId: string): Participant | undefined {
    return this.#participants.get(participantId);
  }

  /** Adds a participant and tells everyone else. */
  add(id: string, displayName: string, link: ParticipantLink): Participant {
    const media = new ParticipantMedia(this.#router, this.#webRtcServer, {
      consumerClosed: (consumerId) => link.notify('consumerClosed', { consumerId }),
    });
    const participant = new Participant(id, displayName, media, link);
    this.#participants.set(id, participant);
    this.broadcast('participantJoined', { participant: participant.info() }, id);
    return participant;
  }

  /** Removes a participant: closes all their media, tells everyone else. */
  remove(participantId: string): void {
    const participant = this.#participants.get(participantId);
    if (!participant) return;
    this.#participants.delete(participantId);
    participant.media.close();
    this.broadcast('participantLeft', { participantId });
    if (this.#participants.size === 0) this.close();
  }

  /** A producer of another participant in this meeting (never one's own, never another meeting's). */
  findProducer(producerId: string, exceptParticipantId: string): { owner: Participant; producer: types.Producer } | undefined {
    for (const owner of this.#participants.values()) {
      if (owner.id === exceptParticipantId) continue;
      const producer = owner.media.producers.get(producerId);
      if (producer) return { owner, producer };
    }
    return undefined;
  }

  broadcast<N extends NotificationName>(name: N, params: NotificationParams<N>, exceptParticipantId?: string): void {
    for (const p of this.#participants.values()) if (p.id !== exceptParticipantId) p.link.notify(name, params);
  }

  /**
   * Ends the running meeting. With a reason, participants are told to reconnect and are dropped;
   * without (the last one left), it just releases the router.
   */
  close(reason?: NotificationParams<'reconnect'>['reason']): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#participants.values()) {
      p.media.close();
      if (reason) p.link.notify('reconnect', { reason });
      p.link.evicted();
    }
    this.#participants.clear();
    if (!this.#router.closed) this.#router.close();
    this.emit('closed');
  }
}
