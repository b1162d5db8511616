import { join } from 'node:path';
import { openReader } from '../src/store/database.js';

/**
 * A cheap look into a running node's store over a read-only connection, for
 * waiting until something has arrived; what the test then asserts it asks
 * of the node with the `kith` command (a process each, so not in a loop).
 */
export function probe(home: string, sql: string, ...params: unknown[]): number {
  const db = openReader(join(home, 'kith.db'));
  try {
    return db
      .prepare(sql)
      .pluck()
      .get(...params) as number;
  } finally {
    db.close();
  }
}
