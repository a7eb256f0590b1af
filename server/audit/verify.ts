/**
 * Verification of the audit trail (`recinto audit verify`): walks the chain from the genesis
 * value in seq order, then checks every stored checkpoint (and one kept elsewhere, if given):
 * its signature, and that the chain still holds its hash at its seq. Stops at the first problem.
 * What each problem means is in docs/audit.md.
 */
import type { KeyObject } from 'node:crypto';
import { GENESIS_HASH, chainHash, type ChainRecord } from '../store/audit-chain.ts';
import type { Db } from '../store/db.ts';
import { checkpointSignatureValid, type Checkpoint } from './checkpoints.ts';

export interface VerifyOptions {
  /** Needed when there are checkpoints to check. */
  publicKey?: KeyObject | undefined;
  /** A checkpoint kept outside this database (the auditor's copy). */
  external?: Checkpoint | undefined;
}

export type VerifyResult =
  { ok: true; records: number; checkpoints: number; lastSeq: number; afterLastCheckpoint: number } | { ok: false; seq: number; problem: string };

type Row = [seq: number, at: number, action: string, actor: string | null, meetingId: string | null, outcome: string, detail: string, hash: string | null];

const iso = (ms: number) => (Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(ms));
const range = (from: number, to: number) => (from === to ? `seq ${from}` : `seqs ${from}–${to}`);

export function verifyAudit(db: Db, options: VerifyOptions = {}): VerifyResult {
  return db.transaction(() => walk(db, options))();
}

function walk(db: Db, options: VerifyOptions): VerifyResult {
  const stored = db.prepare('SELECT seq, hash, at, signature FROM audit_checkpoints ORDER BY seq').all() as Checkpoint[];
  const checkpoints = [
    ...stored.map((c) => ({ c, name: 'stored checkpoint' })),
    ...(options.external ? [{ c: options.external, name: 'external checkpoint' }] : []),
  ];
  if (checkpoints.length > 0 && !options.publicKey) throw new Error(`no public key to check ${checkpoints.length} checkpoint signature(s) with`);
  const wanted = new Set(checkpoints.map(({ c }) => c.seq));
  const hashAt = new Map<number, string>();

  let expected = 1;
  let previous = GENESIS_HASH;
  /** A record whose hash did not match: the next row tells a changed record from a chain break. */
  let broken: { seq: number; stored: string | null } | undefined;
  const rows = db.prepare('SELECT seq, at, action, actor, meeting_id, outcome, detail, hash FROM audit_log ORDER BY seq').raw();
  for (const [seq, at, action, actor, meetingId, outcome, detail, hash] of rows.iterate() as IterableIterator<Row>) {
    const record: ChainRecord = { seq, at, action, actor, meetingId, outcome, detail };
    if (broken) {
      const stillChains = broken.stored !== null && seq === broken.seq + 1 && hash === chainHash(broken.stored, record);
      return { ok: false, seq: broken.seq, problem: mismatch(broken.seq, stillChains) };
    }
    if (seq !== expected) {
      const problem =
        expected === 1
          ? `missing: the chain starts at seq ${seq} (${range(1, seq - 1)} deleted)`
          : `missing: the chain goes from seq ${expected - 1} to seq ${seq} (${range(expected, seq - 1)} deleted)`;
      return { ok: false, seq: expected, problem };
    }
    const computed = chainHash(previous, record);
    if (hash !== computed) {
      broken = { seq, stored: typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash) ? hash : null };
      continue;
    }
    if (wanted.has(seq)) hashAt.set(seq, hash);
    previous = computed;
    expected++;
  }
  if (broken) return { ok: false, seq: broken.seq, problem: mismatch(broken.seq, false) };
  const lastSeq = expected - 1;

  // The chain is consistent in itself; the checkpoints say whether it is the chain that was signed.
  let lastGood = 0;
  for (const { c, name } of [...checkpoints].sort((a, b) => a.c.seq - b.c.seq)) {
    const what = `${name} at seq ${c.seq} (signed ${iso(c.at)})`;
    if (!checkpointSignatureValid(options.publicKey!, c)) {
      return { ok: false, seq: c.seq, problem: `${what}: its signature does not verify with the public key (forged or altered checkpoint)` };
    }
    if (c.seq > lastSeq) {
      return {
        ok: false,
        seq: lastSeq + 1,
        problem: `missing: the chain ends at seq ${lastSeq} but the ${what} covers up to seq ${c.seq} (${range(lastSeq + 1, c.seq)} removed: truncated)`,
      };
    }
    if (hashAt.get(c.seq) !== c.hash) {
      return {
        ok: false,
        seq: lastGood + 1,
        problem: `${what}: the chain's hash at seq ${c.seq} is not the signed one — the chain was rewritten (recomputed) after it was signed, somewhere in ${range(lastGood + 1, c.seq)}`,
      };
    }
    lastGood = c.seq;
  }
  const covered = checkpoints.reduce((most, { c }) => Math.max(most, c.seq), 0);
  return { ok: true, records: lastSeq, checkpoints: checkpoints.length, lastSeq, afterLastCheckpoint: lastSeq - covered };
}

function mismatch(seq: number, stillChains: boolean): string {
  return stillChains
    ? `changed: its fields no longer give its stored hash, and seq ${seq + 1} still chains from that hash (a field was altered after it was written)`
    : `its hash does not follow from ${seq === 1 ? 'the genesis value' : `seq ${seq - 1}`} and its fields (a record before it inserted or replaced, or this one moved, altered or given another hash)`;
}
