/**
 * E2EE key schedule. Each participant holds, for one meeting session, a P-384 ECDH key pair and an
 * ML-KEM-1024 key pair; each sender encrypts its media under its own random SFrame base key and
 * hands that key to every other participant wrapped for them alone. The server only relays the
 * public bundles and the wrapped blobs, which it can neither open nor forge — as long as the
 * participants' bundles are genuine, which comparing the meeting security code establishes.
 */
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { asBufferSource, bigEndian, concatBytes, isUint64, lengthPrefixed, randomBytes, readBigEndian, utf8, type Bytes } from './bytes.ts';

export type KeyWrapErrorCode = 'MALFORMED_BUNDLE' | 'MALFORMED_BLOB' | 'UNWRAP_FAILED' | 'STALE_EPOCH' | 'FOREIGN_ANNOUNCEMENT';

export class KeyWrapError extends Error {
  readonly code: KeyWrapErrorCode;

  constructor(code: KeyWrapErrorCode, message: string) {
    super(message);
    this.name = 'KeyWrapError';
    this.code = code;
  }
}

export type ParticipantKeyPairs = {
  /** The private key is non-extractable; WebCrypto always leaves the public key exportable. */
  ecdh: CryptoKeyPair;
  kem: { publicKey: Uint8Array; secretKey: Uint8Array };
  /** ECDSA P-384: signs the announcement of the bundle for one meeting and participant (announcement.ts). */
  signing: CryptoKeyPair;
};

/** Who a wrapped key is from and for; both sides know it from signalling, so it is not in the blob. */
export type KeyWrapContext = { meetingId: string; senderId: string; recipientId: string };

/** A sender's SFrame base key, its KID, and the epoch that orders the sender's successive keys. */
export type SenderKeyGrant = { kid: bigint; epoch: number; baseKey: Uint8Array };

const BASE_KEY_LENGTH = 32;
const BUNDLE_VERSION = 1;
const BLOB_VERSION = 1;
const P384_PUBLIC_KEY_LENGTH = 97; // uncompressed point: 0x04 ‖ X ‖ Y
const P384_SECRET_BITS = 384;
const KEM_PUBLIC_KEY_LENGTH = 1568;
const KEM_CIPHERTEXT_LENGTH = 1568;
const WRAP_KEY_LENGTH = 32;
const WRAP_NONCE_LENGTH = 12;
const GCM_TAG_LENGTH = 16;
const BUNDLE_LENGTH = 1 + P384_PUBLIC_KEY_LENGTH + KEM_PUBLIC_KEY_LENGTH;
/** version ‖ KID (u64) ‖ epoch (u32) ‖ ML-KEM ciphertext, then the sealed base key. */
const BLOB_HEADER_LENGTH = 1 + 8 + 4 + KEM_CIPHERTEXT_LENGTH;
export const WRAPPED_KEY_LENGTH = BLOB_HEADER_LENGTH + BASE_KEY_LENGTH + GCM_TAG_LENGTH;
const MAX_EPOCH = 0xffff_ffff;
const P384 = { name: 'ECDH', namedCurve: 'P-384' } as const;

export async function generateParticipantKeyPairs(): Promise<ParticipantKeyPairs> {
  const ecdh = await crypto.subtle.generateKey(P384, false, ['deriveBits']);
  const signing = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign', 'verify']);
  return { ecdh, kem: ml_kem1024.keygen(), signing };
}

/** version ‖ P-384 public point ‖ ML-KEM-1024 public key: fixed-size, relayed as is. */
export async function exportPublicBundle(keys: ParticipantKeyPairs): Promise<Bytes> {
  const ecdhPublicKey = new Uint8Array(await crypto.subtle.exportKey('raw', keys.ecdh.publicKey));
  return concatBytes(Uint8Array.of(BUNDLE_VERSION), ecdhPublicKey, keys.kem.publicKey);
}

export function generateBaseKey(): Bytes {
  return randomBytes(BASE_KEY_LENGTH);
}

/**
 * Next base key of the same sender, used when someone joins: the newcomer only receives the
 * ratcheted key, and HKDF being one-way it cannot recover the earlier one to read past frames.
 * Present members ratchet on their own, so a join costs no key distribution to them. The ratcheted
 * key needs a new KID (and epoch) so that receivers can tell which key a frame was sealed under.
 */
export async function ratchet(baseKey: Uint8Array): Promise<Bytes> {
  return hkdfSha512(baseKey, new Uint8Array(0), utf8('Recinto ratchet'), BASE_KEY_LENGTH);
}

