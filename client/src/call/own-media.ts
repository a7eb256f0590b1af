/**
 * What this session sends: the microphone, camera and screen producers, on and off through the
 * server (pauseProducer / resumeProducer), so a host's mute is real; and what happens when a host
 * mutes us, forbids the camera or screen sharing. One per session: a re-join gets a new one.
 */
import type { Producer, RtpCodecCapability, RtpEncodingParameters, Transport } from 'mediasoup-client/types';
import { SignalingError, type Signaling } from '../signaling.ts';
import type { Lifetime } from './lifetime.ts';
import type { LocalMedia } from './local-media.ts';
import type { Participant } from './meeting-state.ts';
import type { CallView, Source, WireRtpParameters } from './types.ts';

type ProduceOptions = { onRtpSender?: (sender: RTCRtpSender) => void; codec?: RtpCodecCapability };

export type OwnMediaPorts = {
  life: Lifetime;
  sig: Signaling;
  local: LocalMedia;
  /** The page, as this session sees it (silent once the session is closed). */
  view: Pick<CallView, 'update' | 'status'>;
  /** Our own participant view, as the server last sent it (role, mutedByHost, what we may send). */
  self: () => Participant;
  /** The server refused to resume the microphone: a host has it muted (we had not heard yet). */
  heardHostMute: () => void;
  /** The transform hook and codec for a new producer (end-to-end encrypted meetings). */
  produceOptions: (kind: 'audio' | 'video') => ProduceOptions;
};

export class OwnMedia {
  readonly #p: OwnMediaPorts;
  readonly #producers = new Map<Source, Producer>();
  /** Producers the server started paused (mute on entry, a host's mute). */
  readonly #pausedAtServer = new Set<string>();
  #send: Transport | null = null;
  #screenTrack: MediaStreamTrack | null = null;
  /** Whether we are inside with transports (not still joining): starting a camera or a screen needs it. */
  #ready = false;

  constructor(ports: OwnMediaPorts) {
    this.#p = ports;
  }

  get hasMicrophone(): boolean {
    return this.#producers.has('microphone');
  }

  get screenSharing(): boolean {
    return this.#screenTrack !== null;
  }

