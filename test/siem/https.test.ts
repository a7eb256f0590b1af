/**
 * SIEM over HTTPS: JSON batches signed with HMAC-SHA256 to a receiver the test runs (node:https,
 * a certificate from a test CA), which checks the signature over the exact body and the
 * timestamp, as docs/audit.md tells receivers to. A wrong key is refused and the batch stays in
 * the outbox until a server with the right key sends it; a receiver whose certificate the
 * configured CA did not sign is never sent anything.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLine } from '../../server/audit/export.ts';
import type { DeepPartial } from '../../server/config/load.ts';
import type { Config } from '../../server/config/schema.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { expectedOrder, firstArrivals, storedChain, type Arrival } from '../helpers/siem.ts';
import { createTestCa, type TestCa } from '../helpers/test-ca.ts';
import { waitFor } from '../helpers/wait.ts';

const dirs: string[] = [];
let dir: string;
let ca: TestCa;
let receiver: Receiver;
const KEY = randomBytes(32).toString('hex');

interface Receiver {
  url: string;
  /** TCP connections accepted (before TLS). */
  connections: number;
  requests: number;
  refused: number;
  /** Events of the batches accepted, in order of arrival. */
  events: any[];
  batches: any[];
  close(): Promise<void>;
}

/** The receiver docs/audit.md describes: HMAC over "<timestamp>.<exact body>", compared in constant time, a recent timestamp. */
async function startReceiver(key: string): Promise<Receiver> {
  const cert = ca.issue('siem', { ip: ['127.0.0.1'] });
  const r = { connections: 0, requests: 0, refused: 0, events: [] as any[], batches: [] as any[] };
  const server: Server = createServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.requests++;
      const body = Buffer.concat(chunks);
      const timestamp = String(req.headers['x-recinto-timestamp'] ?? '');
      const expected = Buffer.from(`sha256=${createHmac('sha256', key).update(`${timestamp}.`).update(body).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-recinto-signature'] ?? ''));
      const fresh = Math.abs(Date.now() - Number(timestamp)) < 5 * 60_000;
      if (req.method !== 'POST' || !fresh || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        r.refused++;
        res.writeHead(401).end();
        return;
      }
      const batch = JSON.parse(body.toString('utf8'));
      r.batches.push(batch);
      r.events.push(...batch.events);
      res.writeHead(204).end();
    });
  });
  server.on('connection', () => r.connections++);
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(r, {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'recinto-siem-https-'));
  dirs.push(dir);
  ca = createTestCa(dir);
  receiver = await startReceiver(KEY);
});
afterAll(async () => {
  await receiver?.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const quiet = { logTo: { write: () => {} } };

function config(dataDir: string, https: DeepPartial<Config['siem']['https']>): DeepPartial<Config> {
  return { dataDir, siem: { https: { enabled: true, url: receiver.url, caFile: ca.caFile, ...https }, batchSize: 40, retryMinMs: 50, retryMaxMs: 100 } };
}

function auditSome(s: TestServer, n: number): void {
  for (let i = 0; i < n; i++)
    s.recinto.audit({ action: 'meeting.create', outcome: 'ok', actor: `cli:a"b]${i}`, meetingId: 'k3x9-7dqm-p2fa-w8rt', detail: { title: `Comité ${i}` } });
}

const arrival = (e: any): Arrival => ({ kind: e.type, seq: e.type === 'record' ? e.record.seq : e.checkpoint.seq });

describe('SIEM over HTTPS with HMAC-signed batches', () => {
  it('is refused with a wrong key and keeps the batches; a server with the right key then sends them all, in order', async () => {
    const dataDir = join(dir, 'data');
    let server = await startTestServer(config(dataDir, { secret: 'not-the-receivers-key-'.padEnd(40, 'x') }), quiet);
    try {
      auditSome(server, 120);
      await waitFor(() => receiver.refused >= 3, 5000, { message: 'three refused batches' });
      expect(receiver.events).toEqual([]);
      expect(server.recinto.siem.outbox()[0]!.pending).toBe(storedChain(dataDir).records.length);
      await server.close();

      const keyFile = join(dir, 'hmac.key');
      writeFileSync(keyFile, `${KEY}\n`);
      chmodSync(keyFile, 0o600);
      server = await startTestServer(config(dataDir, { hmacKeyFile: keyFile }), quiet);
      auditSome(server, 30);
      server.recinto.checkpoints.checkpoint();
      await waitFor(() => server.recinto.siem.outbox()[0]!.pending === 0, 5000, { message: 'the outbox drained' });
      auditSome(server, 1); // the checkpoint written on close covers it, and is sent before the server stops
    } finally {
      await server.close();
    }
    const { records, checkpoints } = storedChain(dataDir);
    const { order } = firstArrivals(receiver.events.map(arrival));
    expect(order).toEqual(expectedOrder(records, checkpoints));
    expect(receiver.batches.every((b) => b.source === 'recinto' && typeof b.host === 'string' && b.events.length <= 40)).toBe(true);
    const sent = new Map(receiver.events.filter((e) => e.type === 'record').map((e) => [e.record.seq, e.record]));
    for (const r of records) expect(sent.get(r.seq)).toEqual(JSON.parse(jsonLine(r)));
    const lastCheckpoint = receiver.events.filter((e) => e.type === 'checkpoint').at(-1).checkpoint;
    expect(lastCheckpoint).toEqual(checkpoints.at(-1));
    expect(lastCheckpoint.seq).toBe(records.at(-1)!.seq);
  });

  it('sends nothing to a receiver whose certificate the configured CA did not sign', async () => {
    const otherCa = createTestCa(dir, 'Another CA');
    const requests = receiver.requests;
    const connections = receiver.connections;
    const server = await startTestServer(config(join(dir, 'data-other-ca'), { secret: KEY, caFile: otherCa.caFile }), quiet);
    try {
      // It tries (and retries), and the handshake fails each time: no request is ever made.
      await waitFor(() => receiver.connections >= connections + 3, 5000, { message: 'three attempts' });
      expect(receiver.requests).toBe(requests);
      expect(server.recinto.siem.outbox()[0]!.pending).toBe(storedChain(server.config.dataDir).records.length);
    } finally {
      await server.close();
    }
  });
});
