/**
 * The server's own origins: the Host header, which the sender chooses, never makes an origin
 * acceptable, and never ends up in an invitation link. Unit tests of OriginPolicy, then the real
 * server (HTTPS POST, WebSocket handshake, invitation link and .ics) with a forged Host.
 */
import type { FastifyRequest } from 'fastify';
import { Agent, request } from 'node:https';
import { hostname } from 'node:os';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OriginPolicy } from '../../server/http/origin.ts';
import type { HttpClient } from '../helpers/http-client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { TestClient } from '../helpers/ws-client.ts';
import { auditRows } from '../helpers/audit.ts';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as FastifyRequest;
const policy = (
  server: { host?: string; publicUrl?: string },
  port: number | undefined = 8443,
  machineNames: string[] = ['recinto-box', '192.168.1.20', 'fd00::5'],
) => new OriginPolicy({ host: server.host ?? '0.0.0.0', publicUrl: server.publicUrl ?? '' }, { port: () => port, machineNames: () => machineNames });

describe('OriginPolicy', () => {
  it('without publicUrl accepts the listener’s own names on its port, nothing the Host header claims', () => {
    const p = policy({});
    expect([...p.accepted()].sort()).toEqual(
      [
        'https://localhost:8443',
        'https://127.0.0.1:8443',
        'https://[::1]:8443',
        'https://recinto-box:8443',
        'https://192.168.1.20:8443',
        'https://[fd00::5]:8443',
      ].sort(),
    );
    expect(p.accepts(req({ origin: 'https://127.0.0.1:8443', host: '127.0.0.1:8443' }))).toBe(true);
    expect(p.accepts(req({ origin: 'https://[fd00::5]:8443' }))).toBe(true);
    expect(p.accepts(req({ origin: 'https://evil.example', host: 'evil.example' }))).toBe(false);
    expect(p.accepts(req({ origin: 'https://localhost:9443', host: 'localhost:9443' }))).toBe(false);
    expect(p.accepts(req({ origin: 'http://localhost:8443' }))).toBe(false);
    expect(p.accepts(req({ origin: 'https://0.0.0.0:8443' }))).toBe(false);
    expect(p.accepts(req({ host: 'localhost:8443' }))).toBe(false); // no Origin: refused, as before
  });

  it('writes origins as browsers send them: no :443, IPv6 compressed; a specific server.host is one of them', () => {
    expect(policy({ host: 'Meet.Internal' }, 443, ['2001:DB8:0:0::7']).accepted()).toEqual(
      new Set(['https://localhost', 'https://127.0.0.1', 'https://[::1]', 'https://[2001:db8::7]', 'https://meet.internal']),
    );
    expect(policy({ host: '::' }, 8443, []).accepted().has('https://[::]:8443')).toBe(false);
  });

  it('by default knows the machine’s own name and addresses', () => {
    const accepted = new OriginPolicy({ host: '0.0.0.0', publicUrl: '' }, { port: () => 8443 }).accepted();
    expect(accepted.has(new URL(`https://${hostname()}:8443`).origin)).toBe(true);
  });

  it('links point at the Host only when it is one of ours, else at localhost', () => {
    const p = policy({});
    expect(p.publicOrigin(req({ host: '192.168.1.20:8443' }))).toBe('https://192.168.1.20:8443');
    expect(p.publicOrigin(req({ host: 'evil.example' }))).toBe('https://localhost:8443');
    expect(p.publicOrigin(req({ host: 'evil.example:8443' }))).toBe('https://localhost:8443');
    expect(p.publicOrigin(req({ host: 'localhost:8443@evil.example' }))).toBe('https://localhost:8443');
    expect(p.publicOrigin(req({ host: 'localhost:8443/evil' }))).toBe('https://localhost:8443');
    expect(p.publicOrigin(req({}))).toBe('https://localhost:8443');
    expect(policy({}, 443).publicOrigin(req({ host: 'evil.example' }))).toBe('https://localhost');
  });

  it('with publicUrl accepts that origin only, and links always use it', () => {
    const p = policy({ publicUrl: 'https://meet.example.org' });
    expect(p.accepted()).toEqual(new Set(['https://meet.example.org']));
    expect(p.accepts(req({ origin: 'https://meet.example.org' }))).toBe(true);
    expect(p.accepts(req({ origin: 'https://localhost:8443', host: 'localhost:8443' }))).toBe(false);
    expect(p.publicOrigin(req({ host: 'evil.example' }))).toBe('https://meet.example.org');
  });

  it('learns the port after listen: nothing is accepted before, and the empty answer is not kept', () => {
    const listening: { port?: number } = {};
    const p = new OriginPolicy({ host: '127.0.0.1', publicUrl: '' }, { port: () => listening.port, machineNames: () => [] });
    expect(p.accepts(req({ origin: 'https://127.0.0.1:8443' }))).toBe(false);
    listening.port = 41234;
    expect(p.accepts(req({ origin: 'https://127.0.0.1:41234' }))).toBe(true);
  });
});

