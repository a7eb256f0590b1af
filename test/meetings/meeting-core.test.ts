/**
 * The meeting's rules as verbs of the meeting core, without a media worker: an in-memory SFU
 * behind the media port (test/helpers/fake-media.ts) shows what each rule does "at the SFU".
 * The same rules run against the real server and mediasoup in host-controls, person-rules and the
 * authorization matrix; here each one is checked in milliseconds, sequences included.
 */
import { describe, expect, it } from 'vitest';
import type { Meeting, MeetingMemory } from '../../server/meetings/meeting.ts';
import type { Participant } from '../../server/meetings/participant.ts';
import { noBans, refusal, start } from '../helpers/meeting-core.ts';

const OPUS = { codecs: [{ mimeType: 'audio/opus' }] };
const VP8 = { codecs: [{ mimeType: 'video/VP8' }] };
const BUNDLE = 'AAAA';

async function microphone(meeting: Meeting, p: Participant) {
  if (meeting.policy.e2ee && p.e2eeBundle === undefined) meeting.announceKeys(p, BUNDLE);
  return meeting.startProducing(p, { transportId: 't', kind: 'audio', source: 'microphone', rtpParameters: OPUS });
}

describe('entering', () => {
  it('the meeting’s own host enters directly, even locked; others wait, and are refused while locked or full', async () => {
    const { meeting, arrive } = start({ maxParticipants: 2 });
    const hilda = arrive('hilda', 'host');
    expect(hilda.entered.status).toBe('joined');
    meeting.setLocked(hilda.p, true);
    expect(arrive('hilda', 'host').entered.status).toBe('joined'); // a second device of hers
    expect(await refusal(() => arrive('ivan'))).toBe('MEETING_LOCKED');
    meeting.setLocked(hilda.p, false);
    expect(await refusal(() => arrive('ivan'))).toBe('MEETING_FULL');
  });

  it('a refused first arrival does not keep the meeting (and its SFU room) alive', async () => {
    const { meeting, room, arrive } = start({ maxParticipants: 2 });
    const hilda = arrive('hilda', 'host');
    meeting.setLocked(hilda.p, true);
    meeting.leave({ participant: hilda.p });
    expect(meeting.closed).toBe(true);
    expect(room.closed).toBe(true);
  });

  it('without a waiting room, staff who waited for a host come in with her; guests never without a host’s decision', () => {
    const { meeting, arrive } = start({ waitingRoom: false, joinBeforeHost: false });
    const guest = arrive('guest:1', 'guest');
    const ivan = arrive('ivan');
    expect(guest.entered).toMatchObject({ status: 'waiting', entry: { reason: 'waiting-room' } });
    expect(ivan.entered).toMatchObject({ status: 'waiting', entry: { reason: 'no-host' } });
    const hilda = arrive('hilda', 'host');
    expect(ivan.link.names()).toContain('admitted');
    expect(guest.link.names()).not.toContain('admitted');
    meeting.applyPolicy(hilda.p, { chat: true }, () => {});
    meeting.applyPolicy(hilda.p, { waitingRoom: false }, () => {});
    expect(meeting.waiting().map((w) => w.identity.accountId)).toEqual(['guest:1']);
  });

  it('hosts see the waiting room once in full, then one change per arrival or departure; nobody else sees it', () => {
    const { meeting, arrive } = start();
    const hilda = arrive('hilda', 'host');
    const first = arrive('ivan');
    const julia = arrive('julia');
    meeting.admit(hilda.p, julia.entered.status === 'waiting' ? julia.entered.entry.id : '', noBans);
    const karl = arrive('karl');
    expect(hilda.link.names().filter((n) => n.startsWith('waiting'))).toEqual([
      'waitingRoomChanged',
      'waitingAdded',
      'waitingAdded',
      'waitingRemoved',
      'waitingAdded',
    ]);
    expect(julia.link.names().filter((n) => n.startsWith('waiting'))).toEqual([]);
    meeting.setRole(hilda.p, julia.p.id, 'cohost');
    expect(julia.link.notes.find((n) => n.name === 'waitingRoomChanged')?.params).toMatchObject({
      waiting: [{ displayName: 'ivan' }, { displayName: 'karl' }],
    });
    expect(first.entered.status).toBe('waiting');
    expect(karl.entered.status).toBe('waiting');
  });
});

