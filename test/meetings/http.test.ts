/** Meetings over HTTP against the real server: unguessable ids, passwords, hosts only, .ics. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '../helpers/http-client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { auditRows } from '../helpers/audit.ts';

let server: TestServer;
let ana: HttpClient;
let bruno: HttpClient;
let carmen: HttpClient;

beforeAll(async () => {
  server = await startTestServer();
  const signedIn = async (u: string) => server.signIn(await server.createUser(u, { displayName: u.toUpperCase() }));
  [ana, bruno, carmen] = await Promise.all([signedIn('ana'), signedIn('bruno'), signedIn('carmen')]);
});
afterAll(() => server?.close());

describe('meetings API', () => {
  it('creates a meeting with an unguessable id and a random password, shown apart from the link', async () => {
    const created = await ana.post('/api/meetings', { title: 'Comité de crisis', hosts: ['bruno'] });
    expect(created.status).toBe(201);
    const m = created.body;
    expect(m.id).toMatch(/^[acdefghjkmnpqrtuvwxy34679]{4}(-[acdefghjkmnpqrtuvwxy34679]{4}){3}$/);
    expect(m.invitation.link).toBe(`${server.url}/m/${m.id}`);
    expect(m.invitation.password).toMatch(/^[acdefghjkmnpqrtuvwxy34679]{5}-[acdefghjkmnpqrtuvwxy34679]{5}$/);
    expect(m.invitation.link).not.toContain(m.invitation.password);
    expect(m.policy).toEqual(server.config.meetings.policy);
    expect(m.hosts.map((h: { username: string }) => h.username).sort()).toEqual(['ana', 'bruno']);
    expect((await bruno.get(`/api/meetings/${m.id}`)).body.invitation.password).toBe(m.invitation.password);
    expect((await carmen.get(`/api/meetings/${m.id}`)).status).toBe(404);
    const stored = server.recinto.db.prepare('SELECT password_sealed FROM meetings WHERE id = ?').pluck().get(m.id) as string;
    expect(stored).not.toContain(m.invitation.password);
    const ids = new Set(
      Array.from({ length: 200 }, () => server.recinto.meetingStore.create({ title: 't', ownerId: null, policy: server.config.meetings.policy }).id),
    );
    expect(ids.size).toBe(200);
  });

  it('shows, edits and lists a meeting for its hosts only; others get 404 and are audited', async () => {
    const { body: m } = await ana.post('/api/meetings', { title: 'Privada', startsAt: Date.UTC(2026, 11, 1, 9), durationMinutes: 45, policy: { chat: false } });
    expect(m.policy.chat).toBe(false);
    expect((await carmen.get(`/api/meetings/${m.id}`)).status).toBe(404);
    expect((await carmen.send('PATCH', `/api/meetings/${m.id}`, { title: 'Mía' })).status).toBe(404);
    expect((await carmen.get('/api/meetings')).body.map((x: { id: string }) => x.id)).not.toContain(m.id);
    const denied = auditRows(server.recinto.db, { action: 'meeting.access', outcome: 'denied', meetingId: m.id }).length;
    expect(denied).toBe(2);

    const patched = await ana.send('PATCH', `/api/meetings/${m.id}`, { policy: { waitingRoom: false }, hosts: ['carmen'] });
    expect(patched.body.policy).toMatchObject({ chat: false, waitingRoom: false });
    expect((await carmen.get(`/api/meetings/${m.id}`)).status).toBe(200);
    expect((await carmen.send('DELETE', `/api/meetings/${m.id}`)).status).toBe(403); // hosts edit, owners delete
    expect((await ana.send('DELETE', `/api/meetings/${m.id}`)).status).toBe(204);
    expect((await ana.get(`/api/meetings/${m.id}`)).status).toBe(404);
  });

  it('exports an .ics with the link and without the password', async () => {
    const { body: m } = await ana.post('/api/meetings', { title: 'Revisión; trimestral, Q4', startsAt: Date.UTC(2026, 11, 2, 10), durationMinutes: 30 });
    const ics = await ana.get(`/api/meetings/${m.id}/invite.ics`);
    expect(ics.status).toBe(200);
    expect(String(ics.headers['content-type'])).toMatch(/^text\/calendar/);
    expect(ics.body).toContain(`UID:${m.id}@recinto`);
    expect(ics.body).toContain('DTSTART:20261202T100000Z');
    expect(ics.body).toContain('DTEND:20261202T103000Z');
    expect(ics.body).toContain('SUMMARY:Revisión\\; trimestral\\, Q4');
    expect(ics.body.replace(/\r\n /g, '')).toContain(`${server.url}/m/${m.id}`);
    expect(ics.body).not.toContain(m.invitation.password);
  });

  it('refuses bad input with 400 and creates nothing', async () => {
    const before = server.recinto.meetingStore.list().length;
    for (const body of [
      { title: '' },
      { title: '   ' },
      { title: 'Con\u0007campana' },
      { title: 'Media\ud800letra' }, // a lone surrogate: no text in any encoding
      { title: 'x'.repeat(201) },
      { title: 'ok', policy: { fileTransfer: true } },
      { title: 'ok', policy: { teleport: true } },
      { title: 'ok', policy: {} },
      { title: 'ok', hosts: ['nobody-here'] },
      { title: 'ok', durationMinutes: 2 },
    ]) {
      const reply = await ana.post('/api/meetings', body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.error.code).toBe('INVALID_BODY');
    }
    expect((await ana.get('/api/meetings/../../etc/passwd')).status).toBe(404);
    expect((await ana.get('/api/meetings/NOT_AN_ID')).status).toBe(400);
    expect(server.recinto.meetingStore.list().length).toBe(before);
  });
});
