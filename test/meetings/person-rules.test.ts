/**
 * Rules that act on a person, not on one connection, and limits on what one person can hold —
 * each found broken by an outside probe, each against the real server and SFU: a ban takes every
 * socket; guests always wait for a host's decision; a host who drops out takes her meeting back;
 * co-hosts and heirs change the call, not the stored meeting; resource caps; a host mute that
 * lands while a microphone is being created holds.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../helpers/http-client.ts';
import { OPUS, RECV_CAPS } from '../helpers/rtp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { joinAdmitted, TestClient } from '../helpers/ws-client.ts';

let server: TestServer;
const http: Record<string, HttpClient> = {};
const ids: Record<string, string> = {};

beforeAll(async () => {
  server = await startTestServer({
    signaling: { messagesPerSecond: 1000, burst: 1000, maxConnectionsPerAccount: 6, maxConnectionsPerAddress: 10 },
    meetings: { maxPlacesPerPerson: 3, maxMeetingsPerAccount: 2 },
    auth: { loginAttemptsPerMinutePerIp: 1000 },
  });
  for (const name of ['hilda', 'ivan', 'julia', 'karl']) {
    const user = await server.createUser(name, { displayName: name[0]!.toUpperCase() + name.slice(1) });
    http[name] = await server.signIn(user);
    ids[name] = user.id;
  }
});
afterAll(() => server?.close());
// Each test starts with everyone out of every meeting (the server handles closed sockets in turn).
afterEach(() => waitFor(() => Object.values(ids).every((id) => server.recinto.meetings.meetingsOf(id) === 0), 5000, { message: 'everyone out' }));

const connect = (name: string) => TestClient.connect(http[name]!);
const live = (meetingId: string) => server.recinto.meetings.find(meetingId)!;
const storedPolicy = (meetingId: string) => server.recinto.meetingStore.get(meetingId)!.policy;

/** A meeting owned and hosted by Hilda, with her inside. */
async function hosted(policy: Record<string, unknown> = {}) {
  const meetingId = server.createMeeting('Personas', { ownerId: ids.hilda, policy });
  const host = await connect('hilda');
  expect((await host.join(meetingId)).status).toBe('joined');
  return { meetingId, host };
}

/** Joins on a new connection as `name`, admitted by `host` if needed. */
async function admitted(name: string, meetingId: string, host: TestClient): Promise<{ client: TestClient; id: string }> {
  const client = await connect(name);
  return { client, id: await joinAdmitted(client, meetingId, host) };
}

async function enterAsGuest(meetingId: string, name: string, from: string): Promise<TestClient> {
  const guestHttp = new HttpClient(server.url, { localAddress: from });
  const reply = await guestHttp.post(`/api/meetings/${meetingId}/guest`, { displayName: name, password: server.recinto.meetingStore.password(meetingId) });
  expect(reply.status).toBe(200);
  return TestClient.connect(guestHttp);
}

const closeAll = (...clients: TestClient[]) => Promise.all(clients.map((c) => c.close()));

describe('removal and bans act on the person', () => {
  it('banning one socket of an account removes its other sockets, inside and waiting, and no host can admit it again', async () => {
    const { meetingId, host } = await hosted();
    const first = await admitted('ivan', meetingId, host);
    const second = await admitted('ivan', meetingId, host);
    const third = await connect('ivan');
    const waiting = await third.join(meetingId);
    expect(waiting.status).toBe('waiting');

    await host.request('remove', { participantId: first.id, ban: true });
    for (const c of [first.client, second.client, third]) expect(await c.waitForNotification('removed')).toEqual({ banned: true });
    expect((await second.client.send('createTransport', { direction: 'recv' })).error?.code).toBe('NOT_JOINED');
    expect((await second.client.send('sendChat', { sealed: 'AAAA' })).error?.code).toBe('NOT_JOINED');
    expect(
      live(meetingId)
        .participants()
        .map((p) => p.identity.accountId),
    ).toEqual([ids.hilda]);
    expect(live(meetingId).waiting()).toEqual([]);
    expect(host.waitingRoom()).toEqual([]);
    expect((await third.tryJoin(meetingId)).error?.code).toBe('BANNED');
    await closeAll(host, first.client, second.client, third);
  });

  it('a removal without ban also takes every socket; back, they show as previously removed and "admit all" passes them over', async () => {
    const { meetingId, host } = await hosted();
    const a = await admitted('julia', meetingId, host);
    const b = await admitted('julia', meetingId, host);
    await host.request('remove', { participantId: a.id, ban: false });
    await b.client.waitForNotification('removed');
    expect(live(meetingId).size).toBe(1);
    const back = await b.client.join(meetingId);
    expect(back.status).toBe('waiting');
    const karl = await connect('karl');
    expect((await karl.join(meetingId)).status).toBe('waiting');
    await waitFor(() => host.waitingRoom().length === 2);
    expect(host.waitingRoom().find((w) => w.displayName === 'Julia')?.previouslyRemoved).toBe(true);
    expect(await host.request('admitAll', {})).toEqual({ admitted: 1 }); // Karl only
    expect(host.waitingRoom().map((w) => w.displayName)).toEqual(['Julia']);
    await host.request('admit', { waitingId: back.status === 'waiting' ? back.waitingId : '' }); // one by one: allowed
    await b.client.waitForNotification('admitted');
    await closeAll(host, a.client, b.client, karl);
  });
});

