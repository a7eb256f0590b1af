/**
 * The admin console's audit viewer over 10⁶ records: the chain built by the real writer (chained
 * appends in one outer transaction, as bench/audit.bench.ts does), spread over ten hours with the
 * clock stepping back now and then; then the console's typical queries through AuditViewer (the
 * code behind GET /api/admin/audit): the first page unfiltered, by actor, by action and action
 * prefix, by meeting, by outcome, time windows, a deep page, and combinations; each a page of 100.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditViewer } from '../server/admin/audit-query.ts';
import { createAudit } from '../server/audit/audit.ts';
import { AccountStore } from '../server/auth/accounts.ts';
import { openDatabase } from '../server/store/db.ts';
import type { AuditQuery } from '../protocol/admin.ts';
import { summary } from './stats.ts';

export const name = 'audit-viewer';

const RECORDS = 1_000_000;
const ACCOUNTS = 200;
const MEETINGS = 2000;
const RUNS_PER_QUERY = 15;
const ACTIONS = [
  'auth.login',
  'auth.second_factor',
  'auth.logout',
  'auth.sessions_revoked',
  'meeting.join',
  'meeting.leave',
  'meeting.create',
  'meeting.admit',
  'host.mute',
  'host.remove',
  'host.update_policy',
  'host.end_meeting',
  'guest.enter',
  'signaling.refused',
  'http.refused',
  'admin.refused',
  'admin.step_up',
  'admin.policy_changed',
  'account.created',
  'account.disabled',
];

export async function run(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'recinto-bench-audit-viewer-'));
  try {
    const db = openDatabase(join(dir, 'data'));
    const accounts = new AccountStore(db);
    const ids: string[] = [];
    for (let i = 0; i < ACCOUNTS; i++) {
      ids.push(accounts.create({ username: `persona.${i}`, displayName: `Persona ${i}`, role: 'staff', passwordHash: 'x', mustChangePassword: false }).id);
    }
    const meetingIds = Array.from({ length: MEETINGS }, (_, i) => `m${String(i).padStart(3, '0')}-aaaa-bbbb-cccc`.slice(0, 19));

    // Ten hours of records, 36 ms apart, the clock stepping back two seconds every 50 000 records.
    const start = Date.UTC(2026, 11, 1, 8);
    let clock = start;
    const realNow = Date.now;
    Date.now = () => clock;
    const audit = createAudit(db);
    const built = performance.now();
    try {
      db.transaction(() => {
        for (let i = 0; i < RECORDS; i++) {
          clock += i % 50_000 === 49_999 ? -2000 : 36;
          const r = (i * 2_654_435_761) >>> 0; // a cheap spread of choices
          audit({
            action: ACTIONS[r % ACTIONS.length]!,
            outcome: r % 100 < 90 ? 'ok' : r % 100 < 98 ? 'denied' : 'error',
            actor: r % 10 === 0 ? undefined : ids[(r >>> 8) % ACCOUNTS],
            meetingId: r % 3 === 0 ? meetingIds[(r >>> 12) % MEETINGS] : undefined,
            detail: { ip: '203.0.113.7', i },
          });
        }
      })();
    } finally {
      Date.now = realNow;
    }
    console.error(`# audit-viewer: ${RECORDS} records in ${((performance.now() - built) / 1000).toFixed(1)} s`);

    const viewer = new AuditViewer(db, accounts);
    const hour = 3_600_000;
    const queries: Array<(k: number) => AuditQuery> = [
      () => ({}),
      (k) => ({ actor: `persona.${k * 7}` }),
      () => ({ action: 'auth.' }),
      (k) => ({ action: ACTIONS[k % ACTIONS.length]! }),
      (k) => ({ meeting: meetingIds[k * 31]! }),
      () => ({ outcome: 'denied' }),
      (k) => ({ since: String(start + (k % 9) * hour), until: String(start + (k % 9) * hour + hour) }),
      () => ({ since: String(start) }),
      (k) => ({ before: String(1000 + k) }),
      (k) => ({ actor: `persona.${k}`, outcome: 'denied' }),
      () => ({ action: 'host.', since: String(start + 2 * hour), until: String(start + 3 * hour) }),
      (k) => ({ actor: `persona.${k}`, action: 'meeting.', outcome: 'error', meeting: meetingIds[k]! }),
    ];
    for (const q of queries) viewer.page({ ...q(0), limit: '100' }); // warm-up
    const times: number[] = [];
    for (let k = 0; k < RUNS_PER_QUERY; k++) {
      for (const q of queries) {
        const started = performance.now();
        viewer.page({ ...q(k + 1), limit: '100' });
        times.push(performance.now() - started);
      }
    }
    db.close();
    return [summary('audit_viewer_query_ms', times, 1)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
