/**
 * A tap on the SFU for tests that must prove what the SFU forwards is only end-to-end ciphertext.
 * It consumes one producer of a real mediasoup router the way a participant would, but through a
 * PlainTransport into a UDP socket of the test, and reassembles the RTP it receives into the
 * encoded frames the sender's encoder (and encryption transform) produced. A test can then compare
 * those bytes with what the browser encrypted, or check they are not the plaintext, and open them
 * (`openFrame`) with keys taken from a browser (`decryptionKeys`).
 */
import { createSocket, type Socket } from 'node:dgram';
import type { types } from 'mediasoup';
import { ratchet } from '../../client/e2ee/keys.ts';
import { decryptFrame, kidForEpoch, type FrameKind } from '../../client/e2ee/media-frame.ts';
import { AES_256_GCM_SHA512_128, deriveKeyMaterial, type SFrameKey } from '../../client/e2ee/sframe.ts';

/** Waits for frames at the SFU tap (≈2 s of the camera on an idle machine). */
export const TAP_TIMEOUT_MS = 30_000;

export interface TappedFrame {
  kind: 'audio' | 'video';
  /** RTP timestamp of the frame. */
  timestamp: number;
  /** Date.now() when the last packet of the frame arrived. */
  receivedAt: number;
  /** The encoded frame exactly as the sender's encoder/transform produced it (the RTP payloads
   *  concatenated, VP8 payload descriptors removed). */
  data: Buffer;
}

/** Watches a worker for routers (mediasoup `worker.observer` 'newrouter'), so a test can find the
 *  router of a meeting created after the watch started. Routers are created by the server with
 *  appData `{ meetingId }`. */