describe('removal and bans act on the person', () => {
  it('every connection inside and waiting goes; back, they show as removed before and "admit all" passes them over', () => {
    const { meeting, arrive } = start({ waitingRoom: false, joinBeforeHost: true });
    const hilda = arrive('hilda', 'host');
    const a = arrive('ivan');
    const b = arrive('ivan');
    meeting.setLocked(hilda.p, false);
    const { removed } = meeting.removePerson(hilda.p, a.p.id, false);
    expect(removed).toHaveLength(2);
    expect(a.link.gone && b.link.gone).toBe(true);
    expect(b.link.names()).toContain('removed');
    meeting.applyPolicy(hilda.p, { waitingRoom: true }, () => {});
    const back = arrive('ivan');
    const other = arrive('karl');
    expect(back.entered).toMatchObject({ status: 'waiting', entry: { previouslyRemoved: true } });
    expect(meeting.admitAll(hilda.p, noBans)).toBe(1);
    expect(other.link.names()).toContain('admitted');
    expect(back.link.names()).not.toContain('admitted');
  });

  it('a banned person is never admitted, one by one or all at once', async () => {
    const { meeting, arrive } = start();
    const hilda = arrive('hilda', 'host');
    const w = arrive('ivan');
    const banned = (accountId: string) => accountId === 'ivan';
    const waitingId = w.entered.status === 'waiting' ? w.entered.entry.id : '';
    expect(await refusal(() => meeting.admit(hilda.p, waitingId, banned))).toBe('BANNED');
    expect(meeting.admitAll(hilda.p, banned)).toBe(0);
  });
});

