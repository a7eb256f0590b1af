/**
 * Joining, the waiting room and admission, entering the meeting (local media, transports,
 * producing), re-joining when the server asks, failing, ending and leaving.
 */
import { Device } from 'mediasoup-client';
import type { RtpCapabilities, Transport, TransportOptions } from 'mediasoup-client/types';
import { CloseCode } from '../../protocol/close-codes.ts';
import type { NotificationParams } from '../../protocol/signaling.ts';
import { CallConnection } from './call-connection.ts';
import { CallE2ee, produceOptions, transformSupport } from './call-e2ee.ts';
import type { CallCore } from './call-core.ts';
import { wireNotifications } from './call-notifications.ts';
import { pauseLocally, pauseOwn, produceCamera } from './call-own-media.ts';
import { addParticipant, consume } from './call-remote-media.ts';
import type { JoinOptions, Source, WireRtpParameters } from './call-types.ts';
import type { AnyErrorCode } from './errors.ts';
import { errorCodeOf, getLocalMedia } from './media.ts';
import { MeetingState, type MeetingInfo } from './meeting-state.ts';
import { Signaling, SignalingError } from './signaling.ts';

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Joins (or enters the waiting room). Call only from a user gesture: it leads to camera and microphone. */
export async function join(core: CallCore, opts: JoinOptions): Promise<void> {
  if (core.state === 'joining' || core.state === 'waiting' || core.state === 'joined') return;
  core.opts = opts;
  core.reconnectsLeft = 1;
  core.participantId = null;
  core.micMuted = false;
  core.cameraOff = false;
  core.setState('joining');
  if (!navigator.mediaDevices?.getUserMedia) {
    core.setState('error', 'UNSUPPORTED');
    return;
  }
  await connect(core);
}

export async function connect(core: CallCore): Promise<void> {
  const opts = core.opts;
  if (!opts) return;
  const connection = new CallConnection();
  core.connection = connection;
  const current = () => core.connection === connection;
  try {
    core.view.status('statusConnecting');
    const sig = await Signaling.connect(opts.wsUrl);
    connection.signaling = sig;
    if (!current()) {
      sig.close();
      return;
    }
    wireNotifications(core, connection, sig);
    sig.onClose((code) => {
      if (!current()) return;
      console.warn(`[call] signalling socket closed (${code})`);
      fail(core, connection, code === CloseCode.SESSION_ENDED ? core.sessionEndedCode : 'CONNECTION_LOST');
    });

    // The server refuses an end-to-end encrypted meeting to a browser that cannot encrypt.
    const joined = await sig.request('join', { meetingId: opts.meetingId, e2ee: transformSupport() !== null });
    if (!current()) return;
    if (joined.status === 'waiting') {
      connection.waiting = joined.reason;
      // Nothing is sent from the waiting room: camera and microphone stay off until admitted.
      core.stopLocal();
      core.setState('waiting');
      core.view.status(joined.reason === 'no-host' ? 'statusWaitingNoHost' : 'statusWaitingRoom');
      return;
    }
    await enter(core, connection, joined.meeting);
  } catch (err) {
    await joinFailed(core, connection, err);
  }
}

export async function joinFailed(core: CallCore, connection: CallConnection, err: unknown): Promise<void> {
  if (core.connection !== connection) return;
  console.error('[call] join failed', err);
  const code = errorCodeOf(err);
  const signedOut = code === 'CONNECTION_FAILED' && core.opts !== null && !(await core.opts.stillSignedIn());
  if (core.connection === connection) fail(core, connection, signedOut ? core.sessionEndedCode : code);
}

