/** One join on one signalling socket: everything it created, torn down together on re-join. */
import type { Device } from 'mediasoup-client';
import type { Consumer, Producer, Transport } from 'mediasoup-client/types';
import type { CallE2ee } from './call-e2ee.ts';
import type { MediaKind, Source } from './call-types.ts';
import type { MeetingState, WaitingReason } from './meeting-state.ts';
import type { Signaling } from './signaling.ts';

export type ConsumerEntry = { consumer: Consumer; participantId: string; producerId: string; kind: MediaKind };

export class CallConnection {
  signaling: Signaling | null = null;
  device: Device | null = null;
  sendTransport: Transport | null = null;
  recvTransport: Transport | null = null;
  /** In the waiting room: why (until `admitted` or `denied`). */
  waiting: WaitingReason | null = null;
  /** Inside the meeting: what the client knows about it. */
  meeting: MeetingState | null = null;
  /** End-to-end encryption, in meetings that have it (all, unless the configuration allows otherwise). */
  e2ee: CallE2ee | null = null;
  readonly producers = new Map<Source, Producer>();
  readonly consumers = new Map<string, ConsumerEntry>();
  /** Producers already being consumed (or tried), so a producer is never consumed twice. */
  readonly seenProducers = new Set<string>();
  readonly closedProducers = new Set<string>();
  /** Own producers the server started paused (mute on entry, host mute). */
  readonly pausedAtServer = new Set<string>();
  readonly recvReady: Promise<void>;
  markRecvReady: () => void = () => {};

  constructor() {
    this.recvReady = new Promise<void>((resolve) => {
      this.markRecvReady = resolve;
    });
  }

  teardown(): void {
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.signaling?.close();
    this.e2ee?.close();
    this.producers.clear();
    this.consumers.clear();
  }
}
