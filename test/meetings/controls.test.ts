/**
 * What each person is told they may do (`controls` in their views of others, `meetingControls` in
 * their own) is what the meeting's verbs allow them: checked against the verbs themselves, for
 * every pair among the ranks, so a rule changed on one side only fails here. Views are rebuilt
 * as a client holds them — the MeetingView of `join` or `admitted`, then every participantJoined,
 * participantUpdated and participantLeft — so the tailored broadcasts are checked too.
 * Worker-free, like meeting-core.test.ts.
 */
import type { Static } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import type { Meeting } from '../../server/meetings/meeting.ts';
import type { Participant } from '../../server/meetings/participant.ts';
import { compile } from '../../server/validation.ts';
import { MeetingControl, ParticipantInfo, PersonControl, type MeetingView } from '../../protocol/signaling.ts';
import { noBans, refusal, start, type Link } from '../helpers/meeting-core.ts';

type View = Static<typeof ParticipantInfo>;
type PersonControlName = Static<typeof PersonControl>;
type MeetingControlName = Static<typeof MeetingControl>;
const PERSON_CONTROLS = (PersonControl as unknown as { enum: PersonControlName[] }).enum;
const MEETING_CONTROLS = (MeetingControl as unknown as { enum: MeetingControlName[] }).enum;
const validView = compile(ParticipantInfo);

/** What a client holds after everything it was sent: itself and everyone else, as it was shown them. */
function held(link: Link): { self: View | undefined; others: Map<string, View> } {
  let self: View | undefined;
  const others = new Map<string, View>();
  const load = (view: Static<typeof MeetingView>) => {
    self = view.self;
    others.clear();
    for (const p of view.participants) others.set(p.id, p);
  };
  const see = (p: View) => {
    if (p.id === self?.id) self = p;
    else others.set(p.id, p);
  };
  link.notes.forEach((note, i) => {
    if (link.joined?.at === i) load(link.joined.view);
    const params = note.params as { meeting: Static<typeof MeetingView>; participant: View; participantId: string };
    if (note.name === 'admitted') load(params.meeting);
    if (note.name === 'participantJoined' || note.name === 'participantUpdated') see(params.participant);
    if (note.name === 'participantLeft') others.delete(params.participantId);
  });
  if (link.joined?.at === link.notes.length) load(link.joined.view);
  return { self, others };
}

const CAST = ['designated host', 'inherited host', 'cohost', 'staff participant', 'guest participant'] as const;
type Who = (typeof CAST)[number];

/**
 * A fresh meeting with one of each: Otto (a designated host) makes Carla co-host and hands the
 * host role to Ivan as he leaves (an inherited role); Hilda, the meeting's own host, comes in
 * after. Sam is staff, Gus a guest; Wendy waits.
 */
function cast() {
  const { meeting, arrive } = start({ waitingRoom: true });
  const otto = arrive('Otto', 'host');
  const ivan = arrive('Ivan');
  const carla = arrive('Carla');
  const sam = arrive('Sam');
  const gus = arrive('Gus', 'guest');
  meeting.admitAll(otto.p, noBans);
  meeting.setRole(otto.p, carla.p.id, 'cohost');
  meeting.leave({ participant: otto.p }, ivan.p.id);
  const hilda = arrive('Hilda', 'host');
  const wendy = arrive('Wendy');
  const people: Record<Who, { link: Link; p: Participant }> = {
    'designated host': hilda,
    'inherited host': ivan,
    cohost: carla,
    'staff participant': sam,
    'guest participant': gus,
  };
  expect(Object.values(people).map(({ p }) => [p.role, p.designatedHost])).toEqual([
    ['host', true],
    ['host', false],
    ['cohost', false],
    ['participant', false],
    ['participant', false],
  ]);
  const waitingId = wendy.entered.status === 'waiting' ? wendy.entered.entry.id : '';
  return { meeting, people, waitingId };
}

/** Each person control as its verb, acting on the target (`ban`: remove with a ban). */
const PERSON_VERBS: Record<PersonControlName, (m: Meeting, actor: Participant, target: Participant) => unknown> = {
  mute: (m, a, t) => m.hardMute(a, t.id),
  askToUnmute: (m, a, t) => m.askToUnmute(a, t.id),
  setCameraAllowed: (m, a, t) => m.setCameraAllowed(a, t.id, false),
  setScreenShareAllowed: (m, a, t) => m.setScreenShareAllowed(a, t.id, false),
  setRole: () => {
    throw new Error('tried role by role');
  },
  remove: (m, a, t) => m.removePerson(a, t.id, false),
  ban: (m, a, t) => m.removePerson(a, t.id, true),
};

