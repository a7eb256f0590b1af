/**
 * The systemd unit in deploy/: the hardening the README promises, checked as systemd reads it —
 * `systemd-analyze verify` on the unit (pointed at this checkout), and its offline security
 * exposure score — plus the one capability the port-443 drop-in adds.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const unit = readFileSync(join(ROOT, 'deploy/recinto.service'), 'utf8');
const dropIn = readFileSync(join(ROOT, 'deploy/recinto-port-443.conf'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'recinto-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `key=value` lines of a unit file (comments and sections left out), last one wins as in systemd. */
function directives(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

describe('deploy/recinto.service', () => {
  const d = directives(unit);

  it('runs as its own user with a read-only system, private /tmp, no new privileges and no capability', () => {
    expect(d.get('User')).toBe('recinto');
    expect(d.get('ProtectSystem')).toBe('strict');
    expect(d.get('ProtectHome')).toBe('yes');
    expect(d.get('PrivateTmp')).toBe('yes');
    expect(d.get('NoNewPrivileges')).toBe('yes');
    expect(d.get('ReadWritePaths')).toBe('/var/lib/recinto');
    expect(d.get('CapabilityBoundingSet')).toBe('');
    expect(d.get('AmbientCapabilities')).toBe('');
    expect(d.get('KillSignal')).toBe('SIGTERM');
    // Port 443 only through the drop-in, and then only that one capability.
    const extra = directives(dropIn);
    expect(extra.get('CapabilityBoundingSet')).toBe('CAP_NET_BIND_SERVICE');
    expect(extra.get('AmbientCapabilities')).toBe('CAP_NET_BIND_SERVICE');
    expect([...extra.keys()].sort()).toEqual(['AmbientCapabilities', 'CapabilityBoundingSet']);
  });

  it('is a unit systemd accepts, with an exposure score of "OK" or better', () => {
    // This checkout stands in for /opt/recinto.
    const local = unit.replaceAll('/opt/recinto', ROOT);
    const file = join(dir, 'recinto.service');
    writeFileSync(file, local);
    const verify = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(verify.error, 'systemd-analyze missing: install Debian systemd (.ci/run does)').toBeUndefined();
    expect(`${verify.stdout}${verify.stderr}`.trim()).toBe('');
    expect(verify.status).toBe(0);
    const security = execFileSync('systemd-analyze', ['security', '--offline=true', '--no-pager', file], { encoding: 'utf8' });
    const score = Number(/Overall exposure level for recinto\.service: ([\d.]+)/.exec(security)?.[1]);
    expect(score).toBeLessThanOrEqual(2.0);
  });
});
