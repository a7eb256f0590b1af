/**
 * `recinto backup FILE`: a consistent copy of the database (SQLite's online backup, safe while
 * the server runs), the secret key and the audit signing key, in one archive encrypted under a
 * passphrase (archive.ts; docs/backup.md). The database copy is made in a 0700 directory inside
 * the data directory (as private as the database itself) and deleted before the command ends;
 * the keys never touch the disk outside the archive.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdtempSync, openSync, readSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { createAudit } from '../audit/audit.ts';
import { openDatabase } from '../store/db.ts';
import { ArchiveWriter, BackupError, type WriterOptions } from './archive.ts';
import { cleanupOnInterrupt, readKeyFile } from './files.ts';
import { PARTS, checkSecretKey, checkSigningKey, encodeManifest, type Manifest } from './manifest.ts';

export interface DataPaths {
  dataDir: string;
  secretKeyFile: string;
  signingKeyFile: string;
}

export interface BackupResult {
  file: string;
  bytes: number;
  sha256: string;
  manifest: Manifest;
}

const READ_BYTES = 1 << 20;
/** Pages per backup step: all of them, so the copy is one read transaction and no write of the server restarts it. */
const ALL_PAGES = 0x7fffffff;

export async function createBackup(
  paths: DataPaths,
  out: string,
  passphrase: string,
  options: WriterOptions & { version: string; actor: string; now?: () => Date },
): Promise<BackupResult> {
  const file = resolve(out);
  const dbFile = join(paths.dataDir, 'recinto.sqlite');
  if (!existsSync(dbFile)) throw new BackupError(`no database at ${dbFile}: nothing to back up (is RECINTO_DATA_DIR right?)`);
  if (existsSync(file)) throw new BackupError(`${file} exists: choose another name, or remove it first`);
  if (!existsSync(dirname(file))) throw new BackupError(`${dirname(file)}: no such directory`);
  const secretKey = readKeyFile(paths.secretKeyFile, 'secret key');
  checkSecretKey(secretKey, paths.secretKeyFile);
  const signingKey = readKeyFile(paths.signingKeyFile, 'audit signing key');
  checkSigningKey(signingKey, paths.signingKeyFile);

  const db = openDatabase(paths.dataDir);
  const audit = createAudit(db);
  // mkdtemp makes the directory 0700; the copy in it is the database, never a key.
  const work = mkdtempSync(join(paths.dataDir, '.backup-'));
  const partial = `${file}.partial-${process.pid}`;
  const interrupt = cleanupOnInterrupt(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(partial, { force: true });
  });
  try {
    const snapshot = join(work, 'recinto.sqlite');
    await db.backup(snapshot, { progress: () => ALL_PAGES });
    const schemaVersion = settle(snapshot);
    const dbPart = hashFile(snapshot);
    const manifest: Manifest = {
      format: 1,
      recinto: options.version,
      schemaVersion,
      createdAt: (options.now?.() ?? new Date()).toISOString(),
      parts: [
        { name: PARTS[0], ...dbPart },
        { name: PARTS[1], size: secretKey.length, sha256: sha256(secretKey) },
        { name: PARTS[2], size: signingKey.length, sha256: sha256(signingKey) },
      ],
    };
    const fd = openSync(partial, 'wx', 0o600);
    let written: { bytes: number; sha256: string };
    try {
      const writer = await ArchiveWriter.create(fd, passphrase, options);
      writer.write(encodeManifest(manifest));
      eachPiece(snapshot, (piece) => writer.write(piece));
      writer.write(secretKey);
      writer.write(signingKey);
      written = writer.finish();
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (existsSync(file)) throw new BackupError(`${file} appeared while the backup was written: left it alone`);
    renameSync(partial, file);
    audit({ action: 'backup.create', outcome: 'ok', actor: options.actor, detail: { file, bytes: written.bytes, sha256: written.sha256, schemaVersion } });
    return { file, ...written, manifest };
  } catch (error) {
    rmSync(partial, { force: true });
    try {
      audit({ action: 'backup.create', outcome: 'error', actor: options.actor, detail: { file, reason: (error as Error).message } });
    } catch {
      // The error that stopped the backup is the one to report.
    }
    throw error;
  } finally {
    interrupt.done();
    rmSync(work, { recursive: true, force: true });
    db.close();
  }
}

/** Makes the copy one self-contained file (no -wal beside it), checks it, and returns its schema version. */
function settle(snapshot: string): number {
  const copy = new Database(snapshot);
  try {
    copy.pragma('journal_mode = DELETE');
    const check = copy.pragma('quick_check', { simple: true }) as string;
    if (check !== 'ok') throw new BackupError(`the database copy fails SQLite's quick_check: ${check}`);
    return copy.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get() as number;
  } finally {
    copy.close();
  }
}

function eachPiece(file: string, fn: (piece: Buffer) => void): void {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(READ_BYTES);
    for (let position = 0; ;) {
      const n = readSync(fd, buffer, 0, READ_BYTES, position);
      if (n === 0) break;
      fn(buffer.subarray(0, n));
      position += n;
    }
  } finally {
    closeSync(fd);
  }
}

function hashFile(file: string): { size: number; sha256: string } {
  const hash = createHash('sha256');
  let size = 0;
  eachPiece(file, (piece) => {
    hash.update(piece);
    size += piece.length;
  });
  return { size, sha256: hash.digest('hex') };
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
