/**
 * What one socket can cost the server: the worst-case message is answered at once and the server
 * stays responsive; a flooding socket is cut off and logged once.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from './helpers/http-client.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { TestClient } from './helpers/ws-client.ts';
import { auditRows } from './helpers/audit.ts';

let server: TestServer;
let http: HttpClient;
const logLines: string[] = [];

beforeAll(async () => {
  const logTo = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  server = await startTestServer({ signaling: { messagesPerSecond: 1000, burst: 1000 } }, { logTo });
  http = await server.signIn(await server.createUser('sondeo'));
});
afterAll(() => server?.close());

const uuid = '0b8f8f9e-3c1a-4d2e-9f00-123456789abc';

/** An object of `key → true` pairs as large as fits in `bytes` of JSON: every value invalid. */
function invalidRecord(bytes: number): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  let size = 2;
  for (let i = 0; ; i++) {
    const key = `k${i}`;
    size += key.length + 8; // "k…":true,
    if (size > bytes) return out;
    out[key] = true;
  }
}

/** A `produce` as large as the server accepts (64 KiB), with thousands of invalid codec parameters. */
function worstCaseProduce(id: number): string {
  const parameters = invalidRecord(65_536 - 300);
  const message = {
    id,
    method: 'produce',
    params: {
      transportId: uuid,
      kind: 'audio',
      source: 'microphone',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, parameters }] },
    },
  };
  const text = JSON.stringify(message);
  expect(text.length).toBeGreaterThan(60_000);
  expect(text.length).toBeLessThanOrEqual(65_536);
  return text;
}

async function healthzMs(): Promise<number> {
  const started = performance.now();
  const reply = await new HttpClient(server.url).get('/healthz');
  expect(reply.status).toBe(200);
  return performance.now() - started;
}

describe('the cost of one message', () => {
  it('a 64 KiB message of invalid codec parameters is answered in well under 50 ms, /healthz unaffected', async () => {
    const client = await TestClient.connect(http); // not even in a meeting: anyone can send it
    const baseline = await healthzMs();
    const answers: number[] = [];
    const health: Promise<number>[] = [];
    for (let i = 1; i <= 5; i++) {
      const text = worstCaseProduce(i);
      const started = performance.now();
      const reply = client.raw(text, i);
      health.push(healthzMs());
      const answer = await reply;
      answers.push(performance.now() - started);
      expect(answer.error?.code).toBe('INVALID_PARAMS');
      expect(answer.error!.message.length).toBeLessThan(1000);
    }
    answers.sort((a, b) => a - b);
    expect(answers[2]!).toBeLessThan(50); // the median round trip, socket and parsing included
    const healthTimes = await Promise.all(health);
    expect(Math.max(...healthTimes)).toBeLessThan(Math.max(250, baseline * 5));
    // The connection is still usable and nothing changed.
    expect((await client.send('leave', {})).error?.code).toBe('NOT_JOINED');
    await client.close();
  });
});

describe('a flooding socket', () => {
  it('is cut off after 200 refusals in a row, logged once, audited once', async () => {
    const flood = await startTestServer(
      { signaling: { messagesPerSecond: 1, burst: 1 } },
      {
        logTo: new Writable({
          write(chunk, _encoding, done) {
            logLines.push(...String(chunk).split('\n').filter(Boolean));
            done();
          },
        }),
      },
    );
    try {
      const client = await TestClient.connect(await flood.signIn(await flood.createUser('inundador')));
      const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
      const before = logLines.length;
      for (let i = 1; i <= 2000; i++) client.socket.send(JSON.stringify({ id: i, method: 'leave', params: {} }));
      expect(await closed).toBe(1006); // terminated: no close handshake for a peer that ignores refusals
      await new Promise((resolve) => setTimeout(resolve, 200));
      const floodLines = logLines.slice(before).filter((l) => l.includes('flood'));
      expect(floodLines).toHaveLength(1);
      const rows = (action: string) => auditRows(flood.recinto.db, { action }).map((r) => r.detail);
      expect(rows('signaling.flood_disconnect')).toHaveLength(1);
      expect(rows('signaling.message')).toHaveLength(1); // the first refusal; its repeats are counted
      flood.recinto.refusals.flush();
      const repeats = rows('signaling.message');
      expect(repeats).toHaveLength(2);
      expect(repeats[1]!.repeated).toBeGreaterThanOrEqual(198);
    } finally {
      await flood.close();
    }
  });
});

describe('refusals that come in floods are audited, aggregated', () => {
  it('host controls from the waiting room and media calls on ids that are not yours', async () => {
    const meetingId = server.createMeeting('Sala');
    const waiting = await TestClient.connect(http);
    expect((await waiting.join(meetingId)).status).toBe('waiting');
    for (let i = 0; i < 30; i++) expect((await waiting.send('mute', { participantId: uuid })).error?.code).toBe('IN_WAITING_ROOM');
    const outsider = await TestClient.connect(await server.signIn(await server.createUser('ajeno')));
    expect((await outsider.send('resumeConsumer', { consumerId: uuid })).error?.code).toBe('NOT_JOINED');
    const rows = (action: string) => auditRows(server.recinto.db, { action });
    expect(rows('signaling.mute')).toHaveLength(1);
    expect(rows('signaling.mute')[0]).toMatchObject({ meetingId });
    expect(rows('signaling.mute')[0]!.detail).toMatchObject({ code: 'IN_WAITING_ROOM', ip: '127.0.0.1' });
    expect(rows('signaling.resumeConsumer')[0]!.detail).toMatchObject({ code: 'NOT_JOINED' });
    server.recinto.refusals.flush();
    expect(rows('signaling.mute')[1]!.detail).toMatchObject({ code: 'IN_WAITING_ROOM', repeated: 29 });
    await Promise.all([waiting.close(), outsider.close()]);
  });
});
