/**
 * The audit viewer's queries over `audit_log`: filters (time, actor, action or action prefix,
 * meeting, outcome), newest first, keyset paging by seq (`seq < before`), at most 500 a page.
 * Fast over 10⁶ records for every combination (bench/audit-viewer.bench.ts):
 *
 * - each equality filter has an index ending in seq (migration 10), so a page is a short walk
 *   down one index in seq order;
 * - `at` is the writer's clock and may step back, so it is not monotonic with seq: a time window
 *   becomes the exact seq range it spans (min and max seq over the covering index on `at`), and
 *   `at` itself is then checked row by row, never used to order;
 * - an action prefix (`admin.`) is the few distinct actions it covers (found by skipping through
 *   the action index), one ordered walk each, merged.
 *
 * Pages are chosen as seqs first (indexes only), then those rows read with the actor's username.
 */
import type { Statement } from 'better-sqlite3';
import type { AccountStore } from '../auth/accounts.ts';
import { DomainError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { latestCheckpoint } from '../audit/checkpoints.ts';
import type { AuditPage, AuditQuery, AuditRecordView, AuditStatus, AuditVerification } from '../../protocol/admin.ts';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 500;

/** A query-string integer as the schema let it through (digits only), within bounds, or INVALID_BODY naming it. */
export function queryInt(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new DomainError('INVALID_BODY', `querystring/${name}: ${min}–${max}`);
  return value;
}

interface Filters {
  seqFrom: number;
  seqTo: number;
  since: number | undefined;
  until: number | undefined;
  actor: string | undefined;
  actions: string[] | undefined;
  meetingId: string | undefined;
  outcome: string | undefined;
}

export class AuditViewer {
  readonly #db: Db;
  readonly #accounts: AccountStore;
  readonly #span;
  readonly #nextAction;
  readonly #statements = new Map<string, Statement>();
  readonly #rows;

  constructor(db: Db, accounts: AccountStore) {
    this.#db = db;
    this.#accounts = accounts;
    this.#span = db.prepare<[number, number], { lo: number | null; hi: number | null }>(
      'SELECT min(seq) AS lo, max(seq) AS hi FROM audit_log INDEXED BY audit_log_by_at WHERE at >= ? AND at < ?',
    );
    this.#nextAction = db
      .prepare<[string, string], string>('SELECT action FROM audit_log INDEXED BY audit_log_by_action WHERE action > ? AND action < ? ORDER BY action LIMIT 1')
      .pluck();
    this.#rows = db.prepare<[string]>(
      `SELECT a.seq, a.at, a.action, a.actor, u.username AS actorName, a.meeting_id AS meetingId, a.outcome, a.detail, a.hash
       FROM audit_log a LEFT JOIN users u ON u.id = a.actor
       WHERE a.seq IN (SELECT value FROM json_each(?)) ORDER BY a.seq DESC`,
    );
  }

  page(query: AuditQuery): AuditPage {
    const limit = queryInt('limit', query.limit, DEFAULT_LIMIT, 1, MAX_LIMIT);
    const before = queryInt('before', query.before, Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER);
    const since = query.since === undefined ? undefined : queryInt('since', query.since, 0, 0, Number.MAX_SAFE_INTEGER);
    const until = query.until === undefined ? undefined : queryInt('until', query.until, 0, 0, Number.MAX_SAFE_INTEGER);
    const filters: Filters = {
      seqFrom: 1,
      seqTo: before - 1,
      since,
      until,
      actor: query.actor === undefined ? undefined : (this.#accounts.byUsername(query.actor)?.id ?? query.actor),
      actions: query.action === undefined ? undefined : query.action.endsWith('.') ? this.#actionsUnder(query.action) : [query.action],
      meetingId: query.meeting,
      outcome: query.outcome,
    };
    if (since !== undefined || until !== undefined) {
      const span = this.#span.get(since ?? Number.MIN_SAFE_INTEGER, until ?? Number.MAX_SAFE_INTEGER);
      if (!span || span.lo === null || span.hi === null) return { records: [], next: null };
      filters.seqFrom = Math.max(filters.seqFrom, span.lo);
      filters.seqTo = Math.min(filters.seqTo, span.hi);
    }
    if (filters.actions?.length === 0 || filters.seqFrom > filters.seqTo) return { records: [], next: null };
    // One more than a page: whether there is a next one.
    const seqs = this.#seqs(filters, limit + 1);
    const shown = seqs.slice(0, limit);
    return { records: this.#records(shown), next: seqs.length > limit ? shown.at(-1)! : null };
  }

  /** How long the chain is, its last signed checkpoint, and its last verification. */
  status(verification: AuditVerification): AuditStatus {
    const records = this.#db.prepare('SELECT count(*) FROM audit_log').pluck().get() as number;
    const lastSeq = (this.#db.prepare('SELECT max(seq) FROM audit_log').pluck().get() as number | null) ?? 0;
    const checkpoint = latestCheckpoint(this.#db);
    return { records, lastSeq, lastCheckpoint: checkpoint ? { seq: checkpoint.seq, at: checkpoint.at, hash: checkpoint.hash } : null, verification };
  }

  /** The distinct actions starting with `prefix`, each found by one seek in the action index. */
  #actionsUnder(prefix: string): string[] {
    // Every action under the prefix sorts between it and the prefix with its last character bumped.
    const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    const found: string[] = [];
    for (let action = this.#nextAction.get(prefix, end); action !== undefined; action = this.#nextAction.get(action, end)) found.push(action);
    // The prefix itself (`admin.`) is not an action; `>` above skipped only it.
    return found;
  }

  /** The seqs of the page, newest first: one ordered index walk per action (or one in all), merged. */
  #seqs(f: Filters, n: number): number[] {
    const walks = (f.actions ?? [undefined]).map((action) => this.#walk(f, action, n));
    return walks.length === 1
      ? walks[0]!
      : walks
          .flat()
          .sort((a, b) => b - a)
          .slice(0, n);
  }

  #walk(f: Filters, action: string | undefined, n: number): number[] {
    const where = ['seq BETWEEN @seqFrom AND @seqTo'];
    const params: Record<string, unknown> = { seqFrom: f.seqFrom, seqTo: f.seqTo, n };
    const equal = (column: string, name: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(`${column} = @${name}`);
      params[name] = value;
    };
    equal('actor', 'actor', f.actor);
    equal('action', 'action', action);
    equal('meeting_id', 'meeting', f.meetingId);
    equal('outcome', 'outcome', f.outcome);
    // `+at`: checked on each row, never an index to walk (the seq range above came from it).
    if (f.since !== undefined) {
      where.push('+at >= @since');
      params.since = f.since;
    }
    if (f.until !== undefined) {
      where.push('+at < @until');
      params.until = f.until;
    }
    return this.#prepared(`SELECT seq FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT @n`).all(params) as number[];
  }

  /** One statement per shape of filter (at most 2⁶ of them), prepared once. */
  #prepared(sql: string) {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.#db.prepare(sql).pluck()));
    return statement;
  }

  #records(seqs: number[]): AuditRecordView[] {
    if (seqs.length === 0) return [];
    const rows = this.#rows.all(JSON.stringify(seqs)) as (Omit<AuditRecordView, 'hash'> & { hash: string | null })[];
    return rows.map((r) => ({ ...r, hash: r.hash ?? '' }));
  }
}
