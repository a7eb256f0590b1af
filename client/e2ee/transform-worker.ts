/**
 * The encoded-transform Worker: every encoded audio, video and screen frame of the call passes
 * through here on its way to the network (encrypted) or to the decoder (decrypted, or dropped).
 * Frames arrive either through `RTCRtpScriptTransform` (the `rtctransform` event) or, in browsers
 * without it, as the streams of `createEncodedStreams()` posted by the page. The crypto is in
 * frame-cryptor.ts.
 */
import { FrameCryptor, ReceiveState, type StreamOptions } from './frame-cryptor.ts';
import type { Bytes } from './bytes.ts';
import { SFrameError } from './sframe.ts';
import type { ToWorker, WorkerReply } from './worker-protocol.ts';

type EncodedFrame = { data: ArrayBuffer };
type WorkerScope = {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  onrtctransform:
    ((event: { transformer: { options: StreamOptions; readable: ReadableStream<EncodedFrame>; writable: WritableStream<EncodedFrame> } }) => void) | null;
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
};

const scope = globalThis as unknown as WorkerScope;
const cryptor = new FrameCryptor();

/** Runs one sender's or receiver's frames through the cryptor until the stream ends. */
function pipe(options: StreamOptions, readable: ReadableStream<EncodedFrame>, writable: WritableStream<EncodedFrame>): void {
  const stats = cryptor.openStream(options);
  const replay = new ReceiveState();
  const { kind, senderId } = options;
  const transform = new TransformStream<EncodedFrame, EncodedFrame>({
    async transform(frame, controller) {
      const data = new Uint8Array(frame.data);
      let out: Bytes | null = null;
      if (options.direction === 'send') {
        // An empty frame carries nothing to protect and could not be told apart on receipt: drop it.
        out = data.length === 0 ? null : await cryptor.encrypt(stats, kind, data);
      } else if (senderId !== undefined) {
        out = await cryptor.decrypt(stats, replay, senderId, kind, data);
      }
      if (!out) return;
      // The cryptor returns a fresh buffer holding exactly the frame.
      frame.data = out.buffer;
      controller.enqueue(frame);
    },
  });
  readable
    .pipeThrough(transform)
    .pipeTo(writable)
    .catch(() => {
      // The sender or receiver went away.
    })
    .finally(() => cryptor.closeStream(stats));
}

scope.onrtctransform = (event) => {
  const { options, readable, writable } = event.transformer;
  pipe(options, readable, writable);
};

scope.onmessage = (event) => {
  const message = event.data;
  switch (message.op) {
    case 'sendKey':
      void cryptor.setSendKey(message.epoch, message.baseKey);
      return;
    case 'receiveKey':
      void cryptor.setReceiveKey(message.senderId, message.epoch, message.baseKey);
      return;
    case 'forgetSender':
      cryptor.forgetSender(message.senderId);
      return;
    case 'stream':
      // The page posts the streams of createEncodedStreams(), typed there as streams of anything.
      pipe(message.options, message.readable as ReadableStream<EncodedFrame>, message.writable as WritableStream<EncodedFrame>);
      return;
    case 'stats':
      reply(message.id, async () => cryptor.stats());
      return;
    case 'sealChat':
      reply(message.id, () => cryptor.sealGroupChat(message.meetingId, message.senderId, message.text));
      return;
    case 'openChat':
      reply(message.id, () => cryptor.openGroupChat(message.meetingId, message.senderId, message.sealed));
      return;
  }
};

function reply(id: number, work: () => Promise<Extract<WorkerReply, { ok: true }>['value']>): void {
  work().then(
    (value) => scope.postMessage({ op: 'reply', id, ok: true, value }),
    (err: unknown) => scope.postMessage({ op: 'reply', id, ok: false, code: err instanceof SFrameError ? err.code : 'INTERNAL' }),
  );
}
