/**
 * The signalling endpoint against the real server (HTTPS, real WebSockets, real SQLite, a real
 * mediasoup worker): bad input gets a code, the connection stays up and nothing changes.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSessionId } from '../server/auth/sessions.ts';
import { HttpClient } from './helpers/http-client.ts';
import { OPEN_POLICY, startTestServer, type TestServer } from './helpers/server.ts';
import { TestClient } from './helpers/ws-client.ts';
import { waitFor } from './helpers/wait.ts';
import { OPUS } from './helpers/rtp.ts';
import { auditRows } from './helpers/audit.ts';

let server: TestServer;
let meetingId: string;
const sessions = new Map<string, HttpClient>();

beforeAll(async () => {
  server = await startTestServer({ signaling: { heartbeatSeconds: 1, messagesPerSecond: 20, burst: 40 } });
  meetingId = server.createMeeting('Abierta', { policy: OPEN_POLICY });
});
afterAll(() => server?.close());

/** The signed-in browser of `name` (account and session made on first use, like a real browser). */
async function signedIn(name: string): Promise<HttpClient> {
  let http = sessions.get(name);
  if (!http) {
    http = await server.signIn(await server.createUser(name.toLowerCase(), { displayName: name }));
    sessions.set(name, http);
  }
  return http;
}

async function connected(name: string): Promise<TestClient> {
  return TestClient.connect(await signedIn(name));
}

async function joined(name: string): Promise<{ client: TestClient; participantId: string }> {
  const client = await connected(name);
  const result = await client.join(meetingId);
  if (result.status !== 'joined') throw new Error(`expected to join, got ${result.status}`);
  return { client, participantId: result.meeting.self.id };
}

function denials(action: string): Record<string, unknown>[] {
  return auditRows(server.recinto.db, { action, outcome: 'denied' }).map((r) => r.detail);
}

