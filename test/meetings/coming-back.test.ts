/**
 * Coming back (worker-free, the meeting core): someone whose connection dropped without `leave`
 * comes straight back in for two minutes — past the waiting room and the lock — once; someone who
 * left, or was removed, waits (or is refused) like anyone else; what a meeting remembered across a
 * restart (the memory store's snapshot) lets the admitted in, co-hosts as co-hosts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { noBans, refusal, start } from '../helpers/meeting-core.ts';

afterEach(() => vi.useRealTimers());

describe('coming back', () => {
  it('a lost connection comes straight back in, once, for two minutes; a leave does not', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { meeting, arrive } = start({ waitingRoom: true });
    const hilda = arrive('hilda', 'host');
    const ivan = arrive('ivan');
    if (ivan.entered.status !== 'waiting') throw new Error('ivan should wait');
    meeting.admit(hilda.p, ivan.entered.entry.id, noBans);
    meeting.setLocked(hilda.p, true);

    meeting.connectionLost(ivan.link.participant!);
    expect(arrive('ivan').entered.status).toBe('joined');
    // Once: a second drop and a late return mean the waiting room (here: the lock) again.
    meeting.connectionLost(meeting.participants().find((p) => p.identity.accountId === 'ivan')!);
    vi.advanceTimersByTime(2 * 60_000 + 1);
    return refusal(() => arrive('ivan')).then((code) => expect(code).toBe('MEETING_LOCKED'));
  });

  it('leaving, or being removed, is not a lost connection', () => {
    const { meeting, arrive } = start({ waitingRoom: true });
    const hilda = arrive('hilda', 'host');
    const admit = (id: string) => {
      const a = arrive(id);
      if (a.entered.status !== 'waiting') throw new Error(`${id} should wait`);
      return meeting.admit(hilda.p, a.entered.entry.id, noBans);
    };
    const ivan = admit('ivan');
    const jana = admit('jana');
    meeting.leave({ participant: ivan });
    expect(arrive('ivan').entered.status).toBe('waiting');
    meeting.removePerson(hilda.p, jana.id, false);
    expect(arrive('jana').entered).toMatchObject({ status: 'waiting', entry: { previouslyRemoved: true } });
  });

  it('what the meeting remembered (a restart) lets the admitted in and keeps co-hosts and the lock', async () => {
    const { meeting, arrive } = start(
      { waitingRoom: true },
      {
        admitted: new Set(['ivan', 'cora']),
        cohosts: new Set(['cora']),
        enteredMuted: new Set(),
        removed: new Set(),
        locked: true,
        policy: { ...start().meeting.policy, waitingRoom: true },
      },
    );
    expect(arrive('ivan').entered.status).toBe('joined');
    expect(arrive('cora').p.role).toBe('cohost');
    expect(await refusal(() => arrive('dan'))).toBe('MEETING_LOCKED');
    expect(meeting.memory().locked).toBe(true);
  });
});
