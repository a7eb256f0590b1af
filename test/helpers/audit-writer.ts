/**
 * A process that audits: `node test/helpers/audit-writer.ts DATA_DIR COUNT ACTOR` appends COUNT
 * records as ACTOR and prints each one's seq once its insert has returned (test/audit/crash.test.ts).
 * It prints `ready` once the database is open and starts when a line comes on stdin, so that two
 * writers really write at the same time.
 */
import { readSync } from 'node:fs';
import { createAudit } from '../../server/audit/audit.ts';
import { openDatabase } from '../../server/store/db.ts';

const [dataDir, count, actor] = process.argv.slice(2);
const audit = createAudit(openDatabase(dataDir!));
process.stdout.write('ready\n');
readSync(0, Buffer.alloc(1));
const pause = new Int32Array(new SharedArrayBuffer(4));
for (let i = 0; i < Number(count); i++) {
  const { seq } = audit({ action: 'test.write', outcome: 'ok', actor, detail: { i } });
  process.stdout.write(`${seq}\n`);
  // A moment between appends, as a server has between requests: the other writer's turn.
  Atomics.wait(pause, 0, 0, 0.2);
}
