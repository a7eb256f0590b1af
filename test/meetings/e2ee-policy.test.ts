/**
 * End-to-end encryption rules, enforced by the real server (HTTPS, real WebSockets, SQLite, a
 * real mediasoup worker): the `e2ee` policy key and `meetings.e2eeRequired`, the capability a
 * client declares on `join`, media and key material in encrypted meetings, and sealed chat. Every
 * refusal is checked for its code, for being audited, and for changing nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/load.ts';
import { configProblems } from '../helpers/config-problems.ts';
import { MeetingStore } from '../../server/meetings/store.ts';
import { migrate } from '../../server/store/db.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';
import type { HttpClient } from '../helpers/http-client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';
import { OPUS, VP8 } from '../helpers/rtp.ts';
import { auditRows } from '../helpers/audit.ts';

/** Default configuration: every meeting must be end-to-end encrypted. */
let required: TestServer;
/** `meetings.e2eeRequired: false`: meetings may turn E2EE off (the default policy still has it on). */
let optional: TestServer;
const http = new Map<TestServer, Record<string, HttpClient>>();
/** Everything `required` logs, at the most verbose level. */
const logLines: string[] = [];

const NAMES = ['hana', 'ines', 'jon'] as const;
type Name = (typeof NAMES)[number];

beforeAll(async () => {
  const limits = { signaling: { messagesPerSecond: 1000, burst: 1000 }, auth: { loginAttemptsPerMinutePerIp: 1000 } };
  required = await startTestServer({ ...limits, log: { level: 'trace' } }, { logTo: { write: (line: string) => void logLines.push(line) } });
  optional = await startTestServer({ ...limits, meetings: { e2eeRequired: false } });
  for (const server of [required, optional]) {
    const clients: Record<string, HttpClient> = {};
    for (const name of NAMES) clients[name] = await server.signIn(await server.createUser(name, { displayName: name[0]!.toUpperCase() + name.slice(1) }));
    http.set(server, clients);
  }
});
afterAll(async () => {
  await required?.close();
  await optional?.close();
});

const b64 = (bytes: number, fill: number) => Buffer.alloc(bytes, fill).toString('base64');
const BUNDLE = b64(1666, 7);
const VP9 = { codecs: [{ mimeType: 'video/VP9', payloadType: 103, clockRate: 90000, parameters: { 'profile-id': 0 } }], encodings: [{ ssrc: 3333 }] };

const accountId = (server: TestServer, name: Name) => server.recinto.auth.accounts.byUsername(name)!.id;
const connect = (server: TestServer, name: Name) => TestClient.connect(http.get(server)![name]!);
const live = (server: TestServer, meetingId: string) => server.recinto.meetings.find(meetingId);

/** A meeting hosted by Hana (inside) and, admitted, the others named. */
async function meeting(server: TestServer, policy: Record<string, unknown>, guests: Name[] = []) {
  const meetingId = server.createMeeting('Cifrado', { ownerId: accountId(server, 'hana'), policy: { waitingRoom: false, joinBeforeHost: true, muteOnEntry: false, ...policy } });
  const host = await connect(server, 'hana');
  const r = await host.join(meetingId);
  if (r.status !== 'joined') throw new Error('the host should be inside');
  const people: Record<string, { client: TestClient; id: string }> = { hana: { client: host, id: r.meeting.self.id } };
  for (const name of guests) {
    const client = await connect(server, name);
    const joined = await client.join(meetingId);
    if (joined.status !== 'joined') throw new Error(`${name} should be inside`);
    people[name] = { client, id: joined.meeting.self.id };
  }
  const close = () => Promise.all(Object.values(people).map((p) => p.client.close()));
  return { meetingId, people, host, close };
}

function audits(server: TestServer, action: string, meetingId?: string): { outcome: string; detail: Record<string, unknown> }[] {
  return auditRows(server.recinto.db, { action, ...(meetingId ? { meetingId } : {}) });
}
const deniedCodes = (server: TestServer, action: string, meetingId?: string) => audits(server, action, meetingId).filter((a) => a.outcome === 'denied').map((a) => a.detail.code);

