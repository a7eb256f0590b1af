/**
 * The audit chain's encoding and checkpoints as docs/audit.md describes them (its worked example
 * is recomputed here, so the page cannot drift), the migration that chains an older database,
 * and the server's checkpoints (every interval when records were added, on close, to listeners).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAudit } from '../../server/audit/audit.ts';
import {
  AuditCheckpoints,
  checkpointBytes,
  checkpointSignatureValid,
  parseCheckpoint,
  signCheckpoint,
  type Checkpoint,
} from '../../server/audit/checkpoints.ts';
import { loadOrCreateSigningKey, publicKeyPem, readPublicKey } from '../../server/audit/signing-key.ts';
import { verifyAudit } from '../../server/audit/verify.ts';
import { GENESIS_HASH, chainHash, encodeRecord, type ChainRecord } from '../../server/store/audit-chain.ts';
import { openDatabase } from '../../server/store/db.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';
import { docBlocks as auditDocBlocks } from '../helpers/doc-blocks.ts';
import { startTestServer } from '../helpers/server.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'recinto-audit-'));
  dirs.push(dir);
  return dir;
}

/** The fenced blocks of docs/audit.md (```hex record-1), hex comments removed, text trimmed. */
const docBlocks = () => new Map([...auditDocBlocks('audit.md')].map(([name, body]) => [name, body.trim()]));

const RECORD_1: ChainRecord = {
  seq: 1,
  at: 1764547200000,
  action: 'meeting.create',
  actor: 'cli',
  meetingId: 'k3x9-7dqm-p2fa-w8rt',
  outcome: 'ok',
  detail: '{"title":"Comité"}',
};
const RECORD_2: ChainRecord = {
  seq: 2,
  at: 1764547260000,
  action: 'media.worker_died',
  actor: null,
  meetingId: null,
  outcome: 'error',
  detail: '{"worker":0}',
};
/** RFC 8032, section 7.1, test 1. */
const RFC8032_KEY = createPrivateKey({
  key: {
    kty: 'OKP',
    crv: 'Ed25519',
    d: Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex').toString('base64url'),
    x: Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex').toString('base64url'),
  },
  format: 'jwk',
});

describe('audit chain encoding (docs/audit.md)', () => {
  const doc = docBlocks();

  it("the worked example's bytes and hashes are what the code computes", () => {
    expect(doc.get('genesis')).toBe(GENESIS_HASH);
    expect(doc.get('record-1')).toBe(encodeRecord(RECORD_1).toString('hex'));
    expect(doc.get('record-2')).toBe(encodeRecord(RECORD_2).toString('hex'));
    const hash1 = chainHash(GENESIS_HASH, RECORD_1);
    expect(doc.get('hash-1')).toBe(hash1);
    expect(doc.get('hash-2')).toBe(chainHash(hash1, RECORD_2));
    // The lengths the page states, and the layout a re-implementation follows.
    expect(encodeRecord(RECORD_1)).toHaveLength(109);
    expect(encodeRecord(RECORD_2)).toHaveLength(86);
  });

  it("the worked checkpoint's signed bytes, signature and public key are what the code computes", () => {
    const hash2 = chainHash(chainHash(GENESIS_HASH, RECORD_1), RECORD_2);
    const unsigned = { seq: 2, hash: hash2, at: 1764547320000 };
    expect(doc.get('checkpoint-bytes')).toBe(checkpointBytes(unsigned).toString('hex'));
    expect(checkpointBytes(unsigned)).toHaveLength(75);
    const signed = signCheckpoint(RFC8032_KEY, unsigned);
    expect(doc.get('checkpoint')).toBe(JSON.stringify(signed));
    expect(parseCheckpoint(doc.get('checkpoint')!)).toEqual(signed);
    expect(doc.get('public-key')).toBe(publicKeyPem(RFC8032_KEY).trim());
    expect(checkpointSignatureValid(createPublicKey(doc.get('public-key')!), signed)).toBe(true);
  });

  it('every field is in the hash: changing any one changes it', () => {
    const base = chainHash(GENESIS_HASH, RECORD_1);
    const variants: Partial<ChainRecord>[] = [
      { seq: 2 },
      { at: RECORD_1.at + 1 },
      { action: 'meeting.created' },
      { actor: null },
      { actor: '' },
      { meetingId: null },
      { outcome: 'denied' },
      { detail: '{"title":"Comite"}' },
    ];
    const hashes = variants.map((v) => chainHash(GENESIS_HASH, { ...RECORD_1, ...v }));
    expect(new Set([base, ...hashes]).size).toBe(variants.length + 1);
    // Length prefixes: moving a byte from one field to the next is another record.
    expect(chainHash(GENESIS_HASH, { ...RECORD_2, action: 'ab', outcome: 'c' })).not.toBe(chainHash(GENESIS_HASH, { ...RECORD_2, action: 'a', outcome: 'bc' }));
    // And the previous hash is in it.
    expect(chainHash(base, RECORD_2)).not.toBe(chainHash(GENESIS_HASH, RECORD_2));
  });

  it('refuses a checkpoint file that is not what `audit checkpoint` prints', () => {
    expect(() => parseCheckpoint('nope')).toThrow('not JSON');
    expect(() => parseCheckpoint('{"seq":0,"hash":"00","at":1,"signature":"00"}')).toThrow('"seq"');
    expect(() => parseCheckpoint(`{"seq":3,"hash":"${'A'.repeat(64)}","at":1,"signature":"00"}`)).toThrow('"hash"');
    expect(() => parseCheckpoint(`{"seq":3,"hash":"${'a'.repeat(64)}","at":1,"signature":"00"}`)).toThrow('"signature"');
  });
});

