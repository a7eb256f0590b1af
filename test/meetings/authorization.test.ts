/**
 * The authorization matrix: every signalling method × every role, against the real server (real
 * WebSockets, SQLite, mediasoup). Each cell runs in a fresh meeting so no action spoils another.
 * "allowed" means the refusal, if any, is not about who is asking (e.g. NOT_FOUND for a made-up
 * transport id is fine); "denied" names the code the role must get.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MethodName } from '../../protocol/signaling.ts';
import { Methods } from '../../protocol/signaling.ts';
import { HttpClient } from '../helpers/http-client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { TestClient } from '../helpers/ws-client.ts';
import { OPUS } from '../helpers/rtp.ts';
import { auditRows } from '../helpers/audit.ts';

type RoleName = 'host' | 'cohost' | 'participant' | 'guest' | 'waiting' | 'removed' | 'outsider';
const ROLES: RoleName[] = ['host', 'cohost', 'participant', 'guest', 'waiting', 'removed', 'outsider'];
const PERMISSION_CODES = new Set(['FORBIDDEN', 'IN_WAITING_ROOM', 'NOT_JOINED', 'BANNED', 'ALREADY_JOINED']);

const HOST = ['host'];
const HOSTS = ['host', 'cohost'];
const INSIDE = ['host', 'cohost', 'participant', 'guest'];

/** Roles allowed per method; every other role gets the code in `deniedAs` (default by role). */
const MATRIX: Record<MethodName, string[]> = {
  join: ['outsider'],
  leave: ['host', 'cohost', 'participant', 'guest', 'waiting'],
  createTransport: INSIDE,
  connectTransport: INSIDE,
  restartIce: INSIDE,
  produce: INSIDE,
  closeProducer: INSIDE,
  pauseProducer: INSIDE,
  resumeProducer: INSIDE,
  consume: INSIDE,
  resumeConsumer: INSIDE,
  setReceiveLayers: INSIDE,
  sendChat: INSIDE,
  announceE2eeKeys: INSIDE,
  sendE2eeKey: INSIDE,
  admit: HOSTS,
  admitAll: HOSTS,
  deny: HOSTS,
  mute: HOSTS,
  muteAll: HOSTS,
  askToUnmute: HOSTS,
  setCameraAllowed: HOSTS,
  setScreenShareAllowed: HOSTS,
  remove: HOSTS,
  setRole: HOST,
  setLocked: HOSTS,
  updatePolicy: HOSTS,
  endMeeting: HOST,
};

/** The code a role gets when refused. */
function expectedRefusal(method: MethodName, role: RoleName): string {
  if (method === 'join') return role === 'removed' ? 'BANNED' : 'ALREADY_JOINED';
  if (role === 'waiting') return 'IN_WAITING_ROOM';
  if (role === 'removed' || role === 'outsider') return 'NOT_JOINED';
  return 'FORBIDDEN';
}

let server: TestServer;
const users: Record<'host' | 'actor' | 'victim' | 'queued', HttpClient> = {} as never;

beforeAll(async () => {
  server = await startTestServer({ signaling: { messagesPerSecond: 1000, burst: 1000 }, auth: { loginAttemptsPerMinutePerIp: 10_000 } });
  for (const name of ['host', 'actor', 'victim', 'queued'] as const) {
    users[name] = await server.signIn(await server.createUser(`${name}-user`, { displayName: name }));
  }
});
afterAll(() => server?.close());

