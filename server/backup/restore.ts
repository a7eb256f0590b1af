/**
 * `recinto restore FILE`: an archive of `recinto backup` back into the configured data directory.
 * Everything is decrypted, authenticated and checked against the manifest's SHA-256 into a 0700
 * staging directory (the keys in memory only) before anything in place is touched: a wrong
 * passphrase, a damaged or cut-off archive restores nothing. Then the files already there, if
 * `force`, are moved aside (never deleted), the new ones put in place (keys 0600, directories
 * 0700), and the database opened as the server opens it, which runs the migrations.
 */
import { createHash, type Hash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { createAudit } from '../audit/audit.ts';
import { openDatabase } from '../store/db.ts';
import { MIGRATIONS } from '../store/migrations.ts';
import { ArchiveReader, BackupError } from './archive.ts';
import type { DataPaths } from './backup.ts';
import { cleanupOnInterrupt, databaseInUse } from './files.ts';
import { checkSecretKey, checkSigningKey, manifestLength, parseManifest, type Manifest, type Part } from './manifest.ts';

export interface RestoreResult {
  manifest: Manifest;
  /** Of the archive file. */
  sha256: string;
  /** Where the files that were in the way went (empty if there were none). */
  movedAside: string[];
  /** The schema version after the migrations ran. */
  schemaVersion: number;
}

const LATEST_SCHEMA = Math.max(...MIGRATIONS.map((m) => m.version));

export async function restoreBackup(
  archive: string,
  passphrase: string,
  paths: DataPaths,
  options: { force: boolean; actor: string; now?: () => Date },
): Promise<RestoreResult> {
  if (!existsSync(archive)) throw new BackupError(`${archive}: no such file`);
  const dbFile = join(paths.dataDir, 'recinto.sqlite');
  const inPlace = [dbFile, `${dbFile}-wal`, `${dbFile}-shm`, paths.secretKeyFile, paths.signingKeyFile].filter((f) => existsSync(f));
  if (inPlace.length > 0 && !options.force) {
    throw new BackupError(
      `${paths.dataDir} already holds ${inPlace.map((f) => basename(f)).join(', ')}: restoring would replace them. ` +
        'With the server stopped, run again with --force (they are moved aside, not deleted)',
    );
  }
  refuseIfInUse(dbFile);
  const reader = await ArchiveReader.open(resolve(archive), passphrase);
  // The first directory this made (if it made any), removed again if nothing is restored.
  const made = mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  const staging = mkdtempSync(join(paths.dataDir, '.restore-'));
  let restored = false;
  const undo = () => {
    rmSync(staging, { recursive: true, force: true });
    if (made !== undefined && !restored) rmSync(made, { recursive: true, force: true });
  };
  const interrupt = cleanupOnInterrupt(undo);
  try {
    const stagedDb = join(staging, 'recinto.sqlite');
    const { manifest, keys } = unpack(reader, stagedDb);
    const sha256 = reader.sha256();
    checkSecretKey(keys.secret, 'secret.key in the archive');
    checkSigningKey(keys.signing, 'audit-signing.key in the archive');
    checkDatabase(stagedDb, manifest);

    // Nothing in place has changed so far. From here on, it does.
    refuseIfInUse(dbFile);
    restored = true;
    const movedAside = moveAside(inPlace, (options.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-'));
    renameSync(stagedDb, dbFile);
    chmodSync(dbFile, 0o600);
    chmodSync(paths.dataDir, 0o700);
    const keysDir = dirname(paths.secretKeyFile);
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    chmodSync(keysDir, 0o700);
    for (const [file, bytes] of [
      [paths.secretKeyFile, keys.secret],
      [paths.signingKeyFile, keys.signing],
    ] as const) {
      writeFileSync(file, bytes, { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
    }

    const db = openDatabase(paths.dataDir);
    try {
      const schemaVersion = db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get() as number;
      createAudit(db)({
        action: 'backup.restore',
        outcome: 'ok',
        actor: options.actor,
        detail: {
          sha256,
          createdAt: manifest.createdAt,
          recinto: manifest.recinto,
          schemaVersion: { archive: manifest.schemaVersion, now: schemaVersion },
          movedAside,
        },
      });
      return { manifest, sha256, movedAside, schemaVersion };
    } finally {
      db.close();
    }
  } finally {
    interrupt.done();
    reader.close();
    undo();
  }
}

function refuseIfInUse(dbFile: string): void {
  if (databaseInUse(dbFile)) {
    throw new BackupError(`${dbFile} is in use (is the server running on this data directory?): stop it, then restore`);
  }
}

/**
 * Decrypts the payload: the manifest, then each part, checked against its SHA-256. The database
 * goes to `stagedDb` (0600), the keys stay in memory.
 */
function unpack(reader: ArchiveReader, stagedDb: string): { manifest: Manifest; keys: { secret: Buffer; signing: Buffer } } {
  let head = Buffer.alloc(0);
  let manifest: Manifest | undefined;
  let index = 0;
  let current: { part: Part; left: number; hash: Hash; pieces: Buffer[] } | undefined;
  const kept = new Map<string, Buffer>();
  const dbFd = openSync(stagedDb, 'wx', 0o600);
  const start = (i: number) => (current = { part: manifest!.parts[i]!, left: manifest!.parts[i]!.size, hash: createHash('sha256'), pieces: [] });
  try {
    for (const plain of reader.chunks()) {
      let data = plain;
      while (data.length > 0) {
        if (!manifest) {
          const want = head.length < 4 ? 4 : 4 + payloadError(() => manifestLength(head));
          const n = Math.min(want - head.length, data.length);
          head = Buffer.concat([head, data.subarray(0, n)]);
          data = data.subarray(n);
          if (head.length > 4 && head.length === 4 + manifestLength(head)) {
            manifest = payloadError(() => parseManifest(head.subarray(4)));
            if (manifest.schemaVersion > LATEST_SCHEMA) {
              throw new BackupError(
                `the archive's database has schema version ${manifest.schemaVersion}; this Recinto knows up to ${LATEST_SCHEMA}: restore with the Recinto that made it (${manifest.recinto}) or newer`,
              );
            }
            start(0);
          }
          continue;
        }
        if (!current) throw new BackupError('the archive holds data after its last part (damaged?)');
        const piece = data.subarray(0, Math.min(current.left, data.length));
        current.hash.update(piece);
        if (current.part.name === 'recinto.sqlite') {
          for (let at = 0; at < piece.length;) at += writeSync(dbFd, piece, at);
        } else {
          current.pieces.push(Buffer.from(piece));
        }
        current.left -= piece.length;
        data = data.subarray(piece.length);
        if (current.left === 0) {
          if (current.hash.digest('hex') !== current.part.sha256) {
            throw new BackupError(`${current.part.name} in the archive does not match the SHA-256 of its manifest`);
          }
          kept.set(current.part.name, Buffer.concat(current.pieces));
          index += 1;
          current = index < manifest.parts.length ? start(index) : undefined;
        }
      }
    }
    if (!manifest || current) throw new BackupError('the archive ends before its last part (damaged?)');
    fsyncSync(dbFd);
  } finally {
    closeSync(dbFd);
  }
  return { manifest, keys: { secret: kept.get('secret.key')!, signing: kept.get('audit-signing.key')! } };
}

function payloadError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new BackupError(`the archive's contents are not a Recinto backup: ${(error as Error).message}`);
  }
}

/** The staged database opens, passes SQLite's quick_check and has the schema version the manifest says. */
function checkDatabase(file: string, manifest: Manifest): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true });
    const check = db.pragma('quick_check', { simple: true }) as string;
    if (check !== 'ok') throw new Error(check);
    const version = db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get();
    if (version !== manifest.schemaVersion) throw new Error(`schema version ${String(version)}, the manifest says ${manifest.schemaVersion}`);
  } catch (error) {
    throw new BackupError(`the database in the archive is not usable: ${(error as Error).message}`);
  } finally {
    db?.close();
  }
}

/** Moves each file into a `pre-restore-<time>` directory (0700) beside it; returns those directories. */
function moveAside(files: string[], stamp: string): string[] {
  const dirs = new Set<string>();
  for (const file of files) {
    const aside = join(dirname(file), `pre-restore-${stamp}`);
    mkdirSync(aside, { recursive: true, mode: 0o700 });
    renameSync(file, join(aside, basename(file)));
    dirs.add(aside);
  }
  return [...dirs];
}
