/**
 * The archive format as docs/backup.md describes it: its worked example recomputed from the code
 * (so the default key derivation cost is the documented one), chunk boundaries that cannot be cut,
 * reordered or dropped, header values refused before any key is derived, and the page's own
 * Python checker run against a real archive.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAudit } from '../../server/audit/audit.ts';
import { loadOrCreateSigningKey } from '../../server/audit/signing-key.ts';
import { loadOrCreateKey } from '../../server/auth/secret-box.ts';
import { ArchiveReader, DEFAULT_CHUNK_BYTES, DEFAULT_KDF, HEADER_BYTES, deriveKeys, encodeHeader, parseHeader } from '../../server/backup/archive.ts';
import { createBackup, type BackupResult, type DataPaths } from '../../server/backup/backup.ts';
import { restoreBackup } from '../../server/backup/restore.ts';
import { openDatabase } from '../../server/store/db.ts';
import { docBlocks } from '../helpers/doc-blocks.ts';

const root = mkdtempSync(join(tmpdir(), 'recinto-backup-format-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const doc = docBlocks('backup.md');
const hex = (name: string) => Buffer.from(doc.get(name)!, 'hex');
const PASSPHRASE = 'correct horse battery staple';
const paths = (dir: string): DataPaths => ({
  dataDir: dir,
  secretKeyFile: join(dir, 'secrets', 'secret.key'),
  signingKeyFile: join(dir, 'secrets', 'audit-signing.key'),
});

describe('docs/backup.md, worked example', () => {
  it('the keys and the header are what the code computes with the default parameters', async () => {
    const salt = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    const noncePrefix = Buffer.from('a0a1a2a3a4a5a6a7', 'hex');
    // The documented cost, 256 MiB, 3 passes, 4 lanes, is the one backups are made with.
    expect(DEFAULT_KDF).toEqual({ memoryKiB: 262_144, iterations: 3, parallelism: 4 });
    const keys = await deriveKeys(PASSPHRASE, salt, DEFAULT_KDF);
    expect(keys.encryption).toEqual(hex('k-enc'));
    expect(keys.headerMac).toEqual(hex('k-mac'));
    expect(encodeHeader({ kdf: DEFAULT_KDF, salt, chunkBytes: DEFAULT_CHUNK_BYTES, noncePrefix }, keys.headerMac)).toEqual(hex('header'));
    expect(parseHeader(hex('header'))).toEqual({ kdf: DEFAULT_KDF, salt, chunkBytes: DEFAULT_CHUNK_BYTES, noncePrefix });
  });

  it('the example archive opens to "hello"; the same passphrase typed in another Unicode form too', async () => {
    const file = join(root, 'example.backup');
    writeFileSync(file, Buffer.concat([hex('header'), hex('chunk-0')]));
    const reader = await ArchiveReader.open(file, PASSPHRASE);
    expect([...reader.chunks()].map((c) => c.toString())).toEqual(['hello']);
    reader.close();
    // "é" as one code point and as e + combining accent: the same passphrase after NFC.
    const nfc = await deriveKeys('contraseña é larga', Buffer.alloc(16), { memoryKiB: 8192, iterations: 1, parallelism: 1 });
    const nfd = await deriveKeys('contraseña é larga'.normalize('NFD'), Buffer.alloc(16), { memoryKiB: 8192, iterations: 1, parallelism: 1 });
    expect(nfd.encryption).toEqual(nfc.encryption);
  });
});

describe('chunks', () => {
  // Small chunks, so a real database spans about a hundred of them.
  const CHUNK = 1024;
  const STRIDE = CHUNK + 16;
  let made: BackupResult;
  let bytes: Buffer;
  const source = paths(join(root, 'source'));

  beforeAll(async () => {
    const db = openDatabase(source.dataDir);
    const audit = createAudit(db);
    for (let i = 0; i < 200; i++) audit({ action: 'auth.login', outcome: 'ok', actor: `user-${i}`, detail: { ip: '10.0.0.1' } });
    db.close();
    loadOrCreateKey(source.secretKeyFile);
    loadOrCreateSigningKey(source.signingKeyFile);
    made = await createBackup(source, join(root, 'small-chunks.backup'), PASSPHRASE, { version: '0.1.0', actor: 'cli:test', chunkBytes: CHUNK });
    bytes = readFileSync(made.file);
  });

  /** Restores `archive` into a fresh directory: the error message, or undefined if it worked. */
  async function restoreOf(name: string, archive: Buffer): Promise<string | undefined> {
    const file = join(root, `${name}.backup`);
    writeFileSync(file, archive);
    try {
      await restoreBackup(file, PASSPHRASE, paths(join(root, name)), { force: false, actor: 'cli:test' });
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  it('an archive cut at a chunk boundary, with two chunks swapped or one dropped is refused; the intact one restores', async () => {
    const count = Math.ceil((bytes.length - HEADER_BYTES) / STRIDE);
    expect(count).toBeGreaterThan(50);
    const chunk = (i: number) => bytes.subarray(HEADER_BYTES + i * STRIDE, HEADER_BYTES + (i + 1) * STRIDE);
    const header = bytes.subarray(0, HEADER_BYTES);
    const before = (i: number) => bytes.subarray(0, HEADER_BYTES + i * STRIDE);
    const after = (i: number) => bytes.subarray(HEADER_BYTES + i * STRIDE);
    const [intact, cut, swapped, dropped] = await Promise.all([
      restoreOf('intact', bytes),
      restoreOf('cut', before(40)),
      restoreOf('swapped', Buffer.concat([header, ...[...Array(count).keys()].map((i) => chunk(i === 7 ? 8 : i === 8 ? 7 : i))])),
      restoreOf('dropped', Buffer.concat([before(20), after(21)])),
    ]);
    expect(intact).toBeUndefined();
    // Every chunk of the cut archive authenticates, but its last one was not sealed as the last.
    expect(cut).toBe(
      `damaged, truncated or altered: chunk 40 of 40 (bytes ${HEADER_BYTES + 39 * STRIDE}–${HEADER_BYTES + 40 * STRIDE - 1}) fails authentication`,
    );
    expect(swapped).toContain('damaged, truncated or altered: chunk 8 of');
    expect(dropped).toContain('damaged, truncated or altered: chunk 21 of');
    const db = openDatabase(join(root, 'intact'));
    expect(db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login'").pluck().get()).toBe(200);
    db.close();
  });

  it('a header asking for absurd key derivation or chunk sizes is refused before any key is derived', async () => {
    const withField = (offset: number, value: number) => {
      const copy = Buffer.from(bytes.subarray(0, HEADER_BYTES + STRIDE));
      copy.writeUInt32BE(value, offset);
      const file = join(root, `field-${offset}.backup`);
      writeFileSync(file, copy);
      return file;
    };
    const started = Date.now();
    await expect(ArchiveReader.open(withField(10, 0xffffffff), PASSPHRASE)).rejects.toThrow('Argon2id memoryKiB 4294967295 outside 8192–4194304');
    await expect(ArchiveReader.open(withField(14, 1000), PASSPHRASE)).rejects.toThrow('Argon2id iterations 1000 outside 1–32');
    await expect(ArchiveReader.open(withField(38, 16), PASSPHRASE)).rejects.toThrow('chunk size 16 outside');
    expect(Date.now() - started).toBeLessThan(200);
    writeFileSync(join(root, 'not-a-backup'), 'SQLite format 3\0'.repeat(10));
    await expect(ArchiveReader.open(join(root, 'not-a-backup'), PASSPHRASE)).rejects.toThrow('not a Recinto backup (no RECINTOB header)');
  });

  const python = spawnSync('python3', ['-c', 'from cryptography.hazmat.primitives.kdf.argon2 import Argon2id']).status === 0;
  it.skipIf(!python)("the page's Python checker (cryptography, no Recinto code) accepts the archive and refuses one changed byte", () => {
    const script = join(root, 'check.py');
    writeFileSync(script, doc.get('check.py')!);
    const passFile = join(root, 'passphrase');
    writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    const ok = spawnSync('python3', [script, made.file, passFile], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual(made.manifest);
    const changed = Buffer.from(bytes);
    changed[HEADER_BYTES + 5 * STRIDE + 100]! ^= 0x80;
    writeFileSync(join(root, 'changed.backup'), changed);
    const bad = spawnSync('python3', [script, join(root, 'changed.backup'), passFile], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('InvalidTag');
  });
});
