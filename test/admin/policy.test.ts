/**
 * The organisation policy from the console, on the real server: the file's values until one is
 * saved; saving needs a step-up, is validated by the configuration's own schemas and its rule
 * across keys, and is audited with before and after; and a saved policy is followed at once, with
 * no restart: by a new meeting's defaults, E2EE, the guest entry and guest joins, the recording
 * ceiling (create, edit, a host's live change), and session lifetimes (new sessions, the idle
 * check of existing ones), staff and guests alike. The shell's `meeting create` follows it too.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OrgPolicyStore, policyFromConfig } from '../../server/admin/policy.ts';
import { hashSessionId } from '../../server/auth/sessions.ts';
import { changePolicy, CONSOLE_TEST_CONFIG, signInAdmin, type TestAdmin } from '../helpers/admin.ts';
import { auditRows } from '../helpers/audit.ts';
import { HttpClient } from '../helpers/http-client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { TestClient } from '../helpers/ws-client.ts';

let server: TestServer;
let admin: TestAdmin;
let ana: HttpClient;

beforeAll(async () => {
  server = await startTestServer(CONSOLE_TEST_CONFIG, { signIn: ['ana'] });
  ana = server.http.ana!;
  admin = await signInAdmin(server);
  await admin.stepUp(); // five minutes: more than this file takes
});
// Each test starts from the file's values.
afterEach(async () => {
  expect((await admin.http.send('PUT', '/api/admin/policy', policyFromConfig(server.config))).status).toBe(200);
});
afterAll(() => server?.close());

const newMeeting = (policy?: Record<string, unknown>) => ana.post('/api/meetings', { title: 'Junta', ...(policy ? { policy } : {}) });
const guestEntry = (meetingId: string) =>
  new HttpClient(server.url).post(`/api/meetings/${meetingId}/guest`, { displayName: 'Invitado', password: server.recinto.meetingStore.password(meetingId) });

describe('the organisation policy', () => {
  it('is the file’s until saved; saving is audited with before and after, and survives a restart', async () => {
    const initial = await admin.http.get('/api/admin/policy');
    expect(initial.body).toEqual({ policy: policyFromConfig(server.config), source: 'config', updatedAt: null, updatedBy: null });
    expect(initial.body.policy).toMatchObject({
      meetingDefaults: server.config.meetings.policy,
      e2eeRequired: true,
      guestsAllowed: true,
      recordingMax: 'everyone',
    });

    const saved = await changePolicy(server, admin, { meetingDefaults: { chat: false }, recordingMax: 'host' });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ source: 'database', updatedBy: 'root', policy: { meetingDefaults: { chat: false }, recordingMax: 'host' } });
    const row = auditRows(server.recinto.db, { action: 'admin.policy_changed' }).at(-1)!;
    expect(row.actor).toBe(admin.user.id);
    expect(row.detail).toEqual({ before: initial.body.policy, after: saved.body.policy, via: 'console' });
    // What a restart reads from the database.
    expect(new OrgPolicyStore(server.recinto.db, server.config).current()).toEqual(saved.body.policy);
  });

  it('is validated by the configuration’s schemas and its rule across keys; a refusal changes nothing', async () => {
    const current = server.recinto.orgPolicy.current();
    const bad = [
      { ...current, meetingDefaults: { ...current.meetingDefaults, e2ee: false } }, // E2EE required, defaults without it
      { ...current, meetingDefaults: { ...current.meetingDefaults, maxParticipants: 1 } },
      { ...current, meetingDefaults: { ...current.meetingDefaults, fileTransfer: true } },
      { ...current, sessionIdleMinutes: 0 },
      { ...current, sessionAbsoluteHours: 7 * 24 + 1 },
      { ...current, recordingMax: 'all' },
      { ...current, extra: true },
      { meetingDefaults: current.meetingDefaults },
    ];
    for (const body of bad) {
      const reply = await admin.http.send('PUT', '/api/admin/policy', body);
      expect([JSON.stringify(body).slice(0, 60), reply.status, reply.body.error.code]).toEqual([JSON.stringify(body).slice(0, 60), 400, 'INVALID_BODY']);
    }
    expect((await admin.http.send('PUT', '/api/admin/policy', bad[0])).body.error.message).toContain('must be true while e2eeRequired is true');
    expect(server.recinto.orgPolicy.current()).toEqual(current);
    expect(auditRows(server.recinto.db, { action: 'admin.refused' }).filter((r) => r.detail.code === 'INVALID_BODY').length).toBeGreaterThanOrEqual(bad.length);
  });

  it('gives a new meeting its defaults, and lets meetings run without E2EE only once it allows it', async () => {
    await changePolicy(server, admin, { meetingDefaults: { chat: false, maxParticipants: 7, waitingRoom: false } });
    const made = await newMeeting();
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.policy).toMatchObject({ chat: false, maxParticipants: 7, waitingRoom: false, e2ee: true });
    expect((await newMeeting({ e2ee: false })).body.error.code).toBe('E2EE_REQUIRED');
    await changePolicy(server, admin, { e2eeRequired: false });
    const plain = await newMeeting({ e2ee: false });
    expect([plain.status, plain.body.policy.e2ee]).toEqual([201, false]);
    // Required again: the meeting stored without it reads as encrypted.
    await changePolicy(server, admin, { e2eeRequired: true });
    expect((await ana.get(`/api/meetings/${plain.body.id}`)).body.policy.e2ee).toBe(true);
  });

  it('the shell’s meeting create follows the saved defaults', async () => {
    await changePolicy(server, admin, { meetingDefaults: { chat: false, screenShare: 'everyone' } });
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RECINTO_')));
    const run = spawnSync(process.execPath, ['server/cli.ts', 'meeting', 'create', 'Desde la consola', '--host', 'ana'], {
      env: { ...env, RECINTO_DATA_DIR: server.config.dataDir },
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    const id = run.stdout.split('\n')[0]!;
    expect(server.recinto.meetingStore.get(id)!.policy).toMatchObject({ chat: false, screenShare: 'everyone' });
  });

  it('guests not allowed: the guest entry refuses them (GUESTS_NOT_ALLOWED), guests inside a session cannot join, meetings read staff-only', async () => {
    const meeting = (await newMeeting({ guests: 'password', waitingRoom: false })).body;
    const early = new HttpClient(server.url);
    expect((await early.post(`/api/meetings/${meeting.id}/guest`, { displayName: 'Antes', password: meeting.invitation.password })).status).toBe(200);
    await changePolicy(server, admin, { guestsAllowed: false });
    const refused = await guestEntry(meeting.id);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'GUESTS_NOT_ALLOWED']);
    expect(auditRows(server.recinto.db, { action: 'guest.enter', outcome: 'denied' }).at(-1)!.detail.code).toBe('GUESTS_NOT_ALLOWED');
    // Refused before any password is judged: a wrong one gets the same answer, and counts for nothing.
    const guessing = await new HttpClient(server.url).post(`/api/meetings/${meeting.id}/guest`, { displayName: 'Otro', password: 'aaaaa-aaaaa' });
    expect(guessing.body.error.code).toBe('GUESTS_NOT_ALLOWED');
    expect((await ana.get(`/api/meetings/${meeting.id}`)).body.policy.guests).toBe('none');
    expect((await newMeeting({ guests: 'password' })).body.policy.guests).toBe('none');
    const guestSocket = await TestClient.connect(early);
    try {
      expect((await guestSocket.tryJoin(meeting.id)).error?.code).toBe('FORBIDDEN');
    } finally {
      await guestSocket.close();
    }
    // Allowed again: the meeting that was not changed meanwhile takes guests again.
    await changePolicy(server, admin, { guestsAllowed: true });
    expect((await guestEntry(meeting.id)).status).toBe(200);
  });

  it('the recording ceiling clamps each meeting: created, edited, and a host’s live change', async () => {
    await changePolicy(server, admin, { recordingMax: 'host' });
    const meeting = (await newMeeting({ recording: 'everyone', waitingRoom: false })).body;
    expect(meeting.policy.recording).toBe('host');
    expect((await ana.send('PATCH', `/api/meetings/${meeting.id}`, { policy: { recording: 'everyone' } })).body.policy.recording).toBe('host');
    expect((await ana.send('PATCH', `/api/meetings/${meeting.id}`, { policy: { recording: 'nobody' } })).body.policy.recording).toBe('nobody');
    const host = await TestClient.connect(ana);
    try {
      expect((await host.join(meeting.id)).status).toBe('joined');
      expect((await host.request('updatePolicy', { policy: { recording: 'everyone' } })).policy.recording).toBe('host');
      expect(server.recinto.meetings.find(meeting.id)!.policy.recording).toBe('host');
      expect(server.recinto.meetingStore.get(meeting.id)!.policy.recording).toBe('host');
      // A lower ceiling also holds for what was stored before it.
      await changePolicy(server, admin, { recordingMax: 'nobody' });
      expect(server.recinto.meetingStore.get(meeting.id)!.policy.recording).toBe('nobody');
      expect((await host.request('updatePolicy', { policy: { chat: false } })).policy.recording).toBe('nobody');
    } finally {
      await host.close();
    }
  });

  it('session lifetimes: a new session gets the absolute limit, an existing one the idle limit, staff and guests', async () => {
    const before = await server.signIn(await server.createUser('bea'));
    const meetingId = (await newMeeting({ guests: 'password' })).body.id;
    const guestBefore = new HttpClient(server.url);
    await guestBefore.post(`/api/meetings/${meetingId}/guest`, { displayName: 'Invitada', password: server.recinto.meetingStore.password(meetingId) });
    await changePolicy(server, admin, { sessionIdleMinutes: 1, sessionAbsoluteHours: 2 });

    const lifetime = (table: string, raw: string) =>
      server.recinto.db.prepare(`SELECT expires_at - created_at FROM ${table} WHERE id_hash = ?`).pluck().get(hashSessionId(raw)) as number;
    const after = await server.signIn(await server.createUser('carla'));
    // From the password step, whose expiry the second factor's new session keeps.
    const within = (ms: number) => [ms - 60_000, ms];
    const [low, high] = within(2 * 3_600_000);
    expect(lifetime('sessions', after.session!)).toBeGreaterThan(low!);
    expect(lifetime('sessions', after.session!)).toBeLessThanOrEqual(high!);
    expect(lifetime('sessions', before.session!)).toBeGreaterThan(2 * 3_600_000); // kept what it was given (12 h)
    const guestAfter = new HttpClient(server.url);
    await guestAfter.post(`/api/meetings/${meetingId}/guest`, { displayName: 'Nueva', password: server.recinto.meetingStore.password(meetingId) });
    expect(lifetime('guest_sessions', guestAfter.guestSession!)).toBe(2 * 3_600_000);

    // Idle for a minute and a second: both existing sessions are over (and the new ones too).
    const later = Date.now() + 61_000;
    expect(server.recinto.auth.sessions.lookup(before.session, later)).toBeUndefined();
    expect(server.recinto.guests.lookup(guestBefore.guestSession, later)).toBeUndefined();
    expect((await before.get('/api/account')).body.error.code).toBe('NOT_SIGNED_IN');
    // Thirty seconds idle is still within the minute.
    expect(server.recinto.auth.sessions.lookup(after.session, Date.now() + 30_000)).toBeDefined();
  });
});
