/**
 * What the audit chain costs: one chained append (an IMMEDIATE transaction that reads the last
 * hash, hashes and inserts) on a real SQLite file in WAL mode, as the server does it for every
 * audited action; and `audit verify`'s walk over 10⁵ records.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAudit } from '../server/audit/audit.ts';
import { verifyAudit } from '../server/audit/verify.ts';
import { openDatabase } from '../server/store/db.ts';
import { summary } from './stats.ts';

export const name = 'audit';

const APPENDS = 2000;
const RECORDS = 100_000;

export async function run(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'recinto-bench-audit-'));
  try {
    const db = openDatabase(join(dir, 'data'));
    const audit = createAudit(db);
    const event = (i: number) => ({
      action: 'auth.login',
      outcome: 'ok' as const,
      actor: '9735b70d-9c51-4193-92b7-cdae8ba62f31',
      meetingId: 'k3x9-7dqm-p2fa-w8rt',
      detail: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', i },
    });
    for (let i = 0; i < 200; i++) audit(event(i)); // warm-up
    const times: number[] = [];
    for (let i = 0; i < APPENDS; i++) {
      const started = performance.now();
      audit(event(i));
      times.push((performance.now() - started) * 1000);
    }
    // The rest of the 10⁵ records in one outer transaction (the same chained appends, as savepoints).
    const have = db.prepare('SELECT count(*) FROM audit_log').pluck().get() as number;
    db.transaction(() => {
      for (let i = have; i < RECORDS; i++) audit(event(i));
    })();
    const started = performance.now();
    const result = verifyAudit(db);
    const seconds = (performance.now() - started) / 1000;
    if (!result.ok || result.records !== RECORDS) throw new Error(`verify: ${JSON.stringify(result)}`);
    db.close();
    return [summary('audit_append_us', times, 1), `audit_verify_records_per_s: ${Math.round(RECORDS / seconds)} records/s n=${RECORDS}`];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
