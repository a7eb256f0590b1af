/**
 * `recinto backup FILE` and `recinto restore FILE` (docs/backup.md). server/cli.ts hands over
 * the arguments after the command; the exit code is returned: 0 done, 1 refused or failed (wrong
 * passphrase, damaged archive, a database in the way or in use), 2 bad arguments or passphrase.
 */
import { parseArgs } from 'node:util';
import { BackupError } from './archive.ts';
import { createBackup, type DataPaths } from './backup.ts';
import { MIN_PASSPHRASE_CHARS, PASSPHRASE_ENV, PassphraseError, askOnTerminal, readPassphrase } from './passphrase.ts';
import { restoreBackup } from './restore.ts';

export const BACKUP_HELP = `  backup FILE [--passphrase-file F]
                                      write an encrypted backup to FILE (docs/backup.md): a
                                      consistent copy of the database (safe while the server
                                      runs), the secret key and the audit signing key; the
                                      passphrase (${MIN_PASSPHRASE_CHARS}+ characters) from F, ${PASSPHRASE_ENV},
                                      or asked twice on the terminal
  restore FILE [--passphrase-file F] [--force]
                                      restore FILE into the configured data directory, the server
                                      stopped; refused if a database is there unless --force, which
                                      moves the files in the way aside (pre-restore-<time>/)
`;

export interface BackupCommandContext extends DataPaths {
  version: string;
  actor: string;
  env: Record<string, string | undefined>;
  stdin: NodeJS.ReadStream;
  out(text: string): void;
  err(text: string): void;
}

export async function backupCommand(command: 'backup' | 'restore', args: string[], ctx: BackupCommandContext): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { 'passphrase-file': { type: 'string' }, force: { type: 'boolean' } }, strict: true, allowPositionals: true });
  } catch (error) {
    return usage(ctx, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (command === 'backup' && values.force) return usage(ctx, '--force: only restore has it (backup never overwrites FILE)');
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0) return usage(ctx, `${command} needs one FILE`);
  try {
    const passphrase = await readPassphrase({
      file: values['passphrase-file'],
      env: ctx.env,
      ask: ctx.stdin.isTTY ? askOnTerminal(ctx.stdin, process.stderr) : undefined,
      confirm: command === 'backup',
    });
    if (command === 'backup') {
      const made = await createBackup(ctx, file, passphrase, { version: ctx.version, actor: ctx.actor });
      ctx.out(`backup written: ${made.file}\n${made.bytes} bytes, sha256 ${made.sha256}\n`);
      ctx.out('keep the passphrase apart from the archive: without it nothing can be restored\n');
    } else {
      const done = await restoreBackup(file, passphrase, ctx, { force: values.force === true, actor: ctx.actor });
      ctx.out(`restored the backup of ${done.manifest.createdAt} (Recinto ${done.manifest.recinto}) into ${ctx.dataDir}\n`);
      ctx.out(
        `database schema version ${done.manifest.schemaVersion}${done.schemaVersion !== done.manifest.schemaVersion ? `, migrated to ${done.schemaVersion}` : ''}\n`,
      );
      for (const dir of done.movedAside) ctx.out(`the files that were there are in ${dir}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof PassphraseError) return usage(ctx, error.message, false);
    if (error instanceof BackupError) {
      ctx.err(`recinto: ${command} refused: ${error.message}${command === 'restore' ? '; nothing was restored' : ''}\n`);
      return 1;
    }
    // The file system said no (permissions, no space, a read-only disk): named, not a stack trace.
    if (typeof (error as NodeJS.ErrnoException).code === 'string' && (error as NodeJS.ErrnoException).syscall) {
      ctx.err(`recinto: ${command} failed: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}

function usage(ctx: BackupCommandContext, message: string, help = true): number {
  ctx.err(`recinto: ${message}\n${help ? BACKUP_HELP : ''}`);
  return 2;
}
