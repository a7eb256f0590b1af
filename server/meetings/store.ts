/**
 * Meetings that exist (persisted): title, owner and hosts, schedule, password, policy.
 * The live state of a running meeting is in meeting.ts.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import { open, seal } from '../auth/secret-box.ts';
import type { Db } from '../store/db.ts';
import type { MeetingPolicy, MeetingPolicyPatch } from '../../protocol/policy.ts';
import { withinRules, type RulesSource } from './org-rules.ts';

/** No 0/o, 1/l/i, 2/z, 5/s, 8/b look-alikes: ids and passwords survive being read aloud or retyped. */
const ALPHABET = 'acdefghjkmnpqrtuvwxy34679';

function randomGroups(groups: number, length: number): string {
  const out: string[] = [];
  for (let g = 0; g < groups; g++) {
    let group = '';
    for (let i = 0; i < length; i++) group += ALPHABET[randomInt(ALPHABET.length)];
    out.push(group);
  }
  return out.join('-');
}

/** 16 symbols from a 25-letter alphabet: log2(25^16) ≈ 74 bits, drawn from the CSPRNG. */
export function newMeetingId(): string {
  return randomGroups(4, 4);
}

/** 10 symbols ≈ 46 bits: typed by guests, and guessing is rate-limited and audited. */
export function newMeetingPassword(): string {
  return randomGroups(2, 5);
}

export interface MeetingRecord {
  id: string;
  title: string;
  ownerId: string | null;
  hostIds: string[];
  startsAt: number | null;
  durationMinutes: number | null;
  policy: MeetingPolicy;
  hasPassword: boolean;
  createdAt: number;
  updatedAt: number | null;
}

export interface NewMeeting {
  title: string;
  ownerId: string | null;
  hostIds?: string[];
  startsAt?: number | null;
  durationMinutes?: number | null;
  policy: MeetingPolicy;
  /** A random password is made unless this is false. */
  password?: boolean;
}

interface Row {
  id: string;
  title: string;
  owner_id: string | null;
  starts_at: number | null;
  duration_minutes: number | null;
  password_sealed: string | null;
  policy: string;
  created_at: number;
  updated_at: number | null;
}

/** What a ban is on: an account, or a guest's device (the `kind` column of `meeting_bans`). */
export type BanKind = 'account' | 'guest-device';

const passwordAad = (meetingId: string) => `meeting-password:${meetingId}`;

export class MeetingStore {
  readonly #db: Db;
  readonly #key: Buffer;
  readonly #rules: RulesSource;
  readonly #isBanned;

  /**
   * `secretKey` seals meeting passwords. `rules` are the organisation's (org-rules.ts), read at
   * every call: their defaults fill policy keys older rows lack (except `e2ee`, which an older row
   * lacks only because it predates it: on), and every meeting reads and is stored within them —
   * end-to-end encrypted while that is required, whatever was stored while it was not; staff only
   * while guests are not allowed; recording no wider than the ceiling.
   */
  constructor(db: Db, secretKey: Buffer, rules: RulesSource) {
    this.#db = db;
    this.#key = secretKey;
    this.#rules = rules;
    this.#isBanned = db.prepare('SELECT 1 FROM meeting_bans WHERE meeting_id = ? AND subject = ?');
  }

  create(input: NewMeeting): MeetingRecord {
    const id = newMeetingId();
    const password = input.password === false ? null : seal(this.#key, newMeetingPassword(), passwordAad(id));
    this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO meetings (id, title, owner_id, starts_at, duration_minutes, password_sealed, policy, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          input.title,
          input.ownerId,
          input.startsAt ?? null,
          input.durationMinutes ?? null,
          password,
          JSON.stringify(withinRules(input.policy, this.#rules())),
          Date.now(),
        );
      this.#setHosts(id, [...new Set([...(input.ownerId ? [input.ownerId] : []), ...(input.hostIds ?? [])])]);
    })();
    return this.get(id)!;
  }

  get(id: string): MeetingRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM meetings WHERE id = ?').get(id) as Row | undefined;
    return row && this.#fromRow(row);
  }

