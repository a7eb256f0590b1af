/**
 * A meeting's room in the SFU: one mediasoup router on one worker, and each participant's media
 * in it. The meeting core sees it through its media port (server/meetings/media-port.ts); this
 * side knows no meeting rules.
 */
import type { types } from 'mediasoup';
import { ParticipantMedia, type ParticipantMediaEvents, type SpeakerObserver } from './participant-media.ts';

/** How often the ActiveSpeakerObserver may name a new dominant speaker. */
export const SPEAKER_INTERVAL_MS = 300;

export class SfuRoom {
  readonly #router: types.Router;
  readonly #webRtcServer: types.WebRtcServer;
  #observer: types.ActiveSpeakerObserver | null = null;
  readonly #speakerListeners: ((producerId: string) => void)[] = [];
  readonly #speakers: SpeakerObserver = {
    add: (producer) => {
      const observer = this.#observer;
      if (observer && !observer.closed) void observer.addProducer({ producerId: producer.id }).catch(() => {});
    },
  };

  constructor(router: types.Router, webRtcServer: types.WebRtcServer) {
    this.#router = router;
    this.#webRtcServer = webRtcServer;
  }

  /** Starts listening for who speaks (the microphones' audio level, read by the SFU in the clear). */
  async observeSpeakers(): Promise<void> {
    if (this.#observer || this.#router.closed) return;
    const observer = await this.#router.createActiveSpeakerObserver({ interval: SPEAKER_INTERVAL_MS });
    this.#observer = observer;
    observer.on('dominantspeaker', ({ producer }) => {
      for (const listener of this.#speakerListeners) listener(producer.id);
    });
  }

  /** Each new dominant speaker's microphone producer. */
  onDominantSpeaker(listener: (producerId: string) => void): void {
    this.#speakerListeners.push(listener);
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.#router.rtpCapabilities;
  }

  get closed(): boolean {
    return this.#router.closed;
  }

  participantMedia(events: ParticipantMediaEvents): ParticipantMedia {
    return new ParticipantMedia(this.#router, this.#webRtcServer, events, this.#speakers);
  }

  /** The worker under the router died. */
  onFailure(listener: () => void): void {
    this.#router.once('workerclose', listener);
  }

  close(): void {
    if (!this.#router.closed) this.#router.close();
  }
}
