import { describe, expect, it } from 'vitest';
import { SenderKeyRing } from '../../client/e2ee/sender-key-ring.ts';
import { AES_256_GCM_SHA512_128, deriveKeyMaterial, type SFrameKey } from '../../client/e2ee/sframe.ts';

function decryptionKey(kid: bigint): Promise<SFrameKey> {
  return deriveKeyMaterial(AES_256_GCM_SHA512_128, kid, crypto.getRandomValues(new Uint8Array(32)), 'decrypt');
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let time = 1_000_000;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe('SenderKeyRing', () => {
  it('keeps the replaced key for the grace window (default 2 s), then drops it', async () => {
    const time = clock();
    const ring = new SenderKeyRing({ now: time.now });
    const [first, second] = [await decryptionKey(1n), await decryptionKey(2n)];
    ring.install('alice', first);
    ring.install('alice', second);
    time.advance(1_999);
    expect(ring.keyFor('alice', 1n)).toBe(first);
    time.advance(1);
    expect(ring.keyFor('alice', 1n)).toBeUndefined();
    expect(ring.keyFor('alice', 2n)).toBe(second);
  });

  it('honours a configured grace window', async () => {
    const time = clock();
    const ring = new SenderKeyRing({ graceMs: 500, now: time.now });
    ring.install('alice', await decryptionKey(1n));
    ring.install('alice', await decryptionKey(2n));
    time.advance(499);
    expect(ring.keyFor('alice', 1n)).toBeDefined();
    time.advance(1);
    expect(ring.keyFor('alice', 1n)).toBeUndefined();
  });

  it('keeps only one previous key: a second switch drops the oldest at once', async () => {
    const ring = new SenderKeyRing({ now: clock().now });
    ring.install('alice', await decryptionKey(1n));
    ring.install('alice', await decryptionKey(2n));
    ring.install('alice', await decryptionKey(3n));
    expect(ring.keyFor('alice', 1n)).toBeUndefined();
    expect(ring.keyFor('alice', 2n)).toBeDefined();
    expect(ring.keyFor('alice', 3n)).toBeDefined();
  });

  it('re-installing the current KID does not restart or end the grace window', async () => {
    const time = clock();
    const ring = new SenderKeyRing({ now: time.now });
    ring.install('alice', await decryptionKey(1n));
    ring.install('alice', await decryptionKey(2n));
    time.advance(1_500);
    ring.install('alice', await decryptionKey(2n));
    expect(ring.keyFor('alice', 1n)).toBeDefined();
    time.advance(500);
    expect(ring.keyFor('alice', 1n)).toBeUndefined();
  });

  it('scopes keys by sender: one sender’s KID never resolves for another', async () => {
    const ring = new SenderKeyRing();
    ring.install('alice', await decryptionKey(1n));
    expect(ring.keyFor('bob', 1n)).toBeUndefined();
  });

  it('forgets every key of a sender who left', async () => {
    const ring = new SenderKeyRing();
    ring.install('alice', await decryptionKey(1n));
    ring.install('alice', await decryptionKey(2n));
    ring.remove('alice');
    expect(ring.keyFor('alice', 1n)).toBeUndefined();
    expect(ring.keyFor('alice', 2n)).toBeUndefined();
  });
});
