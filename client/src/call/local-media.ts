/**
 * The person's own camera and microphone on this page, and what they chose: microphone muted,
 * camera off. Outlives a call session (a re-join after `reconnect` uses the same tracks); released
 * when the call leaves, fails or ends. Sending them is `OwnMedia`'s (one per session).
 */
import { getLocalMedia } from '../media.ts';
import type { Lifetime } from './lifetime.ts';
import type { CallView } from './types.ts';

export class LocalMedia {
  /** Camera and microphone, once asked for inside a meeting. */
  stream: MediaStream | null = null;
  micMuted = false;
  cameraOff = false;
  readonly #view: Pick<CallView, 'showLocal'>;

  constructor(view: Pick<CallView, 'showLocal'>) {
    this.#view = view;
  }

  /** A new join starts with microphone and camera on. */
  reset(): void {
    this.micMuted = false;
    this.cameraOff = false;
  }

  /**
   * The stream for a session: the one kept from before a re-join, or camera (if allowed) and
   * microphone now (released again if the session closed meanwhile).
   */
  async acquire(cameraAllowed: boolean, life: Lifetime): Promise<MediaStream> {
    this.stream ??= await life.live(getLocalMedia({ video: cameraAllowed }), (s) => {
      for (const t of s.getTracks()) t.stop();
    });
    return this.stream;
  }

  /** Tracks on or off as chosen (before any producer exists), and the preview. */
  apply(): void {
    const stream = this.stream;
    if (!stream) return;
    if (stream.getVideoTracks().length === 0) this.cameraOff = true;
    for (const t of stream.getAudioTracks()) t.enabled = !this.micMuted;
    for (const t of stream.getVideoTracks()) t.enabled = !this.cameraOff;
    this.#view.showLocal(stream);
  }

  setTracksEnabled(source: 'microphone' | 'camera', enabled: boolean): void {
    const tracks = source === 'microphone' ? this.stream?.getAudioTracks() : this.stream?.getVideoTracks();
    for (const t of tracks ?? []) t.enabled = enabled;
  }

  liveCameraTrack(): MediaStreamTrack | undefined {
    return this.stream?.getVideoTracks().find((t) => t.readyState === 'live');
  }

  addCameraTrack(track: MediaStreamTrack): void {
    this.stream ??= new MediaStream();
    this.stream.addTrack(track);
  }

  /** Releases the camera (not allowed, or closed): the preview keeps the microphone's stream. */
  dropCamera(): void {
    for (const t of this.stream?.getVideoTracks() ?? []) {
      t.stop();
      this.stream?.removeTrack(t);
    }
  }

  showPreview(): void {
    if (this.stream) this.#view.showLocal(this.stream);
  }

  stop(): void {
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    this.#view.showLocal(null);
  }
}
