/**
 * GET /metrics on the real server (HTTPS, real WebSockets, a real mediasoup worker): valid
 * Prometheus text whose gauges follow a real meeting and the SFU, histograms and refusal counts
 * that follow what was done, access only with the token (or, without one, from loopback), and no
 * personal data in any label.
 */
import { request } from 'node:https';
import { networkInterfaces } from 'node:os';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../server/config/load.ts';
import { isLoopback, scrapeAccess } from '../server/metrics/access.ts';
import { configProblems } from './helpers/config-problems.ts';
import { HttpClient } from './helpers/http-client.ts';
import { parsePrometheus, total, valueOf, type Family } from './helpers/prometheus.ts';
import { RECV_CAPS, OPUS } from './helpers/rtp.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/server.ts';
import { waitFor } from './helpers/wait.ts';
import { joinAdmitted, TestClient } from './helpers/ws-client.ts';

const TOKEN = 'scrape-0123456789-abcdefghij';
const BEARER = { authorization: `Bearer ${TOKEN}` };

let server: TestServer;
const users: Record<string, TestUser> = {};
const http: Record<string, HttpClient> = {};
/** Every router the worker makes, to ask mediasoup itself what exists. */
const routers = new Set<types.Router>();

beforeAll(async () => {
  server = await startTestServer({ metrics: { token: TOKEN } });
  for (const [name, displayName] of [
    ['marta', 'Marta Ruiz'],
    ['nico', 'Nicolás Pérez'],
    ['olga', 'Olga Sanz'],
  ] as const) {
    users[name] = await server.createUser(name, { displayName });
    http[name] = await server.signIn(users[name]);
  }
  for (const slot of server.recinto.pool.slots) slot.worker.observer.on('newrouter', (router) => routers.add(router));
});
afterAll(() => server?.close());

interface Reply {
  status: number;
  contentType: string;
  body: string;
}

