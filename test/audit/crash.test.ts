/**
 * Two processes append to the same audit log at once, one of them killed with SIGKILL midway:
 * the chain stays whole (each append reads the last hash and inserts in one IMMEDIATE
 * transaction), and every seq a writer saw returned is in the table.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'recinto-audit-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dataDir = join(dir, 'data');
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RECINTO_'))), RECINTO_DATA_DIR: dataDir };

/** Starts a writer; `printed` fills with the seqs it reports; `killAfter`: SIGKILL once it reported that many. */
function writer(actor: string, count: number, killAfter?: number) {
  const child = spawn(process.execPath, ['test/helpers/audit-writer.ts', dataDir, String(count), actor], { env });
  const printed: number[] = [];
  let partial = '';
  let ready: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    if (lines[0] === 'ready') {
      lines.shift();
      ready();
    }
    printed.push(...lines.map(Number));
    if (killAfter !== undefined && printed.length >= killAfter) child.kill('SIGKILL');
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, err })),
  );
  return { printed, exited, isReady, go: () => child.stdin.end('go\n') };
}

describe('audit log under concurrent writers and a crash', () => {
  it('a writer killed with SIGKILL midway loses nothing it reported, and the chain verifies', async () => {
    // The database exists (migrated) before the writers race for it.
    spawnSync(process.execPath, ['test/helpers/audit-writer.ts', dataDir, '0', 'setup'], { env, input: '\n' });
    const killed = writer('killed', 1000, 300);
    const survivor = writer('survivor', 1000);
    await Promise.all([killed.isReady, survivor.isReady]);
    killed.go();
    survivor.go();
    const [k, s] = await Promise.all([killed.exited, survivor.exited]);
    expect(k.signal).toBe('SIGKILL');
    expect(s, s.err).toMatchObject({ code: 0 });
    expect(killed.printed.length).toBeGreaterThanOrEqual(300);
    expect(killed.printed.length).toBeLessThan(1000);
    expect(survivor.printed).toHaveLength(1000);

    const db = new Database(join(dataDir, 'recinto.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT seq, actor FROM audit_log ORDER BY seq').raw().all() as [number, string][];
    db.close();
    const actorOf = new Map(rows);
    // They did write at the same time: their records alternate along the chain.
    const switches = rows.filter(([, actor], i) => i > 0 && actor !== rows[i - 1]![1]).length;
    expect(switches).toBeGreaterThan(10);
    for (const seq of killed.printed) expect(actorOf.get(seq)).toBe('killed');
    for (const seq of survivor.printed) expect(actorOf.get(seq)).toBe('survivor');
    // At most the one append in flight when it was killed went unreported.
    expect(actorOf.size - killed.printed.length - survivor.printed.length).toBeLessThanOrEqual(1);

    const verify = spawnSync(process.execPath, ['server/cli.ts', 'audit', 'verify'], { env, encoding: 'utf8' });
    expect(verify.stderr).toBe('');
    expect(verify.stdout).toBe(
      `audit trail intact: ${actorOf.size} records and 0 checkpoints checked (last seq ${actorOf.size}; ${actorOf.size} records after the last checkpoint)\n`,
    );
    expect(verify.status).toBe(0);
  });
});
