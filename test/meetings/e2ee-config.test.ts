/**
 * End-to-end encryption in the configuration and in stored meetings, without a server: the `e2ee`
 * policy key and `meetings.e2eeRequired` as the configuration loader checks them (naming the key
 * and the file it came from), and meeting policies stored before the key existed, as migrated and
 * as read.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/load.ts';
import { configProblems } from '../helpers/config-problems.ts';
import { MeetingStore } from '../../server/meetings/store.ts';
import { fileRules } from '../../server/meetings/org-rules.ts';
import { migrate } from '../../server/store/db.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';

describe('configuration', () => {
  it('by default meetings are end-to-end encrypted and must be', () => {
    const config = loadConfig({ env: {} });
    expect(config.meetings.policy.e2ee).toBe(true);
    expect(config.meetings.e2eeRequired).toBe(true);
  });

  it('refuses a default policy without E2EE while E2EE is required, naming the key and its source', () => {
    expect(configProblems(() => loadConfig({ env: {}, overrides: { meetings: { policy: { e2ee: false } } } }))).toEqual([
      'meetings.policy.e2ee: must be true while meetings.e2eeRequired is true',
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'recinto-e2ee-config-'));
    try {
      const file = join(dir, 'local.json');
      writeFileSync(file, JSON.stringify({ meetings: { policy: { e2ee: false } } }));
      expect(configProblems(() => loadConfig({ env: { RECINTO_CONFIG: file } }))).toEqual([
        `meetings.policy.e2ee (from ${file}): must be true while meetings.e2eeRequired is true`,
      ]);
      writeFileSync(file, JSON.stringify({ meetings: { policy: { e2ee: false }, e2eeRequired: false } }));
      expect(loadConfig({ env: { RECINTO_CONFIG: file } }).meetings.policy.e2ee).toBe(false);
      writeFileSync(file, JSON.stringify({ meetings: { e2eeRequired: 'no' } }));
      expect(configProblems(() => loadConfig({ env: { RECINTO_CONFIG: file } }))).toEqual([`meetings.e2eeRequired (from ${file}): must be boolean`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stored meetings', () => {
  it('a policy stored before the e2ee key existed reads as end-to-end encrypted (migration and read)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recinto-e2ee-store-'));
    const db = new Database(join(dir, 'recinto.sqlite'));
    try {
      migrate(
        db,
        MIGRATIONS.filter((m) => m.version <= 4),
      );
      const insert = db.prepare('INSERT INTO meetings (id, title, created_at, policy) VALUES (?, ?, ?, ?)');
      insert.run('aaaa-old1', 'Antigua', Date.now(), JSON.stringify({ chat: false }));
      insert.run('aaaa-old2', 'Sin política', Date.now(), '{}');
      insert.run('aaaa-off', 'Ya sin cifrar', Date.now(), JSON.stringify({ e2ee: false }));
      expect(migrate(db, MIGRATIONS)).toEqual(MIGRATIONS.filter((m) => m.version >= 5).map((m) => m.version));
      const stored = (id: string) => JSON.parse(db.prepare('SELECT policy FROM meetings WHERE id = ?').pluck().get(id) as string);
      expect(stored('aaaa-old1')).toEqual({ chat: false, e2ee: true });
      expect(stored('aaaa-old2')).toEqual({ e2ee: true });
      expect(stored('aaaa-off')).toEqual({ e2ee: false });

      // Reading: even with a default policy without E2EE, a row lacking the key is encrypted.
      const defaults = { ...loadConfig({ env: {} }).meetings.policy, e2ee: false };
      insert.run('aaaa-new', 'Escrita a mano', Date.now(), JSON.stringify({ chat: true }));
      const store = new MeetingStore(db, randomBytes(32), fileRules(defaults));
      expect(store.get('aaaa-old1')!.policy).toMatchObject({ chat: false, e2ee: true });
      expect(store.get('aaaa-new')!.policy.e2ee).toBe(true);
      expect(store.get('aaaa-off')!.policy.e2ee).toBe(false);
      // With E2EE required, every meeting reads as encrypted, whatever was stored.
      const requiring = new MeetingStore(db, randomBytes(32), fileRules(defaults, { e2eeRequired: true }));
      expect(requiring.get('aaaa-off')!.policy.e2ee).toBe(true);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
