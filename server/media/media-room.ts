/**
 * A meeting's room in the SFU: one mediasoup router on one worker, and each participant's media
 * in it. The meeting core sees it through its media port (server/meetings/media-port.ts); this
 * side knows no meeting rules.
 */
import type { types } from 'mediasoup';
import { ParticipantMedia, type ParticipantMediaEvents } from './participant-media.ts';

export class SfuRoom {
  readonly #router: types.Router;
  readonly #webRtcServer: types.WebRtcServer;

  constructor(router: types.Router, webRtcServer: types.WebRtcServer) {
    this.#router = router;
    this.#webRtcServer = webRtcServer;
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.#router.rtpCapabilities;
  }

  get closed(): boolean {
    return this.#router.closed;
  }

  participantMedia(events: ParticipantMediaEvents): ParticipantMedia {
    return new ParticipantMedia(this.#router, this.#webRtcServer, events);
  }

  /** The worker under the router died. */
  onFailure(listener: () => void): void {
    this.#router.once('workerclose', listener);
  }

  close(): void {
    if (!this.#router.closed) this.#router.close();
  }
}
