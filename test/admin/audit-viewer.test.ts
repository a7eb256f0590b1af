/**
 * The audit viewer on the real server: records appended by the real chained writer (with a clock
 * that steps back once, as a real one may), then every filter and combinations of them, checked
 * against the records as stored: newest first, each page's `next` leading to the following one
 * with no gap and no repeat; an actor given by username or id, the actor's username joined; the
 * chain's status and a background verification (intact, then after tampering); the export, as
 * `recinto audit export` writes it, audited.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportAudit } from '../../server/audit/export.ts';
import { CONSOLE_TEST_CONFIG, signInAdmin, type TestAdmin } from '../helpers/admin.ts';
import { auditRows, type AuditRow } from '../helpers/audit.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

let server: TestServer;
let admin: TestAdmin;
const MEETINGS = ['acde-fghj-kmnp-qrtu', 'vwxy-3467-9acd-efgh'];
let base: number;
/** The clock at the seventieth record goes back 50 s, below records already written. */
const STEP_BACK_AT = 70;

beforeAll(async () => {
  server = await startTestServer(CONSOLE_TEST_CONFIG);
  admin = await signInAdmin(server);
  const audit = server.recinto.audit;
  base = Date.now() - 3_600_000;
  let clock = base;
  const now = vi.spyOn(Date, 'now').mockImplementation(() => clock);
  try {
    const actors = [admin.user.id, 'cli:operador', undefined, 'guest:abc'];
    const actions = ['auth.login', 'auth.second_factor', 'meeting.join', 'admin.policy_changed', 'host.mute'];
    for (let i = 0; i < 240; i++) {
      clock += i === STEP_BACK_AT ? -50_000 : 1000;
      audit({
        action: actions[i % actions.length]!,
        outcome: i % 7 === 0 ? 'denied' : i % 11 === 0 ? 'error' : 'ok',
        actor: actors[i % actors.length],
        meetingId: i % 3 === 0 ? MEETINGS[i % 2] : undefined,
        detail: { i },
      });
    }
  } finally {
    now.mockRestore();
  }
});
afterAll(() => server?.close());

interface Query {
  since?: number;
  until?: number;
  actor?: string;
  action?: string;
  meeting?: string;
  outcome?: string;
  before?: number;
}

/** What the viewer must answer, from the records as stored. */
function expected(q: Query): AuditRow[] {
  const actorId = q.actor === 'root' ? admin.user.id : q.actor;
  return auditRows(server.recinto.db)
    .filter(
      (r) =>
        (q.since === undefined || r.at >= q.since) &&
        (q.until === undefined || r.at < q.until) &&
        (actorId === undefined || r.actor === actorId) &&
        (q.action === undefined || (q.action.endsWith('.') ? r.action.startsWith(q.action) : r.action === q.action)) &&
        (q.meeting === undefined || r.meetingId === q.meeting) &&
        (q.outcome === undefined || r.outcome === q.outcome) &&
        (q.before === undefined || r.seq < q.before),
    )
    .reverse();
}

/** Every page of a query, following `next`. */
async function allPages(q: Query, limit: number): Promise<{ seqs: number[]; pages: number; records: any[] }> {
  const seqs: number[] = [];
  const records: any[] = [];
  let before = q.before;
  let pages = 0;
  for (;;) {
    const params = new URLSearchParams(Object.entries({ ...q, before, limit }).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])));
    const reply = await admin.http.get(`/api/admin/audit?${params}`);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    pages++;
    records.push(...reply.body.records);
    seqs.push(...reply.body.records.map((r: { seq: number }) => r.seq));
    if (reply.body.next === null) return { seqs, pages, records };
    expect(reply.body.records).toHaveLength(limit);
    before = reply.body.next;
  }
}

