/**
 * The audit trail forwarded to a real rsyslog over TLS (RFC 5425, mutual TLS): every record and
 * checkpoint arrives, in chain order, across a collector outage and across a restart of the server
 * while the collector is down; each message is RFC 5424 as rsyslog parses it (header, structured
 * data unescaped by mmpstrucdata, the JSON line as MSG).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLine } from '../../server/audit/export.ts';
import type { Config } from '../../server/config/schema.ts';
import type { DeepPartial } from '../../server/config/load.ts';
import { freeUdpAndTcpPort } from '../helpers/coturn.ts';
import { rsyslog, type Received, type Rsyslog } from '../helpers/rsyslog.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { expectedOrder, firstArrivals, storedChain, type Arrival } from '../helpers/siem.ts';
import { createTestCa, type Issued } from '../helpers/test-ca.ts';
import { waitFor } from '../helpers/wait.ts';

const dirs: string[] = [];
let caFile: string;
let clientCert: Issued;
/** One collector for both tests (rsyslog's TLS set-up takes a second at each start); each test sends with its own facility. */
let rs: Rsyslog;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recinto-siem-ca-'));
  dirs.push(dir);
  const ca = createTestCa(dir);
  caFile = ca.caFile;
  clientCert = ca.issue('recinto.example.org', { dns: ['recinto.example.org'] });
  rs = rsyslog({
    port: await freeUdpAndTcpPort(),
    caFile,
    ...ca.issue('siem.example.org', { dns: ['siem.example.org'], ip: ['127.0.0.1'] }),
    requireClientCert: true,
  });
  await rs.start();
});
afterAll(async () => {
  await rs?.remove();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const FACILITY = { authpriv: 10, local3: 19 } as const;

/** What the collector received with `facility`. */
const receivedAs = (facility: keyof typeof FACILITY) => rs.received().filter((m) => Math.floor(Number(m.pri) / 8) === FACILITY[facility]);

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'recinto-siem-data-'));
  dirs.push(dir);
  return join(dir, 'data');
}

/** The logs go nowhere: the collector's outages are logged on purpose. */
const quiet = { logTo: { write: () => {} } };

function siemConfig(dir: string, facility: keyof typeof FACILITY): DeepPartial<Config> {
  return {
    dataDir: dir,
    siem: {
      syslog: { enabled: true, host: '127.0.0.1', port: rs.port, caFile, certFile: clientCert.certFile, keyFile: clientCert.keyFile, facility, settleMs: 300 },
      retryMinMs: 50,
      retryMaxMs: 200,
    },
  };
}

const arrival = (m: Received): Arrival => ({ kind: m.msgid === 'audit.checkpoint' ? 'checkpoint' : 'record', seq: Number(m.sd.seq) });

/** Audits `n` records with fields that need escaping in structured data and JSON. */
function auditMany(server: TestServer, n: number, from = 0): void {
  for (let i = from; i < from + n; i++) {
    server.recinto.audit({
      action: i % 7 === 0 ? 'host.remove' : 'auth.login',
      outcome: i % 5 === 0 ? 'denied' : i % 11 === 0 ? 'error' : 'ok',
      actor: i % 3 === 0 ? undefined : `cli:ad"min\\${i}]`,
      meetingId: i % 2 === 0 ? 'k3x9-7dqm-p2fa-w8rt' : undefined,
      detail: { i, title: 'Comité ] " \\ ☃' },
    });
  }
}

/** The collector holds every record and checkpoint of the chain in `dir` (by seq, first arrivals), in chain order. */
function expectComplete(received: Received[], dir: string): void {
  const { records, checkpoints } = storedChain(dir);
  expect(records.length).toBeGreaterThan(0);
  const { order } = firstArrivals(received.map(arrival));
  expect(order).toEqual(expectedOrder(records, checkpoints));
}