describe('ranks', () => {
  it('a host who drops out takes the meeting back: the heir is outranked, and the heir’s changes do not reach the stored meeting', async () => {
    const { meeting, arrive } = start({ waitingRoom: false, joinBeforeHost: true });
    const hilda = arrive('hilda', 'host');
    const ivan = arrive('ivan');
    const guest = arrive('guest:1', 'guest');
    meeting.admitAll(hilda.p, noBans);
    meeting.leave({ participant: hilda.p });
    expect(ivan.p.role).toBe('host'); // the longest-present staff member, never the guest
    expect(guest.link.participant?.role).toBe('participant');
    const saved: unknown[] = [];
    expect(meeting.applyPolicy(ivan.p, { cameraAllowed: false }, (patch) => saved.push(patch)).stored).toBe(false);
    expect(saved).toEqual([]);
    const back = arrive('hilda', 'host');
    expect(await refusal(() => meeting.hardMute(ivan.p, back.p.id))).toBe('FORBIDDEN');
    meeting.setRole(back.p, ivan.p.id, 'participant');
    expect(ivan.p.role).toBe('participant');
    expect(meeting.applyPolicy(back.p, { chat: false }, (patch) => saved.push(patch)).stored).toBe(true);
    expect(saved).toEqual([{ chat: false }]);
  });

  const VERBS: Record<string, (m: Meeting, actor: Participant, victim: Participant, waitingId: string) => unknown> = {
    hardMute: (m, a, v) => m.hardMute(a, v.id),
    muteAll: (m, a) => m.muteAll(a),
    askToUnmute: (m, a, v) => m.askToUnmute(a, v.id),
    setCameraAllowed: (m, a, v) => m.setCameraAllowed(a, v.id, false),
    setScreenShareAllowed: (m, a, v) => m.setScreenShareAllowed(a, v.id, false),
    removePerson: (m, a, v) => m.removePerson(a, v.id, false),
    setRole: (m, a, v) => m.setRole(a, v.id, 'cohost'),
    setLocked: (m, a) => m.setLocked(a, true),
    applyPolicy: (m, a) => m.applyPolicy(a, { chat: false }, () => {}),
    admit: (m, a, _v, w) => m.admit(a, w, noBans),
    admitAll: (m, a) => m.admitAll(a, noBans),
    deny: (m, a, _v, w) => m.deny(a, w),
    end: (m, a) => m.end(a),
  };
  const EXPECTED: Record<'host' | 'cohost' | 'participant' | 'guest', (verb: string) => string> = {
    host: () => 'allowed',
    cohost: (verb) => (verb === 'setRole' || verb === 'end' ? 'FORBIDDEN' : 'allowed'),
    participant: () => 'FORBIDDEN',
    guest: () => 'FORBIDDEN',
  };

  for (const role of ['host', 'cohost', 'participant', 'guest'] as const) {
    it(`authorization at the core: what a ${role} may do to a participant`, async () => {
      for (const [verb, act] of Object.entries(VERBS)) {
        const { meeting, arrive } = start({ waitingRoom: true });
        const hilda = arrive('hilda', 'host');
        const victim = arrive('victima');
        meeting.admitAll(hilda.p, noBans);
        const actor = role === 'host' ? hilda : arrive(role === 'guest' ? 'guest:1' : 'actor', role === 'guest' ? 'guest' : 'staff');
        if (role !== 'host') meeting.admitAll(hilda.p, noBans);
        if (role === 'cohost') meeting.setRole(hilda.p, actor.p.id, 'cohost');
        const w = arrive('esperando');
        const waitingId = w.entered.status === 'waiting' ? w.entered.entry.id : '';
        expect(await refusal(() => act(meeting, actor.p, victim.p, waitingId)), `${role} ${verb}`).toBe(EXPECTED[role](verb));
      }
    });
  }
});

