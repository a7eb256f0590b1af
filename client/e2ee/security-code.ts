/**
 * Meeting security code: participants read it aloud or compare it on screen. It commits to the
 * meeting and to every participant's public key bundle, so a server that substituted anyone's keys
 * (to wrap sender keys for itself) would show different codes to different participants.
 */
import { compareBytes, concatBytes, lengthPrefixed, readBigEndian, utf8 } from './bytes.ts';

const GROUPS = 5;
const DIGITS_PER_GROUP = 5;
/** 5 digest bytes (40 bits) per group: reducing them mod 10^5 biases a group by < 10^-7. */
const BYTES_PER_GROUP = 5;

/**
 * SHA-512 over a version label, the meeting id and the bundles in byte order, each
 * length-prefixed so that no two different inputs serialize alike; rendered as 5 groups of 5
 * digits (about 83 bits), e.g. "01234 56789 01234 56789 01234". Every participant gets the same
 * code whatever order it learned the bundles in.
 */
export async function meetingSecurityCode(meetingId: string, publicBundles: readonly Uint8Array[]): Promise<string> {
  const canonicalBundles = [...publicBundles].sort(compareBytes).map(lengthPrefixed);
  const transcript = concatBytes(utf8('Recinto security code v1'), lengthPrefixed(utf8(meetingId)), ...canonicalBundles);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-512', transcript));
  const groups: string[] = [];
  for (let group = 0; group < GROUPS; group++) {
    const value = readBigEndian(digest, group * BYTES_PER_GROUP, BYTES_PER_GROUP) % 10n ** BigInt(DIGITS_PER_GROUP);
    groups.push(value.toString().padStart(DIGITS_PER_GROUP, '0'));
  }
  return groups.join(' ');
}