  /** Meetings the user owns or hosts, soonest first. */
  listForHost(userId: string): MeetingRecord[] {
    const rows = this.#db
      .prepare(
        `SELECT m.* FROM meetings m JOIN meeting_hosts h ON h.meeting_id = m.id WHERE h.user_id = ?
         ORDER BY coalesce(m.starts_at, m.created_at)`,
      )
      .all(userId) as Row[];
    return rows.map((r) => this.#fromRow(r));
  }

  list(): MeetingRecord[] {
    return (this.#db.prepare('SELECT * FROM meetings ORDER BY created_at').all() as Row[]).map((r) => this.#fromRow(r));
  }

  /** Whether the user hosts the meeting. Callers holding its record use `record.hostIds`. */
  isHost(meetingId: string, userId: string): boolean {
    return this.#db.prepare('SELECT 1 FROM meeting_hosts WHERE meeting_id = ? AND user_id = ?').get(meetingId, userId) !== undefined;
  }

  update(
    id: string,
    change: { title?: string; startsAt?: number | null; durationMinutes?: number | null; hostIds?: string[]; policy?: MeetingPolicyPatch },
  ): MeetingRecord {
    const current = this.get(id);
    if (!current) throw new Error(`no meeting ${id}`);
    this.#db.transaction(() => {
      this.#db
        .prepare('UPDATE meetings SET title = ?, starts_at = ?, duration_minutes = ?, policy = ?, updated_at = ? WHERE id = ?')
        .run(
          change.title ?? current.title,
          change.startsAt !== undefined ? change.startsAt : current.startsAt,
          change.durationMinutes !== undefined ? change.durationMinutes : current.durationMinutes,
          JSON.stringify(withinRules({ ...current.policy, ...change.policy }, this.#rules())),
          Date.now(),
          id,
        );
      if (change.hostIds) this.#setHosts(id, [...new Set([...(current.ownerId ? [current.ownerId] : []), ...change.hostIds])]);
    })();
    return this.get(id)!;
  }

  delete(id: string): boolean {
    return this.#db.prepare('DELETE FROM meetings WHERE id = ?').run(id).changes === 1;
  }

  /** The password in clear, for the invitation (hosts only), or null if the meeting has none. */
  password(id: string): string | null {
    const sealed = this.#db.prepare('SELECT password_sealed FROM meetings WHERE id = ?').pluck().get(id) as string | null | undefined;
    return sealed ? open(this.#key, sealed, passwordAad(id)) : null;
  }

  /** Constant-time check of a guest's attempt; false when the meeting has no password. */
  checkPassword(id: string, attempt: string): boolean {
    const expected = this.password(id);
    if (expected === null) return false;
    const a = Buffer.from(attempt.trim().toLowerCase());
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /**
   * A new random password for the meeting (a banned guest's fresh browser cannot be recognised,
   * so the invitation they had must stop working). Returns it, or null if the meeting has none.
   */
  rotatePassword(id: string): string | null {
    if (this.password(id) === null) return null;
    const password = newMeetingPassword();
    this.#db.prepare('UPDATE meetings SET password_sealed = ?, updated_at = ? WHERE id = ?').run(seal(this.#key, password, passwordAad(id)), Date.now(), id);
    return password;
  }

  /**
   * Bans someone from a meeting: they cannot join again, not even the waiting room, and no host
   * can admit them. `account`: a staff account. `guest-device` (subject: the guest's id, from
   * their device token): that browser is refused at the guest entry and at join.
   */
  ban(meetingId: string, kind: BanKind, subject: string, displayName: string, bannedBy: string): void {
    this.#db
      .prepare(
        `INSERT OR IGNORE INTO meeting_bans (meeting_id, subject, kind, display_name, banned_by, at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(meetingId, subject, kind, displayName, bannedBy, Date.now());
  }

  /** Whether `subject` (an account id, or a guest's `guest:<device>` id) is banned from the meeting. */
  isBanned(meetingId: string, subject: string): boolean {
    return this.#isBanned.get(meetingId, subject) !== undefined;
  }

  #setHosts(meetingId: string, userIds: string[]): void {
    this.#db.prepare('DELETE FROM meeting_hosts WHERE meeting_id = ?').run(meetingId);
    const insert = this.#db.prepare('INSERT INTO meeting_hosts (meeting_id, user_id) VALUES (?, ?)');
    for (const userId of userIds) insert.run(meetingId, userId);
  }

  #policyOf(stored: string): MeetingPolicy {
    const rules = this.#rules();
    return withinRules({ ...rules.meetingDefaults, e2ee: true, ...(JSON.parse(stored) as Partial<MeetingPolicy>) }, rules);
  }

  #fromRow(r: Row): MeetingRecord {
    const hostIds = this.#db.prepare('SELECT user_id FROM meeting_hosts WHERE meeting_id = ? ORDER BY user_id').pluck().all(r.id) as string[];
    return {
      id: r.id,
      title: r.title,
      ownerId: r.owner_id,
      hostIds,
      startsAt: r.starts_at,
      durationMinutes: r.duration_minutes,
      policy: this.#policyOf(r.policy),
      hasPassword: r.password_sealed !== null,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }
}
