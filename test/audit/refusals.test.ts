import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../server/audit/audit.ts';
import { RefusalAudit } from '../../server/audit/refusals.ts';

function collecting(options?: { maxKinds?: number }) {
  const rows: AuditEvent[] = [];
  return { rows, refusals: new RefusalAudit((e) => rows.push(e), options) };
}

describe('aggregated refusals', () => {
  it('writes the first of a kind at once and its repeats as one row per window', () => {
    const { rows, refusals } = collecting();
    for (let i = 0; i < 1000; i++) refusals.record({ action: 'signaling.mute', code: 'FORBIDDEN', actor: 'a', ip: '10.9.9.9' });
    refusals.record({ action: 'signaling.mute', code: 'FORBIDDEN', actor: 'b', ip: '10.9.9.9' });
    expect(rows).toHaveLength(2);
    refusals.flush();
    expect(rows).toHaveLength(3);
    expect(rows[2]).toMatchObject({
      action: 'signaling.mute',
      outcome: 'denied',
      actor: 'a',
      detail: { code: 'FORBIDDEN', ip: '10.9.9.9', repeated: 999, windowSeconds: 60 },
    });
    refusals.flush(); // nothing new: nothing written
    expect(rows).toHaveLength(3);
    refusals.record({ action: 'signaling.mute', code: 'FORBIDDEN', actor: 'a', ip: '10.9.9.9' });
    expect(rows).toHaveLength(4); // a new window writes the first one again
    refusals.close();
  });

  it('past the number of kinds a window keeps, further kinds are only counted', () => {
    const { rows, refusals } = collecting({ maxKinds: 10 });
    for (let i = 0; i < 5000; i++) refusals.record({ action: 'http.refused', code: 'CSRF_FAILED', ip: `10.0.${i >> 8}.${i & 255}` });
    expect(rows).toHaveLength(10);
    refusals.close();
    expect(rows.at(-1)).toMatchObject({ action: 'audit.refusals_overflow', detail: { uncounted: 4990 } });
  });
});