export function watchRouters(worker: types.Worker): { routerFor(meetingId: string, timeoutMs?: number): Promise<types.Router>; stop(): void } {
  const routers = new Map<string, types.Router>();
  // Each pending routerFor() looks again whenever a router appears.
  const lookers = new Set<() => void>();
  const onNewRouter = (router: types.Router): void => {
    const { meetingId } = router.appData;
    if (typeof meetingId !== 'string') return;
    routers.set(meetingId, router);
    // A meeting reopened after its worker died gets a new router: forget only the closed one.
    router.observer.once('close', () => {
      if (routers.get(meetingId) === router) routers.delete(meetingId);
    });
    for (const look of lookers) look();
  };
  worker.observer.on('newrouter', onNewRouter);
  return {
    routerFor: (meetingId, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const look = (): void => {
          const router = routers.get(meetingId);
          if (!router) return;
          done();
          resolve(router);
        };
        const done = (): void => {
          clearTimeout(timer);
          lookers.delete(look);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no router for meeting ${meetingId} was created within ${timeoutMs} ms (only routers created after watchRouters() are seen)`));
        }, timeoutMs);
        lookers.add(look);
        look();
      }),
    stop: () => {
      worker.observer.off('newrouter', onNewRouter);
    },
  };
}

/** The fields of an RTP packet the tap needs. */
interface RtpPacket {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  payload: Buffer;
}

/** A frame put together from its packets, before the tap stamps it. */
interface AssembledFrame {
  timestamp: number;
  data: Buffer;
}

/** RTCP shares the socket with RTP (rtcpMux); RFC 5761 §4 tells them apart by the second byte,
 *  which is 192..223 for RTCP packet types and never so for the RTP payload types in use. */
function isRtcp(packet: Buffer): boolean {
  const second = packet[1];
  return second !== undefined && second >= 192 && second <= 223;
}

/** Parses an RTP packet (RFC 3550 §5.1): the payload starts after the CSRCs and any header
 *  extension and ends before any padding. Undefined for anything that is not well-formed RTP. */
function parseRtp(packet: Buffer): RtpPacket | undefined {
  const first = packet[0];
  if (first === undefined || packet.length < 12 || first >> 6 !== 2) return undefined;
  let start = 12 + 4 * (first & 0x0f);
  if (first & 0x10) {
    if (packet.length < start + 4) return undefined;
    start += 4 + 4 * packet.readUInt16BE(start + 2);
  }
  const end = first & 0x20 ? packet.length - packet[packet.length - 1]! : packet.length;
  if (start > end) return undefined;
  return {
    payloadType: packet[1]! & 0x7f,
    marker: (packet[1]! & 0x80) !== 0,
    sequenceNumber: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    payload: packet.subarray(start, end),
  };
}

/** What the tap reads from a VP8 payload descriptor (RFC 7741 §4.2). */
interface Vp8Descriptor {
  /** S and PID=0: the packet starts a frame. */
  startsFrame: boolean;
  /** Bytes the descriptor takes before the VP8 data. */
  length: number;
}

/** Parses the variable-length VP8 payload descriptor; undefined if the payload is too short for
 *  the fields its flags announce. The forwarded descriptor is mediasoup's (it rewrites PictureID
 *  and TL0PICIDX, and widens a 1-byte PictureID to 2 bytes), so its length is read per packet. */
function parseVp8Descriptor(payload: Buffer): Vp8Descriptor | undefined {
  const first = payload[0];
  if (first === undefined) return undefined;
  let length = 1;
  if (first & 0x80) {
    const extension = payload[1];
    if (extension === undefined) return undefined;
    length = 2;
    if (extension & 0x80) {
      const pictureId = payload[2];
      if (pictureId === undefined) return undefined;
      length += pictureId & 0x80 ? 2 : 1;
    }
    if (extension & 0x40) length += 1; // TL0PICIDX
    if (extension & 0x30) length += 1; // TID/Y/KEYIDX
  }
  if (length > payload.length) return undefined;
  return { startsFrame: (first & 0x10) !== 0 && (first & 0x07) === 0, length };
}

/** Puts VP8 frames together from packets in arrival order. A frame is emitted only whole: from a
 *  packet that starts it to the packet with the marker bit, all with its timestamp and with no
 *  sequence number missing in between — a test must never mistake half a frame for a frame. */
class Vp8Assembler {
  #frame: { timestamp: number; nextSequenceNumber: number; parts: Buffer[] } | undefined;

  /** Takes the next packet; returns the frame it completes, if any. */
  push(packet: RtpPacket): AssembledFrame | undefined {
    const descriptor = parseVp8Descriptor(packet.payload);
    if (descriptor?.startsFrame) {
      this.#frame = { timestamp: packet.timestamp, nextSequenceNumber: packet.sequenceNumber, parts: [] };
    }
    const frame = this.#frame;
    if (!descriptor || !frame || frame.timestamp !== packet.timestamp || frame.nextSequenceNumber !== packet.sequenceNumber) {
      this.#frame = undefined; // malformed, no start seen, or a packet lost: drop the rest of this frame
      return undefined;
    }
    frame.parts.push(packet.payload.subarray(descriptor.length));
    frame.nextSequenceNumber = (packet.sequenceNumber + 1) & 0xffff;
    if (!packet.marker) return undefined;
    this.#frame = undefined;
    return { timestamp: frame.timestamp, data: Buffer.concat(frame.parts) };
  }
}

/** The codecs the tap can reassemble, by mimeType in lower case. */
const TAPPABLE = new Set(['audio/opus', 'video/vp8']);

/** The router's Opus and VP8 without RTX or header extensions: the tap's consumer then carries
 *  only the media payload type, no retransmissions and plain RTP headers. */
function tapCapabilities(router: types.Router): types.RtpCapabilities {
  return { codecs: (router.rtpCapabilities.codecs ?? []).filter((c) => TAPPABLE.has(c.mimeType.toLowerCase())), headerExtensions: [] };
}

/** Opens a UDP socket on a free port of 127.0.0.1. */
async function bindLoopbackSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

export class SfuTap {
  readonly kind: 'audio' | 'video';
  /** Every complete frame received so far, in arrival order. */
  readonly frames: TappedFrame[] = [];
  readonly #transport: types.PlainTransport;
  readonly #consumer: types.Consumer;
  readonly #socket: Socket;
  readonly #payloadType: number;
  /** Present for video: audio frames are single packets. */
  readonly #vp8: Vp8Assembler | undefined;
  /** Pending waitForFrames() calls, each re-checked when a frame arrives. */
  readonly #waiters = new Set<() => void>();
  #closed = false;

  private constructor(transport: types.PlainTransport, consumer: types.Consumer, socket: Socket) {
    this.#transport = transport;
    this.#consumer = consumer;
    this.#socket = socket;
    this.kind = consumer.kind;
    this.#payloadType = consumer.rtpParameters.codecs[0]!.payloadType;
    this.#vp8 = consumer.kind === 'video' ? new Vp8Assembler() : undefined;
    socket.on('message', (packet) => this.#receive(packet));
  }

  /** For a simulcast producer: which layer the tap receives (mediasoup switches at the next key frame). */
  async setPreferredLayers(spatialLayer: number, temporalLayer = 2): Promise<void> {
    await this.#consumer.setPreferredLayers({ spatialLayer, temporalLayer });
    await this.#consumer.requestKeyFrame();
  }

  /** The layers mediasoup forwards to the tap now (simulcast), or undefined. */
  get currentLayers(): { spatialLayer: number; temporalLayer?: number } | undefined {
    return this.#consumer.currentLayers;
  }

  /** Consumes `producerId` on `router` through a new PlainTransport (127.0.0.1, rtcpMux, no comedia,
   *  no SRTP) connected to a UDP socket it opens on 127.0.0.1; for video it asks for a key frame at once. */
  static async attach(router: types.Router, producerId: string): Promise<SfuTap> {
    const rtpCapabilities = tapCapabilities(router);
    if (!router.canConsume({ producerId, rtpCapabilities })) {
      throw new Error(`SfuTap cannot consume producer ${producerId}: it is not on this router or sends neither Opus nor VP8`);
    }
    const socket = await bindLoopbackSocket();
    let transport: types.PlainTransport | undefined;
    try {
      transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false, enableSrtp: false });
      await transport.connect({ ip: '127.0.0.1', port: socket.address().port });
      // Paused until the socket listens, so not even the first packet of a key frame is missed.
      const consumer = await transport.consume({ producerId, rtpCapabilities, enableRtx: false, paused: true });
      const tap = new SfuTap(transport, consumer, socket);
      await consumer.resume();
      // mediasoup 3.27 already asks on resume if the producer is sending; asking again is
      // deduplicated by mediasoup and keeps the tap from depending on that.
      if (tap.kind === 'video') await tap.requestKeyFrame();
      return tap;
    } catch (error) {
      transport?.close();
      socket.close();
      throw error;
    }
  }

  /** Resolves once at least n frames (optionally: matching `filter`) were received since attach; rejects after timeoutMs (default 10000) with a message that says how many arrived. */
  waitForFrames(n: number, options: { timeoutMs?: number; filter?: (f: TappedFrame) => boolean } = {}): Promise<TappedFrame[]> {
    const { timeoutMs = 10_000, filter } = options;
    const matching = (): TappedFrame[] => (filter ? this.frames.filter(filter) : this.frames.slice());
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const frames = matching();
        if (frames.length < n) return;
        done();
        resolve(frames);
      };
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      const timer = setTimeout(() => {
        done();
        const what = `${n} ${this.kind} frame(s)${filter ? ' matching the filter' : ''}`;
        reject(new Error(`SfuTap: timed out after ${timeoutMs} ms waiting for ${what}; ${matching().length} arrived (${this.frames.length} in all)`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Asks the producer's sender for a key frame (through mediasoup, as a PLI or FIR); mediasoup
   *  ignores it for audio. */
  requestKeyFrame(): Promise<void> {
    return this.#consumer.requestKeyFrame();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.close();
    this.#socket.close();
  }

  /** Keeps the consumer's media packets (RTCP and anything with another payload type is not a
   *  frame) and records each frame they complete. */
  #receive(packet: Buffer): void {
    if (isRtcp(packet)) return;
    const rtp = parseRtp(packet);
    if (!rtp || rtp.payloadType !== this.#payloadType) return;
    const frame = this.#vp8 ? this.#vp8.push(rtp) : { timestamp: rtp.timestamp, data: rtp.payload };
    if (!frame) return;
    this.frames.push({ kind: this.kind, timestamp: frame.timestamp, receivedAt: Date.now(), data: frame.data });
    for (const check of this.#waiters) check();
  }
}

/** Decryption keys for every epoch in `keys` and up to `ratchetAhead` ratchet steps after each (all a holder could derive). */
export async function decryptionKeys(keys: { epoch: number; baseKey: number[] }[], ratchetAhead = 0): Promise<Map<bigint, SFrameKey[]>> {
  const byKid = new Map<bigint, SFrameKey[]>();
  for (const k of keys) {
    let baseKey = Uint8Array.from(k.baseKey);
    for (let step = 0; step <= ratchetAhead; step++) {
      if (step > 0) baseKey = await ratchet(baseKey);
      const kid = kidForEpoch(k.epoch + step);
      const key = await deriveKeyMaterial(AES_256_GCM_SHA512_128, kid, baseKey, 'decrypt');
      byKid.set(kid, [...(byKid.get(kid) ?? []), key]);
    }
  }
  return byKid;
}

/** The tapped frame decrypted with any of the keys, or null. */
export async function openFrame(frame: TappedFrame, kind: FrameKind, keys: Map<bigint, SFrameKey[]>): Promise<Uint8Array | null> {
  for (const candidates of keys.values()) {
    for (const key of candidates) {
      try {
        return (await decryptFrame({ keys: (kid) => (kid === key.kid ? key : undefined), kind, frame: frame.data })).frame;
      } catch {
        // not this key
      }
    }
  }
  return null;
}
