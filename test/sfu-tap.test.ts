/**
 * The SFU tap (test/helpers/sfu-tap.ts) against a real mediasoup worker: a fake participant sends
 * VP8 and Opus RTP into a meeting's router, and the tap, consuming those producers as the SFU
 * would forward them, must hand back exactly the encoded frames that were sent — and never a
 * frame with a packet missing. The end-to-end encryption tests rely on it to see what the SFU sees.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { types } from 'mediasoup';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config/load.ts';
import { WorkerPool } from '../server/media/worker-pool.ts';
import { SfuTap, watchRouters } from './helpers/sfu-tap.ts';
import { waitFor } from './helpers/wait.ts';

/** One RTP stream the fake participant sends; the sequence number advances with every packet
 *  built, sent or deliberately lost. */
interface OutgoingStream {
  ssrc: number;
  payloadType: number;
  sequenceNumber: number;
}

/** An encoded frame as the fake participant's encoder produced it. */
interface SentFrame {
  timestamp: number;
  data: Buffer;
}

function rtpPacket(stream: OutgoingStream, timestamp: number, marker: boolean, payload: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80; // version 2, no padding, extension or CSRCs
  header[1] = (marker ? 0x80 : 0) | stream.payloadType;
  header.writeUInt16BE(stream.sequenceNumber, 2);
  header.writeUInt32BE(timestamp, 4);
  header.writeUInt32BE(stream.ssrc, 8);
  stream.sequenceNumber = (stream.sequenceNumber + 1) & 0xffff;
  return Buffer.concat([header, payload]);
}

/** A VP8 key frame as an encoder starts one (RFC 6386 §9.1): a frame tag with the key-frame bit
 *  (bit 0) clear and show_frame set, the start code 0x9d 0x01 0x2a, 640x360; then random bytes,
 *  as the ciphertext of an encryption transform that keeps the header would look. */
function vp8KeyFrame(size: number): Buffer {
  const frame = randomBytes(size);
  frame[0] = (frame[0]! & 0xe0) | 0x10;
  frame.set([0x9d, 0x01, 0x2a], 3);
  frame.writeUInt16LE(640, 6);
  frame.writeUInt16LE(360, 8);
  return frame;
}

/** A VP8 delta frame: the key-frame bit set, the rest random. */
function vp8DeltaFrame(size: number): Buffer {
  const frame = randomBytes(size);
  frame[0] = frame[0]! | 0x01;
  return frame;
}

/** Splits a VP8 frame into RTP payloads, each with the payload descriptor a browser with temporal
 *  layers writes (RFC 7741 §4.2): X=1; I=1 with a 15-bit PictureID (M=1); L=1 with TL0PICIDX;
 *  T=1 with TID 0 and Y=1; S=1 and PID 0 on the first packet of the frame only. */
function vp8Payloads(frame: Buffer, packets: number, pictureId: number): Buffer[] {
  const size = Math.ceil(frame.length / packets);
  return Array.from({ length: packets }, (_, i) => {
    const descriptor = Buffer.from([0x80 | (i === 0 ? 0x10 : 0), 0xe0, 0x80 | (pictureId >> 8), pictureId & 0xff, pictureId & 0xff, 0x20]);
    return Buffer.concat([descriptor, frame.subarray(i * size, (i + 1) * size)]);
  });
}

/** Counts the key-frame requests — PLI (RFC 4585 §6.3.1) and FIR (RFC 5104 §4.3.1) — in a
 *  compound RTCP packet the producer's transport sent back to the fake participant. */
