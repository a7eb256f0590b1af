/**
 * Whether a meeting is end-to-end encrypted, enforced by the real server (HTTPS, real WebSockets,
 * SQLite, a real mediasoup worker): the `e2ee` policy key through the meetings API under
 * `meetings.e2eeRequired`, the capability a client declares on `join`, and the key staying fixed
 * while the meeting runs. Every refusal is checked for its code, for being audited, and for
 * changing nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { MeetingPolicyPatch } from '../../protocol/policy.ts';
import { deniedCodes } from '../helpers/audit.ts';
import { OPEN_POLICY, startE2eeServers, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { count, meetingsOn, settle, TestClient } from '../helpers/ws-client.ts';

/** Default configuration: every meeting must be end-to-end encrypted. */
let required: TestServer;
/** `meetings.e2eeRequired: false`: meetings may turn E2EE off (the default policy still has it on). */
let optional: TestServer;

const NAMES = ['hana', 'ines', 'jon'] as const;
type Name = (typeof NAMES)[number];

beforeAll(async () => {
  const servers = await startE2eeServers(NAMES);
  ({ required, optional } = servers);
  return servers.close;
});

const accountId = (server: TestServer, name: Name) => server.recinto.auth.accounts.byUsername(name)!.id;
const connect = (server: TestServer, name: Name) => TestClient.connect(server.http[name]!);
const live = (server: TestServer, meetingId: string) => server.recinto.meetings.find(meetingId);
/** A meeting hosted by Hana (inside) and, let straight in, the others named. */
const meeting = (server: TestServer, policy: MeetingPolicyPatch, guests: Name[] = []) =>
  meetingsOn(() => server, 'hana', 'Cifrado').hosted({ ...OPEN_POLICY, ...policy }, guests);

// ---------------------------------------------------------------------------------------------

