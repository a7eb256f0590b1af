/**
 * Signed checkpoints of the audit chain: the server signs (seq, hash, time) of the chain's last
 * record with its Ed25519 key every minute when records were added, and once more on shutdown.
 * A checkpoint kept elsewhere (`recinto audit checkpoint`, later a SIEM through onCheckpoint)
 * proves what the chain held at that time. docs/audit.md describes the signed bytes.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import type { Db } from '../store/db.ts';

/** As stored in `audit_checkpoints` and exported as JSON: hash and signature in lowercase hex. */
export interface Checkpoint {
  seq: number;
  hash: string;
  /** When it was signed, ms since the epoch. */
  at: number;
  signature: string;
}

export const CHECKPOINT_TAG = 'recinto-audit-checkpoint-v1';

/** The signed bytes: the tag (27 ASCII bytes) ‖ seq (i64 BE) ‖ hash (32 bytes) ‖ at (i64 BE). */
export function checkpointBytes(c: Pick<Checkpoint, 'seq' | 'hash' | 'at'>): Buffer {
  const n = CHECKPOINT_TAG.length;
  const out = Buffer.alloc(n + 48);
  out.write(CHECKPOINT_TAG, 0, 'ascii');
  out.writeBigInt64BE(BigInt(c.seq), n);
  Buffer.from(c.hash, 'hex').copy(out, n + 8, 0, 32);
  out.writeBigInt64BE(BigInt(c.at), n + 40);
  return out;
}

export function signCheckpoint(privateKey: KeyObject, c: Pick<Checkpoint, 'seq' | 'hash' | 'at'>): Checkpoint {
  return { seq: c.seq, hash: c.hash, at: c.at, signature: sign(null, checkpointBytes(c), privateKey).toString('hex') };
}

export function checkpointSignatureValid(publicKey: KeyObject, c: Checkpoint): boolean {
  if (!/^[0-9a-f]{64}$/.test(c.hash) || !/^[0-9a-f]{128}$/.test(c.signature)) return false;
  return verify(null, checkpointBytes(c), publicKey, Buffer.from(c.signature, 'hex'));
}

export function latestCheckpoint(db: Db): Checkpoint | undefined {
  return db.prepare('SELECT seq, hash, at, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1').get() as Checkpoint | undefined;
}

/**
 * Signs the chain's last record if no checkpoint covers it yet, inside one IMMEDIATE transaction
 * (the CLI may write one at the same time); returns the new checkpoint, or undefined if none was due.
 */
export function writeCheckpoint(db: Db, privateKey: KeyObject): Checkpoint | undefined {
  return db
    .transaction(() => {
      const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
      const covered = (db.prepare('SELECT max(seq) FROM audit_checkpoints').pluck().get() as number | null) ?? 0;
      if (!last || last.seq <= covered) return undefined;
      const checkpoint = signCheckpoint(privateKey, { seq: last.seq, hash: last.hash, at: Date.now() });
      db.prepare('INSERT INTO audit_checkpoints (seq, hash, at, signature) VALUES (?, ?, ?, ?)').run(
        checkpoint.seq,
        checkpoint.hash,
        checkpoint.at,
        checkpoint.signature,
      );
      return checkpoint;
    })
    .immediate();
}

/** A checkpoint as JSON (what `audit checkpoint` prints); throws saying what is wrong. */
export function parseCheckpoint(text: string): Checkpoint {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('not JSON');
  }
  const c = value as Partial<Record<keyof Checkpoint, unknown>> | null;
  if (!c || typeof c !== 'object') throw new Error('not a JSON object');
  if (!Number.isSafeInteger(c.seq) || (c.seq as number) < 1) throw new Error('"seq": a positive integer');
  if (typeof c.hash !== 'string' || !/^[0-9a-f]{64}$/.test(c.hash)) throw new Error('"hash": 64 lowercase hex characters');
  if (!Number.isSafeInteger(c.at)) throw new Error('"at": an integer (ms since the epoch)');
  if (typeof c.signature !== 'string' || !/^[0-9a-f]{128}$/.test(c.signature)) throw new Error('"signature": 128 lowercase hex characters');
  return { seq: c.seq as number, hash: c.hash, at: c.at as number, signature: c.signature };
}

export type CheckpointListener = (checkpoint: Checkpoint) => void;

/** The server's checkpoints: one a minute when records were added, one on close(). */
export class AuditCheckpoints {
  readonly #db: Db;
  readonly #key: KeyObject;
  readonly #listeners = new Set<CheckpointListener>();
  readonly #onError: (error: unknown) => void;
  readonly #timer: NodeJS.Timeout;

  constructor(db: Db, privateKey: KeyObject, options: { intervalMs?: number; onError?: (error: unknown) => void } = {}) {
    this.#db = db;
    this.#key = privateKey;
    this.#onError = options.onError ?? (() => {});
    this.#timer = setInterval(() => this.#tick(), options.intervalMs ?? 60_000);
    this.#timer.unref();
  }

  /** Called with each checkpoint this server writes (the hook for shipping them elsewhere); returns the unsubscribe. */
  onCheckpoint(listener: CheckpointListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Writes a checkpoint now if records were added since the last one. */
  checkpoint(): Checkpoint | undefined {
    const written = writeCheckpoint(this.#db, this.#key);
    if (written) {
      for (const listener of this.#listeners) {
        try {
          listener(written);
        } catch (error) {
          this.#onError(error);
        }
      }
    }
    return written;
  }

  /** Stops the timer and writes the last checkpoint (before the database closes). */
  close(): void {
    clearInterval(this.#timer);
    this.#tick();
  }

  #tick(): void {
    try {
      this.checkpoint();
    } catch (error) {
      this.#onError(error);
    }
  }
}
