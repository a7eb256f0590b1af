/**
 * Where the backup passphrase comes from, first found wins: `--passphrase-file FILE` (its first
 * line; the file must not be readable by group or others), the environment variable
 * RECINTO_BACKUP_PASSPHRASE, or the terminal (asked without echo, twice when making a backup).
 * At least 12 characters. It is never printed, logged, audited or written anywhere.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';

export const PASSPHRASE_ENV = 'RECINTO_BACKUP_PASSPHRASE';
export const MIN_PASSPHRASE_CHARS = 12;
const MAX_PASSPHRASE_CHARS = 1024;

/** A passphrase that cannot be had or is not acceptable (bad usage: exit 2). */
export class PassphraseError extends Error {}

export interface PassphraseSource {
  file?: string | undefined;
  env: Record<string, string | undefined>;
  /** The terminal, when stdin is one: asks with `prompt`, echo off. */
  ask?: ((prompt: string) => Promise<string>) | undefined;
  /** Ask twice and compare (making a backup). */
  confirm: boolean;
}

export async function readPassphrase(source: PassphraseSource): Promise<string> {
  let passphrase: string;
  if (source.file !== undefined) {
    passphrase = firstLine(readPassphraseFile(source.file));
  } else if (source.env[PASSPHRASE_ENV] !== undefined) {
    passphrase = source.env[PASSPHRASE_ENV];
  } else if (source.ask) {
    passphrase = await source.ask('backup passphrase: ');
    check(passphrase);
    if (source.confirm && (await source.ask('the same passphrase again: ')) !== passphrase) throw new PassphraseError('the two passphrases differ');
  } else {
    throw new PassphraseError(`no passphrase: give --passphrase-file FILE, set ${PASSPHRASE_ENV}, or run on a terminal to be asked`);
  }
  check(passphrase);
  return passphrase;
}

function check(passphrase: string): void {
  const chars = [...passphrase.normalize('NFC')].length;
  if (chars < MIN_PASSPHRASE_CHARS) throw new PassphraseError(`the passphrase has ${chars} characters: at least ${MIN_PASSPHRASE_CHARS}`);
  if (chars > MAX_PASSPHRASE_CHARS) throw new PassphraseError(`the passphrase has ${chars} characters: at most ${MAX_PASSPHRASE_CHARS}`);
}

function readPassphraseFile(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new PassphraseError(`--passphrase-file ${file}: ${(error as Error).message}`);
  }
  try {
    const { mode } = fstatSync(fd);
    if ((mode & 0o077) !== 0) {
      throw new PassphraseError(`--passphrase-file ${file} is accessible to group or others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** The file's first line, without its line ending (so `echo … > file` works); spaces are kept. */
function firstLine(text: string): string {
  const end = text.search(/\r?\n/);
  return end === -1 ? text : text.slice(0, end);
}

/** Reads a line from the terminal without echoing it; Ctrl-C or Ctrl-D rejects. */
export function askOnTerminal(stdin: NodeJS.ReadStream, out: NodeJS.WritableStream): (prompt: string) => Promise<string> {
  return (prompt) =>
    new Promise((resolve, reject) => {
      // Echo off before the prompt shows: nothing typed after it is ever echoed.
      stdin.setRawMode(true);
      out.write(prompt);
      let text = '';
      const finish = (error?: Error) => {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        out.write('\n');
        if (error) reject(error);
        else resolve(text);
      };
      const onData = (data: Buffer) => {
        for (const ch of data.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return finish();
          if (ch === '\u0003' || ch === '\u0004') return finish(new PassphraseError('no passphrase given'));
          if (ch === '\u007f' || ch === '\b') text = [...text].slice(0, -1).join('');
          else if (ch === '\u0015') text = '';
          else if (ch >= ' ') text += ch;
        }
      };
      stdin.on('data', onData);
      stdin.resume();
    });
}
