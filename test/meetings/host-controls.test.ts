/**
 * Host controls against the real server: every rule enforced by the server and at the SFU
 * (producers paused or closed in mediasoup), whatever a client does — mutes, camera and screen
 * permissions, removal and bans, the host role handed over, co-hosts' rank, policy changes
 * mid-call, and chat turned off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParticipantMedia } from '../../server/media/participant-media.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { meetingsOn, type TestClient } from '../helpers/ws-client.ts';
import { OPUS, VP8, VP8_SCREEN } from '../helpers/rtp.ts';
import { auditRows } from '../helpers/audit.ts';

let server: TestServer;

beforeAll(async () => {
  // Meetings are end-to-end encrypted by default; the plaintext chat test needs one that is not.
  server = await startTestServer(
    { signaling: { messagesPerSecond: 1000, burst: 1000 }, meetings: { e2eeRequired: false } },
    { signIn: ['hilda', 'ivan', 'julia', 'karl', 'lena'] },
  );
});
afterAll(() => server?.close());

/** Meetings hosted by Hilda: `hosted(policy)` has her inside; `admitted()` lets someone in past the waiting room. */
const { connect, hosted, admitted, live } = meetingsOn(() => server, 'hilda', 'Controles');

/** End-to-end encrypted meetings (the default) take media only after the sender's key bundle. */
const announceKeys = (client: TestClient) => client.request('announceE2eeKeys', { bundle: Buffer.alloc(96, 3).toString('base64') });

/** Announces keys and opens a send transport; returns the transport id. */
async function sender(client: TestClient): Promise<string> {
  await announceKeys(client);
  return (await client.request('createTransport', { direction: 'send' })).id;
}

const produceMicrophone = (client: TestClient, transportId: string) =>
  client.request('produce', { transportId, kind: 'audio', source: 'microphone', rtpParameters: OPUS });

