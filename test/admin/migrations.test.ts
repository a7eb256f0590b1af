/**
 * Migrations 9 (single sign-on) and 10 (organisation policy, audit viewer indexes) on a real
 * SQLite file holding an audit chain at version 8: both apply in order, and the new indexes leave
 * the chain's triggers and its verification as they were.
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

describe('migrations 9 and 10', () => {
  it('apply over version 8 in order and keep the chain and its triggers', () => {
    const db = openDatabase(
      dir,
      MIGRATIONS.filter((m) => m.version <= 8),
    );
    const audit = createAudit(db);
    for (let i = 0; i < 20; i++) audit({ action: 'test.before', outcome: 'ok', detail: { i } });
    expect(migrate(db, MIGRATIONS)).toEqual([9, 10]);
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
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
    // Nothing is left to apply.
    expect(migrate(db, MIGRATIONS)).toEqual([]);
    db.close();
  });
});
