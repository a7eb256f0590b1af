/**
 * The offline install bundle (`./recinto bundle`) on an air-gapped machine: built by the wrapper,
 * verified with `sha256sum -c`, unpacked into an empty folder with HOME and every cache empty and
 * no node on PATH, then its admin commands and `./recinto start` run with no network at all (a
 * fresh network namespace holding only loopback, `unshare -n`). `/readyz` answers from inside,
 * and two Chromium browsers joined to that namespace (`nsenter`) sign in for the first time and
 * decode each other's video. The server is the bundled Node, the worker the bundled one, and every
 * library the worker has loaded — those NSS opens with dlopen once SRTP starts included — is the
 * bundle's own or glibc's.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { totpAt } from '../server/auth/totp.ts';
import { PROJECT_ROOT } from '../server/config/load.ts';
import { CHROMIUM_PATH, launchBrowser, type LaunchedBrowser } from './helpers/browser.ts';
import { buildBundle, freshMachineEnv, unpackBundle } from './helpers/bundle.ts';
import { growth, joinMeeting } from './helpers/page.ts';
import { waitFor } from './helpers/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'recinto-bundle-'));
let archive = '';
let top = '';
let server: ChildProcess | undefined;
const browsers: LaunchedBrowser[] = [];

/** glibc's own libraries, which the bundle leaves to the machine. */
const GLIBC = /^(ld-linux[-\w.]*|libc|libm|libdl|libpthread|librt|libresolv|libutil|libanl|libnss_\w+)\.so/;