describe('audit chain in the database', () => {
  it('a database of the previous schema gets its rows chained in seq order; the triggers still refuse changes', () => {
    const dataDir = join(tempDir(), 'data');
    const old = openDatabase(
      dataDir,
      MIGRATIONS.filter((m) => m.version <= 5),
    );
    const insert = old.prepare('INSERT INTO audit_log (at, action, actor, meeting_id, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)');
    for (let i = 0; i < 2500; i++) insert.run(1764547200000 + i, 'auth.login', i % 3 ? `user-${i}` : null, null, i % 7 ? 'ok' : 'denied', `{"i":${i}}`);
    expect(old.prepare('SELECT max(version) FROM schema_migrations').pluck().get()).toBe(5);
    old.close();

    const db = openDatabase(dataDir);
    const rows = db
      .prepare('SELECT seq, at, action, actor, meeting_id AS meetingId, outcome, detail, hash FROM audit_log ORDER BY seq')
      .all() as (ChainRecord & {
      hash: string;
    })[];
    expect(rows).toHaveLength(2500);
    let previous = GENESIS_HASH;
    for (const { hash, ...record } of rows) {
      previous = chainHash(previous, record);
      expect(hash).toBe(previous);
    }
    expect(verifyAudit(db)).toMatchObject({ ok: true, records: 2500 });
    // Appends continue the same chain; the append-only triggers are back.
    expect(createAudit(db)({ action: 'auth.logout', outcome: 'ok' })).toMatchObject({ seq: 2501 });
    expect(verifyAudit(db)).toMatchObject({ ok: true, records: 2501 });
    expect(() => db.prepare("UPDATE audit_log SET actor = 'x' WHERE seq = 1").run()).toThrow('append-only');
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 2501').run()).toThrow('append-only');
    expect(() => db.prepare("INSERT INTO audit_log (at, action, outcome) VALUES (1, 'x', 'ok')").run()).toThrow('chain hash');
    db.close();
  });

  it('checkpoints: written each interval only when records were added, on close, and handed to listeners', async () => {
    const dir = tempDir();
    const db = openDatabase(join(dir, 'data'));
    const audit = createAudit(db);
    const keyFile = join(dir, 'data', 'secrets', 'audit-signing.key');
    const key = loadOrCreateSigningKey(keyFile);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(publicKeyPem(loadOrCreateSigningKey(keyFile))).toBe(publicKeyPem(key)); // created once, then read
    const checkpoints = new AuditCheckpoints(db, key, { intervalMs: 25 });
    const seen: Checkpoint[] = [];
    checkpoints.onCheckpoint((c) => seen.push(c));
    audit({ action: 'auth.login', outcome: 'ok' });
    audit({ action: 'auth.logout', outcome: 'ok' });
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]).toMatchObject({ seq: 2 });
    await new Promise((r) => setTimeout(r, 100)); // nothing new: no checkpoint
    expect(seen).toHaveLength(1);
    audit({ action: 'auth.login', outcome: 'denied' });
    checkpoints.close();
    expect(seen.map((c) => c.seq)).toEqual([2, 3]);
    const stored = db.prepare('SELECT seq, hash, at, signature FROM audit_checkpoints ORDER BY seq').all();
    expect(stored).toEqual(seen);
    const publicKey = readPublicKey(keyFile);
    expect(seen.every((c) => checkpointSignatureValid(publicKey, c))).toBe(true);
    expect(checkpointSignatureValid(generateKeyPairSync('ed25519').publicKey, seen[0]!)).toBe(false);
    expect(verifyAudit(db, { publicKey })).toMatchObject({ ok: true, records: 3, checkpoints: 2, afterLastCheckpoint: 0 });
    expect(() => db.prepare('DELETE FROM audit_checkpoints').run()).toThrow('append-only');
    db.close();
  });

  it('the server signs a checkpoint when it shuts down, after everything else that audits', async () => {
    const server = await startTestServer();
    const seen: Checkpoint[] = [];
    server.recinto.checkpoints.onCheckpoint((c) => seen.push(c));
    await server.createUser('ana');
    server.recinto.audit({ action: 'test.last_before_close', outcome: 'ok' });
    server.recinto.refusals.record({ action: 'http.refused', code: 'CSRF_FAILED', ip: '10.0.0.1' });
    server.recinto.refusals.record({ action: 'http.refused', code: 'CSRF_FAILED', ip: '10.0.0.1' }); // a repeat: flushed on close
    const db = server.recinto.db;
    const lastSeq = () => db.prepare('SELECT max(seq) FROM audit_log').pluck().get() as number;
    const before = lastSeq();
    let atClose: number | undefined;
    seen.length = 0;
    server.recinto.checkpoints.onCheckpoint(() => (atClose = lastSeq()));
    await server.close();
    expect(seen).toHaveLength(1);
    // The flushed repeat came before the checkpoint, which covers the whole chain.
    expect(seen[0]!.seq).toBe(atClose);
    expect(atClose).toBe(before + 1);
  });
});
