/** What backup and restore need of the file system: key files read as the server reads them, the SQLite lock, cleanup on Ctrl-C. */
import { closeSync, existsSync, fstatSync, openSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { BackupError } from './archive.ts';

/** A key file's bytes, refused if missing or readable by group or others (as the server refuses it). */
export function readKeyFile(file: string, what: string): Buffer {
  if (!existsSync(file)) throw new BackupError(`no ${what} at ${file} (the server creates it on its first start)`);
  const fd = openSync(file, 'r');
  try {
    const { mode } = fstatSync(fd);
    if ((mode & 0o077) !== 0)
      throw new BackupError(`${what} ${file} is accessible to group or others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether another process has this SQLite file open. A connection in WAL mode (the server's)
 * holds a shared lock on the file for as long as it is open, so an exclusive lock, asked for
 * without waiting, is refused while the server runs.
 */
export function databaseInUse(file: string): boolean {
  if (!existsSync(file)) return false;
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return false;
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY')) return true;
    // A damaged file no server could have opened: what a restore with --force is for.
    if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) return false;
    throw new BackupError(`cannot tell whether ${file} is in use: ${(error as Error).message}`);
  } finally {
    db.close();
  }
}

/** Runs `cleanup` if the process is interrupted (Ctrl-C, SIGTERM, SIGHUP) before `done` is called, then exits 130. */
export function cleanupOnInterrupt(cleanup: () => void): { done(): void } {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const handler = () => {
    cleanup();
    process.stderr.write('\nrecinto: interrupted; nothing was written\n');
    process.exit(130);
  };
  for (const s of signals) process.on(s, handler);
  return { done: () => signals.forEach((s) => process.off(s, handler)) };
}
