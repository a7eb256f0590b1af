import { describe, expect, it } from 'vitest';
import {
  AES_128_GCM_SHA256_128,
  AES_256_GCM_SHA512_128,
  type CipherSuiteId,
  decrypt,
  deriveKeyAndSalt,
  deriveKeyMaterial,
  encodeHeader,
  encrypt,
  frameNonce,
  ReplayWindow,
  type SFrameKey,
  SFrameError,
  type SFrameErrorCode,
} from '../../client/e2ee/sframe.ts';

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));

/** RFC 9605 Appendix C.5 vectors for the two AES-GCM suites (shared inputs, per-suite outputs). */
const COMMON = {
  kid: 0x123n,
  ctr: 0x4567n,
  baseKey: '000102030405060708090a0b0c0d0e0f',
  metadata: '4945544620534672616d65205747',
  aad: '99012345674945544620534672616d65205747',
  plaintext: '64726166742d696574662d736672616d652d656e63',
};
const SUITE_VECTORS: { suite: CipherSuiteId; key: string; salt: string; nonce: string; ciphertext: string }[] = [
  {
    suite: AES_128_GCM_SHA256_128,
    key: 'd34f547f4ca4f9a7447006fe7fcbf768',
    salt: '75234edefe07819026751816',
    nonce: '75234edefe07819026755d71',
    ciphertext: '9901234567b7412c2513a1b66dbb48841bbaf17f598751176ad847681a69c6d0b091c07018ce4adb34eb',
  },
  {
    suite: AES_256_GCM_SHA512_128,
    key: 'd3e27b0d4a5ae9e55df01a70e6d4d28d969b246e2936f4b7a5d9b494da6b9633',
    salt: '84991c167b8cd23c93708ec7',
    nonce: '84991c167b8cd23c9370cba0',
    ciphertext: '990123456794f509d36e9beacb0e261d99c7d1e972f1fed787d4049f17ca21353c1cc24d56ceabced279',
  },
];

async function refusal(promise: Promise<unknown>): Promise<SFrameErrorCode | undefined> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SFrameError) return err.code;
    throw err;
  }
  return undefined;
}

async function keyPair(kid = 3n): Promise<{ sender: SFrameKey; receiver: SFrameKey }> {
  const baseKey = crypto.getRandomValues(new Uint8Array(32));
  return {
    sender: await deriveKeyMaterial(AES_256_GCM_SHA512_128, kid, baseKey, 'encrypt'),
    receiver: await deriveKeyMaterial(AES_256_GCM_SHA512_128, kid, baseKey, 'decrypt'),
  };
}

