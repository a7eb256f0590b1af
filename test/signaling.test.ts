/**
 * The signalling endpoint against the real server (HTTPS, real WebSockets, real SQLite, a real
 * mediasoup worker): bad input gets a code, the connection stays up and nothing changes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintJoinToken } from '../server/tokens/join-token.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { TestClient, waitFor } from './helpers/ws-client.ts';

let server: TestServer;
let meetingId: string;

beforeAll(async () => {
  server = await startTestServer({ signaling: { heartbeatSeconds: 1, messagesPerSecond: 20, burst: 40 } });
  meetingId = server.createMeeting();
});
afterAll(() => server?.close());

async function joined(name: string): Promise<{ client: TestClient; participantId: string }> {
  const client = await TestClient.connect(server.url);
  const token = await server.mintToken(meetingId, name);
  const result = await client.request('join', { meetingId, token });
  return { client, participantId: result.participantId };
}

function auditRows(action: string, outcome: string): { detail: string }[] {
  return server.recinto.db.prepare('SELECT detail FROM audit_log WHERE action = ? AND outcome = ?').all(action, outcome) as { detail: string }[];
}

describe('connection rules', () => {
  it('refuses a WebSocket from a foreign origin, or without an origin', async () => {
    await expect(TestClient.connect(server.url, { origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(TestClient.connect(server.url, { origin: null })).rejects.toThrow('HTTP 403');
    expect(auditRows('signaling.connect', 'denied').length).toBeGreaterThanOrEqual(2);
  });

  it('answers malformed messages with a code and keeps the connection usable', async () => {
    const client = await TestClient.connect(server.url);
    expect((await client.raw('{not json')).error?.code).toBe('BAD_REQUEST');
    expect((await client.raw({ method: 'join' })).error?.code).toBe('BAD_REQUEST');
    expect((await client.raw({ id: 7, method: 'join', params: {}, extra: 1 })).error?.code).toBe('BAD_REQUEST');
    expect((await client.send('makeMeAdmin', {})).error?.code).toBe('UNKNOWN_METHOD');
    expect((await client.send('__proto__', {})).error?.code).toBe('UNKNOWN_METHOD');
    const invalid = await client.send('join', { meetingId: 'x', token: '' });
    expect(invalid.error?.code).toBe('INVALID_PARAMS');
    expect(invalid.error?.message).toMatch(/params\.meetingId/);
    const binary = await new Promise<string>((resolve) => {
      client.socket.once('message', (d) => resolve(String(d)));
      client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    });
    expect(JSON.parse(binary).error.code).toBe('BAD_REQUEST');
    // Still the same connection, still not joined: nothing changed.
    expect((await client.send('createTransport', { direction: 'send' })).error?.code).toBe('NOT_JOINED');
    await client.close();
  });

  it('refuses messages over 64 KiB with MESSAGE_TOO_LARGE, and the connection stays up', async () => {
    const client = await TestClient.connect(server.url);
    const big = await client.raw({ id: 1, method: 'join', params: { meetingId, token: 'x'.repeat(70 * 1024) } });
    expect(big.error?.code).toBe('MESSAGE_TOO_LARGE');
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    expect((await client.send('leave', {})).error?.code).toBe('NOT_JOINED');
    await client.close();
  });

  it('rate-limits a flood per connection, then serves again', async () => {
    const client = await TestClient.connect(server.url);
    const replies = await Promise.all(Array.from({ length: 80 }, () => client.send('leave', {})));
    const limited = replies.filter((r) => r.error?.code === 'RATE_LIMITED').length;
    const served = replies.filter((r) => r.error?.code === 'NOT_JOINED').length;
    expect(limited + served).toBe(80);
    expect(limited).toBeGreaterThanOrEqual(30); // burst 40 at 20/s: the rest is refused
    await new Promise((r) => setTimeout(r, 1000));
    expect((await client.send('leave', {})).error?.code).toBe('NOT_JOINED');
    await client.close();
  });

  it('closes a connection whose peer stops answering heartbeats', async () => {
    const client = await TestClient.connect(server.url);
    client.socket.pause(); // stops reading: pings go unanswered
    const closed = new Promise<void>((resolve) => client.socket.once('close', () => resolve()));
    setTimeout(() => client.socket.resume(), 3500);
    await closed;
    expect(client.socket.readyState).toBe(client.socket.CLOSED);
  }, 10_000);
});

describe('join tokens', () => {
  it('refuses a forged token, one for another meeting, an expired one, and an unknown meeting', async () => {
    const client = await TestClient.connect(server.url);
    const forged = await mintJoinToken(randomBytes(32), { meetingId, displayName: 'Mallory', ttlSeconds: 600 });
    expect((await client.send('join', { meetingId, token: forged })).error?.code).toBe('TOKEN_INVALID');
    expect((await client.send('join', { meetingId, token: 'eyJhbGciOiJub25lIn0.eyJtaWQiOiJ4In0.' })).error?.code).toBe('TOKEN_INVALID');
    const other = server.createMeeting('other');
    const forOther = await server.mintToken(other, 'Ana');
    expect((await client.send('join', { meetingId, token: forOther })).error?.code).toBe('TOKEN_INVALID');
    const expired = await server.mintToken(meetingId, 'Ana', -5);
    expect((await client.send('join', { meetingId, token: expired })).error?.code).toBe('TOKEN_EXPIRED');
    const ghost = 'zzzz-zzzz-zzzz-zzzz';
    expect((await client.send('join', { meetingId: ghost, token: await server.mintToken(ghost, 'Ana') })).error?.code).toBe('MEETING_NOT_FOUND');
    // Nothing changed: still not joined, nobody in the meeting, every refusal audited.
    expect((await client.send('createTransport', { direction: 'recv' })).error?.code).toBe('NOT_JOINED');
    expect(server.recinto.meetings.find(meetingId)?.size ?? 0).toBe(0);
    const denied = auditRows('meeting.join', 'denied').map((r) => JSON.parse(r.detail).code);
    expect(denied).toEqual(expect.arrayContaining(['TOKEN_INVALID', 'TOKEN_EXPIRED', 'MEETING_NOT_FOUND']));
    await client.close();
  });
});

describe('membership and media ownership', () => {
  it('joins, sees others, and cannot join twice on one connection', async () => {
    const ana = await joined('Ana');
    const bea = await joined('Bea');
    const joinedNote = await ana.client.waitForNotification('participantJoined');
    expect((joinedNote.participant as { displayName: string }).displayName).toBe('Bea');
    const again = await bea.client.send('join', { meetingId, token: await server.mintToken(meetingId, 'Bea') });
    expect(again.error?.code).toBe('ALREADY_JOINED');
    await bea.client.close();
    const left = await ana.client.waitForNotification('participantLeft');
    expect(left.participantId).toBe(bea.participantId);
    await ana.client.close();
    await waitFor(() => (server.recinto.meetings.find(meetingId)?.size ?? 0) === 0);
  });

  it("cannot touch another participant's transport, or consume a producer that is not in the meeting", async () => {
    const ana = await joined('Ana');
    const bea = await joined('Bea');
    const anaSend = await ana.client.request('createTransport', { direction: 'send' });
    expect((await ana.client.send('createTransport', { direction: 'send' })).error?.code).toBe('CONFLICT');
    const fingerprints = [{ algorithm: 'sha-256' as const, value: Array(32).fill('AB').join(':') }];
    expect((await bea.client.send('connectTransport', { transportId: anaSend.id, dtlsParameters: { role: 'client', fingerprints } })).error?.code).toBe('NOT_FOUND');
    const beaRecv = await bea.client.request('createTransport', { direction: 'recv' });
    const consume = await bea.client.send('consume', { transportId: beaRecv.id, producerId: randomUUID(), rtpCapabilities: {} });
    expect(consume.error?.code).toBe('NOT_FOUND');
    // A receive transport cannot produce.
    const produce = await bea.client.send('produce', {
      transportId: beaRecv.id,
      kind: 'audio',
      source: 'microphone',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 1 }] },
    });
    expect(produce.error?.code).toBe('INVALID_PARAMS');
    await Promise.all([ana.client.close(), bea.client.close()]);
  });
});