beforeAll(() => {
  const started = Date.now();
  archive = buildBundle(join(dir, 'out'));
  top = unpackBundle(archive, join(dir, 'machine'));
  console.log(`bundle built and unpacked in ${Date.now() - started} ms`);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(browsers.map((b) => b.close()));
  server?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('./recinto bundle', () => {
  it('is one folder of checksummed files: the production packages, a worker with its libraries, a wrapper that installs nothing', () => {
    expect(basename(archive)).toMatch(new RegExp(`^recinto-${pkg.version}-linux-(x64|arm64)\\.tar\\.gz$`));
    expect(basename(top)).toBe(`recinto-${pkg.version}`);
    // Every file but SHA256SUMS is listed, and each matches.
    const listed = readFileSync(join(top, 'SHA256SUMS'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.slice(66));
    const files = readdirSync(top, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(top.length + 1))
      .filter((f) => f !== 'SHA256SUMS');
    expect(listed).toEqual([...files].sort());
    expect(spawnSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: top, encoding: 'utf8' })).toMatchObject({ status: 0, stdout: '' });
    for (const f of [
      'recinto',
      'node/bin/node',
      'node/LICENSE',
      'client/dist/index.html',
      'config/default.json',
      'deploy/recinto.service',
      'docs/protocol.md',
    ]) {
      expect(existsSync(join(top, f)), f).toBe(true);
    }
    // Production packages only (what the lock file does not mark dev), without mediasoup's C++ sources.
    const lock = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const installed = Object.entries(lock.packages).filter(([path]) => path && existsSync(join(PROJECT_ROOT, path, 'package.json')));
    expect(installed.filter(([, p]) => p.dev).length).toBeGreaterThan(50);
    for (const [path, { dev }] of installed) expect(existsSync(join(top, path, 'package.json')), path).toBe(!dev);
    expect(existsSync(join(top, 'node_modules/mediasoup/worker'))).toBe(false);
    // With the bundle's library folder, every library the worker links to is the bundle's or glibc's.
    const lib = join(top, 'worker/lib');
    const ldd = execFileSync('ldd', [join(top, 'worker/bin/mediasoup-worker')], { env: { LD_LIBRARY_PATH: lib }, encoding: 'utf8' });
    const resolved = [...ldd.matchAll(/^\s*(\S+) => (.+?) \(0x/gm)].map((m) => [m[1]!, m[2]!] as const);
    expect(resolved.length).toBeGreaterThan(10);
    for (const [name, path] of resolved) expect(path.startsWith(`${lib}/`) || GLIBC.test(name), `${name} => ${path}`).toBe(true);
    // What needs a clone says so.
    for (const command of ['test', 'bench', 'bundle', 'setup']) {
      const refused = spawnSync(join(top, 'recinto'), [command], { encoding: 'utf8' });
      expect(refused.status, command).toBe(2);
      expect(refused.stderr).toContain(`'${command}' is not available in an offline bundle`);
    }
  });

  it('starts with no network, no cache and no node on PATH; two browsers exchange media through the bundled worker', async () => {
    let err = '';
    onTestFailed(() => console.log([...browsers.flatMap((b) => b.logs), err].join('\n')));
    const machine = freshMachineEnv(join(dir, 'env'));
    const config = join(dir, 'recinto.json');
    writeFileSync(config, JSON.stringify({ meetings: { policy: { waitingRoom: false, joinBeforeHost: true, muteOnEntry: false } } }));
    const env = {
      ...machine.env,
      RECINTO_DATA_DIR: join(dir, 'data'),
      RECINTO_PORT: '8443',
      RECINTO_MEDIA_WORKERS: '1',
      RECINTO_CONFIG: config,
      // This machine's worker, which the bundle must not use.
      MEDIASOUP_WORKER_BIN: process.env['MEDIASOUP_WORKER_BIN'] ?? '',
    };
    // Admin commands, offline, with another node first on PATH: the bundle runs its own.
    const decoy = join(dir, 'decoy');
    mkdirSync(decoy);
    writeFileSync(join(decoy, 'node'), '#!/bin/sh\necho "not the bundled node" >&2\nexit 1\n');
    chmodSync(join(decoy, 'node'), 0o755);
    const admin = (...args: string[]) => {
      const r = spawnSync('/usr/bin/unshare', ['-n', './recinto', ...args], { cwd: top, env: { ...env, PATH: `${decoy}:${env.PATH}` }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`recinto ${args.join(' ')}: ${r.status}\n${r.stderr}`);
      return r.stdout;
    };
    const passwords = ['ana', 'bea'].map((u) => /one-time password \(shown only now\): (\S+)/.exec(admin('user', 'add', u, '--name', u.toUpperCase()))![1]!);
    const meetingId = admin('meeting', 'create', 'Comité', '--host', 'ana').split('\n')[0]!;
    expect(admin('user', 'list')).toMatch(/^ana\tstaff\tactive\t2fa:no\tANA\nbea\t/);
    expect(admin('config', 'check')).toContain('configuration is valid');

    const started = Date.now();
    server = spawn('/usr/bin/unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec ./recinto start'], { cwd: top, env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d: Buffer) => (err += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(() => /Recinto is running at/.test(err) || server!.exitCode !== null, 30_000, { message: 'the bundle started' });
    expect(server.exitCode, err).toBe(null);
    const pid = server.pid!;
    // From inside its namespace (the only place it can be reached).
    const probe = `fetch('https://127.0.0.1:8443/readyz').then(async (r) => console.log(r.status, await r.text()))`;
    const ready = execFileSync('/usr/bin/nsenter', ['-t', String(pid), '-n', process.execPath, '-e', probe], {
      env: { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: '0', NODE_NO_WARNINGS: '1' },
      encoding: 'utf8',
    });
    expect(ready).toMatch(/^200 \{"ready":true/);
    console.log(`started offline to /readyz 200 in ${Date.now() - started} ms`);
    expect(readlinkSync(`/proc/${pid}/exe`)).toBe(join(top, 'node/bin/node'));

    const inside = join(dir, 'chromium-in-namespace.sh');
    writeFileSync(inside, `#!/bin/sh\nexec /usr/bin/nsenter -t ${pid} -n ${CHROMIUM_PATH} "$@"\n`);
    chmodSync(inside, 0o755);
    const url = 'https://127.0.0.1:8443';
    const [ana, bea] = await Promise.all(
      ['ana', 'bea'].map(async (username, i) => {
        // Chromium leaves loopback out of ICE unless asked; loopback is all this namespace has.
        const b = await launchBrowser({ label: username, executablePath: inside, extraArgs: ['--allow-loopback-in-peer-connection'] });
        browsers.push(b);
        await firstSignIn(b.page, url, username, passwords[i]!);
        return b.page;
      }),
    );
    const anaId = await joinMeeting(ana!, url, meetingId);
    const beaId = await joinMeeting(bea!, url, meetingId);
    await waitFor(async () => (await growth(bea!, anaId, 'video', 'framesDecoded', 500)) > 0, 20_000, { message: "Bea decodes Ana's video" });
    await waitFor(async () => (await growth(ana!, beaId, 'video', 'framesDecoded', 500)) > 0, 15_000, { message: "Ana decodes Bea's video" });

    // The worker is the bundle's, and so is everything it loaded but glibc (NSS's dlopen included).
    const worker = childrenOf(pid).find((p) => readlinkSync(`/proc/${p}/exe`) === join(top, 'worker/bin/mediasoup-worker'));
    expect(worker, `children of ${pid}: ${childrenOf(pid).join(', ')}`).toBeDefined();
    const loaded = new Set(
      readFileSync(`/proc/${worker}/maps`, 'utf8')
        .split('\n')
        .map((l) => l.split(/\s+/)[5] ?? '')
        .filter((p) => /\.so(\.|$)/.test(p)),
    );
    expect(loaded).toContain(join(top, 'worker/lib/libsoftokn3.so'));
    for (const path of loaded) expect(path.startsWith(join(top, 'worker/lib/')) || GLIBC.test(basename(path)), path).toBe(true);
    // Nothing was installed or cached, and no file of the bundle changed.
    for (const folder of machine.caches) expect(readdirSync(folder), folder).toEqual([]);
    expect(spawnSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: top }).status).toBe(0);
  }, 90_000);
});

/** A person's first sign-in through the API, from the page: one-time password, TOTP enrolment, a new password. */
async function firstSignIn(page: Page, url: string, username: string, oneTimePassword: string): Promise<void> {
  await page.goto(`${url}/login`);
  let csrf = '';
  const post = async (path: string, body?: object) => {
    const reply = await page.evaluate(
      async ({ path, body, csrf }) => {
        const headers: Record<string, string> = csrf ? { 'x-csrf-token': csrf } : {};
        if (body) headers['content-type'] = 'application/json';
        const r = await fetch(path, { method: 'POST', headers, body: body ? JSON.stringify(body) : null });
        return { status: r.status, body: (await r.json()) as Record<string, unknown> };
      },
      { path, body, csrf },
    );
    if (reply.status !== 200) throw new Error(`${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
    if (typeof reply.body['csrfToken'] === 'string') csrf = reply.body['csrfToken'];
    return reply.body;
  };
  expect(await post('/api/auth/login', { username, password: oneTimePassword })).toMatchObject({ next: 'enrol' });
  const { secret } = (await post('/api/auth/enrol/start')) as { secret: string };
  await post('/api/auth/enrol/confirm', { code: totpAt({ secret, time: Date.now() / 1000 }) });
  expect(await post('/api/account/password', { currentPassword: oneTimePassword, newPassword: `nueva-clave-de-${username}` })).toMatchObject({ next: null });
}

/** The processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return new RegExp(`^PPid:\\s*${pid}$`, 'm').test(readFileSync(`/proc/${p}/status`, 'utf8'));
      } catch {
        return false;
      }
    })
    .map(Number);
}
