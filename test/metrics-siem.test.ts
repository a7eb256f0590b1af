/**
 * GET /metrics on the real server with a real SIEM destination (HTTPS batches to a receiver with a
 * certificate from a test CA): `recinto_siem_outbox_records{destination}` is what the destination
 * has not acknowledged — it grows while the receiver refuses, and goes back to 0 once it accepts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxLength } from '../server/siem/outbox.ts';
import { parsePrometheus, valueOf } from './helpers/prometheus.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createTestCa } from './helpers/test-ca.ts';
import { waitFor } from './helpers/wait.ts';

let dir: string;
let receiver: Server;
let accepting = false;
let server: TestServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'recinto-metrics-siem-'));
  const ca = createTestCa(dir);
  const cert = ca.issue('siem', { ip: ['127.0.0.1'] });
  receiver = createServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) }, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(accepting ? 204 : 503).end());
  });
  receiver.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(receiver.address() as AddressInfo).port}/ingest`;
  server = await startTestServer(
    { siem: { https: { enabled: true, url, caFile: ca.caFile, secret: 'k'.repeat(40) }, retryMinMs: 20, retryMaxMs: 50 } },
    { logTo: { write: () => {} } },
  );
});
afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** The gauge as scraped from loopback (no token configured). */
function gauge(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/metrics`, { rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        const families = parsePrometheus(body);
        expect(families.get('recinto_siem_outbox_records')?.type).toBe('gauge');
        resolve(valueOf(families, 'recinto_siem_outbox_records', { destination: 'https' }));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const pending = () => outboxLength(server.recinto.db, server.recinto.siem.outbox()[0]!.destination);

describe('recinto_siem_outbox_records', () => {
  it('follows what the SIEM destination has not acknowledged, labelled by the kind of destination only', async () => {
    for (let i = 0; i < 25; i++) server.recinto.audit({ action: 'test.record', outcome: 'ok', detail: { i } });
    const refused = await gauge();
    expect(refused).toBe(pending());
    expect(refused).toBeGreaterThanOrEqual(25);
    for (let i = 0; i < 10; i++) server.recinto.audit({ action: 'test.record', outcome: 'ok', detail: { i } });
    expect(await gauge()).toBe(refused + 10);

    accepting = true;
    await waitFor(() => pending() === 0, 5000, { message: 'the outbox drained' });
    expect(await gauge()).toBe(0);
  });
});
