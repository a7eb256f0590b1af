/** The `recinto` admin commands as a person runs them: a real process on a real data directory. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { turnSecret } from '../server/turn/service.ts';

const dir = mkdtempSync(join(tmpdir(), 'recinto-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recinto(...args: string[]) {
  return recintoWith({}, ...args);
}

function recintoWith(extraEnv: Record<string, string>, ...args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RECINTO_')));
  const r = spawnSync(process.execPath, ['server/cli.ts', ...args], { env: { ...env, RECINTO_DATA_DIR: join(dir, 'data'), ...extraEnv }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('recinto command', () => {
  it('adds a staff account with a one-time password, refuses a taken or malformed name, lists accounts', () => {
    const added = recinto('user', 'add', 'ana.perez', '--name', 'Ana Pérez');
    expect(added.code).toBe(0);
    expect(added.out).toMatch(/^created ana\.perez\none-time password \(shown only now\): [A-Za-z0-9]{20}\n$/);
    expect(recinto('user', 'add', 'ana.perez', '--name', 'Otra').err).toContain('username ana.perez is taken');
    expect(recinto('user', 'add', 'Ana Perez', '--name', 'Ana').code).not.toBe(0);
    expect(recinto('user', 'add', 'bruno', '--name', 'Bruno\u202Eevil').err).toContain('name: 1–64 printable characters');
    expect(recinto('user', 'list').out).toBe('ana.perez\tstaff\tactive\t2fa:no\tAna Pérez\n');
  });

  it('creates a meeting with a host and prints its id and password', () => {
    const created = recinto('meeting', 'create', 'Comité', '--host', 'ana.perez');
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/^[a-z0-9]{4}(-[a-z0-9]{4}){3}\npassword: [a-z0-9]{5}-[a-z0-9]{5}\n$/);
    expect(recinto('meeting', 'create', 'Sin anfitrión').err).toContain('meeting create needs --host');
    expect(recinto('meeting', 'create', 'X', '--host', 'nadie').err).toContain('no user "nadie"');
    // The API's rule for titles: no control or format characters (U+202E reverses the text shown).
    const reversed = recinto('meeting', 'create', 'Comité\u202Eevil', '--host', 'ana.perez');
    expect(reversed.code).toBe(2);
    expect(reversed.err).toContain('title: 1–200 printable characters (no control or invisible formatting characters)');
    expect(recinto('meeting', 'list').out).not.toContain('evil');
    expect(recinto('meeting', 'list').out).toContain('\tComité\n');
  });

  it('disables an account and says what it did; unknown commands get the usage', () => {
    expect(recinto('user', 'disable', 'ana.perez').out).toBe('ana.perez disabled\n');
    expect(recinto('user', 'list').out).toContain('\tdisabled\t');
    expect(recinto('user', 'reset-2fa', 'nadie').err).toContain('no user "nadie"');
    const unknown = recinto('hack');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('usage: recinto <command>');
  });

  it('validates the configuration and names the problem', () => {
    expect(recinto('config', 'check').out).toContain('configuration is valid');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RECINTO_')));
    const bad = spawnSync(process.execPath, ['server/cli.ts', 'config', 'check'], { env: { ...env, RECINTO_PORT: '99999' }, encoding: 'utf8' });
    expect(bad.status).toBe(78);
    expect(bad.stderr).toContain('server.port (from RECINTO_PORT): must be <= 65535');
  });

  it("prints coturn's configuration with the secret the server signs TURN credentials with", () => {
    const printed = recintoWith({ RECINTO_TURN_ENABLED: 'true', RECINTO_TURN_HOST: 'turn.example.org' }, 'turn', 'config');
    expect(printed.code).toBe(0);
    const lines = printed.out.split('\n');
    const key = readFileSync(join(dir, 'data', 'secrets', 'secret.key'));
    expect(lines).toContain(`static-auth-secret=${turnSecret(key)}`);
    expect(lines).toContain('realm=turn.example.org');
    // The SFU as its workers announce it (0.0.0.0 by default: loopback on this one host).
    expect(lines).toContain('allowed-peer-ip=127.0.0.1');
    expect(lines).toContain('use-auth-secret');
    // TURN on without a name browsers could reach it at: refused, named.
    const nameless = recintoWith({ RECINTO_TURN_ENABLED: 'true' }, 'turn', 'config');
    expect(nameless.code).toBe(78);
    expect(nameless.err).toContain('turn.host: required');
    expect(recinto('turn', 'config', 'extra').code).toBe(2);
  });
});