/** Each meeting control as the verbs it covers: all of them must be allowed, or none. */
const MEETING_VERBS: Record<MeetingControlName, ((m: Meeting, actor: Participant, waitingId: string) => unknown)[]> = {
  admit: [(m, a, w) => m.admit(a, w, noBans), (m, a) => m.admitAll(a, noBans), (m, a, w) => m.deny(a, w)],
  muteAll: [(m, a) => m.muteAll(a)],
  setLocked: [(m, a) => m.setLocked(a, true)],
  updatePolicy: [(m, a) => m.applyPolicy(a, { chat: false }, () => {})],
  endMeeting: [(m, a) => m.end(a)],
};

/** Whether the verb is allowed, in a meeting of its own (verbs change it); anything but FORBIDDEN is a bug here. */
async function allowedIn(act: (m: Meeting, people: Record<Who, { p: Participant }>, waitingId: string) => unknown): Promise<boolean> {
  const { meeting, people, waitingId } = cast();
  const outcome = await refusal(() => act(meeting, people, waitingId));
  expect(['allowed', 'FORBIDDEN']).toContain(outcome);
  return outcome === 'allowed';
}

describe('what a person is shown is what the verbs allow', () => {
  it('controls on every other person, and on oneself, for every pair of ranks', async () => {
    const { people } = cast();
    const shown: string[] = [];
    const enforced: string[] = [];
    for (const actor of CAST) {
      const { self, others } = held(people[actor].link);
      for (const target of CAST) {
        const targetId = people[target].p.id;
        const view = actor === target ? self : others.get(targetId);
        expect(view, `${actor} holds a view of ${target}`).toBeDefined();
        for (const control of view!.controls) shown.push(`${actor} → ${target}: ${control}`);
        for (const control of PERSON_CONTROLS) {
          // setRole: allowed if some role other than the target's own may be given.
          const acts =
            control === 'setRole'
              ? (['cohost', 'participant'] as const)
                  .filter((role) => role !== people[target].p.role)
                  .map((role) => (m: Meeting, a: Participant, t: Participant) => m.setRole(a, t.id, role))
              : [PERSON_VERBS[control]];
          let allowed = false;
          for (const act of acts) if (await allowedIn((m, cast) => act(m, cast[actor].p, cast[target].p))) allowed = true;
          if (allowed) enforced.push(`${actor} → ${target}: ${control}`);
        }
      }
    }
    expect(shown).toEqual(enforced);
    // Not a trivial agreement: the rules give some pairs everything, and some nothing.
    expect(shown).toContain('designated host → inherited host: setRole');
    expect(shown).toContain('cohost → guest participant: ban');
    expect(shown).not.toContain('designated host → guest participant: setRole');
    expect(shown.filter((s) => s.startsWith('inherited host → designated host'))).toEqual([]);
  });

  it('the meeting’s own controls, for every rank', async () => {
    const { people } = cast();
    for (const actor of CAST) {
      const { self } = held(people[actor].link);
      const enforced: MeetingControlName[] = [];
      for (const control of MEETING_CONTROLS) {
        const outcomes = await Promise.all(MEETING_VERBS[control].map((act) => allowedIn((m, cast, w) => act(m, cast[actor].p, w))));
        expect(new Set(outcomes).size, `${actor} ${control}: its verbs agree`).toBe(1);
        if (outcomes[0]) enforced.push(control);
      }
      expect(self?.meetingControls, actor).toEqual(enforced);
    }
    expect(held(people.cohost.link).self?.meetingControls).toEqual(['admit', 'muteAll', 'setLocked', 'updatePolicy']);
    expect(held(people['guest participant'].link).self?.meetingControls).toEqual([]);
  });
});