describe('meetings API', () => {
  it('with E2EE required, refuses to create or edit a meeting without it (400 E2EE_REQUIRED), audited, nothing changes', async () => {
    const ana = required.http.hana!;
    const before = required.recinto.meetingStore.list().length;
    const refused = await ana.post('/api/meetings', { title: 'Sin cifrar', policy: { e2ee: false } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('E2EE_REQUIRED');
    expect(refused.body.error.message).toMatch(/e2ee/);
    expect(required.recinto.meetingStore.list().length).toBe(before);
    expect(deniedCodes(required, 'meeting.create')).toContain('E2EE_REQUIRED');

    const created = await ana.post('/api/meetings', { title: 'Cifrada', policy: { chat: false } });
    expect(created.status).toBe(201);
    expect(created.body.policy.e2ee).toBe(true);
    const edit = await ana.send('PATCH', `/api/meetings/${created.body.id}`, { title: 'Cambiada', policy: { e2ee: false, chat: true } });
    expect(edit.status).toBe(400);
    expect(edit.body.error.code).toBe('E2EE_REQUIRED');
    const after = (await ana.get(`/api/meetings/${created.body.id}`)).body;
    expect(after.title).toBe('Cifrada');
    expect(after.policy).toMatchObject({ e2ee: true, chat: false });
    expect(deniedCodes(required, 'meeting.update', created.body.id)).toEqual(['E2EE_REQUIRED']);
    // Saying what it already is, is fine.
    expect((await ana.send('PATCH', `/api/meetings/${created.body.id}`, { policy: { e2ee: true } })).status).toBe(200);
  });

  it('without the requirement, E2EE can be turned off or on — but not while someone is inside or waiting (409 E2EE_FIXED)', async () => {
    const ana = optional.http.hana!;
    const created = await ana.post('/api/meetings', { title: 'Opcional', policy: { e2ee: false } });
    expect(created.status).toBe(201);
    expect(created.body.policy.e2ee).toBe(false);
    const id = created.body.id as string;
    expect((await ana.send('PATCH', `/api/meetings/${id}`, { policy: { e2ee: true } })).body.policy.e2ee).toBe(true);
    expect((await ana.send('PATCH', `/api/meetings/${id}`, { policy: { e2ee: false } })).body.policy.e2ee).toBe(false);

    // Someone waiting (no host inside yet) makes the meeting live.
    const ines = await connect(optional, 'ines');
    expect((await ines.join(id)).status).toBe('waiting');
    const whileWaiting = await ana.send('PATCH', `/api/meetings/${id}`, { title: 'Otra', policy: { e2ee: true } });
    expect(whileWaiting.status).toBe(409);
    expect(whileWaiting.body.error.code).toBe('E2EE_FIXED');

    // The host inside: still fixed; other keys, or e2ee unchanged, may be edited.
    const host = await connect(optional, 'hana');
    expect((await host.join(id)).status).toBe('joined');
    const whileInside = await ana.send('PATCH', `/api/meetings/${id}`, { policy: { e2ee: true } });
    expect(whileInside.status).toBe(409);
    expect(whileInside.body.error.code).toBe('E2EE_FIXED');
    const stored = optional.recinto.meetingStore.get(id)!;
    expect(stored.title).toBe('Opcional');
    expect(stored.policy.e2ee).toBe(false);
    expect(live(optional, id)!.policy.e2ee).toBe(false);
    expect(deniedCodes(optional, 'meeting.update', id)).toEqual(['E2EE_FIXED', 'E2EE_FIXED']);
    expect((await ana.send('PATCH', `/api/meetings/${id}`, { policy: { e2ee: false, chat: false } })).status).toBe(200);

    // Once everyone has gone, it can change again.
    await Promise.all([ines.close(), host.close()]);
    await waitFor(() => !optional.recinto.meetings.isLive(id));
    expect((await ana.send('PATCH', `/api/meetings/${id}`, { policy: { e2ee: true } })).body.policy.e2ee).toBe(true);
  });
});

describe('join declares whether the client encrypts', () => {
  it('an encrypted meeting refuses a client that cannot encrypt (E2EE_UNSUPPORTED), audited; nothing starts', async () => {
    const meetingId = required.createMeeting('Cifrada', { ownerId: accountId(required, 'hana') });
    const host = await connect(required, 'hana');
    const refused = await host.tryJoin(meetingId, { e2ee: false });
    expect(refused.error?.code).toBe('E2EE_UNSUPPORTED');
    expect(refused.error?.message).toMatch(/Chromium, Firefox or Safari/);
    expect(live(required, meetingId)).toBeUndefined(); // hosts are no exception; no router started
    expect(deniedCodes(required, 'meeting.join', meetingId)).toEqual(['E2EE_UNSUPPORTED']);
    // The connection is as it was: not joined, free to join with a capable client.
    expect((await host.send('leave', {})).error?.code).toBe('NOT_JOINED');
    expect((await host.join(meetingId)).status).toBe('joined');
    await host.close();
  });

  it('nor lets such a client into the waiting room', async () => {
    const meetingId = required.createMeeting('Con sala', { ownerId: accountId(required, 'hana') });
    const host = await connect(required, 'hana');
    await host.join(meetingId);
    const lobbyNotes = count(host, 'waitingAdded');
    const ines = await connect(required, 'ines');
    expect((await ines.tryJoin(meetingId, { e2ee: false })).error?.code).toBe('E2EE_UNSUPPORTED');
    await settle();
    expect(live(required, meetingId)!.waiting()).toEqual([]);
    expect(live(required, meetingId)!.size).toBe(1);
    expect(count(host, 'waitingAdded')).toBe(lobbyNotes);
    expect((await ines.join(meetingId)).status).toBe('waiting');
    await Promise.all([host.close(), ines.close()]);
  });

  it('a meeting without E2EE takes clients that cannot encrypt', async () => {
    const m = await meeting(optional, { e2ee: false });
    const ines = await connect(optional, 'ines');
    const r = await ines.join(m.meetingId, { e2ee: false });
    expect(r.status).toBe('joined');
    expect(r.status === 'joined' && r.meeting.policy.e2ee).toBe(false);
    await Promise.all([m.close(), ines.close()]);
  });
});

describe('the e2ee policy key is fixed while the meeting runs', () => {
  it('updatePolicy with e2ee is refused (E2EE_FIXED) — even to the same value, even with other keys — and nothing changes', async () => {
    const m = await meeting(required, { chat: true }, ['ines']);
    for (const policy of [{ e2ee: false }, { e2ee: true }, { e2ee: false, chat: false }]) {
      expect((await m.host.send('updatePolicy', { policy })).error?.code, JSON.stringify(policy)).toBe('E2EE_FIXED');
    }
    expect(live(required, m.meetingId)!.policy).toMatchObject({ e2ee: true, chat: true });
    expect(required.recinto.meetingStore.get(m.meetingId)!.policy).toMatchObject({ e2ee: true, chat: true });
    await settle();
    expect(count(m.people.ines!.client, 'policyChanged')).toBe(0);
    expect(deniedCodes(required, 'host.update_policy', m.meetingId)).toEqual(['E2EE_FIXED', 'E2EE_FIXED', 'E2EE_FIXED']);
    // Who may change the policy at all is checked first.
    expect((await m.people.ines!.client.send('updatePolicy', { policy: { e2ee: false } })).error?.code).toBe('FORBIDDEN');
    // Other keys still change.
    expect((await m.host.request('updatePolicy', { policy: { chat: false } })).policy).toMatchObject({ e2ee: true, chat: false });
    await m.close();
  });

  it('whatever the configuration: a meeting without E2EE cannot turn it on mid-call', async () => {
    const m = await meeting(optional, { e2ee: false });
    expect((await m.host.send('updatePolicy', { policy: { e2ee: true } })).error?.code).toBe('E2EE_FIXED');
    expect(live(optional, m.meetingId)!.policy.e2ee).toBe(false);
    expect(optional.recinto.meetingStore.get(m.meetingId)!.policy.e2ee).toBe(false);
    await m.close();
  });
});