  /** The send transport is there: its `produce` events go to the server, which may start them paused. */
  attach(send: Transport): void {
    this.#send = send;
    send.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      const source = (appData['source'] ?? (kind === 'audio' ? 'microphone' : 'camera')) as Source;
      this.#p.sig
        .request('produce', { transportId: send.id, kind, source, rtpParameters: rtpParameters as WireRtpParameters })
        .then(({ producerId, paused }) => {
          if (paused) this.#pausedAtServer.add(producerId);
          callback({ id: producerId });
        }, errback);
    });
  }

  /** Microphone and camera of the stream, as the person chose them (muted, camera off) or the server started them. */
  async produceAll(stream: MediaStream): Promise<void> {
    const { local } = this.#p;
    const audio = stream.getAudioTracks()[0];
    const video = stream.getVideoTracks()[0];
    const tasks: Promise<void>[] = [];
    if (audio) {
      tasks.push(
        this.#produce('microphone', audio).then(async (p) => {
          if (this.#pausedAtServer.has(p.id)) {
            // Mute on entry, or a host mute: the person unmutes when they choose (or are asked).
            local.micMuted = true;
            p.pause();
          } else if (local.micMuted) {
            // Paused from the start: the server is told too, so nothing is forwarded.
            await this.#pause('microphone');
          }
        }),
      );
    }
    if (video) {
      tasks.push(
        this.#produce('camera', video).then(async () => {
          if (local.cameraOff) await this.#pause('camera');
        }),
      );
    }
    await Promise.all(tasks);
    this.#ready = true;
  }

  /** Mutes or unmutes the microphone, at the server too. Unmuting is refused while a host has it muted. */
  async toggleMic(): Promise<void> {
    const { local, view, life, sig } = this.#p;
    if (!local.micMuted) {
      local.micMuted = true;
      return this.#turnOff('microphone', 'statusMicMuted');
    }
    if (this.#p.self().mutedByHost) throw new SignalingError('HOST_MUTED', 'muted by a host');
    const producer = this.#producers.get('microphone');
    if (producer) {
      try {
        await life.live(sig.request('resumeProducer', { producerId: producer.id }));
      } catch (err) {
        if (err instanceof SignalingError && err.code === 'HOST_MUTED') this.#p.heardHostMute();
        throw err;
      }
      // A host may have muted us while the request was on its way.
      if (this.#p.self().mutedByHost) return;
      producer.resume();
    } else {
      local.setTracksEnabled('microphone', true);
    }
    local.micMuted = false;
    view.update();
    view.status('statusMicOn');
  }

  /** Turns the camera off (paused at the server) or on (resumed, or started again if it was closed). */
  async toggleCamera(): Promise<void> {
    const { local, view, life, sig } = this.#p;
    if (!local.cameraOff) {
      local.cameraOff = true;
      return this.#turnOff('camera', 'statusCameraOff');
    }
    if (!this.#p.self().cameraAllowed) throw new SignalingError('CAMERA_NOT_ALLOWED', 'camera not allowed');
    const producer = this.#producers.get('camera');
    if (producer) {
      await life.live(sig.request('resumeProducer', { producerId: producer.id }));
      producer.resume();
    } else if (this.#ready) {
      await this.#startCamera();
    } else {
      local.setTracksEnabled('camera', true);
    }
    local.cameraOff = false;
    view.update();
    view.status('statusCameraOn');
  }

  /** Starts sharing the screen (the browser asks what to share) or stops it. */
  async toggleScreenShare(): Promise<void> {
    if (this.#screenTrack) {
      await this.#stopScreen(true);
      return;
    }
    const { life, view } = this.#p;
    if (!this.#ready) throw new SignalingError('NOT_JOINED', 'not in a meeting yet');
    if (!this.#p.self().screenShareAllowed) throw new SignalingError('SCREEN_SHARE_NOT_ALLOWED', 'screen sharing not allowed');
    let display: MediaStream;
    try {
      // Straight from the click: the browser needs the user gesture for its picker.
      display = await life.live(navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }), stopAll);
    } catch (err) {
      if (life.closed) throw err;
      console.warn('[call] getDisplayMedia failed', err);
      throw new SignalingError('SCREEN_SHARE_FAILED', String(err));
    }
    const track = display.getVideoTracks()[0];
    for (const t of display.getAudioTracks()) t.stop();
    if (!track) return;
    if (this.#screenTrack) {
      track.stop();
      return;
    }
    this.#screenTrack = track;
    // "Stop sharing" in the browser's own bar ends the track.
    track.addEventListener('ended', () => {
      if (this.#screenTrack === track) void this.#stopScreen(true);
    });
    view.update();
    try {
      await this.#produce('screen', track);
      if (this.#screenTrack !== track) {
        // Stopped while the producer was being created.
        void this.#closeProducer('screen', true);
        return;
      }
    } catch (err) {
      if (this.#screenTrack === track) this.#screenTrack = null;
      track.stop();
      view.update();
      throw err;
    }
    view.status('statusScreenSharing');
  }

  /** A host muted us (the server paused the microphone): stop sending locally as well. */
  forcedMute(): void {
    this.#p.local.micMuted = true;
    this.#pauseHere('microphone');
  }

  /** The camera is not allowed (any more): close its producer and release the camera. */
  cameraForbidden(tellServer: boolean): void {
    void this.#closeProducer('camera', tellServer);
    const { local, view } = this.#p;
    local.dropCamera();
    local.cameraOff = true;
    local.showPreview();
    view.update();
  }

  /** Screen sharing is not allowed (any more). */
  screenForbidden(tellServer: boolean): void {
    void this.#stopScreen(tellServer);
  }

  /** One of ours was closed by the server (a host forbade the camera or screen sharing). */
  closedByServer(producerId: string): void {
    for (const [source, producer] of this.#producers) {
      if (producer.id !== producerId) continue;
      if (source === 'screen') this.screenForbidden(false);
      else if (source === 'camera') this.cameraForbidden(false);
      else {
        void this.#closeProducer(source, false);
        this.#p.view.update();
      }
    }
  }

  /** The session ends: the screen is released (camera and microphone are the call's). */
  close(): void {
    this.#screenTrack?.stop();
    this.#screenTrack = null;
    this.#producers.clear();
  }

  async #produce(source: Source, track: MediaStreamTrack): Promise<Producer> {
    const send = this.#send;
    if (!send) throw new SignalingError('NOT_JOINED', 'not in a meeting yet');
    const kind = source === 'microphone' ? 'audio' : 'video';
    // Enough for the three layers of a 720p camera at once (the estimate adapts down fast on a short uplink).
    const codecOptions = source === 'camera' ? { codecOptions: { videoGoogleStartBitrate: 1500 } } : {};
    const encodings = videoEncodings(source, track);
    const producer = await this.#p.life.live(
      send.produce({ track, stopTracks: false, ...codecOptions, ...(encodings ? { encodings } : {}), ...this.#p.produceOptions(kind), appData: { source } }),
      (p) => p.close(),
    );
    this.#producers.set(source, producer);
    return producer;
  }

  /** The camera again after it was closed (forbidden, then allowed) or absent at first. */
  async #startCamera(): Promise<void> {
    const { local, life } = this.#p;
    let track = local.liveCameraTrack();
    if (!track) {
      const fresh = await life.live(navigator.mediaDevices.getUserMedia({ video: true }), stopAll);
      track = fresh.getVideoTracks()[0];
      if (!track) throw new SignalingError('MEDIA_UNAVAILABLE', 'no camera track');
      local.addCameraTrack(track);
    }
    track.enabled = true;
    try {
      await this.#produce('camera', track);
    } catch (err) {
      // Refused (CAMERA_NOT_ALLOWED): release the camera again.
      if (!life.closed) local.dropCamera();
      throw err;
    } finally {
      if (!life.closed) local.showPreview();
    }
  }

  /** The person turned the microphone or camera off: said at once, paused here at once and at the server. */
  async #turnOff(source: 'microphone' | 'camera', said: 'statusMicMuted' | 'statusCameraOff'): Promise<void> {
    const pausing = this.#pause(source);
    this.#p.view.update();
    this.#p.view.status(said);
    await pausing;
  }

  /** Stops sending here: the producer paused, or (none yet) the tracks disabled. */
  #pauseHere(source: 'microphone' | 'camera'): void {
    const producer = this.#producers.get(source);
    if (producer) producer.pause();
    else this.#p.local.setTracksEnabled(source, false);
  }

  /**
   * Pauses here and, when there is a producer, at the server too (so nothing is forwarded). The
   * local pause is done at once; the promise waits for the server, whose refusal is only logged.
   */
  async #pause(source: 'microphone' | 'camera'): Promise<void> {
    this.#pauseHere(source);
    const producer = this.#producers.get(source);
    if (producer)
      await this.#p.sig.request('pauseProducer', { producerId: producer.id }).catch((err: unknown) => console.warn('[call] pauseProducer failed', err));
  }

  /** Closes a producer here, and at the server when `tellServer` (the promise waits for that). */
  async #closeProducer(source: Source, tellServer: boolean): Promise<void> {
    const producer = this.#producers.get(source);
    if (!producer) return;
    this.#producers.delete(source);
    producer.close();
    // The server closes it itself when it forbids a source; NOT_FOUND then is fine.
    if (tellServer)
      await this.#p.sig.request('closeProducer', { producerId: producer.id }).catch((err: unknown) => console.warn('[call] closeProducer failed', err));
  }

  async #stopScreen(tellServer: boolean): Promise<void> {
    const wasSharing = this.#screenTrack !== null || this.#producers.has('screen');
    this.#screenTrack?.stop();
    this.#screenTrack = null;
    const closing = this.#closeProducer('screen', tellServer);
    if (wasSharing) {
      this.#p.view.update();
      this.#p.view.status('statusScreenStopped');
    }
    await closing;
  }
}