const agent = new Agent({ rejectUnauthorized: false, keepAlive: false });

/** The parts of JSON answers these tests read. */
type Answer = { error: { code: string }; invitation: { link: string } };

/** One HTTPS request with explicit headers (Host included), to the server at `url`. */
function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; text: string; json: Answer }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const all = payload === undefined ? headers : { ...headers, 'content-type': 'application/json' };
    const r = request(url + path, { method, headers: all, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        const json = (String(res.headers['content-type']).startsWith('application/json') ? JSON.parse(text) : {}) as Answer;
        resolve({ status: res.statusCode ?? 0, text, json });
      });
    });
    r.on('error', reject);
    r.end(payload);
  });
}

/** Opens /ws with the given Host and Origin; resolves with the HTTP status of a refusal, or 101. */
function upgrade(url: string, http: HttpClient, host: string, origin: string): Promise<number> {
  const socket = new WebSocket(url.replace(/^https:/, 'wss:') + '/ws', { rejectUnauthorized: false, origin, headers: { host, cookie: http.cookieHeader()! } });
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    socket.once('error', reject);
  });
}

describe('the real server, without publicUrl', () => {
  let server: TestServer;
  let ana: HttpClient;
  const evil = { host: 'evil.example', origin: 'https://evil.example' };

  beforeAll(async () => {
    server = await startTestServer();
    ana = await server.signIn(await server.createUser('ana'));
  });
  afterAll(() => server?.close());

  it('refuses a POST whose Origin matches a forged Host', async () => {
    const reply = await send(server.url, 'POST', '/api/auth/login', evil, { username: 'ana', password: 'whatever-it-is' });
    expect(reply.status).toBe(403);
    expect(reply.json.error.code).toBe('CSRF_FAILED');
  });

  it('accepts its own origin whatever the Host says', async () => {
    const reply = await send(
      server.url,
      'POST',
      '/api/auth/login',
      { host: 'evil.example', origin: server.url },
      { username: 'nadie', password: 'whatever-it-is' },
    );
    expect(reply.status).toBe(401);
    expect(reply.json.error.code).toBe('INVALID_CREDENTIALS');
    expect((await ana.post('/api/meetings', { title: 'Propia' })).status).toBe(201);
  });

  it('refuses a WebSocket upgrade whose Origin matches a forged Host, and audits it', async () => {
    expect(await upgrade(server.url, ana, evil.host, evil.origin)).toBe(403);
    const denied = auditRows(server.recinto.db, { action: 'signaling.connect', outcome: 'denied' });
    expect(denied.map((d) => d.detail)).toContainEqual(expect.objectContaining({ reason: 'origin', origin: evil.origin }));
    const own = await TestClient.connect(ana);
    await own.close();
  });

  it('never puts a forged Host in the invitation link or the calendar entry', async () => {
    const { body: created } = await ana.post('/api/meetings', { title: 'Comité' });
    expect(created.invitation.link).toBe(`${server.url}/m/${created.id}`);
    const headers = { host: 'evil.example', cookie: ana.cookieHeader()! };
    const read = await send(server.url, 'GET', `/api/meetings/${created.id}`, headers);
    expect(read.status).toBe(200);
    expect(read.json.invitation.link).toBe(`https://localhost:${server.recinto.port}/m/${created.id}`);
    const ics = await send(server.url, 'GET', `/api/meetings/${created.id}/invite.ics`, headers);
    expect(ics.status).toBe(200);
    expect(ics.text).not.toContain('evil.example');
    expect(ics.text).toContain(`localhost:${server.recinto.port}/m/${created.id}`);
  });
});

describe('the real server, with publicUrl', () => {
  let server: TestServer;
  let direct: string;
  const publicUrl = 'https://meet.example.org';

  beforeAll(async () => {
    server = await startTestServer({ server: { publicUrl } });
    direct = `https://127.0.0.1:${server.recinto.port}`;
  });
  afterAll(() => server?.close());

  it('accepts that origin only, even from its own listening address', async () => {
    const body = { username: 'nadie', password: 'whatever-it-is' };
    expect((await send(direct, 'POST', '/api/auth/login', { origin: publicUrl }, body)).status).toBe(401);
    const own = await send(direct, 'POST', '/api/auth/login', { origin: direct }, body);
    expect(own.status).toBe(403);
    expect(own.json.error.code).toBe('CSRF_FAILED');
    expect((await send(direct, 'POST', '/api/auth/login', { host: 'evil.example', origin: 'https://evil.example' }, body)).status).toBe(403);
  });
});
