/**
 * The admin console's authorisation matrix on the real server: every /api/admin route Fastify
 * registered (enumerated from its onRoute announcements, so a new route without a row here fails)
 * × an administrator (allowed: its status), staff (403 FORBIDDEN), a guest of a meeting (401
 * NOT_SIGNED_IN), signed out (401); the routes that need a step-up, exactly; CSRF; every refusal
 * audited as `admin.refused` with its route and code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_TEST_CONFIG, refusedRows, signInAdmin, type TestAdmin } from '../helpers/admin.ts';
import { HttpClient, type HttpReply } from '../helpers/http-client.ts';
import { startTestServer, type TestServer, type TestUser } from '../helpers/server.ts';
import { TestClient } from '../helpers/ws-client.ts';

let server: TestServer;
let admin: TestAdmin;
let staff: HttpClient;
let guest: HttpClient;
let signedOut: HttpClient;
let target: TestUser;
let meetingId: string;
let inside: TestClient;

beforeAll(async () => {
  server = await startTestServer(CONSOLE_TEST_CONFIG);
  admin = await signInAdmin(server);
  target = await server.createUser('tomas', { displayName: 'Tomás' });
  // Each kind of caller from its own address, so each refusal is a row of its own (never folded as a repeat).
  const ana = await server.createUser('ana');
  staff = new HttpClient(server.url, { localAddress: '127.0.0.2' });
  await staff.post('/api/auth/login', { username: ana.username, password: ana.password });
  await staff.post('/api/auth/second-factor', { code: ana.nextCode() });
  meetingId = server.createMeeting('Consejo', { ownerId: ana.id, policy: { waitingRoom: false, joinBeforeHost: true } });
  guest = new HttpClient(server.url, { localAddress: '127.0.0.3' });
  const entered = await guest.post(`/api/meetings/${meetingId}/guest`, { displayName: 'Invitada', password: server.recinto.meetingStore.password(meetingId) });
  expect(entered.status).toBe(200);
  signedOut = new HttpClient(server.url, { localAddress: '127.0.0.4' });
  // The meeting runs (its host inside), so ending it is a real end.
  inside = await TestClient.connect(staff);
  await inside.join(meetingId);
});
afterAll(async () => {
  await inside?.close();
  await server?.close();
});

interface Row {
  route: string;
  path: () => string;
  body?: (judged: boolean) => unknown;
  /** What an authorised administrator gets. */
  admin: number;
  stepUp?: true;
}

const user = () => `/api/admin/users/${target.id}`;
/** One row per route; the administrator's requests run in this order (the end of the meeting last). */
const MATRIX: Row[] = [
  // A real code only where it is judged (an authorised administrator's request): codes are used once.
  { route: 'POST /api/admin/step-up', path: () => '/api/admin/step-up', body: (judged) => ({ code: judged ? admin.user.nextCode() : '123456' }), admin: 200 },
  { route: 'GET /api/admin/users', path: () => '/api/admin/users?q=tom', admin: 200 },
  { route: 'POST /api/admin/users', path: () => '/api/admin/users', body: () => ({ username: 'nueva', displayName: 'Nueva', role: 'staff' }), admin: 201 },
  { route: 'POST /api/admin/users/:userId/disable', path: () => `${user()}/disable`, admin: 200 },
  { route: 'POST /api/admin/users/:userId/enable', path: () => `${user()}/enable`, admin: 200 },
  { route: 'POST /api/admin/users/:userId/reset-2fa', path: () => `${user()}/reset-2fa`, admin: 200, stepUp: true },
  { route: 'POST /api/admin/users/:userId/reset-password', path: () => `${user()}/reset-password`, admin: 200 },
  { route: 'POST /api/admin/users/:userId/sessions/end', path: () => `${user()}/sessions/end`, admin: 200 },
  { route: 'POST /api/admin/users/:userId/role', path: () => `${user()}/role`, body: () => ({ role: 'staff' }), admin: 200, stepUp: true },
  { route: 'GET /api/admin/policy', path: () => '/api/admin/policy', admin: 200 },
  { route: 'PUT /api/admin/policy', path: () => '/api/admin/policy', body: () => server.recinto.orgPolicy.current(), admin: 200, stepUp: true },
  { route: 'GET /api/admin/meetings', path: () => '/api/admin/meetings', admin: 200 },
  { route: 'GET /api/admin/audit', path: () => '/api/admin/audit?limit=10', admin: 200 },
  { route: 'GET /api/admin/audit/status', path: () => '/api/admin/audit/status', admin: 200 },
  { route: 'POST /api/admin/audit/verify', path: () => '/api/admin/audit/verify', admin: 200 },
  { route: 'GET /api/admin/audit/export', path: () => '/api/admin/audit/export?format=csv', admin: 200 },
  { route: 'GET /api/admin/system', path: () => '/api/admin/system', admin: 200 },
  { route: 'POST /api/admin/meetings/:meetingId/end', path: () => `/api/admin/meetings/${meetingId}/end`, admin: 200, stepUp: true },
];

