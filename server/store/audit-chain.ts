/**
 * The audit log's hash chain: the canonical encoding of one `audit_log` row and the chain step
 * `hash = SHA-256(previous hash ‖ encoding)`. It lives in the store because the migration that
 * chains existing rows needs it; server/audit appends and verifies with it. docs/audit.md
 * describes the bytes (with a worked example that test/audit/chain.test.ts checks).
 *
 * Encoding, version 1:
 *   "recinto-audit-v1" (16 ASCII bytes) ‖ seq (i64 BE) ‖ at (i64 BE, ms since the epoch)
 *   ‖ action ‖ actor ‖ meeting_id ‖ outcome ‖ detail
 * each string as its UTF-8 length (u32 BE) and bytes; NULL as length 0xFFFFFFFF and no bytes;
 * `detail` is the stored JSON text as it is. Hashes are stored as 64 lowercase hex characters.
 */
import { createHash, hash } from 'node:crypto';

export const RECORD_TAG = 'recinto-audit-v1';
/** The "previous hash" of the first record: SHA-256 of the ASCII label. */
export const GENESIS_LABEL = 'recinto-audit-genesis-v1';
export const GENESIS_HASH = createHash('sha256').update(GENESIS_LABEL, 'ascii').digest('hex');

const NULL_LENGTH = 0xffffffff;

/** One `audit_log` row without its hash, as stored. */
export interface ChainRecord {
  seq: number;
  at: number;
  action: string;
  actor: string | null;
  meetingId: string | null;
  outcome: string;
  detail: string;
}

export function encodeRecord(r: ChainRecord): Buffer {
  return encode(r, 0);
}

/** `previous`: the hex hash of the record before (GENESIS_HASH for the first); returns hex. */
export function chainHash(previous: string, record: ChainRecord): string {
  // One buffer, previous hash then encoding, hashed in one call (crypto.hash: no Hash object).
  const input = encode(record, 32);
  input.write(previous, 0, 32, 'hex');
  return hash('sha256', input, 'hex');
}

/** The encoding after `before` bytes left for the caller. */
function encode(r: ChainRecord, before: number): Buffer {
  const strings = [r.action, r.actor, r.meetingId, r.outcome, r.detail];
  let size = before + RECORD_TAG.length + 16;
  for (const s of strings) size += 4 + (s === null ? 0 : Buffer.byteLength(s, 'utf8'));
  // Every byte is written below (the first `before` zeroed, in case the caller writes fewer).
  const out = Buffer.allocUnsafe(size).fill(0, 0, before);
  let at = before + out.write(RECORD_TAG, before, 'ascii');
  at = out.writeBigInt64BE(BigInt(r.seq), at);
  at = out.writeBigInt64BE(BigInt(r.at), at);
  for (const s of strings) {
    if (s === null) {
      at = out.writeUInt32BE(NULL_LENGTH, at);
    } else {
      const length = out.write(s, at + 4, 'utf8');
      out.writeUInt32BE(length, at);
      at += 4 + length;
    }
  }
  return out;
}
