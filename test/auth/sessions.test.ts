/** Server-side sessions on a real SQLite file: hashed ids, idle and absolute expiry, rotation. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountStore } from '../../server/auth/accounts.ts';
import { hashSessionId, SessionStore } from '../../server/auth/sessions.ts';
import { openDatabase, type Db } from '../../server/store/db.ts';

let dir: string;
let db: Db;
let sessions: SessionStore;
let userId: string;
const ended: string[][] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'recinto-sessions-'));
  db = openDatabase(dir);
  sessions = new SessionStore(db, { idleMinutes: 30, absoluteHours: 12 });
  sessions.on('ended', (hashes) => ended.push(hashes));
  userId = new AccountStore(db).create({ username: 'ana', displayName: 'Ana', role: 'staff', passwordHash: 'x', mustChangePassword: false }).id;
  ended.length = 0;
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const MIN = 60_000;

describe('sessions', () => {
  it('stores only a hash of the 256-bit session id', () => {
    const { id } = sessions.create(userId, 'verified', {});
    expect(Buffer.from(id, 'base64url')).toHaveLength(32);
    const stored = db.prepare('SELECT id_hash FROM sessions').pluck().all();
    expect(stored).toEqual([hashSessionId(id)]);
    expect(JSON.stringify(db.prepare('SELECT * FROM sessions').all())).not.toContain(id);
  });

  it('ends a session idle for 30 minutes, and keeps an active one alive', () => {
    const { id, session } = sessions.create(userId, 'verified', {});
    const t0 = session.createdAt;
    expect(sessions.lookup(id, t0 + 29 * MIN)).toBeDefined(); // activity refreshes the idle clock
    expect(sessions.lookup(id, t0 + 58 * MIN)).toBeDefined();
    expect(sessions.lookup(id, t0 + 89 * MIN)).toBeUndefined();
    expect(ended).toHaveLength(1);
    expect(sessions.lookup(id, t0 + 89 * MIN + 1)).toBeUndefined();
  });

  it('ends a session at the absolute limit of 12 hours, however active', () => {
    const { id, session } = sessions.create(userId, 'verified', {});
    const t0 = session.createdAt;
    for (let t = t0; t < t0 + 12 * 60 * MIN; t += 20 * MIN) expect(sessions.lookup(id, t)).toBeDefined();
    expect(sessions.lookup(id, t0 + 12 * 60 * MIN)).toBeUndefined();
  });

  it('rotates to a new id after a sign-in step, keeping the absolute expiry; the old id is dead', () => {
    const { id, session } = sessions.create(userId, 'password', {});
    const rotated = sessions.rotate(session, 'verified', {});
    expect(rotated.id).not.toBe(id);
    expect(rotated.session.expiresAt).toBe(session.expiresAt);
    expect(sessions.lookup(id)).toBeUndefined();
    expect(sessions.lookup(rotated.id)?.stage).toBe('verified');
  });

  it('the sweep ends expired sessions and tells listeners', () => {
    const a = sessions.create(userId, 'verified', {});
    const t0 = a.session.createdAt;
    sessions.create(userId, 'verified', {});
    expect(sessions.sweep(t0 + 31 * MIN)).toBe(2);
    expect(ended.flat()).toContain(a.session.idHash);
    expect(sessions.forUser(userId)).toHaveLength(0);
  });
});