/** A fresh meeting with a host, a participant victim, someone waiting, and the actor in `role`. */
async function cell(role: RoleName) {
  const hostAccount = server.recinto.auth.accounts.byUsername('host-user')!;
  const meetingId = server.createMeeting('Matriz', { ownerId: hostAccount.id });
  const host = await TestClient.connect(users.host);
  await host.join(meetingId);
  const admitFrom = async (client: TestClient) => {
    const r = await client.join(meetingId);
    if (r.status !== 'waiting') throw new Error('expected to wait');
    await host.request('admit', { waitingId: r.waitingId });
    return client.waitForNotification('admitted').then((n) => (n.meeting as { self: { id: string } }).self.id);
  };
  const victim = await TestClient.connect(users.victim);
  const victimId = await admitFrom(victim);
  const queued = await TestClient.connect(users.queued);
  const queuedJoin = await queued.join(meetingId);
  const waitingId = queuedJoin.status === 'waiting' ? queuedJoin.waitingId : '';

  let actor = host;
  if (role === 'guest') {
    const guestHttp = new HttpClient(server.url);
    const entered = await guestHttp.post(`/api/meetings/${meetingId}/guest`, {
      displayName: 'Invitado',
      password: server.recinto.meetingStore.password(meetingId),
    });
    if (entered.status !== 200) throw new Error(JSON.stringify(entered.body));
    actor = await TestClient.connect(guestHttp);
    await admitFrom(actor);
  } else if (role !== 'host') {
    actor = await TestClient.connect(users.actor);
    if (role === 'waiting') await actor.join(meetingId);
    if (role === 'participant' || role === 'cohost' || role === 'removed') {
      const actorId = await admitFrom(actor);
      if (role === 'cohost') await host.request('setRole', { participantId: actorId, role: 'cohost' });
      if (role === 'removed') await host.request('remove', { participantId: actorId, ban: true });
    }
  }
  const close = () => Promise.all([host, victim, queued, actor].map((c) => c.close()));
  return { meetingId, actor, victimId, waitingId, close };
}

function paramsFor(method: MethodName, c: { meetingId: string; victimId: string; waitingId: string }): unknown {
  const id = randomUUID();
  const fingerprints = [{ algorithm: 'sha-256', value: Array(32).fill('AB').join(':') }];
  const rtp = OPUS;
  const byMethod: Partial<Record<MethodName, unknown>> = {
    join: { meetingId: c.meetingId, e2ee: true },
    leave: {},
    createTransport: { direction: 'recv' },
    connectTransport: { transportId: id, dtlsParameters: { role: 'client', fingerprints } },
    restartIce: { transportId: id },
    produce: { transportId: id, kind: 'audio', source: 'microphone', rtpParameters: rtp },
    closeProducer: { producerId: id },
    pauseProducer: { producerId: id },
    resumeProducer: { producerId: id },
    consume: { transportId: id, producerId: id, rtpCapabilities: {} },
    resumeConsumer: { consumerId: id },
    setReceiveLayers: { consumers: [{ consumerId: id, visible: false, height: 120 }] },
    sendChat: { sealed: Buffer.alloc(300, 5).toString('base64') }, // the default policy is end-to-end encrypted
    announceE2eeKeys: { bundle: Buffer.alloc(1666, 7).toString('base64') },
    sendE2eeKey: { to: c.victimId, blob: Buffer.alloc(1629, 9).toString('base64') },
    admit: { waitingId: c.waitingId },
    admitAll: {},
    deny: { waitingId: c.waitingId },
    mute: { participantId: c.victimId },
    muteAll: {},
    askToUnmute: { participantId: c.victimId },
    setCameraAllowed: { participantId: c.victimId, allowed: false },
    setScreenShareAllowed: { participantId: c.victimId, allowed: true },
    remove: { participantId: c.victimId, ban: false },
    setRole: { participantId: c.victimId, role: 'cohost' },
    setLocked: { locked: true },
    updatePolicy: { policy: { chat: false } },
    endMeeting: {},
  };
  return byMethod[method];
}

describe('authorization matrix (method × role, real server)', () => {
  it('covers every protocol method', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(Object.keys(Methods).sort());
  });

  for (const method of Object.keys(MATRIX) as MethodName[]) {
    it(`${method}: allowed for ${MATRIX[method].join(', ')}; refused for the others`, async () => {
      for (const role of ROLES) {
        const c = await cell(role);
        try {
          const reply = await c.actor.send(method, paramsFor(method, c));
          const code = reply.error?.code;
          if (MATRIX[method].includes(role)) {
            expect(code === undefined || !PERMISSION_CODES.has(code), `${method} as ${role} was refused with ${code}`).toBe(true);
            expect(code, `${method} as ${role}: ${reply.error?.message}`).not.toBe('INVALID_PARAMS');
          } else {
            expect(code, `${method} as ${role}`).toBe(expectedRefusal(method, role));
          }
        } finally {
          await c.close();
        }
      }
    });
  }

  it('refuses a connection without a session at all (signed out)', async () => {
    await expect(TestClient.connect(new HttpClient(server.url))).rejects.toThrow(/HTTP 401/);
  });

  it('audits refused host actions', () => {
    const denied = auditRows(server.recinto.db, { action: 'host.', outcome: 'denied' }).length;
    expect(denied).toBeGreaterThan(10);
  });
});