describe('host controls at the SFU', () => {
  it('a hard mute pauses the producer in mediasoup; only the participant can unmute, after being asked', async () => {
    const { meetingId, host } = await hosted({ muteOnEntry: false });
    const ivan = await admitted('ivan', meetingId, host);
    await announceKeys(ivan.client);
    const send = await ivan.client.request('createTransport', { direction: 'send' });
    const { producerId, paused } = await ivan.client.request('produce', { transportId: send.id, kind: 'audio', source: 'microphone', rtpParameters: OPUS });
    expect(paused).toBe(false);
    const julia = await admitted('julia', meetingId, host);
    const recv = await julia.client.request('createTransport', { direction: 'recv' });
    const caps = { codecs: [{ kind: 'audio' as const, mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100 }] };
    await julia.client.request('consume', { transportId: recv.id, producerId, rtpCapabilities: caps });
    const producer = () => live(meetingId).get(ivan.id)!.media.producerFor('microphone')!;

    await host.request('mute', { participantId: ivan.id });
    expect(producer().paused).toBe(true); // a paused producer forwards no RTP to any consumer
    expect(await ivan.client.waitForNotification('hostAction')).toEqual({ action: 'muted' });
    expect((await ivan.client.send('resumeProducer', { producerId })).error?.code).toBe('HOST_MUTED');
    expect(producer().paused).toBe(true);

    await host.request('askToUnmute', { participantId: ivan.id });
    await waitFor(() => ivan.client.notifications.some((n) => n.notification === 'hostAction' && n.params.action === 'unmute-requested'));
    expect(producer().paused).toBe(true); // asking never unmutes remotely
    await ivan.client.request('resumeProducer', { producerId });
    expect(producer().paused).toBe(false);
    await Promise.all([host.close(), ivan.client.close(), julia.client.close()]);
  });

  it('mute on entry starts the first microphone paused, and the participant may unmute', async () => {
    const { meetingId, host } = await hosted({ muteOnEntry: true });
    const ivan = await admitted('ivan', meetingId, host);
    await announceKeys(ivan.client);
    const send = await ivan.client.request('createTransport', { direction: 'send' });
    const { producerId, paused } = await ivan.client.request('produce', { transportId: send.id, kind: 'audio', source: 'microphone', rtpParameters: OPUS });
    expect(paused).toBe(true);
    expect(live(meetingId).get(ivan.id)!.media.producerFor('microphone')!.paused).toBe(true);
    await ivan.client.request('resumeProducer', { producerId });
    expect(live(meetingId).get(ivan.id)!.media.producerFor('microphone')!.paused).toBe(false);
    await Promise.all([host.close(), ivan.client.close()]);
  });

  it('forbidding a camera closes it at the SFU and refuses a new one; allowing never starts it', async () => {
    const { meetingId, host } = await hosted();
    const ivan = await admitted('ivan', meetingId, host);
    await announceKeys(ivan.client);
    const send = await ivan.client.request('createTransport', { direction: 'send' });
    const { producerId } = await ivan.client.request('produce', { transportId: send.id, kind: 'video', source: 'camera', rtpParameters: VP8 });
    await host.request('setCameraAllowed', { participantId: ivan.id, allowed: false });
    expect(live(meetingId).get(ivan.id)!.media.producers.has(producerId)).toBe(false);
    await waitFor(() => host.notifications.some((n) => n.notification === 'producerClosed' && n.params.producerId === producerId));
    expect((await ivan.client.send('produce', { transportId: send.id, kind: 'video', source: 'camera', rtpParameters: VP8 })).error?.code).toBe(
      'CAMERA_NOT_ALLOWED',
    );
    await host.request('setCameraAllowed', { participantId: ivan.id, allowed: true });
    expect(live(meetingId).get(ivan.id)!.media.producerFor('camera')).toBeUndefined();
    // Screen sharing is for hosts by default.
    expect((await ivan.client.send('produce', { transportId: send.id, kind: 'video', source: 'screen', rtpParameters: VP8 })).error?.code).toBe(
      'SCREEN_SHARE_NOT_ALLOWED',
    );
    await host.request('setScreenShareAllowed', { participantId: ivan.id, allowed: true });
    expect((await ivan.client.send('produce', { transportId: send.id, kind: 'video', source: 'screen', rtpParameters: VP8 })).ok).toBe(true);
    await Promise.all([host.close(), ivan.client.close()]);
  });

  it('removes and bans: transports close at once, rejoining is refused; a removal without ban shows as "previously removed"', async () => {
    const { meetingId, host } = await hosted();
    const ivan = await admitted('ivan', meetingId, host);
    const recv = await ivan.client.request('createTransport', { direction: 'recv' });
    const transport = (live(meetingId).get(ivan.id)!.media as ParticipantMedia).transports.get(recv.id)!; // the mediasoup object itself
    expect(transport.closed).toBe(false);
    const t0 = Date.now();
    await host.request('remove', { participantId: ivan.id, ban: true });
    await waitFor(() => transport.closed, 1000);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await ivan.client.waitForNotification('removed')).toEqual({ banned: true });
    expect(live(meetingId).get(ivan.id)).toBeUndefined();
    expect(
      (
        await ivan.client.send('connectTransport', {
          transportId: recv.id,
          dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: Array(32).fill('AB').join(':') }] },
        })
      ).error?.code,
    ).toBe('NOT_JOINED');
    expect((await ivan.client.tryJoin(meetingId)).error?.code).toBe('BANNED');
    const again = await connect('ivan');
    expect((await again.tryJoin(meetingId)).error?.code).toBe('BANNED');

    const julia = await admitted('julia', meetingId, host);
    await host.request('remove', { participantId: julia.id, ban: false });
    await julia.client.waitForNotification('removed');
    host.notifications.length = 0;
    const back = await julia.client.join(meetingId);
    expect(back.status).toBe('waiting');
    const lobby = await waitFor(() => (host.waitingRoom().length > 0 ? host.waitingRoom() : undefined));
    expect(lobby).toMatchObject([{ displayName: 'Julia', previouslyRemoved: true }]);
    await Promise.all([host.close(), ivan.client.close(), again.close(), julia.client.close()]);
  });

  it('hands the host role over when the host leaves, and ends the meeting for everyone', async () => {
    const { meetingId, host } = await hosted();
    const ivan = await admitted('ivan', meetingId, host);
    const julia = await admitted('julia', meetingId, host);
    await host.request('leave', { handOverTo: julia.id });
    await waitFor(() =>
      ivan.client.notifications.some((n) => n.notification === 'participantUpdated' && (n.params.participant as { id: string; role: string }).role === 'host'),
    );
    expect(live(meetingId).get(julia.id)!.role).toBe('host');
    expect((await ivan.client.send('endMeeting', {})).error?.code).toBe('FORBIDDEN');
    await julia.client.request('endMeeting', {});
    await ivan.client.waitForNotification('meetingEnded');
    expect(server.recinto.meetings.find(meetingId)).toBeUndefined();
    await Promise.all([host.close(), ivan.client.close(), julia.client.close()]);
  });
});