describe('SFrame encryption (RFC 9605 §4.4)', () => {
  for (const vector of SUITE_VECTORS) {
    describe(`suite 0x000${vector.suite} matches the RFC vector`, () => {
      it('derives sframe_key and sframe_salt', async () => {
        const { key, salt } = await deriveKeyAndSalt(vector.suite, COMMON.kid, fromHex(COMMON.baseKey));
        expect(toHex(key)).toBe(vector.key);
        expect(toHex(salt)).toBe(vector.salt);
      });

      it('forms the nonce and the AAD', () => {
        expect(toHex(frameNonce(fromHex(vector.salt), COMMON.ctr))).toBe(vector.nonce);
        expect(toHex(encodeHeader(COMMON.kid, COMMON.ctr)) + COMMON.metadata).toBe(COMMON.aad);
      });

      it('encrypts to the RFC ciphertext and decrypts it back', async () => {
        const baseKey = fromHex(COMMON.baseKey);
        const sender = await deriveKeyMaterial(vector.suite, COMMON.kid, baseKey, 'encrypt');
        const receiver = await deriveKeyMaterial(vector.suite, COMMON.kid, baseKey, 'decrypt');
        const metadata = fromHex(COMMON.metadata);
        const frame = await encrypt({ key: sender, ctr: COMMON.ctr, metadata, plaintext: fromHex(COMMON.plaintext) });
        expect(toHex(frame)).toBe(vector.ciphertext);

        const opened = await decrypt({ keys: () => receiver, metadata, frame: fromHex(vector.ciphertext) });
        expect(opened.kid).toBe(COMMON.kid);
        expect(opened.ctr).toBe(COMMON.ctr);
        expect(toHex(opened.plaintext)).toBe(COMMON.plaintext);
      });
    });
  }

  it('costs at most 20 bytes per frame with suite 0x0005 and small KID/CTR', async () => {
    const { sender } = await keyPair(5n);
    const plaintext = new Uint8Array(1000);
    for (const ctr of [0n, 7n, 200n, 65_535n]) {
      const frame = await encrypt({ key: sender, ctr, plaintext });
      expect(frame.length - plaintext.length, `CTR ${ctr}`).toBeLessThanOrEqual(20);
    }
  });

  it('refuses a frame with any single bit altered, in header, ciphertext or tag', async () => {
    const { sender, receiver } = await keyPair(9n);
    const frame = await encrypt({ key: sender, ctr: 300n, plaintext: new Uint8Array([1, 2, 3, 4]) });
    const keys = (kid: bigint) => (kid === 9n ? receiver : undefined);
    for (let i = 0; i < frame.length; i++) {
      const altered = frame.slice();
      altered[i]! ^= 0x01;
      const code = await refusal(decrypt({ keys, frame: altered }));
      // A header bit flip can change the KID, make the header malformed, or just alter the AAD.
      expect(['AUTH_FAILED', 'UNKNOWN_KID', 'MALFORMED_HEADER'], `byte ${i}`).toContain(code);
    }
  });

  it('refuses a frame whose metadata differs from what the sender authenticated', async () => {
    const { sender, receiver } = await keyPair();
    const frame = await encrypt({ key: sender, ctr: 1n, metadata: Uint8Array.of(1), plaintext: Uint8Array.of(42) });
    expect(await refusal(decrypt({ keys: () => receiver, metadata: Uint8Array.of(2), frame }))).toBe('AUTH_FAILED');
    expect(await refusal(decrypt({ keys: () => receiver, frame }))).toBe('AUTH_FAILED');
  });

  it('refuses a frame under another key, and a frame too short to hold a tag, as AUTH_FAILED', async () => {
    const { sender } = await keyPair(4n);
    const { receiver: otherReceiver } = await keyPair(4n);
    const frame = await encrypt({ key: sender, ctr: 1n, plaintext: Uint8Array.of(42) });
    expect(await refusal(decrypt({ keys: () => otherReceiver, frame }))).toBe('AUTH_FAILED');
    expect(await refusal(decrypt({ keys: () => otherReceiver, frame: frame.subarray(0, 10) }))).toBe('AUTH_FAILED');
  });

  it('refuses a frame whose KID has no key as UNKNOWN_KID', async () => {
    const { sender, receiver } = await keyPair(6n);
    const frame = await encrypt({ key: sender, ctr: 1n, plaintext: Uint8Array.of(42) });
    const keys = (kid: bigint) => (kid === 7n ? receiver : undefined);
    expect(await refusal(decrypt({ keys, frame }))).toBe('UNKNOWN_KID');
  });

  it('refuses garbage as MALFORMED_HEADER or AUTH_FAILED and never throws anything else', async () => {
    const { receiver } = await keyPair();
    for (let i = 0; i < 300; i++) {
      const frame = crypto.getRandomValues(new Uint8Array(i % 40));
      const code = await refusal(decrypt({ keys: () => receiver, frame }));
      expect(['MALFORMED_HEADER', 'AUTH_FAILED']).toContain(code);
    }
  });

  it('keeps encryption and decryption keys apart (RFC 9605 §4.4.1)', async () => {
    const { sender, receiver } = await keyPair();
    await expect(encrypt({ key: receiver, ctr: 1n, plaintext: Uint8Array.of(1) })).rejects.toThrow(TypeError);
    const frame = await encrypt({ key: sender, ctr: 1n, plaintext: Uint8Array.of(1) });
    await expect(decrypt({ keys: () => sender, frame })).rejects.toThrow(TypeError);
  });

  it('with a replay window, refuses the same authentic frame twice as DUPLICATE', async () => {
    const { sender, receiver } = await keyPair();
    const replayWindow = new ReplayWindow();
    const frame = await encrypt({ key: sender, ctr: 10n, plaintext: Uint8Array.of(1) });
    await decrypt({ keys: () => receiver, frame, replayWindow });
    expect(await refusal(decrypt({ keys: () => receiver, frame, replayWindow }))).toBe('DUPLICATE');
    expect(await refusal(decrypt({ keys: () => receiver, frame, replayWindow }))).toBe('DUPLICATE');
  });

  it('with a replay window, refuses as REPLAYED another authentic frame under a CTR already used, and a CTR too old to tell', async () => {
    const { sender, receiver } = await keyPair();
    const replayWindow = new ReplayWindow(16);
    await decrypt({ keys: () => receiver, frame: await encrypt({ key: sender, ctr: 10n, plaintext: Uint8Array.of(1) }), replayWindow });
    // What a sender repeating a nonce would produce: same KID and CTR, other plaintext.
    const reused = await encrypt({ key: sender, ctr: 10n, plaintext: Uint8Array.of(2) });
    expect(await refusal(decrypt({ keys: () => receiver, frame: reused, replayWindow }))).toBe('REPLAYED');
    await decrypt({ keys: () => receiver, frame: await encrypt({ key: sender, ctr: 40n, plaintext: Uint8Array.of(3) }), replayWindow });
    const stale = await encrypt({ key: sender, ctr: 24n, plaintext: Uint8Array.of(4) });
    expect(await refusal(decrypt({ keys: () => receiver, frame: stale, replayWindow }))).toBe('REPLAYED');
  });

  it('a forged frame does not advance the replay window', async () => {
    const { sender, receiver } = await keyPair();
    const replayWindow = new ReplayWindow();
    const forged = await encrypt({ key: (await keyPair()).sender, ctr: 10_000n, plaintext: Uint8Array.of(1) });
    expect(await refusal(decrypt({ keys: () => receiver, frame: forged, replayWindow }))).toBe('AUTH_FAILED');
    const genuine = await encrypt({ key: sender, ctr: 1n, plaintext: Uint8Array.of(1) });
    expect((await decrypt({ keys: () => receiver, frame: genuine, replayWindow })).ctr).toBe(1n);
  });
});

