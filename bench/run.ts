/**
 * Bench runner: `node bench/run.ts [FILTER]`.
 *
 * Discovers bench/*.bench.ts; each module exports `name: string` and `run(): Promise<string[]>`
 * returning result lines of the form `figure_name: value unit` (e.g.
 * `join_to_first_remote_frame_ms: median=612 p95=840 n=10`). Runs the modules whose name contains
 * FILTER and prints, on stdout, a `# machine: …` comment line and then exactly the result lines.
 * Progress and errors go to stderr; the exit code is 1 if any bench failed.
 */
import { readdirSync } from 'node:fs';
import os from 'node:os';

type BenchModule = { name: string; run(): Promise<string[]> };

function isBench(m: unknown): m is BenchModule {
  const b = m as Partial<BenchModule> | null;
  return !!b && typeof b.name === 'string' && typeof b.run === 'function';
}

const filter = process.argv[2] ?? '';
const dir = new URL('./', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();

const cpus = os.cpus();
const model = (cpus[0]?.model ?? 'unknown cpu').replace(/\s+/g, ' ').trim();
const gib = (os.totalmem() / 2 ** 30).toFixed(1);
console.log(`# machine: ${model}, ${cpus.length} cores, ${gib} GiB, node ${process.version}`);

let failed = 0;
let ran = 0;
for (const file of files) {
  const mod: unknown = await import(new URL(file, dir).href);
  if (!isBench(mod)) {
    console.error(`# ${file}: not a bench module (needs exports name and run)`);
    failed++;
    continue;
  }
  if (!mod.name.includes(filter)) continue;
  ran++;
  const started = performance.now();
  console.error(`# running ${mod.name} (${file})`);
  try {
    const lines = await mod.run();
    for (const line of lines) console.log(line);
    console.error(`# ${mod.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    failed++;
    console.error(`# ${mod.name} failed:`, err);
  }
}
if (ran === 0) console.error(`# no bench matches "${filter}" (have: ${files.join(', ') || 'none'})`);
process.exit(failed > 0 ? 1 : 0);
