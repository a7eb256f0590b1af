/**
 * The body of a background verification (background-verify.ts): a worker thread that opens the
 * database file read-only, on its own connection, runs `recinto audit verify`'s walk
 * (verify.ts) and posts the result. The server's event loop never waits for it.
 */
import { createPublicKey } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { verifyAudit, type VerifyResult } from './verify.ts';

export interface VerifyJob {
  /** The SQLite file. */
  file: string;
  /** The checkpoint signing public key (PEM); none: there must be no checkpoints. */
  publicKeyPem?: string | undefined;
}

export type VerifyOutcome = { result: VerifyResult } | { error: string };

const job = workerData as VerifyJob;
let outcome: VerifyOutcome;
try {
  const db = new Database(job.file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    outcome = { result: verifyAudit(db, { publicKey: job.publicKeyPem ? createPublicKey(job.publicKeyPem) : undefined }) };
  } finally {
    db.close();
  }
} catch (error) {
  outcome = { error: (error as Error).message };
}
parentPort?.postMessage(outcome);
