/**
 * Live meetings in the admin console, on the real server with real WebSocket clients: the list
 * says what runs (title, hosts, how many inside and waiting, since when, encrypted, locked) and
 * nothing of its content; an administrator who has stepped up ends one for everyone inside and
 * waiting, as a host's end does, audited with the administrator as actor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_TEST_CONFIG, signInAdmin, type TestAdmin } from '../helpers/admin.ts';
import { auditRows } from '../helpers/audit.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { joinAdmitted, TestClient } from '../helpers/ws-client.ts';

let server: TestServer;
let admin: TestAdmin;
const clients: TestClient[] = [];

beforeAll(async () => {
  server = await startTestServer(CONSOLE_TEST_CONFIG, { signIn: ['ana', 'bruno', 'carmen'] });
  admin = await signInAdmin(server);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.close();
});

const connect = async (name: string) => {
  const client = await TestClient.connect(server.http[name]!);
  clients.push(client);
  return client;
};

describe('live meetings', () => {
  it('lists what runs and never its content; ends a meeting for everyone after a step-up, audited', async () => {
    const anaId = server.recinto.auth.accounts.byUsername('ana')!.id;
    const meetingId = server.createMeeting('Comité de dirección', { ownerId: anaId });
    expect((await admin.http.get('/api/admin/meetings')).body).toEqual({ meetings: [] });

    const startedBefore = Date.now();
    const host = await connect('ana');
    await host.join(meetingId);
    const bruno = await connect('bruno');
    await joinAdmitted(bruno, meetingId, host);
    await host.request('sendChat', { sealed: 'c2VjcmV0bw' }).catch(() => undefined);
    const carmen = await connect('carmen');
    expect((await carmen.join(meetingId)).status).toBe('waiting');
    await host.request('setLocked', { locked: true });

    const listed = await admin.http.get('/api/admin/meetings');
    expect(listed.body.meetings).toHaveLength(1);
    const [m] = listed.body.meetings;
    expect(m).toEqual({ id: meetingId, title: 'Comité de dirección', hosts: ['Ana'], participants: 2, waiting: 1, since: m.since, e2ee: true, locked: true });
    expect(m.since).toBeGreaterThanOrEqual(startedBefore - 1000);
    expect(m.since).toBeLessThanOrEqual(Date.now());
    // No password, names of participants, chat or media: the reply schema holds nothing else.
    expect(JSON.stringify(listed.body)).not.toMatch(/Bruno|Carmen|password|c2VjcmV0bw/);

    // Ending is sensitive: a step-up first.
    const refused = await admin.http.post(`/api/admin/meetings/${meetingId}/end`, {});
    expect(refused.body.error.code).toBe('STEP_UP_REQUIRED');
    expect(server.recinto.meetings.find(meetingId)?.size).toBe(2);
    await admin.stepUp();
    const ended = await admin.http.post(`/api/admin/meetings/${meetingId}/end`, {});
    expect(ended.body).toEqual({ ended: true, participants: 2 });
    for (const client of [host, bruno, carmen]) await client.waitForNotification('meetingEnded');
    await waitFor(() => server.recinto.meetings.find(meetingId) === undefined, 2000, { message: 'the meeting stopped' });
    expect((await admin.http.get('/api/admin/meetings')).body.meetings).toEqual([]);
    // They are out: a signalling call that needs the meeting is refused.
    expect((await bruno.send('leave', {})).error?.code).toBe('NOT_JOINED');
    expect(auditRows(server.recinto.db, { action: 'admin.meeting_ended', meetingId }).at(-1)).toMatchObject({
      actor: admin.user.id,
      detail: { participants: 2, waiting: 1, via: 'console' },
    });
    // The stored meeting remains: it can run again.
    expect((await host.join(meetingId)).status).toBe('joined');
    await host.request('leave', {});
  });

  it('a meeting that does not run, or an id that is no meeting id: refused, nothing ended', async () => {
    const admin = await signInAdmin(server, 'root2', 'Root Two');
    await admin.stepUp();
    const idle = server.createMeeting('Sin nadie');
    const reply = await admin.http.post(`/api/admin/meetings/${idle}/end`, {});
    expect([reply.status, reply.body.error.code]).toEqual([404, 'MEETING_NOT_FOUND']);
    expect((await admin.http.post('/api/admin/meetings/..%2Fetc/end', {})).body.error.code).toBe('INVALID_BODY');
  });
});