const count = (client: TestClient, notification: string) => client.notifications.filter((n) => n.notification === notification).length;
/** Lets anything in flight arrive before checking that it did not. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

// ---------------------------------------------------------------------------------------------

describe('configuration', () => {
  it('by default meetings are end-to-end encrypted and must be', () => {
    const config = loadConfig({ env: {} });
    expect(config.meetings.policy.e2ee).toBe(true);
    expect(config.meetings.e2eeRequired).toBe(true);
  });

  it('refuses a default policy without E2EE while E2EE is required, naming the key and its source', () => {
    expect(configProblems(() => loadConfig({ env: {}, overrides: { meetings: { policy: { e2ee: false } } } }))).toEqual([
      'meetings.policy.e2ee: must be true while meetings.e2eeRequired is true',
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'recinto-e2ee-config-'));
    try {
      const file = join(dir, 'local.json');
      writeFileSync(file, JSON.stringify({ meetings: { policy: { e2ee: false } } }));
      expect(configProblems(() => loadConfig({ env: { RECINTO_CONFIG: file } }))).toEqual([`meetings.policy.e2ee (from ${file}): must be true while meetings.e2eeRequired is true`]);
      writeFileSync(file, JSON.stringify({ meetings: { policy: { e2ee: false }, e2eeRequired: false } }));
      expect(loadConfig({ env: { RECINTO_CONFIG: file } }).meetings.policy.e2ee).toBe(false);
      writeFileSync(file, JSON.stringify({ meetings: { e2eeRequired: 'no' } }));
      expect(configProblems(() => loadConfig({ env: { RECINTO_CONFIG: file } }))).toEqual([`meetings.e2eeRequired (from ${file}): must be boolean`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stored meetings', () => {
  it('a policy stored before the e2ee key existed reads as end-to-end encrypted (migration and read)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recinto-e2ee-store-'));
    const db = new Database(join(dir, 'recinto.sqlite'));
    try {
      migrate(db, MIGRATIONS.filter((m) => m.version <= 4));
      const insert = db.prepare('INSERT INTO meetings (id, title, created_at, policy) VALUES (?, ?, ?, ?)');
      insert.run('aaaa-old1', 'Antigua', Date.now(), JSON.stringify({ chat: false }));
      insert.run('aaaa-old2', 'Sin política', Date.now(), '{}');
      insert.run('aaaa-off', 'Ya sin cifrar', Date.now(), JSON.stringify({ e2ee: false }));
      expect(migrate(db, MIGRATIONS)).toEqual([5]);
      const stored = (id: string) => JSON.parse(db.prepare('SELECT policy FROM meetings WHERE id = ?').pluck().get(id) as string);
      expect(stored('aaaa-old1')).toEqual({ chat: false, e2ee: true });
      expect(stored('aaaa-old2')).toEqual({ e2ee: true });
      expect(stored('aaaa-off')).toEqual({ e2ee: false });

      // Reading: even with a default policy without E2EE, a row lacking the key is encrypted.
      const defaults = { ...loadConfig({ env: {} }).meetings.policy, e2ee: false };
      insert.run('aaaa-new', 'Escrita a mano', Date.now(), JSON.stringify({ chat: true }));
      const store = new MeetingStore(db, randomBytes(32), defaults);
      expect(store.get('aaaa-old1')!.policy).toMatchObject({ chat: false, e2ee: true });
      expect(store.get('aaaa-new')!.policy.e2ee).toBe(true);
      expect(store.get('aaaa-off')!.policy.e2ee).toBe(false);
      // With E2EE required, every meeting reads as encrypted, whatever was stored.
      const requiring = new MeetingStore(db, randomBytes(32), defaults, { e2eeRequired: true });
      expect(requiring.get('aaaa-off')!.policy.e2ee).toBe(true);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('meetings API', () => {
  it('with E2EE required, refuses to create or edit a meeting without it (400 E2EE_REQUIRED), audited, nothing changes', async () => {
    const ana = http.get(required)!.hana!;
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
    const ana = http.get(optional)!.hana!;
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

describe('media in an encrypted meeting', () => {
  it('is refused until the sender has announced its key bundle (E2EE_KEYS_REQUIRED)', async () => {
    const m = await meeting(required, {}, ['ines']);
    const ines = m.people.ines!;
    const send = await ines.client.request('createTransport', { direction: 'send' });
    const refused = await ines.client.send('produce', { transportId: send.id, kind: 'audio', source: 'microphone', rtpParameters: OPUS });
    expect(refused.error?.code).toBe('E2EE_KEYS_REQUIRED');
    expect(live(required, m.meetingId)!.get(ines.id)!.media.producers.size).toBe(0);
    await settle();
    expect(count(m.host, 'producerAdded')).toBe(0);
    expect(deniedCodes(required, 'media.produce', m.meetingId)).toEqual(['E2EE_KEYS_REQUIRED']);

    await ines.client.request('announceE2eeKeys', { bundle: BUNDLE });
    const { producerId } = await ines.client.request('produce', { transportId: send.id, kind: 'audio', source: 'microphone', rtpParameters: OPUS });
    expect(live(required, m.meetingId)!.get(ines.id)!.media.producers.has(producerId)).toBe(true);
    await m.close();
  });

  it('takes only Opus and VP8 (E2EE_CODEC), whatever the case of the name; RTX may follow VP8', async () => {
    const m = await meeting(required, { screenShare: 'everyone' }, ['ines']);
    const ines = m.people.ines!;
    await ines.client.request('announceE2eeKeys', { bundle: BUNDLE });
    const send = await ines.client.request('createTransport', { direction: 'send' });
    const produce = (kind: 'audio' | 'video', source: 'microphone' | 'camera' | 'screen', rtpParameters: unknown) =>
      ines.client.send('produce', { transportId: send.id, kind, source, rtpParameters });
    const H264 = { codecs: [{ mimeType: 'video/H264', payloadType: 102, clockRate: 90000, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' } }], encodings: [{ ssrc: 4444 }] };
    for (const [kind, source, rtp] of [
      ['video', 'camera', VP9],
      ['video', 'camera', H264],
      ['video', 'screen', { ...VP8, codecs: [...VP8.codecs, H264.codecs[0]] }], // VP8 first, but H264 offered too
      ['audio', 'microphone', { codecs: [{ mimeType: 'audio/PCMU', payloadType: 0, clockRate: 8000 }], encodings: [{ ssrc: 5555 }] }],
      ['audio', 'microphone', { ...OPUS, codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }] }], // VP8 is not audio
    ] as const) {
      expect((await produce(kind, source, rtp)).error?.code, JSON.stringify(rtp.codecs)).toBe('E2EE_CODEC');
    }
    expect(live(required, m.meetingId)!.get(ines.id)!.media.producers.size).toBe(0);
    await settle();
    expect(count(m.host, 'producerAdded')).toBe(0);
    expect(deniedCodes(required, 'media.produce', m.meetingId)).toEqual(Array(5).fill('E2EE_CODEC'));

    expect((await produce('audio', 'microphone', { ...OPUS, codecs: [{ ...OPUS.codecs[0], mimeType: 'AUDIO/OPUS' }] })).ok).toBe(true);
    const vp8WithRtx = {
      codecs: [VP8.codecs[0], { mimeType: 'video/rtx', payloadType: 102, clockRate: 90000, parameters: { apt: 101 } }],
      encodings: [{ ssrc: 2222, rtx: { ssrc: 2223 } }],
    };
    expect((await produce('video', 'camera', vp8WithRtx)).ok).toBe(true);
    expect((await produce('video', 'screen', { ...VP8, codecs: [{ ...VP8.codecs[0], mimeType: 'video/vp8' }], encodings: [{ ssrc: 6666 }] })).ok).toBe(true);
    expect(live(required, m.meetingId)!.get(ines.id)!.media.producers.size).toBe(3);
    await m.close();
  });

  it('a meeting without E2EE keeps today’s rules: no keys needed, any codec the SFU takes', async () => {
    const m = await meeting(optional, { e2ee: false }, ['ines']);
    const ines = m.people.ines!;
    const send = await ines.client.request('createTransport', { direction: 'send' });
    expect((await ines.client.send('produce', { transportId: send.id, kind: 'audio', source: 'microphone', rtpParameters: OPUS })).ok).toBe(true);
    expect((await ines.client.send('produce', { transportId: send.id, kind: 'video', source: 'camera', rtpParameters: VP9 })).ok).toBe(true);
    await m.close();
  });
});

describe('key material', () => {
  it('a bundle is announced once per join (E2EE_KEYS_ALREADY_ANNOUNCED); a new join may announce again', async () => {
    const m = await meeting(required, {}, ['ines']);
    const ines = m.people.ines!;
    await ines.client.request('announceE2eeKeys', { bundle: BUNDLE });
    await waitFor(() => count(m.host, 'e2eeKeysAnnounced') === 1);
    const again = await ines.client.send('announceE2eeKeys', { bundle: b64(1666, 8) });
    expect(again.error?.code).toBe('E2EE_KEYS_ALREADY_ANNOUNCED');
    expect(live(required, m.meetingId)!.get(ines.id)!.e2eeBundle).toBe(BUNDLE);
    await settle();
    expect(count(m.host, 'e2eeKeysAnnounced')).toBe(1);
    expect(audits(required, 'e2ee.announce_keys', m.meetingId).map((a) => a.detail.code ?? a.outcome)).toEqual(['ok', 'E2EE_KEYS_ALREADY_ANNOUNCED']);

    await ines.client.request('leave', {});
    const back = await ines.client.join(m.meetingId);
    expect(back.status === 'joined' && back.meeting.self.e2eeBundle).toBeUndefined();
    await ines.client.request('announceE2eeKeys', { bundle: b64(1666, 8) });
    await m.close();
  });

  it('a meeting without E2EE takes no key material (E2EE_OFF), audited, nothing relayed', async () => {
    const m = await meeting(optional, { e2ee: false }, ['ines']);
    const ines = m.people.ines!;
    expect((await ines.client.send('announceE2eeKeys', { bundle: BUNDLE })).error?.code).toBe('E2EE_OFF');
    expect(live(optional, m.meetingId)!.get(ines.id)!.e2eeBundle).toBeUndefined();
    expect((await ines.client.send('sendE2eeKey', { to: m.people.hana!.id, blob: b64(1629, 9) })).error?.code).toBe('E2EE_OFF');
    await settle();
    expect(count(m.host, 'e2eeKeysAnnounced') + count(m.host, 'e2eeKey')).toBe(0);
    expect(deniedCodes(optional, 'e2ee.announce_keys', m.meetingId)).toEqual(['E2EE_OFF']);
    expect(deniedCodes(optional, 'e2ee.send_key', m.meetingId)).toEqual(['E2EE_OFF']);
    await m.close();
  });

  it('an encrypted meeting relays a wrapped key to its recipient only', async () => {
    const m = await meeting(required, {}, ['ines', 'jon']);
    await m.people.ines!.client.request('sendE2eeKey', { to: m.people.jon!.id, blob: b64(1629, 9) });
    expect(await m.people.jon!.client.waitForNotification('e2eeKey')).toEqual({ from: m.people.ines!.id, blob: b64(1629, 9) });
    await settle();
    expect(count(m.host, 'e2eeKey')).toBe(0);
    await m.close();
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

describe('sealed chat', () => {
  const SEALED = b64(600, 42);

  it('an encrypted meeting relays sealed chat only; plaintext is refused (E2EE_REQUIRED) and reaches nobody', async () => {
    const m = await meeting(required, {}, ['ines', 'jon']);
    const [hana, ines, jon] = [m.people.hana!, m.people.ines!, m.people.jon!];
    const refused = await ines.client.send('sendChat', { text: 'texto-en-claro' });
    expect(refused.error?.code).toBe('E2EE_REQUIRED');
    await settle();
    expect([hana, ines, jon].map((p) => count(p.client, 'chatMessage'))).toEqual([0, 0, 0]);

    const { messageId } = await ines.client.request('sendChat', { sealed: SEALED });
    for (const p of [hana, ines, jon]) {
      const note = await p.client.waitForNotification('chatMessage');
      expect(note).toEqual({ id: messageId, from: ines.id, fromName: 'Ines', to: null, at: expect.any(Number), sealed: SEALED });
    }
    const privately = b64(300, 43);
    await ines.client.request('sendChat', { sealed: privately, to: hana.id });
    await waitFor(() => hana.client.notifications.some((n) => n.notification === 'chatMessage' && n.params.sealed === privately));
    await waitFor(() => ines.client.notifications.some((n) => n.notification === 'chatMessage' && n.params.sealed === privately));
    await settle();
    expect(jon.client.notifications.some((n) => n.notification === 'chatMessage' && n.params.sealed === privately)).toBe(false);

    const rows = audits(required, 'chat.send', m.meetingId);
    expect(rows.map((r) => r.detail)).toEqual([{ private: false, code: 'E2EE_REQUIRED' }, { private: false }, { private: true }]);
    // Nothing the server stores or logs (at trace level) holds the chat: no table, no audit row, no log line.
    const db = required.recinto.db;
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    const everything = tables.map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).all())).join('\n');
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of [SEALED, privately, 'texto-en-claro']) {
      expect(everything).not.toContain(secret);
      expect(logLines.join('\n')).not.toContain(secret);
    }
    await m.close();
  });

  it('needs exactly one of text or sealed, within bounds (INVALID_PARAMS); chat off refuses sealed too', async () => {
    const m = await meeting(required, {}, ['ines']);
    const ines = m.people.ines!;
    const both = await ines.client.send('sendChat', { text: 'hola', sealed: SEALED });
    expect(both.error?.code).toBe('INVALID_PARAMS');
    expect(both.error?.message).toBe('params: must have exactly one of sealed, text');
    const neither = await ines.client.send('sendChat', { to: m.people.hana!.id });
    expect(neither.error?.code).toBe('INVALID_PARAMS');
    expect(neither.error?.message).toBe('params: must have exactly one of text, sealed');
    const tooLong = await ines.client.send('sendChat', { sealed: 'A'.repeat(16388) });
    expect(tooLong.error?.message).toBe('params.sealed: must NOT have more than 16384 characters');
    expect((await ines.client.send('sendChat', { sealed: 'no es base64!' })).error?.message).toMatch(/^params\.sealed: must match pattern/);
    expect((await ines.client.send('sendChat', { sealed: 'A'.repeat(16384) })).ok).toBe(true); // the largest accepted
    await m.host.request('updatePolicy', { policy: { chat: false } });
    expect((await ines.client.send('sendChat', { sealed: SEALED })).error?.code).toBe('CHAT_DISABLED');
    await settle();
    expect(count(m.host, 'chatMessage')).toBe(1);
    await m.close();
  });

  it('a meeting without E2EE refuses sealed chat (E2EE_OFF) and relays text', async () => {
    const m = await meeting(optional, { e2ee: false }, ['ines']);
    const ines = m.people.ines!;
    expect((await ines.client.send('sendChat', { sealed: SEALED })).error?.code).toBe('E2EE_OFF');
    await settle();
    expect(count(m.host, 'chatMessage')).toBe(0);
    expect(deniedCodes(optional, 'chat.send', m.meetingId)).toEqual(['E2EE_OFF']);
    await ines.client.request('sendChat', { text: 'hola' });
    const note = await m.host.waitForNotification('chatMessage');
    expect(note).toMatchObject({ from: ines.id, text: 'hola', to: null });
    expect(note).not.toHaveProperty('sealed');
    await m.close();
  });
});
