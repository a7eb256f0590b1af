/** The client's request pacer on a simulated clock: bursts spread to the rate, RATE_LIMITED retried. */
import { describe, expect, it } from 'vitest';
import { SendPacer } from '../client/src/call/send-pacer.ts';

function clock() {
  let now = 0;
  return { now: () => now, sleep: async (ms: number) => void (now += ms) };
}

describe('send pacer', () => {
  it('lets a burst through at once, then spaces requests to the rate', async () => {
    const c = clock();
    const pacer = new SendPacer({ ratePerSecond: 20, burst: 40, ...c });
    const sentAt: number[] = [];
    for (let i = 0; i < 100; i++) await pacer.run(async () => void sentAt.push(c.now()));
    expect(sentAt.filter((t) => t === 0)).toHaveLength(40);
    // The other 60 at 20 per second: 3 s.
    expect(sentAt.at(-1)).toBeCloseTo(3_000, -1);
    // Never more than burst + rate × t within the first t ms.
    for (const t of [500, 1_000, 2_000]) expect(sentAt.filter((s) => s <= t).length).toBeLessThanOrEqual(40 + (20 * t) / 1000 + 1);
  });

  it('retries a request refused as RATE_LIMITED, and gives up after the retries', async () => {
    const c = clock();
    const pacer = new SendPacer({ ...c });
    let calls = 0;
    const flaky = async () => {
      calls++;
      if (calls < 3) throw Object.assign(new Error('slow down'), { code: 'RATE_LIMITED' });
      return 'ok';
    };
    expect(await pacer.run(flaky)).toBe('ok');
    expect(calls).toBe(3);
    const always = async () => {
      throw Object.assign(new Error('slow down'), { code: 'RATE_LIMITED' });
    };
    await expect(pacer.run(always, 2)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    const other = async () => {
      throw Object.assign(new Error('gone'), { code: 'NOT_FOUND' });
    };
    let otherCalls = 0;
    await expect(pacer.run(() => (otherCalls++, other()))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(otherCalls).toBe(1);
  });
});