describe('rank: co-hosts act only on participants', () => {
  it("a co-host's mute, remove and setCameraAllowed on the host or on another co-host are FORBIDDEN and change nothing", async () => {
    const { meetingId, host } = await hosted({ muteOnEntry: false });
    const ivan = await admitted('ivan', meetingId, host);
    const julia = await admitted('julia', meetingId, host);
    const karl = await admitted('karl', meetingId, host);
    await host.request('setRole', { participantId: ivan.id, role: 'cohost' });
    await host.request('setRole', { participantId: julia.id, role: 'cohost' });
    const meeting = live(meetingId);
    const hildaId = meeting.participants().find((p) => p.role === 'host')!.id;
    // The targets send a microphone and a camera, so "nothing changed" is checked at the SFU too.
    for (const client of [host, julia.client]) {
      const transportId = await sender(client);
      await produceMicrophone(client, transportId);
      await client.request('produce', { transportId, kind: 'video', source: 'camera', rtpParameters: VP8 });
    }
    host.notifications.length = 0;
    julia.client.notifications.length = 0;

    for (const [targetId, role] of [
      [hildaId, 'host'],
      [julia.id, 'cohost'],
    ] as const) {
      const attempts: [string, Record<string, unknown>][] = [
        ['mute', { participantId: targetId }],
        ['setCameraAllowed', { participantId: targetId, allowed: false }],
        ['remove', { participantId: targetId, ban: false }],
        ['remove', { participantId: targetId, ban: true }],
      ];
      for (const [method, params] of attempts) {
        expect((await ivan.client.send(method, params)).error?.code, `co-host ${method} ${JSON.stringify(params)} on a ${role}`).toBe('FORBIDDEN');
      }
      const target = meeting.get(targetId);
      expect(target, `the ${role} is still inside`).toBeDefined();
      expect(target!.role).toBe(role);
      expect(target!.mutedByHost).toBe(false);
      expect(target!.cameraForbidden).toBe(false);
      expect(meeting.info(target!).cameraAllowed).toBe(true);
      const microphone = target!.media.producerFor('microphone')!;
      const camera = target!.media.producerFor('camera')!;
      expect(microphone.closed || microphone.paused, `the ${role}'s microphone still sends`).toBe(false);
      expect(camera.closed, `the ${role}'s camera is still open`).toBe(false);
      expect(meeting.removedAccounts.has(target!.identity.accountId)).toBe(false);
      expect(server.recinto.meetingStore.isBanned(meetingId, target!.identity.accountId)).toBe(false);
    }
    // Nobody was told that anything happened to them, and nobody saw anyone leave.
    const effects = ['hostAction', 'removed', 'participantLeft', 'producerClosed', 'participantUpdated'];
    for (const client of [host, julia.client]) expect(client.notifications.filter((n) => effects.includes(n.notification))).toEqual([]);
    const tried = ['host.mute', 'host.set_camera_allowed', 'host.remove', 'host.remove_and_ban'];
    const denied = auditRows(server.recinto.db, { action: 'host.', outcome: 'denied', meetingId }).filter((r) => tried.includes(r.action));
    expect(denied).toHaveLength(8);

    // The same co-host does have authority over a participant: the refusals above were about rank.
    await ivan.client.request('mute', { participantId: karl.id });
    expect(meeting.get(karl.id)!.mutedByHost).toBe(true);
    await Promise.all([host.close(), ivan.client.close(), julia.client.close(), karl.client.close()]);
  });

  it("a co-host's muteAll pauses the participants' microphones at the SFU and leaves hosts and co-hosts unmuted", async () => {
    const { meetingId, host } = await hosted({ muteOnEntry: false });
    const ivan = await admitted('ivan', meetingId, host);
    const julia = await admitted('julia', meetingId, host);
    const karl = await admitted('karl', meetingId, host);
    const lena = await admitted('lena', meetingId, host);
    await host.request('setRole', { participantId: ivan.id, role: 'cohost' });
    await host.request('setRole', { participantId: julia.id, role: 'cohost' });
    const meeting = live(meetingId);
    const hildaId = meeting.participants().find((p) => p.role === 'host')!.id;
    const everyone = [host, ivan.client, julia.client, karl.client, lena.client];
    for (const client of everyone) {
      const { paused } = await produceMicrophone(client, await sender(client));
      expect(paused).toBe(false);
    }
    const microphone = (participantId: string) => meeting.get(participantId)!.media.producerFor('microphone')!;
    // Every microphone's producerAdded (sent before each produce reply) has arrived: start afresh.
    await waitFor(() => host.notifications.filter((n) => n.notification === 'producerAdded').length === 4);
    host.notifications.length = 0;

    expect(await ivan.client.request('muteAll', {})).toEqual({ muted: 2 });
    for (const id of [karl.id, lena.id]) {
      expect(microphone(id).paused, 'a participant is paused in mediasoup').toBe(true);
      expect(meeting.get(id)!.mutedByHost).toBe(true);
    }
    for (const id of [hildaId, ivan.id, julia.id]) {
      expect(microphone(id).paused, 'hosts and co-hosts keep sending').toBe(false);
      expect(meeting.get(id)!.mutedByHost).toBe(false);
    }
    for (const p of [karl, lena]) {
      expect(await p.client.waitForNotification('hostAction')).toEqual({ action: 'muted' });
      expect((await p.client.send('resumeProducer', { producerId: microphone(p.id).id })).error?.code).toBe('HOST_MUTED');
      expect(microphone(p.id).paused).toBe(true);
    }
    // Everyone sees the muted participants as muted, and no one else as changed.
    const updated = await waitFor(() => {
      const shown = host.notifications
        .filter((n) => n.notification === 'participantUpdated')
        .map((n) => n.params.participant as { id: string; mutedByHost: boolean });
      return shown.length >= 2 ? shown : undefined;
    });
    expect(updated.map((p) => [p.id, p.mutedByHost]).sort()).toEqual(
      [
        [karl.id, true],
        [lena.id, true],
      ].sort(),
    );
    for (const client of [host, ivan.client, julia.client]) {
      expect(client.notifications.some((n) => n.notification === 'hostAction')).toBe(false);
    }
    await Promise.all(everyone.map((c) => c.close()));
  });
});

