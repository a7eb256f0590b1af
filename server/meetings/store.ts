/** Meetings that exist (persisted). Live state of a running meeting is in meeting.ts. */
import { randomInt } from 'node:crypto';
import type { Db } from '../store/db.ts';

/** No 0/o, 1/l/i, 2/z, 5/s, 8/b look-alikes: IDs survive being read aloud or retyped. */
const ALPHABET = 'acdefghjkmnpqrtuvwxy34679';
const GROUPS = 4;
const GROUP_LENGTH = 4;

/** 16 symbols from a 25-letter alphabet: log2(25^16) ≈ 74 bits, drawn from the CSPRNG. */
export function newMeetingId(): string {
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    let group = '';
    for (let i = 0; i < GROUP_LENGTH; i++) group += ALPHABET[randomInt(ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}

export interface MeetingRecord {
  id: string;
  title: string;
  createdAt: number;
}

export class MeetingStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  create(title: string): MeetingRecord {
    const record = { id: newMeetingId(), title, createdAt: Date.now() };
    this.#db.prepare('INSERT INTO meetings (id, title, created_at) VALUES (?, ?, ?)').run(record.id, record.title, record.createdAt);
    return record;
  }

  get(id: string): MeetingRecord | undefined {
    const row = this.#db.prepare('SELECT id, title, created_at AS createdAt FROM meetings WHERE id = ?').get(id);
    return row as MeetingRecord | undefined;
  }

  list(): MeetingRecord[] {
    return this.#db.prepare('SELECT id, title, created_at AS createdAt FROM meetings ORDER BY created_at').all() as MeetingRecord[];
  }
}
