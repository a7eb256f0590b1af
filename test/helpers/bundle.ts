/**
 * The offline bundle (`./recinto bundle`, scripts/bundle.sh) as an air-gapped machine gets it:
 * built from this checkout, unpacked into an empty folder, run with HOME and every cache pointed
 * at empty folders and a PATH that holds the few tools the wrapper needs but no node.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../server/config/load.ts';

/** Builds the bundle into `outDir` with the wrapper; the archive's path. */
export function buildBundle(outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  const printed = execFileSync(join(PROJECT_ROOT, 'recinto'), ['bundle', '--out', outDir], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return printed.trim().split('\n').at(-1)!;
}

/** Unpacks `archive` into the empty folder `into` (Debian's tar and gzip); the bundle's one top folder. */
export function unpackBundle(archive: string, into: string): string {
  mkdirSync(into, { recursive: true });
  execFileSync('tar', ['-xzf', archive, '-C', into]);
  const top = readdirSync(into);
  if (top.length !== 1) throw new Error(`the archive should hold one folder, it holds ${top.join(', ')}`);
  return join(into, top[0]!);
}

/** What the wrapper, its worker launcher and `unshare -n sh -c 'ip link set lo up && …'` call. */
const TOOLS = ['bash', 'sh', 'env', 'dirname', 'readlink', 'uname', 'nproc', 'ip'];

/**
 * The environment of a machine that has never run Recinto: HOME, XDG_CACHE_HOME and
 * RECINTO_CACHE_DIR empty folders under `dir`, PATH a folder of links to TOOLS only (no node),
 * nothing else inherited (no RECINTO_*, no NODE_*).
 */
export function freshMachineEnv(dir: string): {
  env: { PATH: string; HOME: string; XDG_CACHE_HOME: string; RECINTO_CACHE_DIR: string; LANG: string };
  caches: string[];
} {
  const bin = join(dir, 'bin');
  const home = join(dir, 'home');
  const xdg = join(dir, 'xdg-cache');
  const cache = join(dir, 'recinto-cache');
  for (const d of [bin, home, xdg, cache]) mkdirSync(d, { recursive: true });
  for (const tool of TOOLS) symlinkSync(execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
  return { env: { PATH: bin, HOME: home, XDG_CACHE_HOME: xdg, RECINTO_CACHE_DIR: cache, LANG: 'C.UTF-8' }, caches: [home, xdg, cache] };
}