describe('SIEM over syslog/TLS to a real rsyslog', () => {
  it('delivers every record and checkpoint in order across a collector outage, as RFC 5424 rsyslog parses', async () => {
    const dir = dataDir();
    const server = await startTestServer(siemConfig(dir, 'authpriv'), quiet);
    const received = () => receivedAs('authpriv');
    const pending = () => server.recinto.siem.outbox()[0]!.pending;
    try {
      auditMany(server, 150);
      server.recinto.checkpoints.checkpoint();
      await waitFor(() => received().some((m) => m.msgid === 'audit.checkpoint'), 8000, { message: 'the first checkpoint at rsyslog' });

      // The collector stops and starts again while records keep coming (one every few ms): some
      // are written to a connection that is going away, and must be sent again.
      let next = 150;
      const stream = setInterval(() => auditMany(server, 1, next++), 2);
      try {
        await new Promise((r) => setTimeout(r, 100));
        await rs.stop();
        const whileDown = next;
        await new Promise((r) => setTimeout(r, 400));
        // Nothing settles while the collector is down: the outbox holds at least what came since.
        expect(pending()).toBeGreaterThanOrEqual(next - whileDown);
        await rs.start();
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        clearInterval(stream);
      }
      auditMany(server, 100, next);
      server.recinto.checkpoints.checkpoint();
      await waitFor(() => pending() === 0, 8000, { message: 'the outbox drained' });
      auditMany(server, 1, 100_000); // the checkpoint written on close covers this one
    } finally {
      await server.close();
    }
    const messages = received();
    expectComplete(messages, dir);

    // Each record as rsyslog parsed it: PRI (authpriv = 10, severity by outcome), TIMESTAMP, APP-NAME,
    // PROCID, MSGID, the structured data (unescaped), and MSG the jsonl export's line.
    const { records, checkpoints } = storedChain(dir);
    const bySeq = new Map(messages.filter((m) => m.msgid !== 'audit.checkpoint').map((m) => [Number(m.sd.seq), m]));
    for (const r of records) {
      const m = bySeq.get(r.seq)!;
      expect(m['app-name']).toBe('recinto');
      expect(m.procid).toBe(String(process.pid));
      expect(m.msgid).toBe(r.action);
      expect(m.pri).toBe(String(10 * 8 + { ok: 6, denied: 4, error: 3 }[r.outcome]!));
      expect(m.timereported).toBe(new Date(r.at).toISOString());
      const sd: Record<string, string> = { seq: String(r.seq), hash: r.hash, outcome: r.outcome };
      if (r.actor !== null) sd.actor = r.actor;
      if (r.meetingId !== null) sd.meeting = r.meetingId;
      expect(m.sd).toEqual(sd);
      expect(JSON.parse(m.msg)).toEqual(JSON.parse(jsonLine(r)));
      expect(m.msg).toMatch(/^[\x20-\x7e]+$/);
    }
    expect(records.some((r) => r.actor?.includes('"') && r.actor.includes(']') && r.actor.includes('\\'))).toBe(true);
    // Checkpoints, the last one written on close included: their own MSGID, seq/hash/at/signature, the JSON of `audit checkpoint`.
    const last = checkpoints.at(-1)!;
    expect(last.seq).toBe(records.at(-1)!.seq);
    const sent = messages.filter((m) => m.msgid === 'audit.checkpoint');
    expect(sent.map((m) => m.sd)).toEqual(
      expect.arrayContaining(checkpoints.map((c) => ({ seq: String(c.seq), hash: c.hash, at: String(c.at), signature: c.signature }))),
    );
    expect(JSON.parse(sent.at(-1)!.msg)).toEqual(last);
    expect(sent.at(-1)!.pri).toBe(String(10 * 8 + 5));
  });

  it('delivers everything once both are back when the server was restarted while the collector was down', async () => {
    const dir = dataDir();
    let server = await startTestServer(siemConfig(dir, 'local3'), quiet);
    try {
      auditMany(server, 50);
      // Acknowledged (written, and the connection stayed up for settleMs): the cursor moves past them.
      await waitFor(() => server.recinto.siem.outbox()[0]!.pending === 0, 8000, { message: 'the first records acknowledged' });
      await rs.stop();
      auditMany(server, 50, 50);
      await server.close(); // its last checkpoint cannot leave
      server = await startTestServer(siemConfig(dir, 'local3'), quiet);
      expect(server.recinto.siem.outbox()[0]!.pending).toBeGreaterThanOrEqual(51);
      auditMany(server, 50, 100);
      await new Promise((r) => setTimeout(r, 300));
      await rs.start();
      await waitFor(() => server.recinto.siem.outbox()[0]!.pending === 0, 8000, { message: 'the outbox drained after the restart' });
    } finally {
      await server.close();
    }
    expectComplete(receivedAs('local3'), dir);
    // What was acknowledged before the outage was not sent again after the restart: the cursor is stored.
    expect(firstArrivals(receivedAs('local3').map(arrival)).repeats).toBe(0);
  });
});