describe('views are tailored to each recipient', () => {
  it('made co-host, Sam is sent the others with his new controls; each other sees him with their own', () => {
    const { meeting, people } = cast();
    const hilda = people['designated host'];
    const carla = people.cohost;
    const sam = people['staff participant'];
    const gus = people['guest participant'];
    const everyone = Object.values(people);
    for (const { link } of everyone) link.notes.length = 0;

    meeting.setRole(hilda.p, sam.p.id, 'cohost');

    const updates = (link: Link) => link.notes.filter((n) => n.name === 'participantUpdated').map((n) => (n.params as { participant: View }).participant);
    const ALL_BUT_ROLE = PERSON_CONTROLS.filter((c) => c !== 'setRole');
    // Sam: himself (new role, the meeting's controls), then each one whose controls changed for
    // him — the guest only (a co-host acts on no host and no other co-host).
    expect(updates(sam.link).map((v) => [v.id, v.controls])).toEqual([
      [sam.p.id, []],
      [gus.p.id, ALL_BUT_ROLE],
    ]);
    expect(updates(sam.link)[0]).toMatchObject({ role: 'cohost', meetingControls: ['admit', 'muteAll', 'setLocked', 'updatePolicy'] });
    // The others: one view of Sam each, with their own controls over him. Hosts (inherited too) may make him a participant again.
    expect(updates(hilda.link)).toMatchObject([{ id: sam.p.id, role: 'cohost', controls: PERSON_CONTROLS }]);
    expect(updates(people['inherited host'].link)).toMatchObject([{ id: sam.p.id, controls: PERSON_CONTROLS }]);
    expect(updates(carla.link)).toMatchObject([{ id: sam.p.id, controls: [] }]);
    expect(updates(gus.link)).toMatchObject([{ id: sam.p.id, controls: [] }]);
    for (const { link } of everyone) for (const v of updates(link)) expect(validView(v), JSON.stringify(v)).toBe(true);
  });

  it('after role changes and an inheritance, what each client holds is what it would be shown afresh', () => {
    const { meeting, people } = cast();
    const hilda = people['designated host'];
    const ivan = people['inherited host'];
    const same = () => {
      for (const [who, { link, p }] of Object.entries(people)) {
        if (!meeting.get(p.id)) continue;
        const fresh = meeting.viewFor(p);
        const { self, others } = held(link);
        expect(self, who).toEqual(fresh.self);
        expect(Object.fromEntries(others), who).toEqual(Object.fromEntries(fresh.participants.map((v) => [v.id, v])));
      }
    };
    same();
    meeting.setRole(hilda.p, people['staff participant'].p.id, 'cohost');
    same();
    meeting.setRole(hilda.p, ivan.p.id, 'participant');
    same();
    meeting.setRole(hilda.p, people.cohost.p.id, 'participant');
    same();
    // Hilda leaves, the last host: the longest-present staff member (Ivan) inherits, and is sent everyone anew.
    meeting.leave({ participant: hilda.p });
    expect(ivan.p.role).toBe('host');
    same();
    expect(held(ivan.link).others.get(people['guest participant'].p.id)?.controls).toContain('remove');
  });

  it('a guest is never offered setRole, nor offered as a co-host to anyone', () => {
    const { meeting, people } = cast();
    meeting.setRole(people['designated host'].p, people['staff participant'].p.id, 'cohost');
    const guestId = people['guest participant'].p.id;
    for (const [who, { link }] of Object.entries(people)) {
      const { self, others } = held(link);
      if (who === 'guest participant') {
        expect([...others.values()].flatMap((v) => v.controls)).toEqual([]);
        expect(self?.controls).toEqual([]);
      }
      expect(others.get(guestId)?.controls ?? [], who).not.toContain('setRole');
    }
    expect(held(people['designated host'].link).others.get(guestId)?.controls).toContain('ban');
  });
});

describe('meetingControls only in one’s own view', () => {
  it('present in self and in updates about oneself, absent from every view of someone else', async () => {
    const { meeting, people } = cast();
    meeting.setRole(people['designated host'].p, people['staff participant'].p.id, 'cohost');
    expect(await meeting.muteAll(people['designated host'].p)).toBe(3);
    for (const [who, { link, p }] of Object.entries(people)) {
      const view = meeting.viewFor(p);
      expect(view.self.meetingControls, who).toBeDefined();
      expect(view.self.controls, who).toEqual([]);
      for (const other of view.participants) expect(other, `${who}'s view of ${other.displayName}`).not.toHaveProperty('meetingControls');
      for (const note of link.notes) {
        if (note.name !== 'participantJoined' && note.name !== 'participantUpdated') continue;
        const shown = (note.params as { participant: View }).participant;
        expect(validView(shown)).toBe(true);
        if (shown.id === p.id) expect(shown.meetingControls, `${who} about themselves`).toBeDefined();
        else expect(shown, `${who} about ${shown.displayName}`).not.toHaveProperty('meetingControls');
      }
    }
  });
});
