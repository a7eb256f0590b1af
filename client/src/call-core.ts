/**
 * The state one `Call` shares with the pieces that act on it (call-join.ts, call-notifications.ts,
 * call-own-media.ts, call-remote-media.ts, call-screen.ts, call-chat.ts, call-host.ts). Internal
 * to the call: the views see only `Call`.
 */
import type { CallConnection } from './call-connection.ts';
import type { CallState, CallView, JoinOptions } from './call-types.ts';
import type { AnyErrorCode } from './errors.ts';
import type { MeetingState } from './meeting-state.ts';
import { SignalingError, type Signaling } from './signaling.ts';

export class CallCore {
  readonly view: CallView;
  state: CallState = 'idle';
  errorCode: AnyErrorCode | null = null;
  participantId: string | null = null;
  /** Camera and microphone (only while inside a meeting). */
  stream: MediaStream | null = null;
  /** The shared screen, while sharing. */
  screenTrack: MediaStreamTrack | null = null;
  connection: CallConnection | null = null;
  opts: JoinOptions | null = null;
  micMuted = false;
  cameraOff = false;
  /** Automatic re-joins allowed for the current `reconnect` notice. */
  reconnectsLeft = 1;

  constructor(view: CallView) {
    this.view = view;
  }

  setState(state: CallState, errorCode: AnyErrorCode | null = null): void {
    this.state = state;
    this.errorCode = errorCode;
    this.view.setState(state, errorCode);
    this.view.update();
  }

  get sessionEndedCode(): AnyErrorCode {
    return this.opts?.sessionEndedCode ?? 'SESSION_ENDED';
  }

  stopLocal(): void {
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    this.view.showLocal(null);
  }

  stopScreenTrack(): void {
    this.screenTrack?.stop();
    this.screenTrack = null;
  }

  /** The signalling of the meeting we are in; NOT_JOINED otherwise. */
  inside(): { connection: CallConnection; sig: Signaling; meeting: MeetingState } {
    const connection = this.connection;
    const sig = connection?.signaling;
    const meeting = connection?.meeting;
    if (!connection || !sig || !meeting || (this.state !== 'joined' && this.state !== 'joining')) throw new SignalingError('NOT_JOINED', 'not in a meeting');
    return { connection, sig, meeting };
  }

  dropCameraTrack(): void {
    for (const t of this.stream?.getVideoTracks() ?? []) {
      t.stop();
      this.stream?.removeTrack(t);
    }
  }
}
