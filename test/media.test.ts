/**
 * The media core with a real mediasoup worker: routers with the offered codecs, WebRtcServer on
 * the configured ports, RTP really forwarded through the SFU, and a dead worker replaced with its
 * meetings' participants told to reconnect.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config/load.ts';
import { WorkerPool } from '../server/media/worker-pool.ts';
import { MeetingRegistry } from '../server/meetings/registry.ts';
import type { MeetingRecord } from '../server/meetings/store.ts';
import { waitFor } from './helpers/wait.ts';

const log = pino({ level: 'silent' });

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function rtpPacket(seq: number, timestamp: number, ssrc: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80; // version 2
  header[1] = 100; // payload type 100, no marker
  header.writeUInt16BE(seq, 2);
  header.writeUInt32BE(timestamp, 4);
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, payload]);
}

/** The payload of an RTP packet: after the fixed header, CSRCs and any header extension. */
function rtpPayload(packet: Buffer): Buffer {
  let offset = 12 + 4 * (packet[0]! & 0x0f);
  if (packet[0]! & 0x10) offset += 4 + 4 * packet.readUInt16BE(offset + 2);
  return packet.subarray(offset);
}

let pool: WorkerPool;
let rtcPort: number;

beforeAll(async () => {
  rtcPort = await freePort();
  const config = loadConfig({ env: {}, overrides: { media: { workers: 1, listenIp: '127.0.0.1', rtcPort } } });
  pool = await WorkerPool.start(config.media, log);
});
afterAll(() => pool?.close());

describe('media core (real mediasoup worker)', () => {
  it('runs one WebRtcServer per worker on the configured UDP and TCP port', async () => {
    expect(pool.size).toBe(1);
    expect(pool.alive).toBe(1);
    const dump = await pool.slots[0]!.webRtcServer.dump();
    const tuples = dump.udpSockets.map((s) => ['udp', s.port]).concat(dump.tcpServers.map((s) => ['tcp', s.port]));
    expect(tuples).toEqual([
      ['udp', rtcPort],
      ['tcp', rtcPort],
    ]);
  });

  it('creates routers that offer Opus, VP8, VP9 and H264', async () => {
    const { router } = await pool.createRouter();
    const mimeTypes = router.rtpCapabilities.codecs!.map((c) => c.mimeType);
    expect(mimeTypes).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8', 'video/VP9', 'video/H264']));
    router.close();
  });

  it('forwards RTP from a producer to a consumer through the SFU', async () => {
    const { router } = await pool.createRouter();
    const sink: Socket = createSocket('udp4');
    const source: Socket = createSocket('udp4');
    try {
      await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
      await new Promise<void>((r) => source.bind(0, '127.0.0.1', r));
      const received: Buffer[] = [];
      sink.on('message', (m) => received.push(m));

      const ingress = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
      const producer = await ingress.produce({
        kind: 'audio',
        rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 0x1234 }] },
      });
      const egress = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
      await egress.connect({ ip: '127.0.0.1', port: (sink.address() as { port: number }).port });
      const consumer = await egress.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });

      const payload = Buffer.from('opus-frame-payload');
      for (let i = 0; i < 20; i++) {
        source.send(rtpPacket(1000 + i, 960 * i, 0x1234, payload), ingress.tuple.localPort, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 10));
      }
      await waitFor(() => received.length >= 10, 3000);
      const rtp = received.filter((m) => m[1]! < 200 || m[1]! > 204); // skip RTCP
      expect(rtp.length).toBeGreaterThanOrEqual(10);
      // The consumer rewrites SSRC and payload type but forwards the payload untouched.
      expect(rtp[0]!.readUInt32BE(8)).toBe(consumer.rtpParameters.encodings![0]!.ssrc);
      expect(rtpPayload(rtp[0]!).equals(payload)).toBe(true);
    } finally {
      sink.close();
      source.close();
      router.close();
    }
  });

  it('replaces a worker that dies and tells its meetings to reconnect', async () => {
    const meetings = new MeetingRegistry((meetingId) => pool.createRoom({ meetingId }));
    const record: MeetingRecord = {
      id: 'abcd-efgh',
      title: 'Prueba',
      ownerId: null,
      hostIds: [],
      startsAt: null,
      durationMinutes: null,
      policy: loadConfig({ env: {} }).meetings.policy,
      hasPassword: false,
      createdAt: Date.now(),
      updatedAt: null,
    };
    const meeting = await meetings.open(record);
    const told: string[] = [];
    let evicted = false;
    meeting.enter(
      { accountId: 'ana', displayName: 'Ana' },
      {
        notify: (name, params) => told.push(`${name}:${JSON.stringify(params)}`),
        admitted: () => {},
        evicted: () => (evicted = true),
      },
      { designatedHost: true },
    );
    const replaced = new Promise<number>((resolve) => pool.once('workerReplaced', resolve));
    const oldPid = pool.slots[0]!.worker.pid;
    process.kill(oldPid, 'SIGKILL');

    await waitFor(() => meeting.closed, 5000);
    expect(told).toContain('reconnect:{"reason":"media-worker-died"}');
    expect(evicted).toBe(true);
    expect(meetings.find('abcd-efgh')).toBeUndefined();

    expect(await replaced).toBe(0);
    expect(pool.alive).toBe(1);
    expect(pool.slots[0]!.worker.pid).not.toBe(oldPid);
    // The replacement listens on the same port, and a meeting can start on it again.
    const dump = await pool.slots[0]!.webRtcServer.dump();
    expect(dump.udpSockets[0]!.port).toBe(rtcPort);
    const again = await meetings.open(record);
    expect(again.closed).toBe(false);
    again.close();
  });
});