describe('the audit viewer', () => {
  it('answers every filter and combinations, newest first, paged with no gap and no repeat', async () => {
    const at = (i: number) => base + (i + 1) * 1000;
    const queries: Query[] = [
      {},
      { actor: 'root' },
      { actor: admin.user.id },
      { actor: 'cli:operador' },
      { action: 'auth.login' },
      { action: 'auth.' },
      { action: 'admin.' },
      { action: 'nothing.' },
      { meeting: MEETINGS[0] },
      { outcome: 'denied' },
      { outcome: 'error' },
      { since: at(100) },
      { until: at(60) },
      // A window around the clock's step back: records on both sides of it in seq.
      { since: at(40), until: at(60) },
      { since: at(200), until: at(100) },
      { actor: 'root', outcome: 'ok' },
      { action: 'auth.', meeting: MEETINGS[1] },
      { action: 'auth.', outcome: 'denied', since: at(20), until: at(200) },
      { actor: 'cli:operador', action: 'meeting.join', meeting: MEETINGS[0], outcome: 'ok' },
      { before: 50 },
      { outcome: 'denied', before: 120 },
    ];
    for (const q of queries) {
      const want = expected(q).map((r) => r.seq);
      const got = await allPages(q, 7);
      expect([JSON.stringify(q), got.seqs]).toEqual([JSON.stringify(q), want]);
      expect(new Set(got.seqs).size).toBe(got.seqs.length);
      expect(got.pages).toBe(Math.max(1, Math.ceil(want.length / 7)));
    }
    // The step back is real: the window holds records written after later-stamped ones.
    const window = expected({ since: at(40), until: at(60) });
    expect(window.some((r, i) => i > 0 && r.at > window[i - 1]!.at)).toBe(true);
  });

  it('shows each record as stored, with the actor’s username when the actor is an account', async () => {
    const page = await admin.http.get('/api/admin/audit?actor=root&limit=3');
    const stored = expected({ actor: 'root' }).slice(0, 3);
    expect(page.body.records).toEqual(
      stored.map((r) => ({
        seq: r.seq,
        at: r.at,
        action: r.action,
        actor: admin.user.id,
        actorName: 'root',
        meetingId: r.meetingId,
        outcome: r.outcome,
        detail: r.rawDetail,
        hash: server.recinto.db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck().get(r.seq),
      })),
    );
    const cli = await admin.http.get('/api/admin/audit?actor=cli:operador&limit=1');
    expect(cli.body.records[0]).toMatchObject({ actor: 'cli:operador', actorName: null });
    // The default page is 100, at most 500.
    expect((await admin.http.get('/api/admin/audit')).body.records).toHaveLength(100);
    for (const bad of ['limit=0', 'limit=501', 'before=0', 'action=Auth.Login', 'meeting=x', 'outcome=ko', 'since=-1', 'until=1e9', 'who=root']) {
      expect([bad, (await admin.http.get(`/api/admin/audit?${bad}`)).body.error?.code]).toEqual([bad, 'INVALID_BODY']);
    }
  });

  it('exports the records as recinto audit export does (jsonl, csv, cef, a time window), as a download, audited', async () => {
    const since = base + 30_000;
    const until = base + 90_000;
    for (const format of ['jsonl', 'csv', 'cef'] as const) {
      const reply = await admin.http.get(`/api/admin/audit/export?format=${format}&since=${since}&until=${until}`);
      expect(reply.status).toBe(200);
      expect(String(reply.headers['content-disposition'])).toMatch(new RegExp(`^attachment; filename="recinto-audit-\\d{4}-\\d{2}-\\d{2}\\.${format}"$`));
      let file = '';
      exportAudit(server.recinto.db, { format, since, until, version: '0.1.0' }, (line) => (file += line));
      expect(reply.body).toBe(file);
      expect(auditRows(server.recinto.db, { action: 'admin.audit_exported' }).at(-1)).toMatchObject({
        actor: admin.user.id,
        detail: { format, since, until, via: 'console' },
      });
    }
    // Everything, in chunks larger than one.
    const all = await admin.http.get('/api/admin/audit/export?format=jsonl');
    // Its own `admin.audit_exported` record is written first, so it is the file's last line.
    const lines = all.body
      .trim()
      .split('\n')
      .map((l: string) => JSON.parse(l));
    expect(lines.map((r: { seq: number }) => r.seq)).toEqual(auditRows(server.recinto.db).map((r) => r.seq));
    expect(lines.at(-1).action).toBe('admin.audit_exported');
    expect((await admin.http.get('/api/admin/audit/export?format=xml')).body.error.code).toBe('INVALID_BODY');
  });

  it('says how long the chain is and its last checkpoint, and verifies it in the background: intact, then broken', async () => {
    const checkpoint = server.recinto.checkpoints.checkpoint()!;
    const status = await admin.http.get('/api/admin/audit/status');
    expect(status.body).toMatchObject({
      lastCheckpoint: { seq: checkpoint.seq, at: checkpoint.at, hash: checkpoint.hash },
      verification: { state: 'never', startedAt: null, problem: null },
    });
    expect(status.body.records).toBe(status.body.lastSeq);
    expect(status.body.lastSeq).toBeGreaterThanOrEqual(checkpoint.seq);

    expect((await admin.http.post('/api/admin/audit/verify', {})).body.verification.state).toBe('running');
    const done = await waitFor(async () => {
      const v = (await admin.http.get('/api/admin/audit/status')).body.verification;
      return v.state !== 'running' && v;
    }, 20_000);
    expect(done).toMatchObject({ state: 'ok', checkpoints: 1, problem: null });
    expect(done.records).toBeGreaterThanOrEqual(checkpoint.seq);
    expect(done.finishedAt).toBeGreaterThanOrEqual(done.startedAt);
    expect(auditRows(server.recinto.db, { action: 'admin.audit_verify_started' }).at(-1)!.actor).toBe(admin.user.id);

    // Someone with the database file changes a record: the next verification names it.
    const db = server.recinto.db;
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare('UPDATE audit_log SET detail = \'{"i":-1}\' WHERE seq = 10').run();
    await admin.http.post('/api/admin/audit/verify', {});
    const broken = await waitFor(async () => {
      const v = (await admin.http.get('/api/admin/audit/status')).body.verification;
      return v.state !== 'running' && v;
    }, 20_000);
    expect(broken.state).toBe('failed');
    expect(broken.problem).toContain('broken at seq 10: changed');
  });
});
