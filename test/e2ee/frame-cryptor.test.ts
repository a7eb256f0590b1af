/**
 * The frame cryptor (the transform Worker's code) on its own: the frame layout (clear codec
 * prefix, SFrame header, ciphertext, tag) and its overhead bound, following a sender's ratchet,
 * and bad input — malformed, truncated, replayed, forged, unknown-KID and random frames — refused,
 * counted, and leaving the keys as they were.
 */
import { describe, expect, it } from 'vitest';
import { generateBaseKey, ratchet } from '../../client/e2ee/keys.ts';
import { FrameCryptor, ReceiveState } from '../../client/e2ee/frame-cryptor.ts';
import { clearPrefixLength } from '../../client/e2ee/media-frame.ts';
import { decodeHeader } from '../../client/e2ee/sframe.ts';

const vp8Key = Uint8Array.from({ length: 3000 }, (_, i) => [0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01][i] ?? (i * 31) & 0xff);
const vp8Delta = Uint8Array.from({ length: 800 }, (_, i) => (i === 0 ? 0x31 : (i * 17) & 0xff));
const opus = Uint8Array.from({ length: 60 }, (_, i) => (i === 0 ? 0x78 : (i * 13) & 0xff));

async function pair(epoch = 0) {
  const baseKey = generateBaseKey();
  const sender = new FrameCryptor();
  const receiver = new FrameCryptor();
  await sender.setSendKey(epoch, baseKey);
  await receiver.setReceiveKey('ana', epoch, baseKey);
  const out = sender.openStream({ direction: 'send', kind: 'video' });
  const inbound = receiver.openStream({ direction: 'recv', kind: 'video', senderId: 'ana' });
  const replay = new ReceiveState();
  return {
    baseKey,
    sender,
    receiver,
    inbound,
    seal: async (frame: Uint8Array, kind: 'audio' | 'video' = 'video') => (await sender.encrypt(out, kind, frame))!,
    open: (frame: Uint8Array, kind: 'audio' | 'video' = 'video') => receiver.decrypt(inbound, replay, 'ana', kind, frame),
  };
}

describe('frame cryptor', () => {
  it('keeps exactly the codec bytes in clear and adds at most 20 bytes per frame', async () => {
    const p = await pair();
    for (const [frame, kind, clear] of [[vp8Key, 'video', 10], [vp8Delta, 'video', 3], [opus, 'audio', 1]] as const) {
      const sealed = await p.seal(frame, kind);
      expect(clearPrefixLength(kind, frame)).toBe(clear);
      expect(Buffer.from(sealed.subarray(0, clear)).equals(Buffer.from(frame.subarray(0, clear)))).toBe(true);
      expect(Buffer.from(sealed).includes(Buffer.from(frame.subarray(clear, clear + 16)))).toBe(false);
      expect(sealed.length - frame.length).toBeLessThanOrEqual(20);
      expect(Buffer.from((await p.open(sealed, kind))!).equals(Buffer.from(frame))).toBe(true);
    }
    // The worst case the key schedule allows: a 1-byte KID (epoch 255) and a 2-byte CTR.
    const worst = await pair(255);
    let sealed = new Uint8Array();
    for (let i = 0; i < 300; i++) sealed = await worst.seal(opus, 'audio');
    const header = decodeHeader(sealed.subarray(1));
    expect(header).toMatchObject({ kid: 255n, ctr: 299n, length: 4 });
    expect(sealed.length - opus.length).toBe(20);
  });

  it('follows a ratchet of the sender on its own, but not a fresh key it was not given', async () => {
    const p = await pair(4);
    expect(await p.open(await p.seal(vp8Delta))).not.toBeNull();
    await p.sender.setSendKey(5, await ratchet(p.baseKey));
    expect(await p.open(await p.seal(vp8Delta))).not.toBeNull();
    await p.sender.setSendKey(6, generateBaseKey());
    expect(await p.open(await p.seal(vp8Delta))).toBeNull();
    expect(p.inbound.authFailed).toBe(1);
  });

  it('refuses malformed, truncated, replayed, forged and unknown-KID frames without changing keys', async () => {
    const p = await pair();
    const good = await p.seal(vp8Delta);
    expect(await p.open(good)).not.toBeNull();
    expect(await p.open(good)).toBeNull(); // replayed
    const forgedPrefix = good.slice();
    forgedPrefix[1]! ^= 0x01; // a clear codec byte, authenticated as metadata
    const forgedBody = good.slice();
    forgedBody[forgedBody.length - 20]! ^= 0x80;
    const truncated = (await p.seal(vp8Delta)).subarray(0, 200);
    const nonMinimal = Uint8Array.of(0x31, 0x00, 0x00, 0b1000_0000, 0x01, ...new Uint8Array(20)); // CTR 1 in an extension byte
    for (const bad of [forgedPrefix, forgedBody, truncated, new Uint8Array(0), Uint8Array.of(0x31, 0, 0, 0x00), nonMinimal]) {
      expect(await p.open(bad)).toBeNull();
    }
    // KID 10: not a key we hold, nor within 8 ratchet steps of one.
    const unknownKid = Uint8Array.of(0x31, 0x00, 0x00, 0x80, 0x0a, ...new Uint8Array(30));
    expect(await p.open(unknownKid)).toBeNull();
    expect(p.inbound.noKey).toBe(1);
    let random = 0;
    for (let i = 0; i < 300; i++) {
      const junk = crypto.getRandomValues(new Uint8Array(1 + (i % 120)));
      if ((await p.open(junk)) === null) random++;
    }
    expect(random).toBe(300);
    expect(p.inbound).toMatchObject({ replayed: 1, passed: 1 });
    expect(p.inbound.authFailed).toBeGreaterThanOrEqual(3);
    expect(p.inbound.malformed).toBeGreaterThanOrEqual(3);
    expect(p.inbound.authFailed + p.inbound.malformed + p.inbound.noKey + p.inbound.replayed + p.inbound.passed).toBe(p.inbound.frames);
    // The keys are untouched: the next genuine frame opens.
    expect(await p.open(await p.seal(vp8Key))).not.toBeNull();
  });

  it('drops everything while it has no key: nothing is sent or played in clear', async () => {
    const c = new FrameCryptor();
    const out = c.openStream({ direction: 'send', kind: 'audio' });
    expect(await c.encrypt(out, 'audio', opus)).toBeNull();
    expect(out).toMatchObject({ frames: 1, noKey: 1, passed: 0 });
  });
});
