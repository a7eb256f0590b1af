/**
 * Schema migrations, applied in order, each exactly once, inside a transaction. Never edit a
 * migration that has shipped: add a new one.
 */
import type Database from 'better-sqlite3';
import { GENESIS_HASH, chainHash, type ChainRecord } from './audit-chain.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** A step SQL cannot express, run after `sql` in the same transaction. Keep it small. */
  run?: (db: Database.Database) => void;
}

const APPEND_ONLY_UPDATE_TRIGGER = `CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;`;

/** Migration 6: hashes the rows already there, in seq order from the genesis value, 1000 at a time. */
function chainExistingAuditRows(db: Database.Database): void {
  const page = db.prepare('SELECT seq, at, action, actor, meeting_id AS meetingId, outcome, detail FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 1000');
  const setHash = db.prepare('UPDATE audit_log SET hash = ? WHERE seq = ?');
  let previous = GENESIS_HASH;
  let after = -Infinity;
  for (;;) {
    const rows = page.all(after) as ChainRecord[];
    if (rows.length === 0) break;
    for (const row of rows) {
      previous = chainHash(previous, row);
      setHash.run(previous, row.seq);
      after = row.seq;
    }
  }
  db.exec(APPEND_ONLY_UPDATE_TRIGGER);
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
  {
    version: 2,
    name: 'accounts, sessions, recovery codes',
    sql: `
      CREATE TABLE users (
        id                    TEXT PRIMARY KEY,
        username              TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name          TEXT NOT NULL,
        role                  TEXT NOT NULL CHECK (role IN ('admin', 'staff')),
        password_hash         TEXT NOT NULL,
        must_change_password  INTEGER NOT NULL DEFAULT 0,
        -- TOTP secrets are sealed with AES-256-GCM under a key kept outside the database.
        totp_secret           TEXT,
        totp_pending_secret   TEXT,
        totp_last_step        INTEGER,
        disabled              INTEGER NOT NULL DEFAULT 0,
        failed_logins         INTEGER NOT NULL DEFAULT 0,
        locked_until          INTEGER,
        created_at            INTEGER NOT NULL,
        last_login_at         INTEGER
      ) STRICT;

      CREATE TABLE recovery_codes (
        user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        code_hash  TEXT NOT NULL,
        used_at    INTEGER,
        PRIMARY KEY (user_id, code_hash)
      ) STRICT;

      -- Only a hash of the session id is stored: a copy of the database opens no session.
      CREATE TABLE sessions (
        id_hash       TEXT PRIMARY KEY,
        user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        stage         TEXT NOT NULL CHECK (stage IN ('password', 'verified')),
        csrf_token    TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        last_seen_at  INTEGER NOT NULL,
        expires_at    INTEGER NOT NULL,
        ip            TEXT,
        user_agent    TEXT
      ) STRICT;
      CREATE INDEX sessions_by_user ON sessions(user_id);
    `,
  },
  {
    version: 3,
    name: 'meeting owners, hosts, schedule, password, policy, bans',
    sql: `
      ALTER TABLE meetings ADD COLUMN owner_id TEXT REFERENCES users(id) ON DELETE SET NULL;
      ALTER TABLE meetings ADD COLUMN starts_at INTEGER;
      ALTER TABLE meetings ADD COLUMN duration_minutes INTEGER;
      -- Sealed (AES-256-GCM) so hosts can show the invitation again; never stored in clear.
      ALTER TABLE meetings ADD COLUMN password_sealed TEXT;
      ALTER TABLE meetings ADD COLUMN policy TEXT NOT NULL DEFAULT '{}';
      ALTER TABLE meetings ADD COLUMN updated_at INTEGER;

      CREATE TABLE meeting_hosts (
        meeting_id  TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
        user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (meeting_id, user_id)
      ) STRICT;

      CREATE TABLE meeting_bans (
        meeting_id    TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
        -- an account id, or the hash of a guest's device token
        subject       TEXT NOT NULL,
        kind          TEXT NOT NULL CHECK (kind IN ('account', 'guest-device')),
        display_name  TEXT NOT NULL,
        banned_by     TEXT,
        at            INTEGER NOT NULL,
        PRIMARY KEY (meeting_id, kind, subject)
      ) STRICT;
    `,
  },
  {
    version: 4,
    name: 'guest sessions',
    sql: `
      -- A guest's access to one meeting, opened with the meeting password. Only hashes stored.
      CREATE TABLE guest_sessions (
        id_hash       TEXT PRIMARY KEY,
        meeting_id    TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
        display_name  TEXT NOT NULL,
        device_hash   TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        last_seen_at  INTEGER NOT NULL,
        expires_at    INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: 'meeting policies say whether they are end-to-end encrypted',
    sql: `
      -- Meetings stored before the "e2ee" policy key existed become end-to-end encrypted (the
      -- secure default). CASE keeps a policy that is not JSON from failing the migration.
      UPDATE meetings SET policy = json_set(policy, '$.e2ee', json('true'))
        WHERE CASE WHEN json_valid(policy) THEN json_type(policy, '$.e2ee') IS NULL ELSE 0 END;
    `,
  },
  {
    version: 6,
    name: 'audit log hash chain and signed checkpoints',
    // The update trigger is dropped for the backfill (chainExistingAuditRows) and created again
    // by it; every row inserted from now on must carry its hash (docs/audit.md).
    sql: `
      ALTER TABLE audit_log ADD COLUMN hash TEXT;
      CREATE TRIGGER audit_log_hash_required BEFORE INSERT ON audit_log
        WHEN NEW.hash IS NULL OR length(NEW.hash) != 64
        BEGIN SELECT RAISE(ABORT, 'audit_log rows carry their chain hash'); END;

      -- Signed by the server's Ed25519 key: (seq, hash, at); append-only like the log.
      CREATE TABLE audit_checkpoints (
        seq        INTEGER PRIMARY KEY,
        hash       TEXT NOT NULL,
        at         INTEGER NOT NULL,
        signature  TEXT NOT NULL
      ) STRICT;
      CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
      CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;

      DROP TRIGGER audit_log_no_update;
    `,
    run: chainExistingAuditRows,
  },
  {
    version: 7,
    name: 'SIEM outbox: what each destination has acknowledged',
    // The outbox is the chain itself: what a destination still has to receive is every record
    // and checkpoint after its cursor (server/siem/outbox.ts, docs/audit.md "SIEM"), so an audit
    // append writes nothing more. A destination without a row starts from the first record.
    sql: `
      CREATE TABLE siem_cursors (
        destination      TEXT PRIMARY KEY,
        record_seq       INTEGER NOT NULL,
        checkpoint_seq   INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 8,
    name: 'what running meetings remember, for a restart',
    // One JSON snapshot per running meeting (server/meetings/memory-store.ts): who was admitted,
    // co-hosts, removals, the lock, the live policy. Dropped when the meeting ends or empties.
    sql: `
      CREATE TABLE meeting_memory (
        meeting_id  TEXT PRIMARY KEY,
        memory      TEXT NOT NULL,
        updated_at  INTEGER NOT NULL
      ) STRICT;
    `,
  },
  // Version 9 is left to the OIDC branch (filled when the branches merge); the runner applies
  // whatever is missing in version order, so a database that has 10 gets 9 after it then.
  {
    version: 10,
    name: 'organisation policy; audit viewer indexes',
    // The admin console's organisation policy (server/admin/policy.ts): one row, the OrgPolicy
    // JSON, who saved it and when; no row: the configuration file's values.
    // The audit viewer pages newest first by seq, filtered (server/admin/audit-query.ts): an index
    // per filter column ending in seq answers each filter in seq order; `at` is the writer's
    // clock (Date.now(), which can step back), not monotonic with seq, so it has its own index
    // that turns a time window into the seq range it spans. Indexes add no trigger and change no
    // row: the chain and its verification are untouched.
    sql: `
      CREATE TABLE org_policy (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        policy      TEXT NOT NULL,
        updated_at  INTEGER NOT NULL,
        updated_by  TEXT
      ) STRICT;

      CREATE INDEX audit_log_by_actor ON audit_log(actor, seq);
      CREATE INDEX audit_log_by_action ON audit_log(action, seq);
      CREATE INDEX audit_log_by_meeting ON audit_log(meeting_id, seq);
      CREATE INDEX audit_log_by_outcome ON audit_log(outcome, seq);
      CREATE INDEX audit_log_by_at ON audit_log(at);
    `,
  },
];
