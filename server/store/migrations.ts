/**
 * Schema migrations, applied in order, each exactly once, inside a transaction. Never edit a
 * migration that has shipped: add a new one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'meetings and audit log',
    sql: `
      CREATE TABLE meetings (
        id          TEXT PRIMARY KEY,
        title       TEXT NOT NULL,
        created_at  INTEGER NOT NULL
      ) STRICT;

      -- Append-only: triggers refuse updates and deletes (a later migration adds hash chaining).
      CREATE TABLE audit_log (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        at          INTEGER NOT NULL,
        action      TEXT NOT NULL,
        actor       TEXT,
        meeting_id  TEXT,
        outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'error')),
        detail      TEXT NOT NULL DEFAULT '{}'
      ) STRICT;
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    `,
  },
];