describe('ReplayWindow', () => {
  /** A distinct 16-byte stand-in for a frame's authentication tag. */
  const tag = (n: number | bigint) => {
    const t = new Uint8Array(16);
    new DataView(t.buffer).setBigUint64(8, BigInt(n));
    return t;
  };

  it('accepts each CTR once, in any order within the window; the same frame again is a duplicate', () => {
    const window = new ReplayWindow(128);
    for (const ctr of [5n, 3n, 9n, 4n, 6n]) expect(window.accept(1n, ctr, tag(ctr)), `CTR ${ctr}`).toBe('new');
    for (const ctr of [5n, 3n, 9n, 4n, 6n]) expect(window.accept(1n, ctr, tag(ctr)), `CTR ${ctr} again`).toBe('duplicate');
  });

  it('refuses as replayed a CTR seen before with another frame', () => {
    const window = new ReplayWindow(128);
    expect(window.accept(1n, 5n, tag(5))).toBe('new');
    expect(window.accept(1n, 5n, tag(6))).toBe('replayed');
    // The first frame stays the one on record.
    expect(window.accept(1n, 5n, tag(5))).toBe('duplicate');
  });

  it('refuses a CTR that has fallen out of the window, even if never seen', () => {
    const window = new ReplayWindow(128);
    expect(window.accept(1n, 1000n, tag(1))).toBe('new');
    expect(window.accept(1n, 1000n - 127n, tag(2))).toBe('new');
    expect(window.accept(1n, 1000n - 128n, tag(3))).toBe('replayed');
  });

  it('remembers CTRs still inside the window after a large forward jump', () => {
    const window = new ReplayWindow(128);
    expect(window.accept(1n, 100n, tag(100))).toBe('new');
    expect(window.accept(1n, 150n, tag(150))).toBe('new');
    expect(window.accept(1n, 100n, tag(100))).toBe('duplicate');
    expect(window.accept(1n, 99n, tag(99))).toBe('new');
    // 228 shares 100's slot: 100 leaves the window, 228 is new.
    expect(window.accept(1n, 228n, tag(228))).toBe('new');
    expect(window.accept(1n, 100n, tag(100))).toBe('replayed');
    expect(window.accept(1n, 1_000_000n, tag(1))).toBe('new');
    expect(window.accept(1n, 999_999n, tag(2))).toBe('new');
    expect(window.accept(1n, 999_999n, tag(2))).toBe('duplicate');
    expect(window.accept(1n, 228n, tag(228))).toBe('replayed');
  });

  it('by default spans 1024 CTRs: late frames of one stream still open while the other streams of the sender advance the shared counter', () => {
    const window = new ReplayWindow();
    expect(window.size).toBe(1024);
    // A camera frame held back by retransmission while the sender's microphone, screen and chat
    // (same counter) moved the CTR on by 600: still accepted once.
    expect(window.accept(1n, 1000n, tag(1000))).toBe('new');
    expect(window.accept(1n, 1600n, tag(1600))).toBe('new');
    expect(window.accept(1n, 1001n, tag(1001))).toBe('new');
    expect(window.accept(1n, 1001n, tag(1001))).toBe('duplicate');
    expect(window.accept(1n, 2024n, tag(2024))).toBe('new');
    expect(window.accept(1n, 1000n, tag(1000))).toBe('replayed');
  });

  it('tracks each KID separately, forgets a KID on request, and keeps the last four KIDs', () => {
    const window = new ReplayWindow();
    expect(window.accept(1n, 7n, tag(7))).toBe('new');
    expect(window.accept(2n, 7n, tag(7))).toBe('new');
    expect(window.accept(1n, 7n, tag(7))).toBe('duplicate');
    window.forget(1n);
    expect(window.accept(1n, 7n, tag(7))).toBe('new');
    for (const kid of [3n, 4n]) expect(window.accept(kid, 7n, tag(7))).toBe('new');
    // KIDs 1, 2, 3, 4 are kept; a fifth drops the least recently used (2).
    expect(window.accept(1n, 8n, tag(8))).toBe('new');
    expect(window.accept(5n, 7n, tag(7))).toBe('new');
    expect(window.accept(1n, 7n, tag(7))).toBe('duplicate');
    expect(window.accept(2n, 7n, tag(7))).toBe('new');
  });

  it('takes a 16-byte tag only', () => {
    expect(() => new ReplayWindow().accept(1n, 1n, new Uint8Array(12))).toThrow(RangeError);
  });
});
