/** Hosts tell apart people waiting under the same name: numbered in order of arrival. */
import { describe, expect, it } from 'vitest';
import { sameNameOrdinals, type WaitingPerson } from '../client/src/call/meeting-state.ts';

const person = (id: string, displayName: string, since: number, guest = true): WaitingPerson => ({ id, displayName, guest, previouslyRemoved: false, since });

describe('waiting under the same name', () => {
  it('numbers only the names that repeat, first come first', () => {
    const ordinals = sameNameOrdinals([person('b', 'Ana', 2000), person('c', 'Luis', 1500), person('a', 'Ana', 1000)]);
    expect(Object.fromEntries(ordinals)).toEqual({ a: 1, b: 2 });
  });

  it('counts names that look the same as the same (case, compatibility forms)', () => {
    const ordinals = sameNameOrdinals([person('a', 'ANA', 1), person('b', 'ana', 2), person('c', 'Ａｎａ', 3)]);
    expect(Object.fromEntries(ordinals)).toEqual({ a: 1, b: 2, c: 3 });
  });
});