/**
 * Wraps a sender's base key for one recipient. Both the sender's static P-384 key and a fresh
 * ML-KEM-1024 encapsulation to the recipient feed the wrapping key:
 *  - static-static ECDH authenticates the sender: only a holder of the sender's private key (or the
 *    recipient's) can produce a blob that opens, so the relaying server cannot inject keys;
 *  - ML-KEM keeps the wrapped key confidential against a future quantum computer
 *    ("harvest now, decrypt later"), and makes every wrapping key single-use.
 * Sender authentication is classical only (a forger would need to break P-384 during the meeting).
 * Key pairs live for one meeting session and are then discarded, which bounds what a later
 * compromise of a device can reveal.
 */
export async function wrapKeyFor(sender: ParticipantKeyPairs, recipientPublicBundle: Uint8Array, grant: KeyWrapContext & SenderKeyGrant): Promise<Bytes> {
  if (grant.baseKey.length !== BASE_KEY_LENGTH) throw new RangeError(`base key must be ${BASE_KEY_LENGTH} bytes`);
  if (!isUint64(grant.kid)) throw new RangeError('KID must be an unsigned 64-bit integer');
  if (!Number.isInteger(grant.epoch) || grant.epoch < 0 || grant.epoch > MAX_EPOCH) {
    throw new RangeError('epoch must be an unsigned 32-bit integer');
  }
  const recipientEcdhKey = await importBundleEcdhKey(recipientPublicBundle);
  let encapsulated: { cipherText: Uint8Array; sharedSecret: Uint8Array };
  try {
    encapsulated = ml_kem1024.encapsulate(recipientPublicBundle.subarray(1 + P384_PUBLIC_KEY_LENGTH));
  } catch {
    throw new KeyWrapError('MALFORMED_BUNDLE', 'recipient ML-KEM public key is invalid');
  }
  const blobHeader = concatBytes(Uint8Array.of(BLOB_VERSION), bigEndian(grant.kid, 8), bigEndian(BigInt(grant.epoch), 4), encapsulated.cipherText);
  const wrapping = await deriveWrappingKey({
    ecdhSecret: await ecdh(sender.ecdh.privateKey, recipientEcdhKey),
    kemSecret: encapsulated.sharedSecret,
    kemCiphertext: encapsulated.cipherText,
    senderPublicBundle: await exportPublicBundle(sender),
    recipientPublicBundle,
    blobHeader,
    binding: grant,
  });
  const sealed = await crypto.subtle.encrypt(wrapping.params, wrapping.key, asBufferSource(grant.baseKey));
  return concatBytes(blobHeader, new Uint8Array(sealed));
}

/**
 * Opens a blob from `senderPublicBundle`'s owner. Any alteration, a blob meant for someone else or
 * for another meeting/sender/recipient yields UNWRAP_FAILED; an authentic blob whose epoch is not
 * newer than `lastAcceptedEpoch` (the caller's record for that sender) yields STALE_EPOCH, so a
 * replayed old key cannot roll the sender back.
 */
export async function unwrapKey(
  recipient: ParticipantKeyPairs,
  senderPublicBundle: Uint8Array,
  blob: Uint8Array,
  expected: KeyWrapContext & { lastAcceptedEpoch?: number },
): Promise<SenderKeyGrant> {
  if (blob.length !== WRAPPED_KEY_LENGTH || blob[0] !== BLOB_VERSION) {
    throw new KeyWrapError('MALFORMED_BLOB', 'wrapped key blob has the wrong size or version');
  }
  const kid = readBigEndian(blob, 1, 8);
  const epoch = Number(readBigEndian(blob, 9, 4));
  const kemCiphertext = blob.subarray(BLOB_HEADER_LENGTH - KEM_CIPHERTEXT_LENGTH, BLOB_HEADER_LENGTH);
  const senderEcdhKey = await importBundleEcdhKey(senderPublicBundle);
  const wrapping = await deriveWrappingKey({
    ecdhSecret: await ecdh(recipient.ecdh.privateKey, senderEcdhKey),
    // Never fails on a well-sized ciphertext: a wrong one yields an unrelated secret (ML-KEM's
    // implicit rejection), which then fails the AES-GCM check below.
    kemSecret: ml_kem1024.decapsulate(kemCiphertext, recipient.kem.secretKey),
    kemCiphertext,
    senderPublicBundle,
    recipientPublicBundle: await exportPublicBundle(recipient),
    blobHeader: blob.subarray(0, BLOB_HEADER_LENGTH),
    binding: { ...expected, kid, epoch },
  });
  let baseKey: ArrayBuffer;
  try {
    baseKey = await crypto.subtle.decrypt(wrapping.params, wrapping.key, asBufferSource(blob.subarray(BLOB_HEADER_LENGTH)));
  } catch {
    throw new KeyWrapError('UNWRAP_FAILED', 'wrapped key does not authenticate for this sender, recipient and meeting');
  }
  if (expected.lastAcceptedEpoch !== undefined && epoch <= expected.lastAcceptedEpoch) {
    throw new KeyWrapError('STALE_EPOCH', `epoch ${epoch} is not newer than ${expected.lastAcceptedEpoch}`);
  }
  return { kid, epoch, baseKey: new Uint8Array(baseKey) };
}