describe('guests always wait for a host’s decision', () => {
  it('without a waiting room, staff who waited for a host come in when she arrives; guests do not', async () => {
    const meetingId = server.createMeeting('Sin sala', { ownerId: ids.hilda, policy: { waitingRoom: false, joinBeforeHost: false } });
    const guest = await enterAsGuest(meetingId, 'Invitado Temprano', '127.0.5.1');
    expect(await guest.join(meetingId)).toMatchObject({ status: 'waiting', reason: 'waiting-room' });
    const ivan = await connect('ivan');
    expect(await ivan.join(meetingId)).toMatchObject({ status: 'waiting', reason: 'no-host' });
    const host = await connect('hilda');
    await host.join(meetingId);
    await ivan.waitForNotification('admitted');
    const late = await enterAsGuest(meetingId, 'Invitado Tardío', '127.0.5.2');
    expect((await late.join(meetingId)).status).toBe('waiting');
    await host.request('updatePolicy', { policy: { chat: true } }); // a no-op change
    await host.request('updatePolicy', { policy: { waitingRoom: false } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(guest.notifications.some((n) => n.notification === 'admitted')).toBe(false);
    expect(late.notifications.some((n) => n.notification === 'admitted')).toBe(false);
    expect(
      live(meetingId)
        .waiting()
        .map((w) => w.identity.displayName)
        .sort(),
    ).toEqual(['Invitado Tardío', 'Invitado Temprano']);
    await closeAll(host, ivan, guest, late);
  });
});

describe('a host who drops out takes her meeting back', () => {
  it('the heir is outranked by the meeting’s own host, and what heirs and co-hosts change lasts for the call only', async () => {
    const { meetingId, host } = await hosted({ waitingRoom: true, maxParticipants: 10 });
    const ivan = await admitted('ivan', meetingId, host);
    const julia = await admitted('julia', meetingId, host);
    await host.close(); // her socket drops: the longest-present staff member inherits the role
    await waitFor(() => live(meetingId).get(ivan.id)?.role === 'host');
    expect((await ivan.client.request('updatePolicy', { policy: { waitingRoom: false, maxParticipants: 1000 } })).policy.waitingRoom).toBe(false);
    expect(live(meetingId).policy).toMatchObject({ waitingRoom: false, maxParticipants: 1000 });
    expect(storedPolicy(meetingId)).toMatchObject({ waitingRoom: true, maxParticipants: 10 }); // the stored meeting is the owner's

    const back = await connect('hilda');
    const rejoined = await back.join(meetingId);
    expect(rejoined.status).toBe('joined');
    const hildaId = rejoined.status === 'joined' ? rejoined.meeting.self.id : '';
    expect((await ivan.client.send('mute', { participantId: hildaId })).error?.code).toBe('FORBIDDEN');
    expect((await ivan.client.send('remove', { participantId: hildaId, ban: true })).error?.code).toBe('FORBIDDEN');
    await back.request('setRole', { participantId: julia.id, role: 'cohost' });
    expect((await julia.client.request('updatePolicy', { policy: { chat: false } })).policy.chat).toBe(false);
    expect(storedPolicy(meetingId).chat).toBe(true);
    await back.request('setRole', { participantId: ivan.id, role: 'participant' });
    expect(live(meetingId).get(ivan.id)!.role).toBe('participant');
    await back.request('updatePolicy', { policy: { screenShare: 'everyone' } }); // the owner's change is stored
    expect(storedPolicy(meetingId)).toMatchObject({ screenShare: 'everyone', waitingRoom: true, chat: true });
    await back.request('remove', { participantId: julia.id, ban: false });
    await closeAll(back, ivan.client, julia.client);
  });
});

describe('resource caps', () => {
  it('signalling connections per account and per address', async () => {
    const opened: TestClient[] = [];
    for (let i = 0; i < 6; i++) opened.push(await connect('karl'));
    await expect(connect('karl')).rejects.toThrow(/HTTP 429 .*TOO_MANY/);
    await closeAll(...opened);
    await connect('karl').then((c) => c.close()); // room again once they are gone

    // Another machine: four accounts, three sockets each — under each account's cap, over the address's (10).
    const machine = ['hilda', 'ivan', 'julia', 'karl'].map((name) => {
      const h = new HttpClient(server.url, { localAddress: '127.0.6.1' });
      h.session = http[name]!.session;
      return h;
    });
    const crowd: TestClient[] = [];
    const refused: string[] = [];
    for (let i = 0; i < 12; i++) {
      await TestClient.connect(machine[i % 4]!).then(
        (c) => crowd.push(c),
        (e: Error) => refused.push(e.message),
      );
    }
    expect(crowd.length).toBe(10);
    expect(refused).toHaveLength(2);
    for (const message of refused) expect(message).toMatch(/HTTP 429 .*TOO_MANY.*per address/);
    await closeAll(...crowd);
  });

  it('places per person in one meeting, and meetings per account at once (before any router is made)', async () => {
    const { meetingId, host } = await hosted({ waitingRoom: false, joinBeforeHost: true });
    const places = [await admitted('karl', meetingId, host), await admitted('karl', meetingId, host), await admitted('karl', meetingId, host)];
    const fourth = await connect('karl');
    expect((await fourth.tryJoin(meetingId)).error?.code).toBe('TOO_MANY');
    // Karl is in one meeting; a second is fine, a third is not — and no router is made for it.
    const second = server.createMeeting('Segunda', { policy: { waitingRoom: false, joinBeforeHost: true } });
    const third = server.createMeeting('Tercera', { policy: { waitingRoom: false, joinBeforeHost: true } });
    expect((await fourth.join(second)).status).toBe('joined');
    const fifth = await connect('karl');
    const running = server.recinto.meetings.running;
    expect((await fifth.tryJoin(third)).error?.code).toBe('TOO_MANY');
    expect(server.recinto.meetings.running).toBe(running);
    await closeAll(host, fourth, fifth, ...places.map((p) => p.client));
  });

  it('one receiver per producer for a participant', async () => {
    const { meetingId, host } = await hosted({ waitingRoom: false, muteOnEntry: false });
    await host.request('announceE2eeKeys', { bundle: Buffer.alloc(96, 3).toString('base64') });
    const send = await host.request('createTransport', { direction: 'send' });
    const { producerId } = await host.request('produce', { transportId: send.id, kind: 'audio', source: 'microphone', rtpParameters: OPUS });
    const ivan = await admitted('ivan', meetingId, host);
    const recv = await ivan.client.request('createTransport', { direction: 'recv' });
    await ivan.client.request('consume', { transportId: recv.id, producerId, rtpCapabilities: RECV_CAPS });
    expect((await ivan.client.send('consume', { transportId: recv.id, producerId, rtpCapabilities: RECV_CAPS })).error?.code).toBe('TOO_MANY');
    await closeAll(host, ivan.client);
  });

  it('the waiting room reaches hosts as one change per arrival, not the whole list again', async () => {
    const { meetingId, host } = await hosted();
    const cohost = await admitted('julia', meetingId, host);
    await host.request('setRole', { participantId: cohost.id, role: 'cohost' });
    const arrivals: TestClient[] = [];
    const count = (name: string) => host.notifications.filter((n) => n.notification === name).length;
    const [added, removed] = [count('waitingAdded'), count('waitingRemoved')]; // Julia's, before

    for (let i = 0; i < 3; i++) {
      const c = await connect('ivan');
      await c.join(meetingId);
      arrivals.push(c);
    }
    await waitFor(() => host.waitingRoom().length === 3 && cohost.client.waitingRoom().length === 3);
    expect(count('waitingAdded') - added).toBe(3);
    expect(count('waitingRoomChanged')).toBe(1); // when she joined
    await arrivals[1]!.close();
    await waitFor(() => host.waitingRoom().length === 2);
    expect(count('waitingRemoved') - removed).toBe(1);
    await closeAll(host, cohost.client, ...arrivals);
  });
});

describe('a host mute that lands while the microphone is being created', () => {
  it('holds at the SFU', async () => {
    const { meetingId, host } = await hosted({ waitingRoom: false, muteOnEntry: false });
    for (let round = 0; round < 5; round++) {
      const ivan = await admitted('ivan', meetingId, host);
      await ivan.client.request('announceE2eeKeys', { bundle: Buffer.alloc(96, 3).toString('base64') });
      const send = await ivan.client.request('createTransport', { direction: 'send' });
      // Both at once: the mute reaches the server while the SFU creates the producer.
      const produced = ivan.client.send('produce', { transportId: send.id, kind: 'audio', source: 'microphone', rtpParameters: OPUS });
      const muted = host.request('mute', { participantId: ivan.id });
      const [reply] = await Promise.all([produced, muted]);
      expect(reply.ok).toBe(true);
      const producer = live(meetingId).get(ivan.id)!.media.producerFor('microphone')!;
      expect(producer.paused).toBe(true);
      expect((reply.result as { paused: boolean }).paused).toBe(true);
      await ivan.client.close();
      await waitFor(() => live(meetingId).size === 1);
    }
    await host.close();
  });
});
