import { describe, expect, it } from 'vitest';
import { meetingSecurityCode } from '../../client/e2ee/security-code.ts';

const bundle = (fill: number, length = 1666): Uint8Array => new Uint8Array(length).fill(fill);
const bundles = [bundle(1), bundle(2), bundle(3)];
const meetingId = 'abcd-efgh-jkmn-pqrt';

describe('meeting security code', () => {
  it('is 5 groups of 5 digits', async () => {
    expect(await meetingSecurityCode(meetingId, bundles)).toMatch(/^\d{5}( \d{5}){4}$/);
  });

  it('is the same for every participant whatever order they list the bundles in', async () => {
    const code = await meetingSecurityCode(meetingId, bundles);
    expect(await meetingSecurityCode(meetingId, [bundles[2]!, bundles[0]!, bundles[1]!])).toBe(code);
    expect(await meetingSecurityCode(meetingId, [bundles[1]!, bundles[2]!, bundles[0]!])).toBe(code);
    const [short, long] = [Uint8Array.of(1), Uint8Array.of(1, 2)]; // one a prefix of the other
    expect(await meetingSecurityCode(meetingId, [short, long])).toBe(await meetingSecurityCode(meetingId, [long, short]));
  });

  it('changes when any single byte of any bundle changes', async () => {
    const code = await meetingSecurityCode(meetingId, bundles);
    for (let which = 0; which < bundles.length; which++) {
      for (const offset of [0, 800, 1665]) {
        const changed = bundles.map((b) => b.slice());
        changed[which]![offset]! ^= 0x80;
        expect(await meetingSecurityCode(meetingId, changed), `bundle ${which} byte ${offset}`).not.toBe(code);
      }
    }
  });

  it('changes when a participant is added or removed, and with the meeting id', async () => {
    const code = await meetingSecurityCode(meetingId, bundles);
    expect(await meetingSecurityCode(meetingId, [...bundles, bundle(4)])).not.toBe(code);
    expect(await meetingSecurityCode(meetingId, bundles.slice(1))).not.toBe(code);
    expect(await meetingSecurityCode('zzzz-efgh-jkmn-pqrt', bundles)).not.toBe(code);
  });

  it('length-prefixes each field, so moving bytes between neighbours changes the code', async () => {
    const splitLate = [Uint8Array.of(1), Uint8Array.of(2, 3)];
    const splitEarly = [Uint8Array.of(1, 2), Uint8Array.of(3)];
    expect(await meetingSecurityCode(meetingId, splitLate)).not.toBe(await meetingSecurityCode(meetingId, splitEarly));
    expect(await meetingSecurityCode('ab', [Uint8Array.of(1)])).not.toBe(await meetingSecurityCode('a', [Uint8Array.of(0x62, 1)]));
  });

  // Participants on different client versions compare codes, so the rendering must never drift.
  // Value cross-checked with an independent implementation (Python hashlib) of the same transcript.
  it('keeps a stable rendering (pinned known answer)', async () => {
    expect(await meetingSecurityCode(meetingId, bundles)).toBe('75196 33931 13222 25719 18329');
  });
});
