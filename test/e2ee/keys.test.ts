import { hkdfSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  exportPublicBundle,
  generateBaseKey,
  generateParticipantKeyPairs,
  KeyWrapError,
  type KeyWrapErrorCode,
  type ParticipantKeyPairs,
  ratchet,
  unwrapKey,
  wrapKeyFor,
} from '../../client/e2ee/keys.ts';

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const context = { meetingId: 'abcd-efgh-jkmn-pqrt', senderId: 'alice', recipientId: 'bob' };

async function refusal(promise: Promise<unknown>): Promise<KeyWrapErrorCode | undefined> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof KeyWrapError) return err.code;
    throw err;
  }
  return undefined;
}

describe('key wrap (P-384 ECDH + ML-KEM-1024, HKDF-SHA-512, AES-256-GCM)', () => {
  let alice: ParticipantKeyPairs;
  let bob: ParticipantKeyPairs;
  let carol: ParticipantKeyPairs;
  let aliceBundle: Uint8Array;
  let bobBundle: Uint8Array;
  const baseKey = generateBaseKey();
  const grant = { ...context, kid: 0x1234n, epoch: 7, baseKey };

  beforeAll(async () => {
    alice = await generateParticipantKeyPairs();
    bob = await generateParticipantKeyPairs();
    carol = await generateParticipantKeyPairs();
    aliceBundle = await exportPublicBundle(alice);
    bobBundle = await exportPublicBundle(bob);
  });

  it('exports a fixed-size versioned bundle of both public keys', () => {
    expect(aliceBundle).toHaveLength(1 + 97 + 1568);
    expect(aliceBundle[0]).toBe(1);
    expect(aliceBundle[1]).toBe(0x04); // uncompressed P-384 point
    expect(toHex(aliceBundle.subarray(98))).toBe(toHex(alice.kem.publicKey));
  });

  it('round-trips a base key with its KID and epoch to the intended recipient', async () => {
    const blob = await wrapKeyFor(alice, bobBundle, grant);
    const opened = await unwrapKey(bob, aliceBundle, blob, { ...context, lastAcceptedEpoch: 6 });
    expect(opened.kid).toBe(0x1234n);
    expect(opened.epoch).toBe(7);
    expect(toHex(opened.baseKey)).toBe(toHex(baseKey));
  });

  it('refuses a blob with any region altered', async () => {
    const blob = await wrapKeyFor(alice, bobBundle, grant);
    const regions = { version: 0, kid: 5, epoch: 10, kemCiphertext: 800, sealedKey: blob.length - 30, tag: blob.length - 1 };
    for (const [region, offset] of Object.entries(regions)) {
      const altered = blob.slice();
      altered[offset]! ^= 0x01;
      const code = await refusal(unwrapKey(bob, aliceBundle, altered, context));
      expect(code, region).toBe(region === 'version' ? 'MALFORMED_BLOB' : 'UNWRAP_FAILED');
    }
    expect(await refusal(unwrapKey(bob, aliceBundle, blob.subarray(1), context))).toBe('MALFORMED_BLOB');
    const extended = new Uint8Array(blob.length + 1);
    extended.set(blob);
    expect(await refusal(unwrapKey(bob, aliceBundle, extended, context))).toBe('MALFORMED_BLOB');
  });

  it('refuses to open a blob with another participant’s keys', async () => {
    const blob = await wrapKeyFor(alice, bobBundle, grant);
    expect(await refusal(unwrapKey(carol, aliceBundle, blob, context))).toBe('UNWRAP_FAILED');
    expect(await refusal(unwrapKey(carol, aliceBundle, blob, { ...context, recipientId: 'carol' }))).toBe('UNWRAP_FAILED');
  });

  it('needs both the recipient’s ECDH and its ML-KEM secret: neither alone opens a blob', async () => {
    const blob = await wrapKeyFor(alice, bobBundle, grant);
    // Same public bundle as Bob (so the same salt), but one of the two secrets is Carol's.
    const wrongEcdhSecret = { ...bob, ecdh: { publicKey: bob.ecdh.publicKey, privateKey: carol.ecdh.privateKey } };
    const wrongKemSecret = { ...bob, kem: { publicKey: bob.kem.publicKey, secretKey: carol.kem.secretKey } };
    expect(await refusal(unwrapKey(wrongEcdhSecret, aliceBundle, blob, context))).toBe('UNWRAP_FAILED');
    expect(await refusal(unwrapKey(wrongKemSecret, aliceBundle, blob, context))).toBe('UNWRAP_FAILED');
  });

  it('authenticates the sender: a blob wrapped by someone else is refused under the sender’s bundle', async () => {
    const forged = await wrapKeyFor(carol, bobBundle, grant); // Carol (or the server) posing as Alice
    expect(await refusal(unwrapKey(bob, aliceBundle, forged, context))).toBe('UNWRAP_FAILED');
  });

  it('refuses a blob bound to another meeting, sender or recipient id', async () => {
    const blob = await wrapKeyFor(alice, bobBundle, grant);
    for (const other of [{ meetingId: 'zzzz-efgh-jkmn-pqrt' }, { senderId: 'mallory' }, { recipientId: 'bobby' }]) {
      expect(await refusal(unwrapKey(bob, aliceBundle, blob, { ...context, ...other })), JSON.stringify(other)).toBe('UNWRAP_FAILED');
    }
  });

  it('refuses a replayed or older epoch, accepts a newer one', async () => {
    const blob = await wrapKeyFor(alice, bobBundle, grant); // epoch 7
    expect(await refusal(unwrapKey(bob, aliceBundle, blob, { ...context, lastAcceptedEpoch: 7 }))).toBe('STALE_EPOCH');
    expect(await refusal(unwrapKey(bob, aliceBundle, blob, { ...context, lastAcceptedEpoch: 9 }))).toBe('STALE_EPOCH');
    expect(await refusal(unwrapKey(bob, aliceBundle, blob, { ...context, lastAcceptedEpoch: 6 }))).toBeUndefined();
    expect(await refusal(unwrapKey(bob, aliceBundle, blob, context))).toBeUndefined();
  });

  it('refuses malformed public bundles', async () => {
    const wrongSize = bobBundle.subarray(1);
    expect(await refusal(wrapKeyFor(alice, wrongSize, grant))).toBe('MALFORMED_BUNDLE');
    const offCurve = bobBundle.slice();
    offCurve[50]! ^= 0x01;
    expect(await refusal(wrapKeyFor(alice, offCurve, grant))).toBe('MALFORMED_BUNDLE');
    const badKem = bobBundle.slice();
    badKem.fill(0xff, 98); // coefficients ≥ q fail FIPS 203's encapsulation key check
    expect(await refusal(wrapKeyFor(alice, badKem, grant))).toBe('MALFORMED_BUNDLE');
    const blob = await wrapKeyFor(alice, bobBundle, grant);
    expect(await refusal(unwrapKey(bob, wrongSize, blob, context))).toBe('MALFORMED_BUNDLE');
  });

  it('refuses to wrap a base key that is not 256 bits, or an out-of-range KID or epoch', async () => {
    await expect(wrapKeyFor(alice, bobBundle, { ...grant, baseKey: new Uint8Array(16) })).rejects.toThrow(RangeError);
    await expect(wrapKeyFor(alice, bobBundle, { ...grant, kid: 1n << 64n })).rejects.toThrow(RangeError);
    await expect(wrapKeyFor(alice, bobBundle, { ...grant, epoch: 2 ** 32 })).rejects.toThrow(RangeError);
  });
});

describe('base keys and the join ratchet', () => {
  it('base keys are fresh random 256-bit values', () => {
    const a = generateBaseKey();
    expect(a).toHaveLength(32);
    expect(toHex(a)).not.toBe(toHex(generateBaseKey()));
  });

  it('ratchet is HKDF-SHA-512(baseKey, info "Recinto ratchet"), deterministic, and differs from its input', async () => {
    const baseKey = generateBaseKey();
    const next = await ratchet(baseKey);
    const expected = new Uint8Array(hkdfSync('sha512', baseKey, new Uint8Array(0), 'Recinto ratchet', 32));
    expect(toHex(next)).toBe(toHex(expected));
    expect(toHex(await ratchet(baseKey))).toBe(toHex(next));
    expect(toHex(next)).not.toBe(toHex(baseKey));
    expect(toHex(await ratchet(next))).not.toBe(toHex(next));
  });
});
