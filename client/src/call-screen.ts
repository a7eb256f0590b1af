/** Sharing the screen. */
import { produceOptions } from './call-e2ee.ts';
import type { CallConnection } from './call-connection.ts';
import type { CallCore } from './call-core.ts';
import { SignalingError } from './signaling.ts';

/** Starts sharing the screen (the browser asks what to share) or stops it. */
export async function toggleScreenShare(core: CallCore): Promise<void> {
  const { connection, meeting } = core.inside();
  if (core.screenTrack) {
    await stopScreen(core, connection, true);
    return;
  }
  const send = connection.sendTransport;
  if (!send || core.state !== 'joined') throw new SignalingError('NOT_JOINED', 'not in a meeting yet');
  if (!meeting.self.screenShareAllowed) throw new SignalingError('SCREEN_SHARE_NOT_ALLOWED', 'screen sharing not allowed');
  let display: MediaStream;
  try {
    // Straight from the click: the browser needs the user gesture for its picker.
    display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  } catch (err) {
    console.warn('[call] getDisplayMedia failed', err);
    throw new SignalingError('SCREEN_SHARE_FAILED', String(err));
  }
  const track = display.getVideoTracks()[0];
  for (const t of display.getAudioTracks()) t.stop();
  if (!track) return;
  if (core.connection !== connection || core.screenTrack) {
    track.stop();
    return;
  }
  core.screenTrack = track;
  // "Stop sharing" in the browser's own bar ends the track.
  track.addEventListener('ended', () => {
    if (core.screenTrack === track) void stopScreen(core, connection, true);
  });
  core.view.update();
  try {
    const producer = await send.produce({ track, stopTracks: false, ...produceOptions(connection, 'video'), appData: { source: 'screen' } });
    if (core.connection !== connection || core.screenTrack !== track) {
      producer.close();
      connection.signaling?.request('closeProducer', { producerId: producer.id }).catch(() => {});
      return;
    }
    connection.producers.set('screen', producer);
  } catch (err) {
    if (core.screenTrack === track) core.stopScreenTrack();
    track.stop();
    core.view.update();
    throw err;
  }
  core.view.status('statusScreenSharing');
}

export async function stopScreen(core: CallCore, connection: CallConnection, tellServer: boolean): Promise<void> {
  const producer = connection.producers.get('screen');
  connection.producers.delete('screen');
  const wasSharing = core.screenTrack !== null || producer !== undefined;
  core.stopScreenTrack();
  if (wasSharing) {
    core.view.update();
    core.view.status('statusScreenStopped');
  }
  if (producer) {
    producer.close();
    if (tellServer) await connection.signaling?.request('closeProducer', { producerId: producer.id }).catch((err: unknown) => console.warn('[call] closeProducer failed', err));
  }
}
