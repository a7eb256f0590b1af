/**
 * `recinto audit export`: the records of a time range, oldest first, one per line, each with its
 * seq and hash: JSON Lines, CSV (RFC 4180, with a header) or ArcSight CEF. docs/audit.md lists
 * the fields of each.
 */
import type { ChainRecord } from '../store/audit-chain.ts';
import type { Db } from '../store/db.ts';

export const EXPORT_FORMATS = ['jsonl', 'csv', 'cef'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** One record as exported: the chained record and its hash. */
export type ExportedRecord = ChainRecord & { hash: string };

export interface ExportOptions {
  format: ExportFormat;
  /** ms since the epoch: records with since <= at < until. */
  since?: number | undefined;
  until?: number | undefined;
  /** The product version in the CEF header. */
  version: string;
}

/** Writes one line per record through `write`; returns how many. */
export function exportAudit(db: Db, options: ExportOptions, write: (line: string) => void): number {
  const rows = db
    .prepare(
      `SELECT seq, at, action, actor, meeting_id AS meetingId, outcome, detail, hash FROM audit_log
       WHERE at >= ? AND at < ? ORDER BY seq`,
    )
    .iterate(options.since ?? Number.MIN_SAFE_INTEGER, options.until ?? Number.MAX_SAFE_INTEGER) as IterableIterator<ExportedRecord>;
  const line = lineOf(options);
  if (options.format === 'csv') write(CSV_HEADER_LINE);
  let count = 0;
  for (const record of rows) {
    write(line(record));
    count++;
  }
  return count;
}

/**
 * The same export in chunks of `batch` records, for a server that must not hold its connection or
 * its event loop for the whole of it (the admin console's download): each chunk is one short query
 * (keyset on seq), run when the reader wants more. The export ends at the chain's end as it was
 * when the first chunk was read.
 */
export function* exportChunks(db: Db, options: ExportOptions, batch = 1000): Generator<string> {
  const page = db.prepare(
    `SELECT seq, at, action, actor, meeting_id AS meetingId, outcome, detail, hash FROM audit_log
     WHERE seq > ? AND seq <= ? AND at >= ? AND at < ? ORDER BY seq LIMIT ?`,
  );
  const end = (db.prepare('SELECT max(seq) FROM audit_log').pluck().get() as number | null) ?? 0;
  const line = lineOf(options);
  if (options.format === 'csv') yield CSV_HEADER_LINE;
  let after = 0;
  for (;;) {
    const rows = page.all(after, end, options.since ?? Number.MIN_SAFE_INTEGER, options.until ?? Number.MAX_SAFE_INTEGER, batch) as ExportedRecord[];
    if (rows.length === 0) return;
    yield rows.map(line).join('');
    after = rows.at(-1)!.seq;
  }
}

function lineOf(options: ExportOptions): (r: ExportedRecord) => string {
  return { jsonl: jsonLine, csv: csvLine, cef: (r: ExportedRecord) => cefLine(r, options.version) }[options.format];
}

/** `at` as ISO 8601; empty for a value no Date can hold (only a tampered row has one). */
function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

export function jsonLine(r: ExportedRecord): string {
  const { seq, at, action, actor, meetingId, outcome, detail, hash } = r;
  return `${JSON.stringify({ seq, at, time: isoTime(at), action, actor, meetingId, outcome, detail, hash })}\n`;
}

const CSV_HEADER = ['seq', 'at', 'time', 'action', 'actor', 'meeting_id', 'outcome', 'detail', 'hash'];
const CSV_HEADER_LINE = `${CSV_HEADER.join(',')}\r\n`;

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled; NULL is an empty field. */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(r: ExportedRecord): string {
  return `${[r.seq, r.at, isoTime(r.at), r.action, r.actor, r.meetingId, r.outcome, r.detail, r.hash].map(csvField).join(',')}\r\n`;
}

const SEVERITY: Record<string, number> = { ok: 3, denied: 6, error: 8 };

/** CEF header fields: backslash and pipe escaped; a line break becomes a space (the header has no escape for it). */
const cefHeader = (text: string) => text.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|\r|\n/g, ' ');
/** CEF extension values: backslash and equals sign escaped, CR and LF as \r and \n. */
const cefValue = (text: string) => text.replace(/[\\=\r\n]/g, (c) => (c === '\r' ? '\\r' : c === '\n' ? '\\n' : `\\${c}`));

/** A CEF custom string field and its label, both left out when the value is NULL. */
const custom = (key: string, label: string, value: string | null): [string, string | null][] =>
  value === null
    ? []
    : [
        [`${key}Label`, label],
        [key, value],
      ];

export function cefLine(r: ExportedRecord, version: string): string {
  const extension: [string, string | number | null][] = [
    ['rt', r.at],
    ['externalId', r.seq],
    ['act', r.action],
    ['outcome', r.outcome],
    ['suser', r.actor],
    ...custom('cs1', 'meetingId', r.meetingId),
    ...custom('cs2', 'detail', r.detail),
    ...custom('cs3', 'hash', r.hash),
  ];
  const ext = extension
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${cefValue(String(v))}`)
    .join(' ');
  const header = ['CEF:0', 'Recinto', 'Recinto', version, r.action, r.action, String(SEVERITY[r.outcome] ?? 5)].map((f, i) => (i === 0 ? f : cefHeader(f)));
  return `${header.join('|')}|${ext}\n`;
}
