import type { Db } from './database.js';
import type { Did } from '../core/types.js';

/**
 * Node roots the owner blocked. Nothing is refused for it: reading leaves
 * out every account the root vouches for (the muted_people view), so
 * unblocking brings them back at once, with whatever arrived meanwhile.
 */
export class BlockedRootsTable {
  private readonly addStmt;
  private readonly removeStmt;
  private readonly listStmt;
  private readonly hasStmt;

  constructor(db: Db) {
    this.addStmt = db.prepare('INSERT OR IGNORE INTO blocked_roots (did, since) VALUES (?, ?)');
    this.removeStmt = db.prepare('DELETE FROM blocked_roots WHERE did = ?');
    this.listStmt = db.prepare('SELECT did, since FROM blocked_roots ORDER BY since DESC');
    // Not kept in memory: the API's front thread reads it over its own connection, which sees no writes to clear a copy.
    this.hasStmt = db.prepare('SELECT 1 FROM blocked_roots WHERE did = ?').pluck();
  }

  add(did: Did, now = Date.now()): boolean {
    return this.addStmt.run(did, now).changes === 1;
  }

  remove(did: Did): boolean {
    return this.removeStmt.run(did).changes === 1;
  }

  list(): { did: Did; since: number }[] {
    return this.listStmt.all() as { did: Did; since: number }[];
  }

  has(did: Did): boolean {
    return this.hasStmt.get(did) !== undefined;
  }
}