/**
 * wrapping key ‖ nonce = HKDF-SHA-512(ikm = ecdhSecret ‖ kemSecret, salt = both bundles ‖ KEM
 * ciphertext, info = label ‖ context).
 *
 * Why this hybrid holds if either ECDH or ML-KEM holds: HKDF-Extract is HMAC over the whole ikm,
 * and HMAC (modelled as a random oracle / dual PRF, as hybrid-KEM combiners assume) yields output
 * indistinguishable from random as long as any part of its input is unknown and unpredictable.
 * An attacker who breaks one primitive learns one half of the ikm; the other half still has its
 * full entropy (both halves are fixed-length, so the split is unambiguous), so the wrapping key
 * stays secret. Putting the public keys and the KEM ciphertext in the salt binds the key to this exact
 * exchange, as hybrid combiners do (cf. X-Wing), so no part can be swapped between wraps.
 *
 * The same context is the AEAD's additional data, so the blob is refused whenever the
 * recipient's expectation differs from what the sender bound.
 */
async function deriveWrappingKey(input: {
  ecdhSecret: Uint8Array;
  kemSecret: Uint8Array;
  kemCiphertext: Uint8Array;
  senderPublicBundle: Uint8Array;
  recipientPublicBundle: Uint8Array;
  blobHeader: Uint8Array;
  binding: KeyWrapContext & { kid: bigint; epoch: number };
}): Promise<{ key: CryptoKey; params: AesGcmParams }> {
  const { binding } = input;
  const context = concatBytes(
    utf8('Recinto key wrap v1'),
    lengthPrefixed(utf8(binding.meetingId)),
    lengthPrefixed(utf8(binding.senderId)),
    lengthPrefixed(utf8(binding.recipientId)),
    bigEndian(binding.kid, 8),
    bigEndian(BigInt(binding.epoch), 4),
  );
  const salt = concatBytes(input.senderPublicBundle, input.recipientPublicBundle, input.kemCiphertext);
  const ikm = concatBytes(input.ecdhSecret, input.kemSecret);
  const okm = await hkdfSha512(ikm, salt, context, WRAP_KEY_LENGTH + WRAP_NONCE_LENGTH);
  const key = await crypto.subtle.importKey('raw', okm.subarray(0, WRAP_KEY_LENGTH), 'AES-GCM', false, ['encrypt', 'decrypt']);
  // Each wrapping key is used once (the KEM secret is fresh per wrap), so a derived nonce never repeats.
  const iv = okm.subarray(WRAP_KEY_LENGTH);
  return { key, params: { name: 'AES-GCM', iv, additionalData: concatBytes(input.blobHeader, context) } };
}

async function importBundleEcdhKey(bundle: Uint8Array): Promise<CryptoKey> {
  if (bundle.length !== BUNDLE_LENGTH || bundle[0] !== BUNDLE_VERSION) {
    throw new KeyWrapError('MALFORMED_BUNDLE', 'public bundle has the wrong size or version');
  }
  try {
    // Import validates that the point is on the curve, which rules out invalid-curve attacks.
    return await crypto.subtle.importKey('raw', asBufferSource(bundle.subarray(1, 1 + P384_PUBLIC_KEY_LENGTH)), P384, true, []);
  } catch {
    throw new KeyWrapError('MALFORMED_BUNDLE', 'public bundle holds an invalid P-384 point');
  }
}

async function ecdh(privateKey: CryptoKey, publicKey: CryptoKey): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'ECDH', public: publicKey }, privateKey, P384_SECRET_BITS));
}

async function hkdfSha512(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Bytes> {
  const key = await crypto.subtle.importKey('raw', asBufferSource(ikm), 'HKDF', false, ['deriveBits']);
  const params = { name: 'HKDF', hash: 'SHA-512', salt: asBufferSource(salt), info: asBufferSource(info) };
  return new Uint8Array(await crypto.subtle.deriveBits(params, key, length * 8));
}