const send = (client: HttpClient, row: Row, options: { csrf?: boolean } = {}): Promise<HttpReply> => {
  const judged = client === admin.http && options.csrf !== false;
  return client.send(row.route.split(' ')[0]!, row.path(), row.body?.(judged) ?? (row.route.startsWith('GET') ? undefined : {}), options);
};

describe('the admin console’s authorisation matrix', () => {
  it('covers exactly the /api/admin routes the server registered', () => {
    const registered = server.recinto.routes
      .filter((r) => r.url.startsWith('/api/admin') && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    expect(registered).toEqual(MATRIX.map((r) => r.route).sort());
  });

  it('signed out: 401 NOT_SIGNED_IN on every route, each refusal audited', async () => {
    for (const row of MATRIX) {
      const reply = await send(signedOut, row);
      expect([row.route, reply.status, reply.body.error?.code]).toEqual([row.route, 401, 'NOT_SIGNED_IN']);
      expect(refusedRows(server, row.route).filter((r) => r.detail.code === 'NOT_SIGNED_IN' && r.detail.ip === '127.0.0.4')).toHaveLength(1);
    }
  });

  it('a guest session: 401 NOT_SIGNED_IN on every route, each refusal audited', async () => {
    for (const row of MATRIX) {
      const reply = await send(guest, row);
      expect([row.route, reply.status, reply.body.error?.code]).toEqual([row.route, 401, 'NOT_SIGNED_IN']);
      expect(refusedRows(server, row.route).filter((r) => r.detail.code === 'NOT_SIGNED_IN' && r.detail.ip === '127.0.0.3')).toHaveLength(1);
    }
  });

  it('staff: 403 FORBIDDEN on every route, each refusal audited, nothing changed', async () => {
    for (const row of MATRIX) {
      const reply = await send(staff, row);
      expect([row.route, reply.status, reply.body.error?.code]).toEqual([row.route, 403, 'FORBIDDEN']);
      expect(refusedRows(server, row.route).filter((r) => r.detail.code === 'FORBIDDEN' && r.detail.ip === '127.0.0.2')).toHaveLength(1);
    }
    expect(server.recinto.auth.accounts.byUsername('nueva')).toBeUndefined();
    expect(server.recinto.meetings.find(meetingId)?.size).toBe(1);
  });

  it('an administrator without the CSRF token: refused on every state-changing route, audited', async () => {
    for (const row of MATRIX.filter((r) => !r.route.startsWith('GET'))) {
      const reply = await send(admin.http, row, { csrf: false });
      expect([row.route, reply.status, reply.body.error?.code]).toEqual([row.route, 403, 'CSRF_FAILED']);
      expect(refusedRows(server, row.route).filter((r) => r.detail.code === 'CSRF_FAILED')).toHaveLength(1);
    }
  });

  it('an administrator before a step-up: exactly the sensitive routes answer STEP_UP_REQUIRED, audited with the administrator', async () => {
    const needing: string[] = [];
    for (const row of MATRIX.filter((r) => r.route !== 'POST /api/admin/step-up')) {
      const reply = await send(admin.http, row);
      if (reply.body.error?.code === 'STEP_UP_REQUIRED') {
        expect(reply.status).toBe(403);
        needing.push(row.route);
        expect(refusedRows(server, row.route).filter((r) => r.detail.code === 'STEP_UP_REQUIRED' && r.actor === admin.user.id)).toHaveLength(1);
      }
    }
    expect(needing.sort()).toEqual(
      MATRIX.filter((r) => r.stepUp)
        .map((r) => r.route)
        .sort(),
    );
    // The others went through (the user created, disabled and enabled again…): undo what matters below.
    expect(server.recinto.auth.accounts.byUsername('nueva')).toBeDefined();
    server.recinto.db.prepare("DELETE FROM users WHERE username = 'nueva'").run();
    expect(server.recinto.meetings.find(meetingId)?.size).toBe(1);
  });

  it('an administrator after a step-up: every route answers its status', async () => {
    for (const row of MATRIX) {
      const reply = await send(admin.http, row);
      expect([row.route, reply.status]).toEqual([row.route, row.admin]);
    }
    await inside.waitForNotification('meetingEnded');
  });
});
