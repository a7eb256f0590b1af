/**
 * Signed announcements (client/e2ee/announcement.ts): a bundle verifies only for the meeting and
 * participant it was announced for, and any altered byte is refused.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createAnnouncement, openAnnouncement } from '../../client/e2ee/announcement.ts';
import { exportPublicBundle, generateParticipantKeyPairs, KeyWrapError, type ParticipantKeyPairs } from '../../client/e2ee/keys.ts';

const binding = { meetingId: 'abcd-efgh-jkmn-pqrs', participantId: '0b6f3c1e-2a4d-4c8e-9f10-1234567890ab' };

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KeyWrapError) return err.code;
    throw err;
  }
  return 'accepted';
}

describe('signed announcements', () => {
  let keys: ParticipantKeyPairs;
  let announcement: Uint8Array;
  beforeAll(async () => {
    keys = await generateParticipantKeyPairs();
    ({ announcement } = await createAnnouncement(keys, binding));
  });

  it('opens for its meeting and participant, giving the bundle the key wraps use', async () => {
    const opened = await openAnnouncement(announcement, binding);
    expect(Buffer.from(opened.bundle).equals(Buffer.from(await exportPublicBundle(keys)))).toBe(true);
    expect(opened.identity).toHaveLength(1 + 97 + 1568 + 97);
    expect(announcement).toHaveLength(1 + 97 + 1568 + 97 + 96);
  });

  it('is refused in another meeting or for another participant', async () => {
    expect(await refusal(openAnnouncement(announcement, { ...binding, meetingId: 'zzzz-efgh-jkmn-pqrs' }))).toBe('FOREIGN_ANNOUNCEMENT');
    expect(await refusal(openAnnouncement(announcement, { ...binding, participantId: '1b6f3c1e-2a4d-4c8e-9f10-1234567890ab' }))).toBe('FOREIGN_ANNOUNCEMENT');
  });

  it('refuses any altered region, and wrong sizes', async () => {
    for (const at of [0, 50, 500, 1700, announcement.length - 1]) {
      const altered = announcement.slice();
      altered[at]! ^= 0x01;
      expect(['FOREIGN_ANNOUNCEMENT', 'MALFORMED_BUNDLE']).toContain(await refusal(openAnnouncement(altered, binding)));
    }
    expect(await refusal(openAnnouncement(announcement.subarray(1), binding))).toBe('MALFORMED_BUNDLE');
    expect(await refusal(openAnnouncement(new Uint8Array(0), binding))).toBe('MALFORMED_BUNDLE');
  });
});