function get(url: string, path: string, options: { headers?: Record<string, string>; localAddress?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { headers: options.headers, rejectUnauthorized: false, localAddress: options.localAddress, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function scrape(): Promise<Map<string, Family>> {
  const reply = await get(server.url, '/metrics', { headers: BEARER });
  expect(reply.status).toBe(200);
  expect(reply.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheus(reply.body);
}

/** What mediasoup itself has now on every live router: producers and consumers. */
async function atTheSfu(): Promise<{ producers: number; consumers: number }> {
  let producers = 0;
  let consumers = 0;
  for (const router of routers) {
    if (router.closed) continue;
    const dump = await router.dump();
    producers += dump.mapProducerIdConsumerIds.length;
    consumers += dump.mapConsumerIdProducerId.length;
  }
  return { producers, consumers };
}

/**
 * Marta hosts and is inside, Nico was admitted, Olga waits; Marta and Nico each send audio and
 * receive the other's: 2 producers, 2 consumers. Everything personal it made is in `personal`.
 */
async function meetingWithMedia() {
  const meetingId = server.createMeeting('Consejo', { ownerId: users.marta!.id, policy: { muteOnEntry: false } });
  const marta = await TestClient.connect(http.marta!);
  const joined = await marta.join(meetingId);
  if (joined.status !== 'joined') throw new Error('the host enters directly');
  const nico = await TestClient.connect(http.nico!);
  const nicoId = await joinAdmitted(nico, meetingId, marta);
  const olga = await TestClient.connect(http.olga!);
  const waiting = await olga.join(meetingId);
  if (waiting.status !== 'waiting') throw new Error('Olga waits');
  const ids: string[] = [meetingId, joined.meeting.self.id, nicoId, waiting.waitingId];
  const send = async (client: TestClient) => {
    await client.request('announceE2eeKeys', { bundle: Buffer.alloc(96, 5).toString('base64') });
    const transport = await client.request('createTransport', { direction: 'send' });
    const { producerId } = await client.request('produce', { transportId: transport.id, kind: 'audio', source: 'microphone', rtpParameters: OPUS });
    ids.push(transport.id, producerId);
    return producerId;
  };
  const receive = async (client: TestClient, producerId: string) => {
    const transport = await client.request('createTransport', { direction: 'recv' });
    const consumer = await client.request('consume', { transportId: transport.id, producerId, rtpCapabilities: RECV_CAPS });
    ids.push(transport.id, consumer.consumerId);
  };
  const fromMarta = await send(marta);
  const fromNico = await send(nico);
  await receive(nico, fromMarta);
  await receive(marta, fromNico);
  const close = async () => {
    await Promise.all([marta.close(), nico.close(), olga.close()]);
    await waitFor(() => server.recinto.meetings.running === 0);
  };
  onTestFinished(close); // also when the test fails half-way: the next one starts from nothing
  return { meetingId, ids, close };
}

describe('GET /metrics', () => {
  it('is valid Prometheus text whose gauges follow a real meeting and the SFU, and go back to 0', async () => {
    const before = await scrape();
    for (const name of ['recinto_meetings_running', 'recinto_participants', 'recinto_waiting', 'recinto_producers', 'recinto_consumers']) {
      expect(before.get(name)?.type, name).toBe('gauge');
      expect(valueOf(before, name), name).toBe(0);
    }
    expect(before.get('recinto_join_seconds')?.type).toBe('histogram');
    expect(before.get('recinto_sign_in_seconds')?.type).toBe('histogram');
    expect(before.get('recinto_refused_total')?.type).toBe('counter');
    expect(before.get('recinto_media_worker_cpu_seconds_total')?.type).toBe('counter');

    const m = await meetingWithMedia();
    const sfu = await atTheSfu();
    expect(sfu).toEqual({ producers: 2, consumers: 2 });
    const during = await scrape();
    expect(valueOf(during, 'recinto_meetings_running')).toBe(1);
    expect(valueOf(during, 'recinto_participants')).toBe(2);
    expect(valueOf(during, 'recinto_waiting')).toBe(1);
    expect(valueOf(during, 'recinto_producers')).toBe(sfu.producers);
    expect(valueOf(during, 'recinto_consumers')).toBe(sfu.consumers);
    // One worker in tests: it holds everything; its CPU time is mediasoup's own figure.
    expect(valueOf(during, 'recinto_media_worker_consumers', { worker: '0' })).toBe(sfu.consumers);
    expect(valueOf(during, 'recinto_media_worker_routers', { worker: '0' })).toBe(1);
    const usage = await server.recinto.pool.slots[0]!.worker.getResourceUsage();
    const cpu = valueOf(during, 'recinto_media_worker_cpu_seconds_total', { worker: '0' });
    expect(cpu).toBeGreaterThan(0);
    expect(cpu).toBeLessThanOrEqual((usage.ru_utime + usage.ru_stime) / 1000);

    await m.close();
    const after = await waitFor(async () => {
      const families = await scrape();
      return valueOf(families, 'recinto_consumers') === 0 && valueOf(families, 'recinto_producers') === 0 ? families : undefined;
    });
    for (const name of ['recinto_meetings_running', 'recinto_participants', 'recinto_waiting', 'recinto_producers', 'recinto_consumers']) {
      expect(valueOf(after, name), name).toBe(0);
    }
    expect(valueOf(after, 'recinto_media_worker_consumers', { worker: '0' })).toBe(0);
    expect(await atTheSfu()).toEqual({ producers: 0, consumers: 0 });
    expect(valueOf(after, 'recinto_media_worker_cpu_seconds_total', { worker: '0' })).toBeGreaterThanOrEqual(cpu); // a counter
  });

  it('counts the joins and sign-ins made, and refusals by code (HTTP and signalling)', async () => {
    const before = await scrape();
    const wrong = await new HttpClient(server.url).post('/api/auth/login', { username: 'marta', password: 'not-martas-password' });
    expect(wrong.status).toBe(401);
    const nicoHttp = await server.signIn(users.nico!);

    const meetingId = server.createMeeting('Junta', { ownerId: users.marta!.id });
    const marta = await TestClient.connect(http.marta!);
    expect((await marta.join(meetingId)).status).toBe('joined');
    const nico = await TestClient.connect(nicoHttp);
    onTestFinished(async () => void (await Promise.all([marta.close(), nico.close()])));
    await joinAdmitted(nico, meetingId, marta); // waits, then is admitted
    expect((await nico.send('setLocked', { locked: true })).error?.code).toBe('FORBIDDEN');
    await Promise.all([marta.close(), nico.close()]);
    await waitFor(() => server.recinto.meetings.running === 0);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(delta('recinto_join_seconds_count', { status: 'joined' })).toBe(1);
    expect(delta('recinto_join_seconds_count', { status: 'waiting' })).toBe(1);
    expect(delta('recinto_join_seconds_sum', { status: 'joined' })).toBeGreaterThan(0);
    expect(delta('recinto_sign_in_seconds_count', { outcome: 'ok' })).toBe(1);
    expect(delta('recinto_sign_in_seconds_count', { outcome: 'refused' })).toBe(1);
    // argon2id runs for each: never a free answer.
    expect(delta('recinto_sign_in_seconds_sum', { outcome: 'refused' })).toBeGreaterThan(0.005);
    expect(delta('recinto_refused_total', { code: 'INVALID_CREDENTIALS' })).toBe(1);
    expect(delta('recinto_refused_total', { code: 'FORBIDDEN' })).toBe(1);
    expect(total(after, 'recinto_refused_total') - total(before, 'recinto_refused_total')).toBe(2);
    // A histogram's buckets are cumulative and end at +Inf = count.
    expect(valueOf(after, 'recinto_join_seconds_bucket', { status: 'joined', le: '+Inf' })).toBe(
      valueOf(after, 'recinto_join_seconds_count', { status: 'joined' }),
    );
  });

  it('has no personal data in any label: no meeting, account, name, media id or address', async () => {
    const m = await meetingWithMedia();
    const reply = await get(server.url, '/metrics', { headers: BEARER });
    await m.close();
    const families = parsePrometheus(reply.body);
    const samples = [...families.values()].flatMap((f) => f.samples);
    const labelNames = new Set(samples.flatMap((s) => Object.keys(s.labels)));
    expect([...labelNames].sort()).toEqual(['code', 'le', 'outcome', 'status', 'worker']);
    const values = new Set(samples.flatMap((s) => Object.values(s.labels)));
    const { pool } = server.recinto;
    const personal = [
      ...m.ids,
      ...Object.values(users).flatMap((u) => [u.id, u.username, u.displayName]),
      '127.0.0.1',
      '::1',
      '::ffff:127.0.0.1',
      ...pool.slots.map((s) => String(s.worker.pid)),
    ];
    for (const value of values) {
      for (const item of personal) expect(value.includes(item), `label value ${JSON.stringify(value)} carries ${JSON.stringify(item)}`).toBe(false);
    }
    // Workers are named by their index, never their process id.
    const workers = new Set(samples.filter((s) => s.labels.worker !== undefined).map((s) => s.labels.worker));
    expect([...workers]).toEqual(pool.slots.map((s) => String(s.index)));
  });
});

describe('who may scrape', () => {
  const notFound = (reply: Reply) => {
    expect(reply.status).toBe(404);
    expect(reply.body).not.toContain('recinto_');
  };

  it('with a token: only a request bearing it; anything else is the ordinary 404, loopback included', async () => {
    const unknown = await get(server.url, '/no-such-route');
    expect(unknown.status).toBe(404);
    const refused: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${TOKEN.slice(0, -1)}x` }, // same length, last byte differs
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.slice(0, 8)}` },
      { authorization: `Basic ${Buffer.from(`metrics:${TOKEN}`).toString('base64')}` },
      { authorization: TOKEN },
    ];
    for (const headers of refused) {
      const reply = await get(server.url, '/metrics', { headers });
      notFound(reply);
      expect(reply.body.replace('/metrics', '/no-such-route'), JSON.stringify(headers)).toBe(unknown.body); // not advertised
    }
    expect((await get(server.url, '/metrics', { headers: { authorization: `bearer  ${TOKEN}` } })).status).toBe(200);
  });

  it('without a token: from a loopback address only (the TCP peer, not a forwarded-for header); disabled: no route', async () => {
    const open = await startTestServer({ server: { host: '0.0.0.0' } });
    const disabled = await startTestServer({ metrics: { enabled: false } });
    try {
      expect(open.config.metrics.token).toBe('');
      expect((await get(open.url, '/metrics')).status).toBe(200);
      notFound(await get(disabled.url, '/metrics'));
      // The same server reached from one of this machine's other addresses (none: nothing to check).
      const outside = Object.values(networkInterfaces())
        .flatMap((list) => list ?? [])
        .find((a) => a.family === 'IPv4' && !isLoopback(a.address));
      if (!outside) return;
      const url = `https://${outside.address}:${open.recinto.port}`;
      expect((await get(url, '/healthz', { localAddress: outside.address })).status).toBe(200);
      notFound(await get(url, '/metrics', { localAddress: outside.address }));
      notFound(await get(url, '/metrics', { localAddress: outside.address, headers: { 'x-forwarded-for': '127.0.0.1', ...BEARER } }));
    } finally {
      await Promise.all([open.close(), disabled.close()]);
    }
  });

  it('loopback is 127.0.0.0/8 and ::1, also written as IPv6; a token is compared whole', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopback(address), address).toBe(true);
    for (const address of [undefined, '', '10.0.0.1', '::ffff:10.0.0.1', '1127.0.0.1', '127.0.0.1.example', '::2', 'fe80::1']) {
      expect(isLoopback(address), String(address)).toBe(false);
    }
    const allowed = scrapeAccess(TOKEN);
    const from = (authorization?: string) => allowed({ headers: authorization ? { authorization } : {}, socket: { remoteAddress: '127.0.0.1' } });
    expect(from(`Bearer ${TOKEN}`)).toBe(true);
    expect(from()).toBe(false);
    expect(from(`Bearer ${TOKEN} extra`)).toBe(false);
    expect(from(`Bearer ${TOKEN.toUpperCase()}`)).toBe(false);
  });

  it('is configured like everything else: on by default, no token; RECINTO_METRICS_*; a token of 16 to 512 visible characters', () => {
    expect(loadConfig({ env: {} }).metrics).toEqual({ enabled: true, token: '' });
    expect(loadConfig({ env: { RECINTO_METRICS_TOKEN: TOKEN, RECINTO_METRICS_ENABLED: 'false' } }).metrics).toEqual({ enabled: false, token: TOKEN });
    const problem = 'metrics.token (from RECINTO_METRICS_TOKEN): must match pattern "^([!-~]{16,512})?$"';
    for (const token of ['too-short', 'has a space 0123456789', 'x'.repeat(513)]) {
      expect(
        configProblems(() => loadConfig({ env: { RECINTO_METRICS_TOKEN: token } })),
        token,
      ).toEqual([problem]);
    }
  });
});
