/**
 * What the SIEM receives. Syslog: one RFC 5424 message per record or checkpoint, framed by octet
 * counting (RFC 5425 / RFC 6587: `<length> <message>`). HTTPS: a JSON batch of the same items.
 * docs/audit.md ("SIEM") has an example of each.
 */
import { hostname as osHostname } from 'node:os';
import type { Checkpoint } from '../audit/checkpoints.ts';
import { jsonLine, type ExportedRecord } from '../audit/export.ts';
import type { OutboxItem } from './outbox.ts';

export const SYSLOG_FACILITIES = {
  user: 1,
  daemon: 3,
  auth: 4,
  authpriv: 10,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type SyslogFacility = keyof typeof SYSLOG_FACILITIES;

/** RFC 5424 severities: informational for `ok`, warning for `denied`, error for `error`; a checkpoint is a notice. */
const SEVERITY: Record<string, number> = { ok: 6, denied: 4, error: 3 };
const CHECKPOINT_SEVERITY = 5;

/**
 * The SD-ID of our structured data. Recinto has no IANA enterprise number of its own: 32473 is the
 * one reserved for documentation and examples (RFC 5612).
 */
export const SD_ID = 'recinto@32473';
export const APP_NAME = 'recinto';
export const CHECKPOINT_MSGID = 'audit.checkpoint';

export interface SyslogHeader {
  facility: SyslogFacility;
  /** HOSTNAME: this machine's name by default. */
  hostname?: string;
  /** PROCID: this process's id by default. */
  procId?: number;
}

/** PRINTUSASCII without spaces, at most `max` characters; NILVALUE ("-") when nothing is left. */
function headerField(text: string, max: number): string {
  const clean = text.replace(/[^!-~]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** RFC 5424 §6.3.3: inside PARAM-VALUE, `"`, `\` and `]` are escaped with a backslash. */
export function sdValue(text: string): string {
  return text.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** RFC 3339 with milliseconds in UTC, or NILVALUE for a time no Date holds. */
function timestamp(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? '-' : date.toISOString();
}

/**
 * JSON with every character beyond ASCII written as a \u escape: the same JSON value, and a MSG
 * of plain ASCII (MSG-ANY) that needs no BOM and no receiver guessing its encoding.
 */
function asciiJson(text: string): string {
  return text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function structuredData(params: [string, string | number | null][]): string {
  const body = params
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}="${sdValue(String(v))}"`)
    .join(' ');
  return `[${SD_ID} ${body}]`;
}

export function createSyslogFormatter(header: SyslogHeader): (item: OutboxItem) => string {
  const facility = SYSLOG_FACILITIES[header.facility];
  const host = headerField(header.hostname ?? osHostname(), 255);
  const procId = headerField(String(header.procId ?? process.pid), 128);
  const line = (pri: number, at: number, msgId: string, sd: string, msg: string) =>
    `<${pri}>1 ${timestamp(at)} ${host} ${APP_NAME} ${procId} ${headerField(msgId, 32)} ${sd} ${msg}`;
  return (item) => {
    if (item.kind === 'record') {
      const r = item.record;
      const sd = structuredData([
        ['seq', r.seq],
        ['hash', r.hash],
        ['outcome', r.outcome],
        ['actor', r.actor],
        ['meeting', r.meetingId],
      ]);
      return line(facility * 8 + (SEVERITY[r.outcome] ?? 5), r.at, r.action, sd, asciiJson(jsonLine(r).trimEnd()));
    }
    const c = item.checkpoint;
    const sd = structuredData([
      ['seq', c.seq],
      ['hash', c.hash],
      ['at', c.at],
      ['signature', c.signature],
    ]);
    return line(facility * 8 + CHECKPOINT_SEVERITY, c.at, CHECKPOINT_MSGID, sd, checkpointJson(c));
  };
}

/** A checkpoint as `recinto audit checkpoint` prints it. */
export function checkpointJson(c: Checkpoint): string {
  return JSON.stringify({ seq: c.seq, hash: c.hash, at: c.at, signature: c.signature });
}

/** RFC 5425 §4.3 octet counting: the message's length in bytes, a space, the message. */
export function octetCounted(message: string): string {
  return `${Buffer.byteLength(message)} ${message}`;
}

/** The record as the jsonl export writes it (an object, parsed back from that line). */
function recordObject(r: ExportedRecord): unknown {
  return JSON.parse(jsonLine(r)) as unknown;
}

/** The HTTPS batch: `{"source","host","events":[{"type":"record","record":…} | {"type":"checkpoint","checkpoint":…}]}`. */
export function httpsBatch(items: readonly OutboxItem[], host = osHostname()): string {
  const events = items.map((item) =>
    item.kind === 'record'
      ? { type: 'record', record: recordObject(item.record) }
      : { type: 'checkpoint', checkpoint: JSON.parse(checkpointJson(item.checkpoint)) as unknown },
  );
  return JSON.stringify({ source: APP_NAME, host, events });
}