describe('policy changes mid-call, at the SFU', () => {
  it("cameraAllowed: false closes participants' cameras in mediasoup and refuses new ones; hosts keep theirs", async () => {
    const { meetingId, host } = await hosted({ cameraAllowed: true });
    const ivan = await admitted('ivan', meetingId, host);
    const julia = await admitted('julia', meetingId, host);
    const meeting = live(meetingId);
    const hildaId = meeting.participants().find((p) => p.role === 'host')!.id;
    const hostSend = await sender(host);
    const hostCamera = await host.request('produce', { transportId: hostSend, kind: 'video', source: 'camera', rtpParameters: VP8 });
    const send = await sender(ivan.client);
    const { producerId } = await ivan.client.request('produce', { transportId: send, kind: 'video', source: 'camera', rtpParameters: VP8 });
    const producer = meeting.get(ivan.id)!.media.producers.get(producerId)!;
    expect(producer.closed).toBe(false);
    for (const c of [host, ivan.client, julia.client]) c.notifications.length = 0;

    await host.request('updatePolicy', { policy: { cameraAllowed: false } });
    expect(producer.closed, 'the camera producer is closed in mediasoup').toBe(true);
    expect(meeting.get(ivan.id)!.media.producerFor('camera')).toBeUndefined();
    await waitFor(() => julia.client.notifications.some((n) => n.notification === 'producerClosed' && n.params.producerId === producerId));
    expect((await ivan.client.send('produce', { transportId: send, kind: 'video', source: 'camera', rtpParameters: VP8 })).error?.code).toBe(
      'CAMERA_NOT_ALLOWED',
    );
    expect(meeting.get(ivan.id)!.media.producerFor('camera')).toBeUndefined();
    // Hosts may always use their camera.
    expect(meeting.get(hildaId)!.media.producers.get(hostCamera.producerId)!.closed).toBe(false);

    // Only those whose permissions changed are announced again: the participants, not the host.
    const updated = await waitFor(() => {
      const ids = julia.client.notifications.filter((n) => n.notification === 'participantUpdated').map((n) => (n.params.participant as { id: string }).id);
      return ids.length >= 2 ? ids : undefined;
    });
    expect(updated.sort()).toEqual([ivan.id, julia.id].sort());
    const ivanShown = julia.client.notifications.find(
      (n) => n.notification === 'participantUpdated' && (n.params.participant as { id: string }).id === ivan.id,
    )!;
    expect(ivanShown.params.participant).toMatchObject({ cameraAllowed: false, producers: [] });
    await Promise.all([host.close(), ivan.client.close(), julia.client.close()]);
  });

  it("screenShare: 'host' closes a participant's screen share in mediasoup and refuses a new one", async () => {
    const { meetingId, host } = await hosted({ screenShare: 'everyone' });
    const ivan = await admitted('ivan', meetingId, host);
    const meeting = live(meetingId);
    const send = await sender(ivan.client);
    const camera = await ivan.client.request('produce', { transportId: send, kind: 'video', source: 'camera', rtpParameters: VP8 });
    const { producerId } = await ivan.client.request('produce', { transportId: send, kind: 'video', source: 'screen', rtpParameters: VP8_SCREEN });
    const screen = meeting.get(ivan.id)!.media.producers.get(producerId)!;
    expect(screen.closed).toBe(false);

    await host.request('updatePolicy', { policy: { screenShare: 'host' } });
    expect(screen.closed, 'the screen producer is closed in mediasoup').toBe(true);
    expect(meeting.get(ivan.id)!.media.producerFor('screen')).toBeUndefined();
    await waitFor(() => host.notifications.some((n) => n.notification === 'producerClosed' && n.params.producerId === producerId));
    expect((await ivan.client.send('produce', { transportId: send, kind: 'video', source: 'screen', rtpParameters: VP8_SCREEN })).error?.code).toBe(
      'SCREEN_SHARE_NOT_ALLOWED',
    );
    expect(meeting.get(ivan.id)!.media.producerFor('screen')).toBeUndefined();
    // The camera is not affected by a screen-share rule.
    expect(meeting.get(ivan.id)!.media.producers.get(camera.producerId)!.closed).toBe(false);
    await Promise.all([host.close(), ivan.client.close()]);
  });
});