/** Inside the meeting (joined directly, or admitted): media on, transports, produce, consume. */
export async function enter(core: CallCore, connection: CallConnection, info: MeetingInfo): Promise<void> {
  const current = () => core.connection === connection;
  const sig = connection.signaling;
  if (!sig) return;
  const meeting = new MeetingState(info);
  connection.meeting = meeting;
  connection.waiting = null;
  core.participantId = info.self.id;
  // Created before anything is awaited, so key notifications arriving meanwhile are kept. Keys
  // are generated and announced while camera and transports are set up; producing waits for them
  // (the server refuses media before our keys are announced).
  let e2eeStarted: Promise<void> | undefined;
  if (info.policy.e2ee) {
    const mode = transformSupport();
    if (!mode) throw new SignalingError('E2EE_UNSUPPORTED', 'this browser cannot encrypt media end to end');
    const e2ee = new CallE2ee(mode, () => core.view.update());
    connection.e2ee = e2ee;
    e2eeStarted = e2ee.start({ meetingId: core.opts?.meetingId ?? '', selfId: info.self.id, sig, peers: [...meeting.others.values()] });
    // Awaited before producing; until then a failure must not count as unhandled.
    e2eeStarted.catch(() => {});
  }
  // Mute on entry is for participants (the server starts their microphone paused; produce says so).
  if (info.self.mutedByHost || (info.policy.muteOnEntry && info.self.role === 'participant')) core.micMuted = true;
  if (core.state !== 'joining') core.setState('joining');
  core.view.update();
  for (const p of meeting.others.values()) addParticipant(core, p.id, p.displayName);
  // Consuming waits for the receive transport; start it now so it runs alongside the rest.
  const consuming = [...meeting.others.values()].flatMap((p) => p.producers.map((pr) => consume(core, connection, p.id, pr.id)));

  // Only now, inside the meeting after the user's click: camera (if allowed) and microphone.
  if (!core.stream) {
    core.view.status('statusMedia');
    const stream = await getLocalMedia({ video: meeting.self.cameraAllowed });
    if (!current()) {
      for (const t of stream.getTracks()) t.stop();
      return;
    }
    core.stream = stream;
  }
  const stream = core.stream;
  if (!meeting.self.cameraAllowed) core.dropCameraTrack();
  if (stream.getVideoTracks().length === 0) core.cameraOff = true;
  for (const t of stream.getAudioTracks()) t.enabled = !core.micMuted;
  for (const t of stream.getVideoTracks()) t.enabled = !core.cameraOff;
  core.view.showLocal(stream);
  core.view.status('statusConnecting');

  const device = new Device();
  await device.load({ routerRtpCapabilities: info.routerRtpCapabilities as RtpCapabilities });
  connection.device = device;

  const [sendInfo, recvInfo] = await Promise.all([
    sig.request('createTransport', { direction: 'send' }),
    sig.request('createTransport', { direction: 'recv' }),
  ]);
  if (!current()) return;
  const additionalSettings = connection.e2ee?.peerConnectionSettings ?? {};
  const send = device.createSendTransport({ ...(sendInfo as TransportOptions), additionalSettings });
  const recv = device.createRecvTransport({ ...(recvInfo as TransportOptions), additionalSettings });
  connection.sendTransport = send;
  connection.recvTransport = recv;
  for (const transport of [send, recv]) {
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      sig.request('connectTransport', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
    });
    transport.on('connectionstatechange', (s) => {
      if (s === 'failed') console.warn(`[call] ${transport.direction} transport ICE/DTLS failed`);
    });
  }
  send.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
    const source = (appData.source ?? (kind === 'audio' ? 'microphone' : 'camera')) as Source;
    sig.request('produce', { transportId: send.id, kind, source, rtpParameters: rtpParameters as WireRtpParameters }).then(({ producerId, paused }) => {
      if (paused) connection.pausedAtServer.add(producerId);
      callback({ id: producerId });
    }, errback);
  });
  connection.markRecvReady();

  await e2eeStarted;
  if (!current()) return;
  await produceAll(core, connection, send, stream);
  if (!current()) return;
  core.reconnectsLeft = 1;
  core.setState('joined');
  if (meeting.others.size === 0) core.view.status(core.micMuted ? 'statusAloneMuted' : 'statusAlone');
  else core.view.status(core.micMuted ? 'statusJoinedMuted' : 'statusJoined');
  await Promise.all(consuming);
}

/** Drops a connection that failed or that the server closed, releasing camera and microphone. */
export function fail(core: CallCore, connection: CallConnection, code: AnyErrorCode): void {
  drop(core, connection);
  core.setState('error', code);
}

/** The meeting ended for this person (denied, removed, ended by a host): everything stops. */
export function end(core: CallCore, connection: CallConnection, code: AnyErrorCode): void {
  drop(core, connection);
  core.view.status('statusCallEnded');
  core.setState('ended', code);
}

/**
 * Closes a connection (if any) and what it showed; camera and microphone are released too unless
 * `keepLocal` (a re-join that uses them again). Clears `core.connection` only if it is this one.
 */
export function drop(core: CallCore, connection: CallConnection | null, { keepLocal = false } = {}): void {
  if (core.connection === connection) core.connection = null;
  connection?.teardown();
  core.stopScreenTrack();
  core.view.clearRemote();
  if (!keepLocal) core.stopLocal();
}

export async function produceAll(core: CallCore, connection: CallConnection, send: Transport, stream: MediaStream): Promise<void> {
  const audio = stream.getAudioTracks()[0];
  const video = stream.getVideoTracks()[0];
  const tasks: Promise<void>[] = [];
  if (audio) {
    tasks.push(
      send.produce({ track: audio, stopTracks: false, ...produceOptions(connection, 'audio'), appData: { source: 'microphone' } }).then(async (p) => {
        connection.producers.set('microphone', p);
        if (connection.pausedAtServer.has(p.id)) {
          // Mute on entry, or a host mute: the person unmutes when they choose (or are asked).
          core.micMuted = true;
          pauseLocally(core, connection, 'microphone');
        } else if (core.micMuted) {
          // Paused from the start: the server is told too, so nothing is forwarded.
          await pauseOwn(core, connection, 'microphone');
        }
      }),
    );
  }
  if (video) {
    tasks.push(
      produceCamera(connection, send, video).then(async (p) => {
        connection.producers.set('camera', p);
        if (core.cameraOff) await pauseOwn(core, connection, 'camera');
      }),
    );
  }
  await Promise.all(tasks);
}

export async function onReconnect(core: CallCore, connection: CallConnection, { reason }: NotificationParams<'reconnect'>): Promise<void> {
  console.warn(`[call] server asked to reconnect: ${reason}`);
  core.connection = null;
  core.view.status('statusReconnecting');
  try {
    await connection.signaling?.request('leave', {}, 2000);
  } catch {
    // the server may already be gone
  }
  const givingUp = core.reconnectsLeft <= 0 || core.state === 'left';
  drop(core, connection, { keepLocal: !givingUp });
  if (givingUp) {
    core.setState('error', 'CONNECTION_LOST');
    return;
  }
  core.reconnectsLeft--;
  core.setState('joining');
  await delay(reason === 'server-shutdown' ? 1500 : 300);
  if (core.state !== 'joining' || core.connection !== null) return;
  await connect(core);
}

/**
 * Sends `leave` (from the meeting or the waiting room), closes everything and stops camera,
 * microphone and screen sharing. A host may hand the host role to someone.
 */
export async function leave(core: CallCore, handOverTo?: string): Promise<void> {
  const connection = core.connection;
  core.connection = null;
  if (connection) {
    try {
      await connection.signaling?.request('leave', handOverTo ? { handOverTo } : {}, 3000);
    } catch (err) {
      console.warn('[call] leave request failed', err);
    }
  }
  drop(core, connection);
  core.setState('left');
  core.view.status('statusLeft');
}
