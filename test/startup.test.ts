/**
 * The server as a process (`node server/main.ts`, what `./recinto start` runs): clear messages and
 * exit codes for bad configuration, a busy port and a missing media worker; health endpoints; a
 * self-signed certificate on first start; graceful SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import { afterAll, describe, expect, it } from 'vitest';
import { serverEnv } from './helpers/server-process.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'recinto-start-'));
  dirs.push(dir);
  return { ...serverEnv(dir, 0), ...extra };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(environment: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['server/main.ts'], { env: environment });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: new Agent({ rejectUnauthorized: false }) }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('server process', () => {
  it('stops with a message naming the key when the configuration is invalid', async () => {
    const result = await run(env({ RECINTO_PORT: 'eighty', RECINTO_MEDIA_WORKERS: '-1' }));
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('server.port (from RECINTO_PORT): expected integer, got "eighty"');
    expect(result.stderr).toContain('media.workers (from RECINTO_MEDIA_WORKERS): must be >= 0');
  });

  it('stops with a clear message when the port is busy, leaving nothing behind', async () => {
    const blocker: Server = await new Promise((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = String((blocker.address() as { port: number }).port);
    try {
      const result = await run(env({ RECINTO_PORT: port }));
      expect(result.code).toBe(69);
      expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
    } finally {
      blocker.close();
    }
  });

  it('stops with a clear message when the media worker binary is missing', async () => {
    const result = await run(env({ RECINTO_WORKER_BIN: '/nonexistent/mediasoup-worker' }));
    expect(result.code).toBe(69);
    expect(result.stderr).toContain('mediasoup worker binary not found or not executable: /nonexistent/mediasoup-worker');
  });

  it('creates a self-signed certificate, answers health checks, and stops cleanly on SIGTERM', async () => {
    const environment = env({});
    const child = spawn(process.execPath, ['server/main.ts'], { env: environment });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 20_000;
    while (!/"msg":"Recinto is listening"/.test(stdout)) {
      if (Date.now() > deadline) throw new Error(`server did not start:\n${stdout}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const listening = stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string; url?: string })
      .find((l) => l.msg === 'Recinto is listening')!;
    expect(stdout).toContain('created a self-signed one');
    expect(existsSync(environment.RECINTO_TLS_CERT!)).toBe(true);

    expect(await get(`${listening.url}/healthz`)).toEqual({ status: 200, body: '{"status":"ok"}' });
    const ready = await get(`${listening.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ ready: true, workers: { alive: 1, total: 1 }, database: 'open' });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('"msg":"shutting down"');
  }, 30_000);
});
