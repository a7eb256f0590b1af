/**
 * The frame cryptor (the transform Worker's code) on its own: the frame layout (clear codec
 * prefix, SFrame header, ciphertext, tag) and its overhead bound, following a sender's ratchet,
 * one CTR per key across all of a sender's streams and chat, frames delivered twice or late, and
 * bad input — malformed, truncated, replayed, forged, unknown-KID and random frames — refused,
 * counted, and leaving the keys as they were.
 */
import { describe, expect, it } from 'vitest';
import { generateBaseKey, ratchet } from '../../client/e2ee/keys.ts';
import { FrameCryptor, ReceiveState } from '../../client/e2ee/frame-cryptor.ts';
import { clearPrefixLength, encryptFrame, kidForEpoch } from '../../client/e2ee/media-frame.ts';
import { AES_256_GCM_SHA512_128, decodeHeader, deriveKeyMaterial } from '../../client/e2ee/sframe.ts';

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
    /** Another of the sender's streams (its microphone, say): same key, same counter. */
    other: sender.openStream({ direction: 'send', kind: 'audio' }),
    open: (frame: Uint8Array, kind: 'audio' | 'video' = 'video') => receiver.decrypt(inbound, replay, 'ana', kind, frame),
  };
}

describe('frame cryptor', () => {
  it('keeps exactly the codec bytes in clear and adds at most 20 bytes per frame', async () => {
    const p = await pair();
    for (const [frame, kind, clear] of [
      [vp8Key, 'video', 10],
      [vp8Delta, 'video', 3],
      [opus, 'audio', 1],
    ] as const) {
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
    expect(await p.open(good)).toBeNull(); // the same frame again: a duplicate
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
    // A frame far behind the newest (more than the replay window's 1024 CTRs): refused as replayed.
    let latest = good;
    for (let i = 0; i < 1100; i++) latest = await p.seal(vp8Delta);
    expect(await p.open(latest)).not.toBeNull();
    expect(await p.open(good)).toBeNull();
    expect(p.inbound).toMatchObject({ duplicates: 1, replayed: 1, passed: 2 });
    expect(p.inbound.authFailed).toBeGreaterThanOrEqual(3);
    expect(p.inbound.malformed).toBeGreaterThanOrEqual(3);
    const { authFailed, malformed, noKey, replayed, duplicates, passed, frames } = p.inbound;
    expect(authFailed + malformed + noKey + replayed + duplicates + passed).toBe(frames);
    // The keys are untouched: the next genuine frame opens.
    expect(await p.open(await p.seal(vp8Key))).not.toBeNull();
  });

  it('drops a frame handed over twice as a duplicate, not a replay, also when it came late', async () => {
    // What Chromium did in the browser test: camera frames whose packets were retransmitted came
    // after later ones (CTRs 354–365 after 372), and some of them came a second time, same bytes.
    const p = await pair();
    const sealed = new Map<number, Uint8Array>();
    for (let ctr = 0; ctr <= 372; ctr++) {
      // The sender's microphone and camera share the counter: the camera gets every third CTR or so.
      const camera = ctr % 3 === 0 || [319, 320, 322, 324, 326, 337, 340, 342, 345, 348, 351, 354, 356, 359, 361, 365, 367, 369, 372].includes(ctr);
      sealed.set(ctr, camera ? await p.seal(vp8Delta) : (await p.sender.encrypt(p.other, 'audio', opus))!);
    }
    const cameraCtr = (frame: Uint8Array) => Number(decodeHeader(frame.subarray(3)).ctr);
    const camera = [...sealed.values()].filter((f) => f.length > 700);
    expect(camera.length).toBeGreaterThan(100);
    const byCtr = new Map(camera.map((f) => [cameraCtr(f), f]));
    const onTime = camera.filter((f) => cameraCtr(f) <= 351);
    const order = [...onTime.map(cameraCtr), 367, 369, 372, 354, 356, 359, 359, 361, 365, 361, 365];
    const opened = [];
    for (const ctr of order) opened.push(await p.open(byCtr.get(ctr)!));
    expect(opened.filter((o) => o !== null).length).toBe(onTime.length + 8);
    expect(p.inbound).toMatchObject({ duplicates: 3, replayed: 0, authFailed: 0, malformed: 0 });
  });

  it("opens once a camera frame that comes after 600 CTRs of the sender's other streams", async () => {
    // Microphone (50 frames/s), screen share and chat take CTRs too: a camera frame retransmitted
    // late trails the newest camera frame by far more CTRs than camera frames.
    const p = await pair();
    const late = await p.seal(vp8Delta);
    for (let i = 0; i < 600; i++) await p.sender.encrypt(p.other, 'audio', opus);
    const newest = await p.seal(vp8Delta);
    expect(await p.open(newest)).not.toBeNull();
    expect(await p.open(late)).not.toBeNull();
    expect(await p.open(late)).toBeNull();
    expect(p.inbound).toMatchObject({ passed: 2, duplicates: 1, replayed: 0 });
  });

  it('refuses as replayed an authentic frame under a CTR that already carried another frame (a repeated nonce)', async () => {
    const p = await pair();
    const first = await p.seal(vp8Delta);
    expect(await p.open(first)).not.toBeNull();
    // Made outside the cryptor, which never repeats a CTR: same key, same CTR 0, other content.
    const key = await deriveKeyMaterial(AES_256_GCM_SHA512_128, kidForEpoch(0), p.baseKey, 'encrypt');
    const other = vp8Delta.map((b, i) => (i < 3 ? b : b ^ 0xff));
    const reused = await encryptFrame(key, 0n, 'video', other);
    expect(Buffer.from(reused).equals(Buffer.from(first))).toBe(false);
    expect(await p.open(reused)).toBeNull();
    expect(p.inbound).toMatchObject({ passed: 1, replayed: 1, duplicates: 0 });
  });

  it('never repeats a CTR under one key across all streams and chat, in flight together, and starts again only under a new key', async () => {
    const c = new FrameCryptor();
    const baseKey = generateBaseKey();
    await c.setSendKey(0, baseKey);
    const streams = [
      c.openStream({ direction: 'send', kind: 'audio' }),
      c.openStream({ direction: 'send', kind: 'video' }),
      c.openStream({ direction: 'send', kind: 'video' }), // a screen share started mid-call
    ];
    const headerOf = (frame: Uint8Array, prefix: number) => decodeHeader(frame.subarray(prefix));
    const sealAll = async () => {
      const work: Promise<{ kid: bigint; ctr: bigint }>[] = [];
      for (let i = 0; i < 60; i++) {
        work.push(c.encrypt(streams[0]!, 'audio', opus).then((f) => headerOf(f!, 1)));
        work.push(c.encrypt(streams[1 + (i % 2)]!, 'video', vp8Delta).then((f) => headerOf(f!, 3)));
        if (i % 10 === 0) work.push(c.sealGroupChat('m', 'ana', 'hola').then((f) => headerOf(f, 0)));
      }
      return Promise.all(work);
    };
    const first = await sealAll();
    expect(new Set(first.map((h) => h.kid))).toEqual(new Set([0n]));
    expect(first.map((h) => h.ctr).sort((a, b) => (a < b ? -1 : 1))).toEqual(first.map((_, i) => BigInt(i)));
    // The same key handed over again (same epoch) does not restart the counter.
    await c.setSendKey(0, baseKey);
    const again = await sealAll();
    expect(Math.min(...again.map((h) => Number(h.ctr)))).toBe(first.length);
    // A newer key restarts it; an older one finishing its derivation late changes nothing.
    await Promise.all([c.setSendKey(2, await ratchet(await ratchet(baseKey))), c.setSendKey(1, await ratchet(baseKey))]);
    const next = await sealAll();
    expect(new Set(next.map((h) => h.kid))).toEqual(new Set([2n]));
    expect(next.map((h) => h.ctr).sort((a, b) => (a < b ? -1 : 1))).toEqual(next.map((_, i) => BigInt(i)));
  });

  it('drops everything while it has no key: nothing is sent or played in clear', async () => {
    const c = new FrameCryptor();
    const out = c.openStream({ direction: 'send', kind: 'audio' });
    expect(await c.encrypt(out, 'audio', opus)).toBeNull();
    expect(out).toMatchObject({ frames: 1, noKey: 1, passed: 0 });
  });
});
