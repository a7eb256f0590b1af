/**
 * The key lifecycle of client/e2ee/session.ts with the real frame cryptor (the Worker's code, run
 * in-process) and an in-memory relay standing in for signalling: who can decrypt which frames
 * after joins, leaves and periodic ratchets, sealed chat, and refused key material.
 */
import { describe, expect, it } from 'vitest';
import { FIRST_KEY_WAIT_MS, FrameCryptor, ReceiveState, type StreamStats } from '../../client/e2ee/frame-cryptor.ts';
import { E2eeSession, type E2eeCryptorPort } from '../../client/e2ee/session.ts';
import { waitFor } from '../helpers/wait.ts';

const MEETING = 'mtg-cifrada';

/** One participant: a session, its cryptor, and a receive stream per sender. */
type Member = { id: string; session: E2eeSession; cryptor: FrameCryptor; inbox: Map<string, { stats: StreamStats; replay: ReceiveState }> };

/** Signalling as the server does it: bundles to everyone present, keys to their recipient only. */
class Relay {
  readonly members = new Map<string, Member>();
  readonly sentKeys: { from: string; to: string; blob: string }[] = [];
  /** Set to hold back key delivery (to test frames arriving before keys). */
  hold = false;
  readonly #held: (() => void)[] = [];

  async join(id: string): Promise<Member> {
    const cryptor = new FrameCryptor({ graceMs: 50 });
    const port: E2eeCryptorPort = {
      setSendKey: (epoch, key) => void cryptor.setSendKey(epoch, key),
      setReceiveKey: (sender, epoch, key) => void cryptor.setReceiveKey(sender, epoch, key),
      forgetSender: (sender) => cryptor.forgetSender(sender),
      sealGroupChat: (m, s, t) => cryptor.sealGroupChat(m, s, t),
      openGroupChat: (m, s, b) => cryptor.openGroupChat(m, s, b),
    };
    const peers = [...this.members.values()].map((m) => ({ id: m.id, bundle: this.bundles.get(m.id) }));
    for (const m of this.members.values()) m.session.peerJoined(id);
    const started = E2eeSession.start({
      meetingId: MEETING,
      selfId: id,
      cryptor: port,
      peers,
      ratchetIntervalMs: 0,
      relay: {
        announce: async (bundle) => {
          this.bundles.set(id, bundle);
          for (const [other, session] of this.sessions) if (other !== id) void session.then((s) => s.peerAnnounced(id, bundle));
        },
        sendKey: async (to, blob) => {
          this.sentKeys.push({ from: id, to, blob });
          // Like the server, deliver to someone still starting up: their session takes it when ready.
          const deliver = () => void this.sessions.get(to)?.then((s) => s.keyReceived(id, blob));
          if (this.hold) this.#held.push(deliver);
          else deliver();
        },
      },
    });
    this.sessions.set(id, started);
    const session = await started;
    const member: Member = { id, session, cryptor, inbox: new Map() };
    this.members.set(id, member);
    return member;
  }

  readonly bundles = new Map<string, string>();
  readonly sessions = new Map<string, Promise<E2eeSession>>();

  leave(id: string): void {
    const member = this.members.get(id);
    this.members.delete(id);
    this.sessions.delete(id);
    member?.session.close();
    for (const m of this.members.values()) void m.session.peerLeft(id);
  }