describe('who may connect', () => {
  it('refuses a WebSocket from a foreign origin, or without an origin', async () => {
    const http = await signedIn('Olga');
    await expect(TestClient.connect(http, { origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(TestClient.connect(http, { origin: null })).rejects.toThrow('HTTP 403');
    expect(denials('signaling.connect').some((d) => d.reason === 'origin')).toBe(true); // aggregated: repeats are counted
  });

  it('refuses a WebSocket without a session, or with one that has not passed the second factor', async () => {
    await expect(TestClient.connect(new HttpClient(server.url))).rejects.toThrow(/HTTP 401 .*NOT_SIGNED_IN/);
    const user = await server.createUser('halfway');
    const half = new HttpClient(server.url);
    await half.post('/api/auth/login', { username: user.username, password: user.password });
    await expect(TestClient.connect(half)).rejects.toThrow(/HTTP 401 .*SECOND_FACTOR_REQUIRED/);
  });

  it('closes the socket, and leaves the meeting, when the session ends', async () => {
    const http = await signedIn('Pablo');
    const ana = await joined('Ana');
    const pablo = await TestClient.connect(http);
    const pabloJoin = await pablo.join(meetingId);
    if (pabloJoin.status !== 'joined') throw new Error('expected to join');
    const closed = new Promise<number>((resolve) => pablo.socket.once('close', (code) => resolve(code)));
    expect((await http.post('/api/auth/logout', {})).status).toBe(200);
    expect(await closed).toBe(4401);
    const left = await ana.client.waitForNotification('participantLeft');
    expect(left.participantId).toBe(pabloJoin.meeting.self.id);
    await ana.client.close();
  });
});

describe('session upkeep', () => {
  it('an open signalling socket keeps its session alive through a quiet call', async () => {
    const http = await signedIn('Quieta');
    const client = await TestClient.connect(http);
    const idHash = hashSessionId(http.session!);
    // The session was last seen just under 30 minutes ago: without the socket it would expire now.
    const almostIdle = Date.now() - 30 * 60_000 + 1500;
    server.recinto.db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?').run(almostIdle, idHash);
    await new Promise((r) => setTimeout(r, 3000)); // heartbeats every second; no requests
    const lastSeen = server.recinto.db.prepare('SELECT last_seen_at FROM sessions WHERE id_hash = ?').pluck().get(idHash) as number | undefined;
    expect(lastSeen).toBeGreaterThan(Date.now() - 5000);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    await client.close();
  });

  it('a session gone from the database without an event (another process, e.g. the CLI) ends the socket at its next message', async () => {
    const http = await signedIn('Rosa');
    const client = await TestClient.connect(http);
    const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
    const replies: string[] = [];
    client.socket.on('message', (data: Buffer) => replies.push(data.toString('utf8')));
    server.recinto.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(hashSessionId(http.session!));
    client.socket.send(JSON.stringify({ id: 1, method: 'leave', params: {} }));
    expect(await closed).toBe(4401);
    expect(replies, 'the message is not handled').toEqual([]);
  });
});

describe('connection rules', () => {
  it('answers malformed messages with a code and keeps the connection usable', async () => {
    const client = await connected('Ana');
    expect((await client.raw('{not json')).error?.code).toBe('BAD_REQUEST');
    expect((await client.raw({ method: 'join' })).error?.code).toBe('BAD_REQUEST');
    expect((await client.raw({ id: 7, method: 'join', params: {}, extra: 1 })).error?.code).toBe('BAD_REQUEST');
    expect((await client.send('makeMeAdmin', {})).error?.code).toBe('UNKNOWN_METHOD');
    expect((await client.send('__proto__', {})).error?.code).toBe('UNKNOWN_METHOD');
    const invalid = await client.send('join', { meetingId: 'x', e2ee: true });
    expect(invalid.error?.code).toBe('INVALID_PARAMS');
    expect(invalid.error?.message).toMatch(/params\.meetingId/);
    expect((await client.send('join', { meetingId, e2ee: true, displayName: 'Somebody Else' })).error?.code).toBe('INVALID_PARAMS');
    const binary = await new Promise<string>((resolve) => {
      client.socket.once('message', (d: Buffer) => resolve(d.toString('utf8')));
      client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    });
    expect(JSON.parse(binary).error.code).toBe('BAD_REQUEST');
    // Still the same connection, still not joined: nothing changed.
    expect((await client.send('createTransport', { direction: 'send' })).error?.code).toBe('NOT_JOINED');
    await client.close();
  });

  it('refuses messages over 64 KiB with MESSAGE_TOO_LARGE, and the connection stays up', async () => {
    const client = await connected('Ana');
    const big = await client.raw({ id: 1, method: 'join', params: { meetingId: 'x'.repeat(70 * 1024) } });
    expect(big.error?.code).toBe('MESSAGE_TOO_LARGE');
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    expect((await client.send('leave', {})).error?.code).toBe('NOT_JOINED');
    await client.close();
  });

  it('rate-limits a flood per connection, then serves again', async () => {
    const client = await connected('Ana');
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
    const client = await connected('Ana');
    client.socket.pause(); // stops reading: pings go unanswered
    const closed = new Promise<void>((resolve) => client.socket.once('close', () => resolve()));
    setTimeout(() => client.socket.resume(), 3500);
    await closed;
    expect(client.socket.readyState).toBe(client.socket.CLOSED);
  }, 10_000);

  it('refuses an unknown meeting, audited, and nothing changes', async () => {
    const client = await connected('Ana');
    expect((await client.tryJoin('zzzz-zzzz-zzzz-zzzz')).error?.code).toBe('MEETING_NOT_FOUND');
    expect((await client.send('createTransport', { direction: 'recv' })).error?.code).toBe('NOT_JOINED');
    expect(server.recinto.meetings.find('zzzz-zzzz-zzzz-zzzz')).toBeUndefined();
    const denied = denials('meeting.join').map((d) => d.code);
    expect(denied).toContain('MEETING_NOT_FOUND');
    await client.close();
  });
});

describe('membership and media ownership', () => {
  it('joins, sees others, and cannot join twice on one connection', async () => {
    const ana = await joined('Ana');
    const bea = await joined('Bea');
    const joinedNote = await ana.client.waitForNotification('participantJoined');
    expect((joinedNote.participant as { displayName: string }).displayName).toBe('Bea');
    const again = await bea.client.tryJoin(meetingId);
    expect(again.error?.code).toBe('ALREADY_JOINED');
    await bea.client.close();
    const left = await ana.client.waitForNotification('participantLeft');
    expect(left.participantId).toBe(bea.participantId);
    await ana.client.close();
    await waitFor(() => (server.recinto.meetings.find(meetingId)?.size ?? 0) === 0);
  });

  it('two people joining a meeting that is just starting each learn of the other, after their own answer', async () => {
    // Both wait for the meeting's room; whoever enters second is announced to the first. Sent
    // before the first one's answer, that notification would reach a client not inside yet, which
    // drops it: the two would never see each other (seen after a server restart, when everyone
    // comes back at once). Repeated on fresh meetings, since the order depends on the room's timing.
    for (let round = 0; round < 8; round++) {
      const fresh = server.createMeeting(`A la vez ${round}`, { policy: OPEN_POLICY });
      const [ana, bea] = await Promise.all([connected('Ana'), connected('Bea')]);
      const [a, b] = await Promise.all([ana.send('join', { meetingId: fresh, e2ee: true }), bea.send('join', { meetingId: fresh, e2ee: true })]);
      const knows = (client: TestClient, reply: typeof a, otherName: string) => {
        const info = (reply.result as { meeting: { participants: { displayName: string }[] } }).meeting;
        if (info.participants.some((p) => p.displayName === otherName)) return true;
        const after = client.notifications.slice(reply.afterNotifications);
        return after.some((n) => n.notification === 'participantJoined' && (n.params.participant as { displayName: string }).displayName === otherName);
      };
      // Whoever entered first hears of the other after its answer; the other has them in its snapshot.
      await waitFor(() => knows(ana, a, 'Bea') && knows(bea, b, 'Ana'), 2000);
      await Promise.all([ana.close(), bea.close()]);
      await waitFor(() => (server.recinto.meetings.find(fresh)?.size ?? 0) === 0);
    }
  });

  it("cannot touch another participant's transport, or consume a producer that is not in the meeting", async () => {
    const ana = await joined('Ana');
    const bea = await joined('Bea');
    const anaSend = await ana.client.request('createTransport', { direction: 'send' });
    expect((await ana.client.send('createTransport', { direction: 'send' })).error?.code).toBe('CONFLICT');
    const fingerprints = [{ algorithm: 'sha-256' as const, value: Array(32).fill('AB').join(':') }];
    expect((await bea.client.send('connectTransport', { transportId: anaSend.id, dtlsParameters: { role: 'client', fingerprints } })).error?.code).toBe(
      'NOT_FOUND',
    );
    const beaRecv = await bea.client.request('createTransport', { direction: 'recv' });
    await bea.client.request('announceE2eeKeys', { bundle: Buffer.alloc(64, 1).toString('base64') }); // the meeting is end-to-end encrypted
    const consume = await bea.client.send('consume', { transportId: beaRecv.id, producerId: randomUUID(), rtpCapabilities: {} });
    expect(consume.error?.code).toBe('NOT_FOUND');
    // A receive transport cannot produce.
    const produce = await bea.client.send('produce', {
      transportId: beaRecv.id,
      kind: 'audio',
      source: 'microphone',
      rtpParameters: OPUS,
    });
    expect(produce.error?.code).toBe('INVALID_PARAMS');
    await Promise.all([ana.client.close(), bea.client.close()]);
  });
});

describe('meeting policy', () => {
  it("refuses a participant beyond the meeting's maxParticipants, and audits it", async () => {
    const small = server.createMeeting('Pequeña', { policy: { ...OPEN_POLICY, maxParticipants: 2 } });
    const clients = await Promise.all(['Uno', 'Dos', 'Tres'].map((n) => connected(n)));
    expect((await clients[0]!.tryJoin(small)).ok).toBe(true);
    expect((await clients[1]!.tryJoin(small)).ok).toBe(true);
    expect((await clients[2]!.tryJoin(small)).error?.code).toBe('MEETING_FULL');
    expect(server.recinto.meetings.find(small)?.size).toBe(2);
    expect(denials('meeting.join').map((d) => d.code)).toContain('MEETING_FULL');
    await Promise.all(clients.map((c) => c.close()));
  });
});
