/**
 * What running meetings remember (who was admitted, co-hosts, removals, the lock, the live policy),
 * kept in SQLite so that a server killed and started again gives people their places back: the
 * admitted come back in without waiting, co-hosts stay co-hosts, a lock stays locked (bans are
 * stored with the meeting already). Snapshots are written when they change (registry.snapshot,
 * every second) and dropped when a meeting ends or empties; old ones are not used.
 */
import type { MeetingPolicy } from '../../protocol/policy.ts';
import type { Db } from '../store/db.ts';
import type { MeetingMemory } from './meeting-state.ts';

type Stored = { admitted: string[]; enteredMuted: string[]; cohosts: string[]; removed: string[]; locked: boolean; policy: MeetingPolicy };

export class MeetingMemoryStore {
  readonly #save;
  readonly #delete;
  readonly #all;

  constructor(db: Db) {
    this.#save = db.prepare(
      'INSERT INTO meeting_memory (meeting_id, memory, updated_at) VALUES (?, ?, ?) ON CONFLICT (meeting_id) DO UPDATE SET memory = excluded.memory, updated_at = excluded.updated_at',
    );
    this.#delete = db.prepare('DELETE FROM meeting_memory WHERE meeting_id = ?');
    this.#all = db.prepare('SELECT meeting_id AS meetingId, memory, updated_at AS updatedAt FROM meeting_memory');
  }

  save(meetingId: string, memory: MeetingMemory): void {
    this.#save.run(meetingId, encode(memory), Date.now());
  }

  forget(meetingId: string): void {
    this.#delete.run(meetingId);
  }

  /** What was remembered at most `maxAgeMs` ago; older snapshots are dropped. */
  recent(maxAgeMs: number, now = Date.now()): Map<string, MeetingMemory> {
    const out = new Map<string, MeetingMemory>();
    for (const row of this.#all.all() as { meetingId: string; memory: string; updatedAt: number }[]) {
      if (now - row.updatedAt > maxAgeMs) this.forget(row.meetingId);
      else out.set(row.meetingId, decode(row.memory));
    }
    return out;
  }
}

/** The memory as stored (JSON, sets as sorted arrays so equal memories encode equally). */
export function encode(memory: MeetingMemory): string {
  const stored: Stored = {
    admitted: [...memory.admitted].sort(),
    enteredMuted: [...memory.enteredMuted].sort(),
    cohosts: [...memory.cohosts].sort(),
    removed: [...memory.removed].sort(),
    locked: memory.locked,
    policy: memory.policy,
  };
  return JSON.stringify(stored);
}

function decode(text: string): MeetingMemory {
  const s = JSON.parse(text) as Stored;
  return {
    admitted: new Set(s.admitted),
    enteredMuted: new Set(s.enteredMuted),
    cohosts: new Set(s.cohosts),
    removed: new Set(s.removed),
    locked: s.locked,
    policy: s.policy,
  };
}
