/**
 * The browser bundle (client/dist), rebuilt with Vite whenever anything it is made from is newer
 * than the last build: client/ and protocol/ (the wire it shares with the server; the client
 * imports nothing of server/), or when it has source maps
 * and RECINTO_SOURCEMAPS=1 no longer asks for them (or the other way round). One freshness rule
 * for `./recinto` (run as a script), the tests' global setup and the benches.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../server/config/load.ts';
import { CLIENT_DIST } from '../server/http/routes.ts';

const CLIENT_INDEX = join(CLIENT_DIST, 'index.html');
const INPUTS = ['client', 'protocol'].map((p) => join(PROJECT_ROOT, p));

function newestMtime(path: string): number {
  if (path === CLIENT_DIST || !existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtime(join(path, name))), stat.mtimeMs);
}

/**
 * Whether the last build made source maps (a map next to a built script). Switching
 * RECINTO_SOURCEMAPS changes no input's mtime, so the build's kind is part of its freshness:
 * a development build with maps is not kept for a production start without them.
 */
function builtWithSourceMaps(): boolean {
  const assets = join(CLIENT_DIST, 'assets');
  if (!existsSync(assets)) return false;
  const files = new Set(readdirSync(assets));
  return [...files].some((name) => name.endsWith('.js.map') && files.has(name.slice(0, -'.map'.length)));
}

/** Builds client/dist unless it is newer than every input and of the kind asked for; true when it built. */
export async function ensureClientBuilt(): Promise<boolean> {
  const builtAt = existsSync(CLIENT_INDEX) ? statSync(CLIENT_INDEX).mtimeMs : 0;
  const wantSourceMaps = process.env.RECINTO_SOURCEMAPS === '1';
  if (builtWithSourceMaps() === wantSourceMaps && INPUTS.every((input) => newestMtime(input) <= builtAt)) return false;
  console.error('recinto: building the browser client');
  const { build } = await import('vite');
  await build({ configFile: join(PROJECT_ROOT, 'client', 'vite.config.ts'), logLevel: 'warn' });
  return true;
}

if (import.meta.main) await ensureClientBuilt();
