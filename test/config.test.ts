import { describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config/load.ts';
import { configProblems } from './helpers/config-problems.ts';

describe('configuration', () => {
  it('loads the built-in defaults', () => {
    const config = loadConfig({ env: {} });
    expect(config.server.port).toBe(8443);
    expect(config.signaling.maxMessageBytes).toBe(65536);
    expect(config.dataDir).toMatch(/\/data$/);
  });

  it('takes RECINTO_PORT and RECINTO_DATA_DIR from the environment', () => {
    const config = loadConfig({ env: { RECINTO_PORT: '9443', RECINTO_DATA_DIR: '/tmp/recinto-x' } });
    expect(config.server.port).toBe(9443);
    expect(config.dataDir).toBe('/tmp/recinto-x');
  });

  it('names the key, the variable and the problem for a bad value', () => {
    expect(configProblems(() => loadConfig({ env: { RECINTO_PORT: 'eighty' } }))).toEqual(['server.port (from RECINTO_PORT): expected integer, got "eighty"']);
    expect(configProblems(() => loadConfig({ env: { RECINTO_PORT: '70000' } }))).toEqual(['server.port (from RECINTO_PORT): must be <= 65535']);
  });

  it('refuses unknown variables and keys rather than ignoring a typo', () => {
    expect(configProblems(() => loadConfig({ env: { RECINTO_PROT: '1' } }))[0]).toMatch(/^RECINTO_PROT: unknown setting/);
    expect(configProblems(() => loadConfig({ env: {}, overrides: { media: { workerz: 2 } as never } }))).toEqual(['media.workerz: unknown key']);
  });

  it('refuses an unknown enum value and inconsistent ranges', () => {
    expect(configProblems(() => loadConfig({ env: { RECINTO_LOG_LEVEL: 'loud' } }))[0]).toMatch(/^log\.level \(from RECINTO_LOG_LEVEL\): must be one of/);
    expect(configProblems(() => loadConfig({ env: { RECINTO_RTC_MIN_PORT: '50000', RECINTO_RTC_MAX_PORT: '40000' } }))).toEqual([
      'media.rtcMinPort: must be <= media.rtcMaxPort',
    ]);
  });

  it('requires server.publicUrl in production (tls.selfSigned false), reported with the other problems', () => {
    const message =
      'server.publicUrl: required when tls.selfSigned (from RECINTO_TLS_SELF_SIGNED) is false (production): set it to the address people use, e.g. https://meet.example.org';
    expect(configProblems(() => loadConfig({ env: { RECINTO_TLS_SELF_SIGNED: 'false' } }))).toEqual([message]);
    expect(
      configProblems(() => loadConfig({ env: { RECINTO_TLS_SELF_SIGNED: 'false', RECINTO_RTC_MIN_PORT: '50000', RECINTO_RTC_MAX_PORT: '40000' } })),
    ).toEqual(['media.rtcMinPort: must be <= media.rtcMaxPort', message]);
    expect(configProblems(() => loadConfig({ env: {}, overrides: { tls: { selfSigned: false } } }))).toEqual([
      message.replace(' (from RECINTO_TLS_SELF_SIGNED)', ''),
    ]);
    const production = loadConfig({ env: { RECINTO_TLS_SELF_SIGNED: 'false', RECINTO_PUBLIC_URL: 'https://meet.example.org' } });
    expect(production.server.publicUrl).toBe('https://meet.example.org');
    // Development (self-signed) keeps working without it: origins are then the listener's own names.
    expect(loadConfig({ env: {} }).server.publicUrl).toBe('');
  });

  it('knows RECINTO_SOURCEMAPS (the client build reads it), so it does not stop the server', () => {
    expect(loadConfig({ env: { RECINTO_SOURCEMAPS: '1' } }).server.port).toBe(8443);
  });

  it('reads a local override file named by RECINTO_CONFIG and reports its parse errors', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'recinto-config-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ media: { workers: 3 } }));
    expect(loadConfig({ env: { RECINTO_CONFIG: good } }).media.workers).toBe(3);
    const over = join(dir, 'over.json');
    writeFileSync(over, JSON.stringify({ media: { workers: 99 } }));
    expect(configProblems(() => loadConfig({ env: { RECINTO_CONFIG: over } }))).toEqual([`media.workers (from ${over}): must be <= 64`]);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "media": ');
    expect(configProblems(() => loadConfig({ env: { RECINTO_CONFIG: bad } }))[0]).toContain(bad);
    expect(configProblems(() => loadConfig({ env: { RECINTO_CONFIG: join(dir, 'missing.json') } }))[0]).toMatch(/^RECINTO_CONFIG: file not found/);
  });
});
