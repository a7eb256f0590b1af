/**
 * Who gets into a meeting, against the real server: the waiting room (no media and no participant
 * list until admitted), denial and locking, waiting for a host, rejoining without waiting again
 * after a media worker dies, and meeting-id guessing slowed to a crawl.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { meetingsOn } from '../helpers/ws-client.ts';

let server: TestServer;
let hostId: string;

beforeAll(async () => {
  server = await startTestServer({ signaling: { messagesPerSecond: 1000, burst: 1000 } }, { signIn: ['hilda', 'ivan', 'julia', 'guesser'] });
  hostId = server.recinto.auth.accounts.byUsername('hilda')!.id;
});
afterAll(() => server?.close());

/** Meetings hosted by Hilda: `hosted(policy)` has her inside; `admitted()` lets someone in past the waiting room. */
const { connect, hosted, admitted, live } = meetingsOn(() => server, 'hilda', 'Controles');

describe('waiting room', () => {
  it('holds everyone but hosts, with no media and no participant list, until admitted', async () => {
    const { meetingId, host } = await hosted();
    const ivan = await connect('ivan');
    const r = await ivan.join(meetingId);
    expect(r).toMatchObject({ status: 'waiting', reason: 'waiting-room' });
    expect(Object.keys(r)).not.toContain('meeting');
    expect((await ivan.send('createTransport', { direction: 'recv' })).error?.code).toBe('IN_WAITING_ROOM');
    expect((await ivan.send('sendChat', { text: 'hola' })).error?.code).toBe('IN_WAITING_ROOM');
    const lobby = await waitFor(() => (host.waitingRoom().length > 0 ? host.waitingRoom() : undefined));
    // Staff come with their username, so hosts can tell two people of one name apart.
    expect(lobby).toMatchObject([{ displayName: 'Ivan', guest: false, username: 'ivan', previouslyRemoved: false }]);

    await host.request('admit', { waitingId: r.status === 'waiting' ? r.waitingId : '' });
    const note = await ivan.waitForNotification('admitted');
    const view = note.meeting as { self: { role: string }; participants: { displayName: string; role: string }[] };
    expect(view.self.role).toBe('participant');
    expect(view.participants).toMatchObject([{ displayName: 'Hilda', role: 'host' }]);
    expect((await ivan.send('createTransport', { direction: 'recv' })).ok).toBe(true);
    await Promise.all([host.close(), ivan.close()]);
  });

  it('someone who left and comes back waits to be admitted again', async () => {
    const { meetingId, host } = await hosted();
    const ivan = await admitted('ivan', meetingId, host);
    await ivan.client.request('leave', {});
    expect((await ivan.client.join(meetingId)).status).toBe('waiting');
    await Promise.all([host.close(), ivan.client.close()]);
  });

  it('without a waiting room but without join-before-host, people wait until a host arrives', async () => {
    const meetingId = server.createMeeting('Sin sala', { ownerId: hostId, policy: { waitingRoom: false, joinBeforeHost: false } });
    const ivan = await connect('ivan');
    expect(await ivan.join(meetingId)).toMatchObject({ status: 'waiting', reason: 'no-host' });
    const host = await connect('hilda');
    await host.join(meetingId);
    await ivan.waitForNotification('admitted');
    expect(live(meetingId).size).toBe(2);
    await Promise.all([host.close(), ivan.close()]);
  });

  it('denies, and a locked meeting takes nobody new — but never locks out its host', async () => {
    const { meetingId, host } = await hosted();
    const ivan = await connect('ivan');
    const r = await ivan.join(meetingId);
    await host.request('deny', { waitingId: r.status === 'waiting' ? r.waitingId : '' });
    await ivan.waitForNotification('denied');
    expect((await ivan.send('leave', {})).error?.code).toBe('NOT_JOINED');

    await host.request('setLocked', { locked: true });
    expect((await ivan.tryJoin(meetingId)).error?.code).toBe('MEETING_LOCKED');
    const second = await connect('hilda'); // the host again, from another device
    expect((await second.join(meetingId)).status).toBe('joined');
    await Promise.all([host.close(), ivan.close(), second.close()]);
  });
});

describe('media failure', () => {
  it('after a media worker dies, admitted people rejoin without waiting again, co-hosts stay co-hosts', async () => {
    const { meetingId, host } = await hosted();
    const ivan = await admitted('ivan', meetingId, host);
    await host.request('setRole', { participantId: ivan.id, role: 'cohost' });
    const slot = server.recinto.pool.slots[0]!;
    const replaced = new Promise((resolve) => server.recinto.pool.once('workerReplaced', resolve));
    process.kill(slot.worker.pid, 'SIGKILL');
    await ivan.client.waitForNotification('reconnect');
    await replaced;
    const back = await ivan.client.join(meetingId);
    expect(back.status).toBe('joined');
    expect(back.status === 'joined' && back.meeting.self.role).toBe('cohost');
    // Someone who had never been admitted still waits.
    const julia = await connect('julia');
    expect((await julia.join(meetingId)).status).toBe('waiting');
    await Promise.all([host.close(), ivan.client.close(), julia.close()]);
  });
});

describe('guessing meeting ids', () => {
  it('slows an id-guessing loop to a crawl, whatever ids follow', async () => {
    const { meetingId, host } = await hosted();
    const guesser = await connect('guesser');
    const codes: string[] = [];
    for (let i = 0; i < 15; i++) codes.push((await guesser.tryJoin(`zzzz-zzzz-zzzz-${String(i).padStart(4, 'z')}`)).error!.code);
    expect(codes.slice(0, 10)).toEqual(Array(10).fill('MEETING_NOT_FOUND'));
    expect(codes.slice(10)).toEqual(Array(5).fill('RATE_LIMITED'));
    expect((await guesser.tryJoin(meetingId)).error?.code).toBe('RATE_LIMITED');
    await Promise.all([host.close(), guesser.close()]);
  });
});