  release(): void {
    this.hold = false;
    for (const deliver of this.#held.splice(0)) deliver();
  }
}

const frame = (n: number) => Uint8Array.from({ length: 400 }, (_, i) => (i === 0 ? 0x01 : (i * 7 + n) & 0xff));

async function send(from: Member, n = 1): Promise<Uint8Array> {
  // The first key is derived asynchronously after the session starts.
  await waitFor(() => from.cryptor.sendEpoch !== null, 2000);
  const stats = from.cryptor.openStream({ direction: 'send', kind: 'video' });
  const out = await from.cryptor.encrypt(stats, 'video', frame(n));
  if (!out) throw new Error(`${from.id} has no sender key`);
  return out;
}

async function receive(to: Member, from: string, sealed: Uint8Array): Promise<Uint8Array | null> {
  let stream = to.inbox.get(from);
  if (!stream) {
    stream = { stats: to.cryptor.openStream({ direction: 'recv', kind: 'video', senderId: from }), replay: new ReceiveState() };
    to.inbox.set(from, stream);
  }
  return to.cryptor.decrypt(stream.stats, stream.replay, from, 'video', sealed);
}

/** Waits until `to` decrypts a fresh frame of `from` (keys travel asynchronously). */
async function decryptsFresh(from: Member, to: Member): Promise<void> {
  let n = 1000;
  await waitFor(async () => {
    const sealed = await send(from, n++);
    const opened = await receive(to, from.id, sealed);
    return opened !== null && Buffer.from(opened).equals(Buffer.from(frame(n - 1)));
  }, 5000);
}

describe('E2EE session key lifecycle', () => {
  it('two participants exchange keys and decrypt each other; a newcomer gets only the ratcheted key', async () => {
    const relay = new Relay();
    const ana = await relay.join('ana');
    const bea = await relay.join('bea');
    await decryptsFresh(ana, bea);
    await decryptsFresh(bea, ana);
    const beforeCris = await send(ana, 1);
    expect(await receive(bea, 'ana', beforeCris)).not.toBeNull();
    const epochBefore = ana.cryptor.sendEpoch;

    const cris = await relay.join('cris');
    await decryptsFresh(ana, cris);
    // Ana ratcheted for Cris; Bea followed the ratchet without any new key from Ana.
    expect(ana.cryptor.sendEpoch).toBe((epochBefore ?? 0) + 1);
    const keysAnaToBea = relay.sentKeys.filter((k) => k.from === 'ana' && k.to === 'bea').length;
    await decryptsFresh(ana, bea);
    expect(relay.sentKeys.filter((k) => k.from === 'ana' && k.to === 'bea').length).toBe(keysAnaToBea);
    // Cris cannot open what Ana sent before Cris arrived: that key is not Cris's to have.
    const noKeyBefore = cris.inbox.get('ana')?.stats.noKey ?? 0;
    expect(await receive(cris, 'ana', beforeCris)).toBeNull();
    expect(cris.inbox.get('ana')?.stats.noKey).toBe(noKeyBefore + 1);

    // Codes agree once everyone knows everyone's bundle.
    await waitFor(async () => (await ana.session.status()).complete && (await cris.session.status()).complete);
    const codes = await Promise.all([ana, bea, cris].map((m) => m.session.securityCode()));
    expect(new Set(codes).size).toBe(1);
    expect(codes[0]).toMatch(/^\d{5}( \d{5}){4}$/);
  });

  it('after someone leaves, the others switch to fresh keys the departed cannot open', async () => {
    const relay = new Relay();
    const [ana, bea, cris] = [await relay.join('ana'), await relay.join('bea'), await relay.join('cris')];
    await decryptsFresh(ana, cris);
    await decryptsFresh(ana, bea);
    const codeWithCris = await ana.session.securityCode();

    relay.leave('cris');
    await waitFor(() => relay.sentKeys.some((k) => k.from === 'ana' && k.to === 'bea' && relay.sentKeys.indexOf(k) > 2), 5000);
    await decryptsFresh(ana, bea);
    await new Promise((r) => setTimeout(r, 80)); // past the grace window of the old key
    const after = await send(ana, 7);
    expect(await receive(bea, 'ana', after)).not.toBeNull();
    // Cris still holds everything it was given, ratchets included, and opens nothing new.
    expect(await receive(cris, 'ana', after)).toBeNull();
    expect(await ana.session.securityCode()).not.toBe(codeWithCris);
  });

  it('several people leaving at once cost one fresh key, which none of them gets', async () => {
    const relay = new Relay();
    const members = [];
    for (const id of ['ana', 'bea', 'cris', 'dario', 'eva']) members.push(await relay.join(id));
    const [ana, bea, cris] = members as [Member, Member, Member];
    await decryptsFresh(ana, bea);
    await decryptsFresh(ana, cris);
    await ana.session.settled();
    const sentBefore = relay.sentKeys.length;
    for (const id of ['cris', 'dario', 'eva']) relay.leave(id);
    await ana.session.settled();
    const fresh = relay.sentKeys.slice(sentBefore).filter((k) => k.from === 'ana');
    expect(fresh.map((k) => k.to)).toEqual(['bea']);
    await decryptsFresh(ana, bea);
    await new Promise((r) => setTimeout(r, 80)); // past the grace window of the old key
    expect(await receive(cris, 'ana', await send(ana, 9))).toBeNull();
  });

  it('holds frames that arrive before the first key and decrypts them once it comes', async () => {
    const relay = new Relay();
    const ana = await relay.join('ana');
    relay.hold = true;
    const bea = await relay.join('bea');
    // Ana has ratcheted for Bea (what Ana sent before is not Bea's to read), and her cryptor uses it.
    await ana.session.settled();
    await waitFor(() => ana.cryptor.sendEpoch === 1, 2000);
    const early = await send(ana, 3);
    const held = receive(bea, 'ana', early);
    await new Promise((r) => setTimeout(r, 200));
    relay.release();
    expect(Buffer.from((await held)!).equals(Buffer.from(frame(3)))).toBe(true);
    expect(bea.inbox.get('ana')?.stats).toMatchObject({ noKey: 0, passed: 1 });
  });

  it('drops frames once the first key is overdue, without holding the next ones', async () => {
    const relay = new Relay();
    const ana = await relay.join('ana');
    relay.hold = true;
    const bea = await relay.join('bea');
    const started = Date.now();
    expect(await receive(bea, 'ana', await send(ana, 1))).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(FIRST_KEY_WAIT_MS - 50);
    const next = Date.now();
    expect(await receive(bea, 'ana', await send(ana, 2))).toBeNull();
    expect(Date.now() - next).toBeLessThan(200);
    expect(bea.inbox.get('ana')?.stats.noKey).toBe(2);
    relay.release();
    await decryptsFresh(ana, bea);
  });

  it('refuses forged, replayed and misaddressed key blobs without changing keys', async () => {
    const relay = new Relay();
    const ana = await relay.join('ana');
    const bea = await relay.join('bea');
    const cris = await relay.join('cris');
    await decryptsFresh(ana, bea);
    const toBea = relay.sentKeys.filter((k) => k.from === 'ana' && k.to === 'bea');
    const first = toBea[0]!;
    // Replayed: an older epoch than Bea already holds.
    await bea.session.keyReceived('ana', first.blob);
    // Forged: one bit flipped.
    const forged = Buffer.from(first.blob, 'base64');
    forged[forged.length - 1]! ^= 1;
    await bea.session.keyReceived('ana', forged.toString('base64'));
    // Misaddressed: Ana's key for Bea presented to Cris.
    await cris.session.keyReceived('ana', first.blob);
    await bea.session.keyReceived('ana', 'not base64!');
    await bea.session.keyReceived('nobody', first.blob);
    // A bundle for someone who never joined (a ghost made up by the server) gets no key.
    const sentBefore = relay.sentKeys.length;
    await bea.session.peerAnnounced('ghost', relay.bundles.get('cris')!);
    // Cris's genuine announcement replayed as someone else's (or in another meeting) does not verify.
    bea.session.peerJoined('impostor');
    await bea.session.peerAnnounced('impostor', relay.bundles.get('cris')!);
    await bea.session.settled();
    expect(relay.sentKeys.length).toBe(sentBefore);
    const beaRejected = (await bea.session.status()).rejected;
    expect(beaRejected).toMatchObject({
      STALE_EPOCH: 1,
      UNWRAP_FAILED: 1,
      MALFORMED_BLOB: 1,
      UNKNOWN_SENDER: 1,
      UNKNOWN_PARTICIPANT: 1,
      FOREIGN_ANNOUNCEMENT: 1,
    });
    expect((await cris.session.status()).rejected).toMatchObject({ UNWRAP_FAILED: 1 });
    await decryptsFresh(ana, bea);
    await decryptsFresh(ana, cris);
  });

  it('seals group chat for everyone present and private chat for its recipient only', async () => {
    const relay = new Relay();
    const [ana, bea, cris] = [await relay.join('ana'), await relay.join('bea'), await relay.join('cris')];
    await decryptsFresh(ana, bea);
    await decryptsFresh(ana, cris);
    const text = 'Reunión a las 10 — ¿quién trae el informe? 🔒';
    const group = await ana.session.sealChat(text, null);
    expect(Buffer.from(group, 'base64').includes(Buffer.from('informe'))).toBe(false);
    expect(await bea.session.openChat('ana', null, group)).toBe(text);
    expect(await cris.session.openChat('ana', null, group)).toBe(text);
    await expect(bea.session.openChat('ana', null, group)).rejects.toMatchObject({ code: 'REPLAYED' });
    await expect(bea.session.openChat('cris', null, group)).rejects.toMatchObject({ code: 'AUTH_FAILED' });

    const secret = await ana.session.sealChat('solo para Bea', 'bea');
    expect(await bea.session.openChat('ana', 'bea', secret)).toBe('solo para Bea');
    await expect(bea.session.openChat('ana', 'bea', secret)).rejects.toMatchObject({ code: 'REPLAYED' });
    // Even if the server handed it to Cris, it does not open for Cris.
    await expect(cris.session.openChat('ana', 'cris', secret)).rejects.toMatchObject({ code: 'AUTH_FAILED' });
  });
});
