/**
 * Guests against the real server: the meeting password opens one meeting only, always through
 * the waiting room; a banned guest's access ends, and their device shows as previously removed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashDeviceToken } from '../../server/auth/guest-sessions.ts';
import { HttpClient } from '../helpers/http-client.ts';
import { OPEN_POLICY, startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';
import { auditRows } from '../helpers/audit.ts';

let server: TestServer;
let hostHttp: HttpClient;

beforeAll(async () => {
  server = await startTestServer({ signaling: { messagesPerSecond: 1000, burst: 1000 }, auth: { loginAttemptsPerMinutePerIp: 1000 } });
  hostHttp = await server.signIn(await server.createUser('anfitriona', { displayName: 'Anfitriona' }));
});
afterAll(() => server?.close());

function live(meetingId: string) {
  return server.recinto.meetings.find(meetingId)!;
}

function auditCount(action: string, meetingId: string): number {
  return auditRows(server.recinto.db, { action, meetingId }).length;
}

async function meetingWithGuests(policy?: Record<string, unknown>) {
  const created = await hostHttp.post('/api/meetings', { title: 'Con invitados', ...(policy ? { policy } : {}) });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  return { id: created.body.id as string, password: created.body.invitation.password as string };
}

/** Enters as a guest from `from` (a loopback address: another machine) with `deviceToken`'s browser. */
async function enterAsGuest(meetingId: string, password: string, deviceToken?: string, from = '127.0.0.1') {
  const http = new HttpClient(server.url, { localAddress: from });
  const reply = await http.post(`/api/meetings/${meetingId}/guest`, { displayName: 'Invitada Externa', password, ...(deviceToken ? { deviceToken } : {}) });
  return { http, reply };
}

