/**
 * Guests against the real server: the meeting password opens one meeting only, always through
 * the waiting room; a banned guest's access ends, and their device shows as previously removed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../helpers/http-client.ts';
import { OPEN_POLICY, startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';

let server: TestServer;
let hostHttp: HttpClient;

beforeAll(async () => {
  server = await startTestServer({ signaling: { messagesPerSecond: 1000, burst: 1000 }, auth: { loginAttemptsPerMinutePerIp: 1000 } });
  hostHttp = await server.signIn(await server.createUser('anfitriona', { displayName: 'Anfitriona' }));
});
afterAll(() => server?.close());

async function meetingWithGuests(policy?: Record<string, unknown>) {
  const created = await hostHttp.post('/api/meetings', { title: 'Con invitados', ...(policy ? { policy } : {}) });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  return { id: created.body.id as string, password: created.body.invitation.password as string };
}

async function enterAsGuest(meetingId: string, password: string, deviceToken?: string) {
  const http = new HttpClient(server.url);
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

  it('stops password guessing on a meeting after ten wrong tries', async () => {
    const m = await meetingWithGuests();
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await enterAsGuest(m.id, `wrong-${i}`)).reply.status);
    expect(codes.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(codes.slice(10)).toEqual([429, 429]);
    expect((await enterAsGuest(m.id, m.password)).reply.status).toBe(429); // even the right one, for now
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
    type Waiting = { id: string; guest: boolean; displayName: string; previouslyRemoved: boolean };
    const lastLobby = () => host.notifications.filter((n) => n.notification === 'waitingRoomChanged').at(-1)?.params.waiting as Waiting[] | undefined;
    const entry = await waitFor(() => lastLobby()?.[0]);
    expect(entry).toMatchObject({ guest: true, displayName: 'Invitada Externa' });
    await host.request('admit', { waitingId: entry.id });
    const admitted = await guest.waitForNotification('admitted');
    const guestId = (admitted.meeting as { self: { id: string; guest: boolean } }).self.id;
    expect((admitted.meeting as { self: { guest: boolean } }).self.guest).toBe(true);
    expect((await host.send('setRole', { participantId: guestId, role: 'cohost' })).error?.code).toBe('FORBIDDEN');

    // Removed and banned: the guest session ends with the socket; the same device comes back flagged.
    const closed = new Promise<number>((resolve) => guest.socket.once('close', (code) => resolve(code)));
    await host.request('remove', { participantId: guestId, ban: true });
    expect(await closed).toBe(4401);
    expect(await TestClient.connect(http).then(() => 'connected', (e: Error) => e.message)).toMatch(/HTTP 401/);
    const again = await enterAsGuest(m.id, m.password, reply.body.deviceToken);
    const back = await TestClient.connect(again.http);
    expect((await back.join(m.id)).status).toBe('waiting');
    await waitFor(() => lastLobby()?.[0]?.previouslyRemoved === true);
    await Promise.all([host.close(), back.close()]);
  });
});
