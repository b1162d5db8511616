import { readFileSync } from 'node:fs';
import { KithNode } from '../src/node/kith-node.js';
import { KithError } from '../src/core/errors.js';

/**
 * The process fault-kill-ingest.test.ts kills: a node's store taking in a
 * stream of objects as a sync does (batches through the verify pool, one
 * transaction each), with the owner posting between batches, and saying on
 * stdout what it committed. Arguments: the home, a file of one object per
 * line, the line to start from, the batch size.
 *
 * Checkpoints come every 100 pages of WAL here instead of every 10,000, so
 * kills also land in the middle of SQLite copying the WAL into the database.
 */

const [home, file, fromArg, batchArg] = process.argv.slice(2);
if (home === undefined || file === undefined) throw new Error('usage: fault-ingest-child <home> <objects file> [from] [batch]');
const from = Number(fromArg ?? 0);
const batch = Number(batchArg ?? 100);
const lines = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);
const node = KithNode.open(home);
node.store.db.pragma('wal_autocheckpoint = 100');
process.stdout.write('ready\n');
for (let i = from; i < lines.length; i += batch) {
  const results = await node.ingestMany(lines.slice(i, i + batch));
  const refused = results.find((r) => r instanceof KithError);
  if (refused) throw refused;
  const own = node.post({ text: `noted after ${i + batch} objects` });
  process.stdout.write(`committed ${Math.min(i + batch, lines.length)} ${own.digest}\n`);
}
node.close();
process.stdout.write('done\n');
