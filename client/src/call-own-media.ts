/** Own microphone and camera: on and off through the server, and what a host's mute or ban of the camera does. */
import type { Producer, Transport } from 'mediasoup-client/types';
import type { CallConnection } from './call-connection.ts';
import type { CallCore } from './call-core.ts';
import { produceOptions } from './call-e2ee.ts';
import { applySelf } from './call-notifications.ts';
import { SignalingError } from './signaling.ts';

/** Stops sending our microphone or camera here: its producer paused, or (none yet) its tracks disabled. */
export function pauseLocally(core: CallCore, connection: CallConnection | null | undefined, source: 'microphone' | 'camera'): void {
  const producer = connection?.producers.get(source);
  if (producer) producer.pause();
  else for (const t of (source === 'microphone' ? core.stream?.getAudioTracks() : core.stream?.getVideoTracks()) ?? []) t.enabled = false;
}

/**
 * Pauses our microphone or camera here and, when it has a producer, at the server too (so nothing
 * is forwarded). The local pause is done at once; the promise waits for the server, whose refusal
 * is only logged.
 */
export async function pauseOwn(core: CallCore, connection: CallConnection | null | undefined, source: 'microphone' | 'camera'): Promise<void> {
  pauseLocally(core, connection, source);
  const producer = connection?.producers.get(source);
  const sig = connection?.signaling;
  if (producer && sig) await sig.request('pauseProducer', { producerId: producer.id }).catch((err: unknown) => console.warn('[call] pauseProducer failed', err));
}

/** Sends a camera track (the producer's source is `camera`). */
export function produceCamera(connection: CallConnection, send: Transport, track: MediaStreamTrack): Promise<Producer> {
  return send.produce({ track, stopTracks: false, codecOptions: { videoGoogleStartBitrate: 1000 }, ...produceOptions(connection, 'video'), appData: { source: 'camera' } });
}

/** Mutes or unmutes the microphone, at the server too. Unmuting is refused while a host has it muted. */
export async function toggleMic(core: CallCore): Promise<void> {
  const connection = core.connection;
  const producer = connection?.producers.get('microphone');
  const sig = connection?.signaling;
  if (!core.micMuted) {
    core.micMuted = true;
    const pausing = pauseOwn(core, connection, 'microphone');
    core.view.update();
    core.view.status('statusMicMuted');
    await pausing;
    return;
  }
  const meeting = connection?.meeting;
  if (meeting?.self.mutedByHost) throw new SignalingError('HOST_MUTED', 'muted by a host');
  if (producer && sig && connection) {
    try {
      await sig.request('resumeProducer', { producerId: producer.id });
    } catch (err) {
      if (err instanceof SignalingError && err.code === 'HOST_MUTED' && meeting && core.connection === connection) {
        applySelf(core, connection, { ...meeting.self, mutedByHost: true });
      }
      throw err;
    }
    // A host may have muted us while the request was on its way.
    if (core.connection !== connection || meeting?.self.mutedByHost) return;
    producer.resume();
  } else {
    for (const t of core.stream?.getAudioTracks() ?? []) t.enabled = true;
  }
  core.micMuted = false;
  core.view.update();
  core.view.status('statusMicOn');
}

/** Turns the camera off (paused at the server) or on (resumed, or started again if it was closed). */
export async function toggleCamera(core: CallCore): Promise<void> {
  const connection = core.connection;
  const producer = connection?.producers.get('camera');
  const sig = connection?.signaling;
  if (!core.cameraOff) {
    core.cameraOff = true;
    const pausing = pauseOwn(core, connection, 'camera');
    core.view.update();
    core.view.status('statusCameraOff');
    await pausing;
    return;
  }
  const meeting = connection?.meeting;
  if (meeting && !meeting.self.cameraAllowed) throw new SignalingError('CAMERA_NOT_ALLOWED', 'camera not allowed');
  if (producer && sig) {
    await sig.request('resumeProducer', { producerId: producer.id });
    if (core.connection !== connection) return;
    producer.resume();
  } else if (connection?.sendTransport && core.state === 'joined') {
    await startCamera(core, connection, connection.sendTransport);
    if (core.connection !== connection) return;
  } else {
    for (const t of core.stream?.getVideoTracks() ?? []) t.enabled = true;
  }
  core.cameraOff = false;
  core.view.update();
  core.view.status('statusCameraOn');
}

/** The camera again after it was closed (forbidden, then allowed) or absent at first. */
export async function startCamera(core: CallCore, connection: CallConnection, send: Transport): Promise<void> {
  let track = core.stream?.getVideoTracks().find((t) => t.readyState === 'live');
  if (!track) {
    const fresh = await navigator.mediaDevices.getUserMedia({ video: true });
    track = fresh.getVideoTracks()[0];
    if (!track) throw new SignalingError('MEDIA_UNAVAILABLE', 'no camera track');
    if (core.connection !== connection) {
      track.stop();
      return;
    }
    core.stream ??= new MediaStream();
    core.stream.addTrack(track);
  }
  track.enabled = true;
  try {
    const producer = await produceCamera(connection, send, track);
    if (core.connection !== connection) {
      producer.close();
      return;
    }
    connection.producers.set('camera', producer);
  } catch (err) {
    // Refused (CAMERA_NOT_ALLOWED): release the camera again.
    core.dropCameraTrack();
    throw err;
  } finally {
    if (core.stream) core.view.showLocal(core.stream);
  }
}

/** A host muted us (the server paused the microphone): stop sending locally as well. */
export function micForcedOff(core: CallCore, connection: CallConnection): void {
  core.micMuted = true;
  pauseLocally(core, connection, 'microphone');
}

/** The camera is not allowed (any more): close its producer and release the camera. */
export function closeCamera(core: CallCore, connection: CallConnection, tellServer: boolean): void {
  const producer = connection.producers.get('camera');
  if (producer) {
    connection.producers.delete('camera');
    producer.close();
    // The server closes it itself when it forbids the camera; NOT_FOUND then is fine.
    if (tellServer) connection.signaling?.request('closeProducer', { producerId: producer.id }).catch(() => {});
  }
  core.dropCameraTrack();
  core.cameraOff = true;
  if (core.stream) core.view.showLocal(core.stream);
  core.view.update();
}