function stopAll(stream: MediaStream): void {
  for (const t of stream.getTracks()) t.stop();
}

/**
 * How a video is sent. A camera: simulcast, up to three spatial layers (a quarter, half and full
 * height, ≈150 / 500 / 1500 kbit/s), each with three temporal layers, as many as its height
 * carries (720p and above: three; 360p and above: two; below: one, sent as is). A shared screen: one full
 * layer (no encodings given). Receivers get the layer their tile needs (`setReceiveLayers`).
 * Every layer goes through the same encrypting transform (E2EE).
 */
export function videoEncodings(source: Source, track: MediaStreamTrack): RtpEncodingParameters[] | undefined {
  // A screen: one full layer, as the browser sends it (a receiver cannot do with less of a slide).
  if (source !== 'camera') return undefined;
  const height = track.getSettings().height ?? 0;
  const layers = height >= 540 ? 3 : height >= 360 ? 2 : 1;
  if (layers === 1) return undefined;
  const all = [
    { scaleResolutionDownBy: 4, maxBitrate: 150_000 },
    { scaleResolutionDownBy: 2, maxBitrate: 500_000 },
    { scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
  ];
  // The top `layers` of the ladder, so the full picture is always the highest layer.
  const chosen = all.slice(3 - layers).map((e, i, list) => ({ ...e, scaleResolutionDownBy: 2 ** (list.length - 1 - i), scalabilityMode: 'L1T3' }));
  return chosen;
}
