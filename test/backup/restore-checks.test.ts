/**
 * What `restore` checks inside an archive that decrypts and authenticates: archives made by hand
 * here (the container is genuine, the contents are not what `recinto backup` would write), with a
 * cheap key derivation (a reader takes the parameters from the header). Also: a database of an
 * older schema is migrated by the restore itself.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveWriter } from '../../server/backup/archive.ts';
import { sha256 } from '../../server/backup/backup.ts';
import { PARTS, encodeManifest, type Manifest } from '../../server/backup/manifest.ts';
import { restoreBackup } from '../../server/backup/restore.ts';
import { openDatabase } from '../../server/store/db.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';

const root = mkdtempSync(join(tmpdir(), 'recinto-restore-checks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const PASSPHRASE = 'correct horse battery staple';
const CHEAP = { memoryKiB: 8192, iterations: 1, parallelism: 1 };
const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));
const OLD = 5;

let oldDb: Buffer;
const secretKey = randomBytes(32);
const signingKey = Buffer.from(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));

beforeAll(() => {
  // A database of schema version 5 (before the audit chain), with one audit record.
  const dir = join(root, 'old');
  const db = openDatabase(
    dir,
    MIGRATIONS.filter((m) => m.version <= OLD),
  );
  db.prepare("INSERT INTO audit_log (at, action, outcome) VALUES (1, 'meeting.create', 'ok')").run();
  db.pragma('journal_mode = DELETE');
  db.close();
  oldDb = readFileSync(join(dir, 'recinto.sqlite'));
});

/** An archive holding `parts` (the three, in order, unless changed) under the manifest as changed by `edit`. */
async function handMade(
  name: string,
  edit: (m: Manifest) => void = () => {},
  parts: Buffer[] = [oldDb, secretKey, signingKey],
  extra?: Buffer,
): Promise<string> {
  const manifest: Manifest = {
    format: 1,
    recinto: '0.1.0',
    schemaVersion: OLD,
    createdAt: '2026-12-01T03:00:00.000Z',
    parts: PARTS.map((part, i) => ({ name: part, size: parts[i]!.length, sha256: sha256(parts[i]!) })),
  };
  edit(manifest);
  const file = join(root, `${name}.backup`);
  const fd = openSync(file, 'wx', 0o600);
  const writer = await ArchiveWriter.create(fd, PASSPHRASE, { kdf: CHEAP, chunkBytes: 4096 });
  writer.write(encodeManifest(manifest));
  for (const part of parts) writer.write(part);
  if (extra) writer.write(extra);
  writer.finish();
  closeSync(fd);
  return file;
}

const paths = (name: string) => {
  const dataDir = join(root, 'restored', name);
  return { dataDir, secretKeyFile: join(dataDir, 'secrets', 'secret.key'), signingKeyFile: join(dataDir, 'secrets', 'audit-signing.key') };
};

async function refusal(name: string, archive: Promise<string>): Promise<string> {
  const target = paths(name);
  const error = await restoreBackup(await archive, PASSPHRASE, target, { force: false, actor: 'cli:test' }).then(
    () => new Error('restored'),
    (e: Error) => e,
  );
  expect(existsSync(target.dataDir), `${name}: nothing restored`).toBe(false);
  return error.message;
}

describe('restore, inside an authentic archive', () => {
  it('migrates a database of an older schema, as the server would on opening it, and audits it', async () => {
    const target = paths('old-schema');
    const done = await restoreBackup(await handMade('old-schema'), PASSPHRASE, target, { force: false, actor: 'cli:test' });
    expect(done).toMatchObject({ schemaVersion: LATEST, manifest: { schemaVersion: OLD } });
    const db = new Database(join(target.dataDir, 'recinto.sqlite'), { readonly: true });
    expect(db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get()).toBe(LATEST);
    const rows = db.prepare('SELECT action, detail, hash FROM audit_log ORDER BY seq').all() as { action: string; detail: string; hash: string }[];
    db.close();
    // The old record, chained by migration 6, then the restore itself.
    expect(rows.map((r) => r.action)).toEqual(['meeting.create', 'backup.restore']);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
    expect(JSON.parse(rows[1]!.detail)).toMatchObject({ schemaVersion: { archive: OLD, now: LATEST }, movedAside: [] });
    expect(readFileSync(target.secretKeyFile)).toEqual(secretKey);
  });

  it("refuses a part that does not match its manifest's SHA-256", async () => {
    const message = await refusal(
      'wrong-hash',
      handMade('wrong-hash', (m) => (m.parts[1]!.sha256 = sha256(randomBytes(32)))),
    );
    expect(message).toBe('secret.key in the archive does not match the SHA-256 of its manifest');
  });

  it('refuses a schema newer than this Recinto knows, keys that are not keys, and bytes after the last part', async () => {
    const [newer, badKey, badSigning, trailing, missing] = await Promise.all([
      refusal(
        'newer',
        handMade('newer', (m) => (m.schemaVersion = LATEST + 1)),
      ),
      refusal('bad-key', handMade('bad-key', undefined, [oldDb, randomBytes(31), signingKey])),
      refusal('bad-signing', handMade('bad-signing', undefined, [oldDb, secretKey, Buffer.from('-----BEGIN PRIVATE KEY-----\nAAAA\n')])),
      refusal('trailing', handMade('trailing', undefined, undefined, Buffer.from('more'))),
      refusal(
        'missing',
        handMade('missing', (m) => m.parts.pop()),
      ),
    ]);
    expect(newer).toContain(`schema version ${LATEST + 1}; this Recinto knows up to ${LATEST}`);
    expect(badKey).toBe('secret.key in the archive: 31 bytes, a secret key has 32');
    expect(badSigning).toBe('audit-signing.key in the archive: not a private key');
    expect(trailing).toBe('the archive holds data after its last part (damaged?)');
    expect(missing).toContain('manifest: expected the parts recinto.sqlite, secret.key, audit-signing.key');
  });
});
