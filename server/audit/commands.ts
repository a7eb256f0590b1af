/**
 * `recinto audit …`: verify the chain, export records, print a checkpoint or the public key.
 * server/cli.ts hands over the arguments after `audit`; the exit code is returned (0 done, 1 the
 * trail failed verification or cannot be checked, 2 bad arguments).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { KeyObject } from 'node:crypto';
import type { Db } from '../store/db.ts';
import { latestCheckpoint, parseCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoints.ts';
import { EXPORT_FORMATS, exportAudit, type ExportFormat } from './export.ts';
import { loadOrCreateSigningKey, publicKeyPem, readPublicKey } from './signing-key.ts';
import { verifyAudit } from './verify.ts';

export const AUDIT_HELP = `  audit verify [--checkpoint FILE] [--public-key FILE]
                                      check the audit trail's hash chain and signed checkpoints
                                      (FILE: a checkpoint kept elsewhere; the public key of an
                                      auditor's copy); exit 0 if intact, 1 naming the first bad seq
  audit export [--since ISO] [--until ISO] [--format jsonl|csv|cef]
                                      print the records of since <= time < until (default jsonl)
  audit checkpoint                    sign the end of the chain (if not yet) and print the latest
                                      checkpoint as JSON, to keep outside the server
  audit key                           print the checkpoint signing public key (PEM)
`;

export interface AuditCommandContext {
  openDb(): Db;
  /** The Ed25519 private key file (signing-key.ts). */
  signingKeyFile: string;
  version: string;
  out(text: string): void;
  err(text: string): void;
}

class UsageError extends Error {}

export function auditCommand(sub: string | undefined, args: string[], ctx: AuditCommandContext): number {
  try {
    switch (sub) {
      case 'key':
        parse(args, {});
        ctx.out(publicKeyPem(loadOrCreateSigningKey(ctx.signingKeyFile)));
        return 0;
      case 'checkpoint':
        parse(args, {});
        return withDb(ctx, (db) => {
          writeCheckpoint(db, loadOrCreateSigningKey(ctx.signingKeyFile));
          const latest = latestCheckpoint(db);
          if (!latest) {
            ctx.err('recinto: no audit records yet, so no checkpoint\n');
            return 1;
          }
          ctx.out(`${JSON.stringify(latest)}\n`);
          return 0;
        });
      case 'verify':
        return verify(args, ctx);
      case 'export':
        return exportCommand(args, ctx);
      default:
        throw new UsageError(`unknown: audit ${sub ?? ''}\n${AUDIT_HELP}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.err(`recinto: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

function verify(args: string[], ctx: AuditCommandContext): number {
  const values = parse(args, { checkpoint: { type: 'string' }, 'public-key': { type: 'string' } });
  const external = values.checkpoint === undefined ? undefined : readExternal(values.checkpoint);
  let publicKey: KeyObject | undefined;
  const keyFile = values['public-key'] ?? (existsSync(ctx.signingKeyFile) ? ctx.signingKeyFile : undefined);
  if (keyFile !== undefined) {
    try {
      publicKey = readPublicKey(keyFile);
    } catch (error) {
      throw new UsageError(`${values['public-key'] ? '--public-key ' : 'signing key '}${keyFile}: ${(error as Error).message} (see: recinto audit key)`);
    }
  }
  return withDb(ctx, (db) => {
    let result;
    try {
      result = verifyAudit(db, { publicKey, external });
    } catch (error) {
      ctx.err(`recinto: cannot verify the audit trail: ${(error as Error).message} (give one with --public-key FILE)\n`);
      return 1;
    }
    if (!result.ok) {
      ctx.err(`audit trail BROKEN at seq ${result.seq}: ${result.problem}\n`);
      return 1;
    }
    const after = result.afterLastCheckpoint > 0 ? `; ${count(result.afterLastCheckpoint, 'record')} after the last checkpoint` : '';
    ctx.out(
      `audit trail intact: ${count(result.records, 'record')} and ${count(result.checkpoints, 'checkpoint')} checked (last seq ${result.lastSeq}${after})\n`,
    );
    return 0;
  });
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function readExternal(file: string): Checkpoint {
  try {
    return parseCheckpoint(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--checkpoint ${file}: ${(error as Error).message} (expected what recinto audit checkpoint prints)`);
  }
}

function exportCommand(args: string[], ctx: AuditCommandContext): number {
  const values = parse(args, { since: { type: 'string' }, until: { type: 'string' }, format: { type: 'string', default: 'jsonl' } });
  const format = values.format as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) throw new UsageError(`--format: one of ${EXPORT_FORMATS.join(', ')}`);
  const time = (name: 'since' | 'until') => {
    const text = values[name];
    if (text === undefined) return undefined;
    const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(ms)) throw new UsageError(`--${name}: an ISO 8601 date or time (e.g. 2026-12-01 or 2026-12-01T08:00:00Z), not ${JSON.stringify(text)}`);
    return ms;
  };
  const since = time('since');
  const until = time('until');
  return withDb(ctx, (db) => {
    // Written in chunks: one write per record is slow on a pipe.
    let chunk: string[] = [];
    let size = 0;
    exportAudit(db, { format, since, until, version: ctx.version }, (line) => {
      chunk.push(line);
      size += line.length;
      if (size >= 1 << 16) {
        ctx.out(chunk.join(''));
        chunk = [];
        size = 0;
      }
    });
    ctx.out(chunk.join(''));
    return 0;
  });
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${AUDIT_HELP}`);
  }
}

function withDb(ctx: AuditCommandContext, fn: (db: Db) => number): number {
  const db = ctx.openDb();
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
