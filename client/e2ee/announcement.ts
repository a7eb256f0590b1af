/**
 * What a participant announces to the meeting: its public bundle (keys.ts), an ECDSA P-384 public
 * key, and a signature binding both to this meeting and this participant id:
 *
 *     bundle ‖ ECDSA public key (97) ‖ ECDSA-SHA-384 signature (96, r ‖ s)
 *
 * A bundle relayed into another meeting, or under another participant id, does not verify and is
 * refused, so the server cannot pass off someone's genuine keys as a participant elsewhere. (A
 * participant the server invents with keys of its own still verifies: that is what the visible
 * participant list and the security code are for.)
 */
import { asBufferSource, concatBytes, lengthPrefixed, utf8, type Bytes } from './bytes.ts';
import { exportPublicBundle, KeyWrapError, type ParticipantKeyPairs } from './keys.ts';

/** Which meeting and participant an announcement is for. */
export type AnnouncementBinding = { meetingId: string; participantId: string };

export type OpenedAnnouncement = {
  /** What key wraps for this participant use (keys.ts). */
  bundle: Bytes;
  /** The bundle and the signing key: what the security code commits to. */
  identity: Bytes;
};

const BUNDLE_LENGTH = 1 + 97 + 1568;
const SIGNING_KEY_LENGTH = 97;
const SIGNATURE_LENGTH = 96;
const ANNOUNCEMENT_LENGTH = BUNDLE_LENGTH + SIGNING_KEY_LENGTH + SIGNATURE_LENGTH;
const ECDSA = { name: 'ECDSA', namedCurve: 'P-384' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-384' } as const;

export async function createAnnouncement(
  keys: ParticipantKeyPairs,
  binding: AnnouncementBinding,
): Promise<{ announcement: Bytes; opened: OpenedAnnouncement }> {
  const bundle = await exportPublicBundle(keys);
  const signingKey = new Uint8Array(await crypto.subtle.exportKey('raw', keys.signing.publicKey));
  const identity = concatBytes(bundle, signingKey);
  const signature = new Uint8Array(await crypto.subtle.sign(SIGN, keys.signing.privateKey, signedMessage(identity, binding)));
  return { announcement: concatBytes(identity, signature), opened: { bundle, identity } };
}

/** Verifies an announcement for `binding`; MALFORMED_BUNDLE or FOREIGN_ANNOUNCEMENT otherwise. */
export async function openAnnouncement(announcement: Uint8Array, binding: AnnouncementBinding): Promise<OpenedAnnouncement> {
  if (announcement.length !== ANNOUNCEMENT_LENGTH) throw new KeyWrapError('MALFORMED_BUNDLE', 'announcement has the wrong size');
  const identity = announcement.slice(0, BUNDLE_LENGTH + SIGNING_KEY_LENGTH);
  let signingKey: CryptoKey;
  try {
    signingKey = await crypto.subtle.importKey('raw', asBufferSource(identity.subarray(BUNDLE_LENGTH)), ECDSA, false, ['verify']);
  } catch {
    throw new KeyWrapError('MALFORMED_BUNDLE', 'announcement holds an invalid signing key');
  }
  const signature = announcement.subarray(BUNDLE_LENGTH + SIGNING_KEY_LENGTH);
  const valid = await crypto.subtle.verify(SIGN, signingKey, asBufferSource(signature), signedMessage(identity, binding));
  if (!valid) throw new KeyWrapError('FOREIGN_ANNOUNCEMENT', 'announcement is not for this meeting and participant');
  return { bundle: identity.slice(0, BUNDLE_LENGTH), identity };
}

function signedMessage(identity: Uint8Array, binding: AnnouncementBinding): Bytes {
  return concatBytes(utf8('Recinto announcement v1'), lengthPrefixed(utf8(binding.meetingId)), lengthPrefixed(utf8(binding.participantId)), identity);
}
