/**
 * The server's whole part in end-to-end encryption: relaying opaque bundles and wrapped keys made
 * by the real key schedule (client/e2ee/keys.ts), to the right people only, without reading them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPublicBundle, generateBaseKey, generateParticipantKeyPairs, unwrapKey, wrapKeyFor } from '../../client/e2ee/keys.ts';
import { OPEN_POLICY, startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

async function inMeeting(name: string, meetingId: string) {
  const client = await TestClient.connect(await server.signIn(await server.createUser(name)));
  const r = await client.request('join', { meetingId, e2ee: true });
  if (r.status !== 'joined') throw new Error('expected to join');
  return { client, id: r.meeting.self.id };
}

describe('end-to-end key relay', () => {
  it('relays bundles to everyone and a wrapped key to its recipient only; the recipient unwraps it', async () => {
    const meetingId = server.createMeeting('Cifrada', { policy: OPEN_POLICY });
    const [ana, bea, cris] = [await inMeeting('ana', meetingId), await inMeeting('bea', meetingId), await inMeeting('cris', meetingId)];
    const [anaKeys, beaKeys] = await Promise.all([generateParticipantKeyPairs(), generateParticipantKeyPairs()]);
    const [anaBundle, beaBundle] = await Promise.all([exportPublicBundle(anaKeys), exportPublicBundle(beaKeys)]);

    await ana.client.request('announceE2eeKeys', { bundle: b64(anaBundle) });
    await bea.client.request('announceE2eeKeys', { bundle: b64(beaBundle) });
    const seen = await waitFor(() => ana.client.notifications.find((n) => n.notification === 'e2eeKeysAnnounced')?.params);
    expect(seen).toEqual({ participantId: bea.id, bundle: b64(beaBundle) });

    const baseKey = generateBaseKey();
    const context = { meetingId, senderId: ana.id, recipientId: bea.id };
    const blob = await wrapKeyFor(anaKeys, bytes(seen.bundle as string), { ...context, kid: 1n, epoch: 1, baseKey });
    await ana.client.request('sendE2eeKey', { to: bea.id, blob: b64(blob) });
    const delivered = await bea.client.waitForNotification('e2eeKey');
    expect(delivered.from).toBe(ana.id);
    const grant = await unwrapKey(beaKeys, anaBundle, bytes(delivered.blob as string), context);
    expect(Buffer.from(grant.baseKey).equals(Buffer.from(baseKey))).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(cris.client.notifications.some((n) => n.notification === 'e2eeKey')).toBe(false);

    // Someone joining later finds the bundles already announced in the meeting view.
    const late = await TestClient.connect(await server.signIn(await server.createUser('dani')));
    const view = await late.request('join', { meetingId, e2ee: true });
    const bundles = view.status === 'joined' ? view.meeting.participants.map((p) => p.e2eeBundle).filter(Boolean) : [];
    expect(bundles.sort()).toEqual([b64(anaBundle), b64(beaBundle)].sort());
    await Promise.all([ana.client.close(), bea.client.close(), cris.client.close(), late.close()]);
  });

  it('refuses malformed material, unknown recipients and anyone not admitted', async () => {
    const meetingId = server.createMeeting('Cifrada 2', { policy: OPEN_POLICY });
    const eva = await inMeeting('eva', meetingId);
    expect((await eva.client.send('announceE2eeKeys', { bundle: 'not base64!' })).error?.code).toBe('INVALID_PARAMS');
    expect((await eva.client.send('announceE2eeKeys', { bundle: 'A'.repeat(6000) })).error?.code).toBe('INVALID_PARAMS');
    expect((await eva.client.send('sendE2eeKey', { to: '6f1c2f1e-0000-4000-8000-000000000001', blob: 'AAAA' })).error?.code).toBe('NOT_FOUND');
    const outsider = await TestClient.connect(await server.signIn(await server.createUser('fran')));
    expect((await outsider.send('sendE2eeKey', { to: eva.id, blob: 'AAAA' })).error?.code).toBe('NOT_JOINED');
    await Promise.all([eva.client.close(), outsider.close()]);
  });
});