function keyFrameRequestsIn(packet: Buffer): number {
  let count = 0;
  for (let offset = 0; offset + 4 <= packet.length; offset += 4 * (packet.readUInt16BE(offset + 2) + 1)) {
    const format = packet[offset]! & 0x1f;
    if (packet[offset + 1] === 206 && (format === 1 || format === 4)) count++;
  }
  return count;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const MEETING_ID = 'abcd-efgh-jkmn';

let pool: WorkerPool;
let router: types.Router;
/** The fake participant's socket: sends RTP to `ingress`, receives its RTCP. */
let source: Socket;
let ingress: types.PlainTransport;
/** PLIs and FIRs the producers have sent the fake participant so far. */
let keyFrameRequests = 0;

beforeAll(async () => {
  const config = loadConfig({ env: {}, overrides: { media: { workers: 1, listenIp: '127.0.0.1', announcedAddress: '', rtcPort: 0 } } });
  pool = await WorkerPool.start(config.media, pino({ level: 'silent' }));
  const watch = watchRouters(pool.slots[0]!.worker);
  try {
    const found = watch.routerFor(MEETING_ID);
    // As the meeting registry does when a meeting opens.
    const created = await pool.createRouter({ meetingId: MEETING_ID });
    router = await found;
    expect(router).toBe(created.router);
  } finally {
    watch.stop();
  }
  source = createSocket('udp4');
  await new Promise<void>((resolve) => source.bind(0, '127.0.0.1', resolve));
  source.on('message', (packet) => (keyFrameRequests += keyFrameRequestsIn(packet)));
  ingress = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
  await ingress.connect({ ip: '127.0.0.1', port: source.address().port });
});

afterAll(async () => {
  source?.close();
  await pool?.close();
});

function send(packet: Buffer): void {
  source.send(packet, ingress.tuple.localPort, '127.0.0.1');
}

/** The router's payload type for a codec, as a browser's sender would use it. */
function payloadTypeOf(mimeType: string): number {
  return router.rtpCapabilities.codecs!.find((c) => c.mimeType === mimeType)!.preferredPayloadType;
}

/** A fake participant's VP8 camera: a producer on `ingress` (asking for key frames by PLI or FIR,
 *  as a browser's does), and a function that sends one encoded frame as `packets` RTP packets,
 *  3000 ticks (30 fps) after the previous one, leaving out packet number `lose` as if lost. Each
 *  frame is in `sent` before its first packet leaves. */
async function vp8Camera(
  ssrc: number,
): Promise<{ producer: types.Producer; sent: SentFrame[]; sendFrame(data: Buffer, packets: number, lose?: number): Promise<SentFrame> }> {
  const stream: OutgoingStream = { ssrc, payloadType: payloadTypeOf('video/VP8'), sequenceNumber: randomBytes(2).readUInt16BE() };
  const producer = await ingress.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [
        {
          mimeType: 'video/VP8',
          payloadType: stream.payloadType,
          clockRate: 90000,
          rtcpFeedback: [
            { type: 'nack', parameter: 'pli' },
            { type: 'ccm', parameter: 'fir' },
          ],
        },
      ],
      encodings: [{ ssrc }],
    },
  });
  let timestamp = randomBytes(4).readUInt32BE();
  let pictureId = 0x7ff0; // wraps at 2^15 within a test
  const sent: SentFrame[] = [];
  const sendFrame = async (data: Buffer, packets: number, lose?: number): Promise<SentFrame> => {
    timestamp = (timestamp + 3000) >>> 0;
    const frame = { timestamp, data };
    sent.push(frame);
    const payloads = vp8Payloads(data, packets, pictureId);
    pictureId = (pictureId + 1) & 0x7fff;
    payloads.forEach((payload, i) => {
      const packet = rtpPacket(stream, timestamp, i === payloads.length - 1, payload);
      if (i !== lose) send(packet);
    });
    await sleep(5);
    return frame;
  };
  return { producer, sent, sendFrame };
}

/** Frames' bytes as hex, so a mismatch shows which frame differs. */
const hex = (frames: { data: Buffer }[]): string[] => frames.map((f) => f.data.toString('hex'));