describe('media rules at the SFU', () => {
  it('a hard mute pauses the microphone and holds; only a host’s request lifts the hold, never a remote unmute', async () => {
    const { meeting, arrive, media } = start({ waitingRoom: false, joinBeforeHost: true, muteOnEntry: false });
    const hilda = arrive('hilda', 'host');
    const ivan = arrive('ivan');
    const { producerId, paused } = await microphone(meeting, ivan.p);
    expect(paused).toBe(false);
    await meeting.hardMute(hilda.p, ivan.p.id);
    expect(media(ivan.p).producer(producerId).paused).toBe(true);
    expect(await refusal(() => meeting.resumeProducing(ivan.p, producerId))).toBe('HOST_MUTED');
    meeting.askToUnmute(hilda.p, ivan.p.id);
    expect(media(ivan.p).producer(producerId).paused).toBe(true);
    await meeting.resumeProducing(ivan.p, producerId);
    expect(media(ivan.p).producer(producerId).paused).toBe(false);
  });

  it('a host mute that lands while the SFU creates the microphone holds', async () => {
    const { meeting, arrive, media } = start({ waitingRoom: false, joinBeforeHost: true, muteOnEntry: false });
    const hilda = arrive('hilda', 'host');
    const ivan = arrive('ivan');
    meeting.announceKeys(ivan.p, BUNDLE);
    let release!: () => void;
    media(ivan.p).hold = new Promise((resolve) => (release = resolve));
    const producing = microphone(meeting, ivan.p);
    await meeting.hardMute(hilda.p, ivan.p.id);
    release();
    const { producerId, paused } = await producing;
    expect(paused).toBe(true);
    expect(media(ivan.p).producer(producerId).paused).toBe(true);
  });

  it('mute on entry: the first microphone of a participant starts paused, a host’s never, and only once', async () => {
    const { meeting, arrive } = start({ waitingRoom: false, joinBeforeHost: true, muteOnEntry: true });
    const hilda = arrive('hilda', 'host');
    const ivan = arrive('ivan');
    expect((await microphone(meeting, hilda.p)).paused).toBe(false);
    const first = await microphone(meeting, ivan.p);
    expect(first.paused).toBe(true);
    meeting.stopProducing(ivan.p, first.producerId);
    expect((await microphone(meeting, ivan.p)).paused).toBe(false);
  });

  it('a forbidden camera is closed at the SFU and cannot start; allowing it starts nothing', async () => {
    const { meeting, arrive, media } = start({ waitingRoom: false, joinBeforeHost: true });
    const hilda = arrive('hilda', 'host');
    const ivan = arrive('ivan');
    meeting.announceKeys(ivan.p, BUNDLE);
    const camera = () => meeting.startProducing(ivan.p, { transportId: 't', kind: 'video', source: 'camera', rtpParameters: VP8 });
    const { producerId } = await camera();
    meeting.setCameraAllowed(hilda.p, ivan.p.id, false);
    expect(media(ivan.p).producers.has(producerId)).toBe(false);
    expect(hilda.link.notes).toContainEqual({ name: 'producerClosed', params: { participantId: ivan.p.id, producerId } });
    expect(await refusal(camera)).toBe('CAMERA_NOT_ALLOWED');
    meeting.setCameraAllowed(hilda.p, ivan.p.id, true);
    expect(media(ivan.p).producerFor('camera')).toBeUndefined();
  });

  it('a policy without cameras closes the participants’ cameras at once, not the hosts’', async () => {
    const { meeting, arrive, media } = start({ waitingRoom: false, joinBeforeHost: true });
    const hilda = arrive('hilda', 'host');
    const ivan = arrive('ivan');
    for (const p of [hilda.p, ivan.p]) {
      meeting.announceKeys(p, BUNDLE);
      await meeting.startProducing(p, { transportId: 't', kind: 'video', source: 'camera', rtpParameters: VP8 });
    }
    meeting.applyPolicy(hilda.p, { cameraAllowed: false }, () => {});
    expect(media(ivan.p).producerFor('camera')).toBeUndefined();
    expect(media(hilda.p).producerFor('camera')).toBeDefined();
  });

  it('in an encrypted meeting: keys before media, Opus and VP8 only, keys announced once, chat sealed only', async () => {
    const { meeting, arrive } = start({ waitingRoom: false, joinBeforeHost: true, e2ee: true });
    const ivan = arrive('ivan');
    const produce = (codecs: { mimeType: string }[]) =>
      meeting.startProducing(ivan.p, { transportId: 't', kind: 'audio', source: 'microphone', rtpParameters: { codecs } });
    expect(await refusal(() => produce(OPUS.codecs))).toBe('E2EE_KEYS_REQUIRED');
    meeting.announceKeys(ivan.p, BUNDLE);
    expect(await refusal(() => meeting.announceKeys(ivan.p, BUNDLE))).toBe('E2EE_KEYS_ALREADY_ANNOUNCED');
    expect(await refusal(() => produce([{ mimeType: 'audio/PCMU' }]))).toBe('E2EE_CODEC');
    expect(await refusal(() => meeting.sendChat(ivan.p, undefined, { text: 'hola' }))).toBe('E2EE_REQUIRED');
    expect(typeof meeting.sendChat(ivan.p, undefined, { sealed: BUNDLE })).toBe('string');
  });

  it('one receives only other participants’ producers of this meeting, each once', async () => {
    const { meeting, arrive } = start({ waitingRoom: false, joinBeforeHost: true });
    arrive('hilda', 'host');
    const ivan = arrive('ivan');
    const julia = arrive('julia');
    const { producerId } = await microphone(meeting, ivan.p);
    expect(await refusal(() => meeting.receive(ivan.p, 't', producerId, {}))).toBe('NOT_FOUND');
    expect(await meeting.receive(julia.p, 't', producerId, {})).toMatchObject({ producerId, participantId: ivan.p.id, source: 'microphone' });
    expect(await refusal(() => meeting.receive(julia.p, 't', producerId, {}))).toBe('TOO_MANY');
  });
});

