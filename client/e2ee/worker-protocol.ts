/**
 * Messages between the page and the encoded-transform Worker (transform-worker.ts). Keys cross
 * this boundary as raw bytes once, when the session installs them; frames never do.
 */
import type { StreamOptions, StreamStats } from './frame-cryptor.ts';

export type ToWorker =
  | { op: 'sendKey'; epoch: number; baseKey: Uint8Array }
  | { op: 'receiveKey'; senderId: string; epoch: number; baseKey: Uint8Array }
  | { op: 'forgetSender'; senderId: string }
  /** The legacy path (`createEncodedStreams`): the page hands over the streams themselves. */
  | { op: 'stream'; options: StreamOptions; readable: ReadableStream; writable: WritableStream }
  | { op: 'stats'; id: number }
  | { op: 'sealChat'; id: number; meetingId: string; senderId: string; text: string }
  | { op: 'openChat'; id: number; meetingId: string; senderId: string; sealed: Uint8Array };

export type WorkerReply =
  { op: 'reply'; id: number; ok: true; value: StreamStats[] | Uint8Array | string } | { op: 'reply'; id: number; ok: false; code: string };