describe('chat', () => {
  it('reaches everyone or only the recipient, is refused when off, and the server keeps no text', async () => {
    const { meetingId, host } = await hosted({ e2ee: false }); // plaintext chat: a meeting without E2EE
    const ivan = await admitted('ivan', meetingId, host);
    const julia = await admitted('julia', meetingId, host);
    await ivan.client.request('sendChat', { text: 'hola a todos https://example.org' });
    await waitFor(() => julia.client.notifications.some((n) => n.notification === 'chatMessage'));
    const hildaId = live(meetingId)
      .participants()
      .find((p) => p.role === 'host')!.id;
    await ivan.client.request('sendChat', { text: 'secreto-para-hilda', to: hildaId });
    await waitFor(() => host.notifications.some((n) => n.notification === 'chatMessage' && n.params.text === 'secreto-para-hilda'));
    expect(julia.client.notifications.some((n) => n.notification === 'chatMessage' && n.params.text === 'secreto-para-hilda')).toBe(false);

    await host.request('updatePolicy', { policy: { chat: false } });
    expect((await ivan.client.send('sendChat', { text: 'sigo hablando' })).error?.code).toBe('CHAT_DISABLED');
    expect((await ivan.client.send('sendChat', { text: 'x'.repeat(2001) })).error?.code).toBe('INVALID_PARAMS');
    const rows = JSON.stringify(auditRows(server.recinto.db, { action: 'chat.send' }));
    expect(rows).toContain('CHAT_DISABLED');
    expect(rows).not.toContain('secreto-para-hilda');
    await Promise.all([host.close(), ivan.client.close(), julia.client.close()]);
  });
});
