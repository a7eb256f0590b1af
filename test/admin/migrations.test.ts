/**
 * Migration 10 on a real SQLite file: applied over a database that has 8 (version 9 is the OIDC
 * branch's, absent here), and the runner takes a gap — a 9 arriving later is applied after 10 —;
 * the new indexes leave the audit chain's triggers as they were.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAudit } from '../../server/audit/audit.ts';
import { verifyAudit } from '../../server/audit/verify.ts';
import { migrate, openDatabase } from '../../server/store/db.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';

const dir = mkdtempSync(join(tmpdir(), 'recinto-migrations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('migration 10', () => {
  it('applies over version 8 with 9 missing, keeps the chain and its triggers, and a later 9 still applies', () => {
    const db = openDatabase(
      dir,
      MIGRATIONS.filter((m) => m.version <= 8),
    );
    const audit = createAudit(db);
    for (let i = 0; i < 20; i++) audit({ action: 'test.before', outcome: 'ok', detail: { i } });
    expect(migrate(db, MIGRATIONS)).toEqual([10]);
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 10]);
    const indexes = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log' AND sql IS NOT NULL ORDER BY name")
      .pluck()
      .all();
    expect(indexes).toEqual(['audit_log_by_action', 'audit_log_by_actor', 'audit_log_by_at', 'audit_log_by_meeting', 'audit_log_by_outcome']);
    for (let i = 0; i < 5; i++) audit({ action: 'test.after', outcome: 'ok', detail: { i } });
    expect(verifyAudit(db)).toMatchObject({ ok: true, records: 25 });
    expect(() => db.prepare("UPDATE audit_log SET detail = '{}' WHERE seq = 1").run()).toThrow('append-only');
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 1').run()).toThrow('append-only');
    // The organisation policy's table holds one row at most.
    db.prepare("INSERT INTO org_policy (id, policy, updated_at) VALUES (1, '{}', 0)").run();
    expect(() => db.prepare("INSERT INTO org_policy (id, policy, updated_at) VALUES (2, '{}', 0)").run()).toThrow('CHECK');
    // When the branches merge, a migration 9 is applied after 10 on such a database.
    expect(migrate(db, [...MIGRATIONS, { version: 9, name: 'another branch', sql: 'CREATE TABLE nine (x INTEGER) STRICT;' }])).toEqual([9]);
    db.close();
  });
});