describe('SFU tap (real mediasoup worker)', () => {
  it('finds a meeting router created after the watch started, and says so when none comes', async () => {
    const watch = watchRouters(pool.slots[0]!.worker);
    try {
      const found = watch.routerFor('zzzz-later');
      const { router: later } = await pool.createRouter({ meetingId: 'zzzz-later' });
      expect(await found).toBe(later);
      later.close();
      await expect(watch.routerFor('zzzz-later', 100)).rejects.toThrow('no router for meeting zzzz-later was created within 100 ms');
    } finally {
      watch.stop();
    }
  });

  it('reassembles VP8 frames exactly as sent and drops a frame with a lost packet', async () => {
    const camera = await vp8Camera(0x1111_2222);
    const { sendFrame } = camera;
    const tap = await SfuTap.attach(router, camera.producer.id);
    try {
      expect(tap.kind).toBe('video');
      const first = [
        await sendFrame(vp8KeyFrame(3000), 4),
        await sendFrame(vp8DeltaFrame(300), 1),
        await sendFrame(vp8DeltaFrame(1500), 2),
        await sendFrame(vp8DeltaFrame(2500), 3),
      ];
      const tapped = await tap.waitForFrames(4, { timeoutMs: 3000 });
      expect(hex(tapped)).toEqual(hex(first));
      expect(tapped.map((f) => f.timestamp)).toEqual(first.map((f) => f.timestamp));
      expect(tapped.every((f) => f.kind === 'video' && f.receivedAt <= Date.now())).toBe(true);

      // mediasoup forwards what is left of a frame that lost a packet (the gap stays in the
      // sequence numbers): leaving it out is the tap's job.
      const lostMiddle = await sendFrame(vp8DeltaFrame(2000), 3, 1);
      const afterLostMiddle = await sendFrame(vp8DeltaFrame(800), 2);
      const lostFirst = await sendFrame(vp8DeltaFrame(1200), 3, 0);
      const lostLast = await sendFrame(vp8DeltaFrame(1200), 3, 2);
      const afterLostLast = await sendFrame(vp8DeltaFrame(600), 2);
      // A receiver that lost packets asks for a key frame; the fake participant answers it.
      const requestsBefore = keyFrameRequests;
      await tap.requestKeyFrame();
      await waitFor(() => keyFrameRequests > requestsBefore, 3000, { message: 'a PLI or FIR at the sender' });
      const key = await sendFrame(vp8KeyFrame(2800), 3);

      const all = await tap.waitForFrames(7, { timeoutMs: 3000 });
      expect(hex(all)).toEqual(hex([...first, afterLostMiddle, afterLostLast, key]));
      const brokenTimestamps = [lostMiddle, lostFirst, lostLast].map((f) => f.timestamp);
      expect(all.filter((f) => brokenTimestamps.includes(f.timestamp))).toEqual([]);
    } finally {
      tap.close();
      camera.producer.close();
    }
  });

  it('starts a tap on a running video stream at the key frame the sender was asked for', async () => {
    const camera = await vp8Camera(0x5555_6666);
    // Like a browser's encoder: delta frames until a PLI or FIR comes, then a key frame.
    let running = true;
    let answered = keyFrameRequests;
    await camera.sendFrame(vp8KeyFrame(1500), 2);
    const streaming = (async () => {
      while (running) {
        const asked = keyFrameRequests > answered;
        answered = keyFrameRequests;
        await camera.sendFrame(asked ? vp8KeyFrame(1500) : vp8DeltaFrame(500), 2);
      }
    })();
    await sleep(100);
    let tap: SfuTap | undefined;
    try {
      tap = await SfuTap.attach(router, camera.producer.id);
      const tapped = await tap.waitForFrames(5, { timeoutMs: 3000 });
      const start = camera.sent.findIndex((f) => f.timestamp === tapped[0]!.timestamp);
      expect(start).toBeGreaterThan(0); // not the key frame that opened the stream
      expect(tapped[0]!.data[0]! & 0x01).toBe(0); // a key frame
      expect(hex(tapped)).toEqual(hex(camera.sent.slice(start, start + tapped.length)));
    } finally {
      running = false;
      await streaming;
      tap?.close();
      camera.producer.close();
    }
  });

  it('hands back each Opus packet as a frame, and times out with a count', async () => {
    const stream: OutgoingStream = { ssrc: 0x3333_4444, payloadType: payloadTypeOf('audio/opus'), sequenceNumber: randomBytes(2).readUInt16BE() };
    const producer = await ingress.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: stream.payloadType, clockRate: 48000, channels: 2 }],
        encodings: [{ ssrc: stream.ssrc }],
      },
    });
    const tap = await SfuTap.attach(router, producer.id);
    try {
      expect(tap.kind).toBe('audio');
      const sent: SentFrame[] = [];
      for (let i = 0; i < 10; i++) {
        const frame = { timestamp: 960 * (i + 1), data: randomBytes(20 + Math.floor(Math.random() * 180)) };
        send(rtpPacket(stream, frame.timestamp, i === 0, frame.data));
        sent.push(frame);
        await sleep(2);
      }
      const tapped = await tap.waitForFrames(10, { timeoutMs: 3000 });
      expect(hex(tapped)).toEqual(hex(sent));
      expect(tapped.map((f) => f.timestamp)).toEqual(sent.map((f) => f.timestamp));

      const fourth = sent[3]!.data;
      const matching = await tap.waitForFrames(1, { filter: (f) => f.data.equals(fourth) });
      expect(matching).toHaveLength(1);
      await expect(tap.waitForFrames(11, { timeoutMs: 200 })).rejects.toThrow(
        'SfuTap: timed out after 200 ms waiting for 11 audio frame(s); 10 arrived (10 in all)',
      );
      await expect(tap.waitForFrames(2, { timeoutMs: 100, filter: (f) => f.data.equals(fourth) })).rejects.toThrow(
        'SfuTap: timed out after 100 ms waiting for 2 audio frame(s) matching the filter; 1 arrived (10 in all)',
      );
    } finally {
      tap.close();
      producer.close();
    }
  });

  it('refuses a producer it cannot reassemble', async () => {
    await expect(SfuTap.attach(router, '00000000-0000-0000-0000-000000000000')).rejects.toThrow('SfuTap cannot consume producer');
  });
});