describe('who speaks, and what each page shows', () => {
  it('the dominant speaker is told to everyone inside, once per change, never to anyone waiting', async () => {
    const { meeting, room, arrive } = start({ waitingRoom: true, joinBeforeHost: true, muteOnEntry: false });
    const hilda = arrive('hilda', 'host');
    const ivan = arrive('ivan');
    meeting.admit(hilda.p, ivan.entered.status === 'waiting' ? ivan.entered.entry.id : '', noBans);
    const waiting = arrive('wanda');
    expect(waiting.entered.status).toBe('waiting');
    const { producerId } = await microphone(meeting, ivan.p);
    const speakerNotes = (link: typeof hilda.link) => link.notes.filter((n) => n.name === 'dominantSpeaker').map((n) => n.params);
    room.speaks(producerId);
    room.speaks(producerId);
    expect(speakerNotes(hilda.link)).toEqual([{ participantId: ivan.p.id }]);
    expect(speakerNotes(ivan.link)).toEqual([{ participantId: ivan.p.id }]);
    expect(speakerNotes(waiting.link)).toEqual([]);
    expect(meeting.dominantSpeaker).toBe(ivan.p.id);
    // A producer the meeting does not know (or no longer has) names nobody.
    room.speaks('00000000-0000-4000-8000-000000000000');
    expect(speakerNotes(hilda.link)).toHaveLength(1);
  });

  it('tile views reach only the caller’s own consumers', async () => {
    const { meeting, arrive, media } = start({ waitingRoom: false, joinBeforeHost: true });
    arrive('hilda', 'host');
    const ivan = arrive('ivan');
    const julia = arrive('julia');
    const { producerId } = await microphone(meeting, ivan.p);
    const { consumerId } = await meeting.receive(julia.p, 't', producerId, {});
    expect(await meeting.showTiles(ivan.p, [{ consumerId, visible: false, height: 0 }])).toBe(0);
    expect(media(ivan.p).tileViews.size).toBe(0);
    expect(await meeting.showTiles(julia.p, [{ consumerId, visible: false, height: 90 }])).toBe(1);
    expect(media(julia.p).tileViews.get(consumerId)).toEqual({ visible: false, height: 90 });
  });
});

describe('a media failure', () => {
  it('tells everyone to reconnect; the meeting remembers who was in, co-hosts, the lock and the live policy', async () => {
    const { meeting, room, arrive } = start({ waitingRoom: true });
    const hilda = arrive('hilda', 'host');
    const ivan = arrive('ivan');
    meeting.admitAll(hilda.p, noBans);
    meeting.setRole(hilda.p, ivan.p.id, 'cohost');
    meeting.setLocked(hilda.p, true);
    meeting.applyPolicy(ivan.p, { chat: false }, () => {});
    let memory: MeetingMemory | undefined;
    meeting.once('closed', (_reason, m) => (memory = m));
    room.fail();
    expect(ivan.link.notes.at(-1)).toEqual({ name: 'reconnect', params: { reason: 'media-worker-died' } });
    expect(ivan.link.gone).toBe(true);
    const again = start({ waitingRoom: true }, memory);
    expect(again.meeting.locked).toBe(true);
    expect(again.meeting.policy.chat).toBe(false);
    const back = again.arrive('ivan'); // he was inside: back without waiting, lock or not, as co-host
    expect(back.entered.status).toBe('joined');
    expect(back.p.role).toBe('cohost');
    expect(again.arrive('hilda', 'host').p.role).toBe('host');
    expect(await refusal(() => again.arrive('newcomer'))).toBe('MEETING_LOCKED');
    expect(await refusal(() => again.arrive('ivan'))).toBe('MEETING_LOCKED'); // only once
  });
});
