/**
 * What an end-to-end encrypted meeting relays, enforced by the real server (HTTPS, real
 * WebSockets, SQLite, a real mediasoup worker): media only from a sender whose key bundle is
 * announced and only in Opus or VP8, key material once per join and to its recipient only, and
 * chat only sealed — none of it stored or logged; a meeting without E2EE keeps the plain rules.
 * Every refusal is checked for its code, for being audited, and for changing nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { MeetingPolicyPatch } from '../../protocol/policy.ts';
import { auditRows, deniedCodes } from '../helpers/audit.ts';
import { OPUS, VP8 } from '../helpers/rtp.ts';
import { OPEN_POLICY, startE2eeServers, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { count, meetingsOn, settle } from '../helpers/ws-client.ts';

/** Default configuration: every meeting must be end-to-end encrypted. */
let required: TestServer;
/** `meetings.e2eeRequired: false`: meetings may turn E2EE off (the default policy still has it on). */
let optional: TestServer;
/** Everything `required` logs, at the most verbose level. */
let logLines: string[];

beforeAll(async () => {
  const servers = await startE2eeServers(['hana', 'ines', 'jon']);
  ({ required, optional, logLines } = servers);
  return servers.close;
});

const b64 = (bytes: number, fill: number) => Buffer.alloc(bytes, fill).toString('base64');
const BUNDLE = b64(1666, 7);
const VP9 = { codecs: [{ mimeType: 'video/VP9', payloadType: 103, clockRate: 90000, parameters: { 'profile-id': 0 } }], encodings: [{ ssrc: 3333 }] };

const live = (server: TestServer, meetingId: string) => server.recinto.meetings.find(meetingId);
/** A meeting hosted by Hana (inside) and, let straight in, the others named. */
const meeting = (server: TestServer, policy: MeetingPolicyPatch, guests: string[] = []) =>
  meetingsOn(() => server, 'hana', 'Cifrado').hosted({ ...OPEN_POLICY, ...policy }, guests);

function audits(server: TestServer, action: string, meetingId?: string): { outcome: string; detail: Record<string, unknown> }[] {
  return auditRows(server.recinto.db, { action, ...(meetingId ? { meetingId } : {}) });
}

// ---------------------------------------------------------------------------------------------

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
    const H264 = {
      codecs: [{ mimeType: 'video/H264', payloadType: 102, clockRate: 90000, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' } }],
      encodings: [{ ssrc: 4444 }],
    };
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