describe('guests', () => {
  it('need the right password; an unknown meeting gets the same answer; staff-only meetings refuse them', async () => {
    const m = await meetingWithGuests();
    const wrong = await enterAsGuest(m.id, 'aaaaa-aaaaa');
    const unknown = await enterAsGuest('zzzz-zzzz-zzzz-zzzz', m.password);
    expect(wrong.reply.status).toBe(401);
    expect(unknown.reply.body).toEqual(wrong.reply.body);
    expect(wrong.http.guestSession).toBeUndefined();
    const staffOnly = await meetingWithGuests({ guests: 'none' });
    expect((await enterAsGuest(staffOnly.id, staffOnly.password)).reply.body.error.code).toBe('GUESTS_NOT_ALLOWED');
    const bad = await new HttpClient(server.url).post(`/api/meetings/${m.id}/guest`, { displayName: 'Con\nsalto', password: m.password });
    expect(bad.body.error.code).toBe('INVALID_BODY');
  });

  it('an ended staff cookie left in the browser does not hide a valid guest session', async () => {
    const m = await meetingWithGuests();
    const { http } = await enterAsGuest(m.id, m.password);
    http.session = 'a'.repeat(43); // a staff session that no longer exists
    const guest = await TestClient.connect(http);
    expect((await guest.join(m.id)).status).toBe('waiting');
    await guest.close();
  });

  it('stops password guessing per address and per browser, says how long to wait, never refuses a right password for others', async () => {
    const m = await meetingWithGuests();
    const device = (await enterAsGuest(m.id, m.password, undefined, '127.0.1.1')).reply.body.deviceToken as string;
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await enterAsGuest(m.id, `wrong-${i}`, device, '127.0.1.2')).reply.status);
    expect(codes.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(codes.slice(10)).toEqual([429, 429]);
    const limited = (await enterAsGuest(m.id, m.password, undefined, '127.0.1.2')).reply; // the guessing address itself waits
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.body.error.message).toMatch(/try again in \d+ s/);
    expect((await enterAsGuest(m.id, m.password, device, '127.0.1.3')).reply.status).toBe(429); // so does the guessing browser
    expect((await enterAsGuest(m.id, m.password, undefined, '127.0.1.4')).reply.status).toBe(200); // everyone else gets in
  });

  it('many addresses guessing one meeting trip its ceiling: one try a minute per address, right passwords still open', async () => {
    const m = await meetingWithGuests();
    for (let a = 0; a < 10; a++)
      for (let i = 0; i < 10; i++) expect((await enterAsGuest(m.id, `wrong-${i}`, undefined, `127.0.2.${a + 1}`)).reply.status).toBe(401);
    expect(auditCount('guest.password_guessing', m.id)).toBe(1);
    const fresh = '127.0.2.100';
    expect((await enterAsGuest(m.id, 'wrong-x', undefined, fresh)).reply.status).toBe(401);
    expect((await enterAsGuest(m.id, 'wrong-y', undefined, fresh)).reply.status).toBe(429);
    expect((await enterAsGuest(m.id, m.password, undefined, '127.0.2.101')).reply.status).toBe(200);
  });

  it('enter one meeting only, always through the waiting room, and never as co-host', async () => {
    const m = await meetingWithGuests(OPEN_POLICY); // no waiting room for staff
    const other = await meetingWithGuests();
    const { http, reply } = await enterAsGuest(m.id, m.password);
    expect(reply.status).toBe(200);
    expect(reply.body.deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await http.get('/api/account')).body.error.code).toBe('NOT_SIGNED_IN'); // no staff API

    const host = await TestClient.connect(hostHttp);
    await host.join(m.id);
    const guest = await TestClient.connect(http);
    expect((await guest.tryJoin(other.id)).error?.code).toBe('MEETING_NOT_FOUND');
    const joined = await guest.join(m.id);
    expect(joined.status).toBe('waiting');
    const lastLobby = () => host.waitingRoom();
    const entry = await waitFor(() => lastLobby()?.[0]);
    expect(entry).toMatchObject({ guest: true, displayName: 'Invitada Externa' });
    expect(entry).not.toHaveProperty('username'); // guests have none
    await host.request('admit', { waitingId: entry.id });
    const admitted = await guest.waitForNotification('admitted');
    const guestId = (admitted.meeting as { self: { id: string; guest: boolean } }).self.id;
    expect((admitted.meeting as { self: { guest: boolean } }).self.guest).toBe(true);
    expect((await host.send('setRole', { participantId: guestId, role: 'cohost' })).error?.code).toBe('FORBIDDEN');

    // Removed and banned: the guest session ends with the socket; that browser is refused for good,
    // and the password changes (a fresh browser cannot be recognised): hosts are told the new one.
    const closed = new Promise<number>((resolve) => guest.socket.once('close', (code) => resolve(code)));
    await host.request('remove', { participantId: guestId, ban: true });
    expect(await closed).toBe(4401);
    expect(
      await TestClient.connect(http).then(
        () => 'connected',
        (e: Error) => e.message,
      ),
    ).toMatch(/HTTP 401/);
    const changed = await host.waitForNotification('passwordChanged');
    const newPassword = (await hostHttp.get(`/api/meetings/${m.id}`)).body.invitation.password as string;
    expect(newPassword).not.toBe(m.password);
    expect(changed).toEqual({ password: newPassword });
    const banned = await enterAsGuest(m.id, newPassword, reply.body.deviceToken);
    expect(banned.reply.status).toBe(403);
    expect(banned.reply.body.error.code).toBe('BANNED');
    expect((await enterAsGuest(m.id, m.password)).reply.status).toBe(401); // the old invitation no longer works
    const fresh = await enterAsGuest(m.id, newPassword);
    expect(fresh.reply.status).toBe(200);
    await host.close();
  });

  it('a ban takes every tab of that browser, waiting ones too; idle sessions from the old password end; other waiting guests stay', async () => {
    const m = await meetingWithGuests();
    const first = await enterAsGuest(m.id, m.password, undefined, '127.0.3.1');
    const token = first.reply.body.deviceToken as string;
    const second = await enterAsGuest(m.id, m.password, token, '127.0.3.1'); // the same browser, a second tab
    const bystander = await enterAsGuest(m.id, m.password, undefined, '127.0.3.2'); // entered, never joined
    const other = await enterAsGuest(m.id, m.password, undefined, '127.0.3.3'); // someone else, waiting
    const host = await TestClient.connect(hostHttp);
    await host.join(m.id);
    const guest = await TestClient.connect(first.http);
    const w = await guest.join(m.id);
    if (w.status !== 'waiting') throw new Error('expected to wait');
    await host.request('admit', { waitingId: w.waitingId });
    const admitted = await guest.waitForNotification('admitted');
    const tab = await TestClient.connect(second.http);
    expect((await tab.join(m.id)).status).toBe('waiting');
    const otherGuest = await TestClient.connect(other.http);
    expect((await otherGuest.join(m.id)).status).toBe('waiting');
    const idle = await TestClient.connect(bystander.http);
    const idleClosed = new Promise<number>((resolve) => idle.socket.once('close', (code) => resolve(code)));
    const tabClosed = new Promise<number>((resolve) => tab.socket.once('close', (code) => resolve(code)));

    await host.request('remove', { participantId: (admitted.meeting as { self: { id: string } }).self.id, ban: true });
    expect(await tab.waitForNotification('removed')).toEqual({ banned: true });
    expect(await tabClosed).toBe(4401);
    expect(await idleClosed).toBe(4401);
    await waitFor(() => host.waitingRoom().length === 1);
    expect(host.waitingRoom()).toMatchObject([{ guest: true, previouslyRemoved: false }]);
    expect(otherGuest.socket.readyState).toBe(otherGuest.socket.OPEN);
    const stillWaiting = live(m.id).waiting();
    expect(stillWaiting.map((x) => x.identity.accountId)).not.toContain(`guest:${hashDeviceToken(token).slice(0, 24)}`);
    await Promise.all([host.close(), otherGuest.close()]);
  });
});
