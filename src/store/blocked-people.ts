import type { Db } from './database.js';
import type { Did } from '../core/types.js';

/** People the owner blocked. Ingest refuses what they own; timelines and notifications leave them out. */
export class BlockedPeopleTable {
  private readonly addStmt;
  private readonly removeStmt;
  private readonly listStmt;
  private readonly hasStmt;
  /** Ingest asks for every object, so the (short) list is kept in memory. */
  private cache: Set<string> | undefined;

  constructor(db: Db) {
    this.addStmt = db.prepare('INSERT OR IGNORE INTO blocked_people (did, since) VALUES (?, ?)');
    this.removeStmt = db.prepare('DELETE FROM blocked_people WHERE did = ?');
    this.listStmt = db.prepare('SELECT did, since FROM blocked_people ORDER BY since DESC');
    this.hasStmt = db.prepare('SELECT did FROM blocked_people').pluck();
  }

  add(did: Did, now = Date.now()): boolean {
    this.cache = undefined;
    return this.addStmt.run(did, now).changes === 1;
  }

  remove(did: Did): boolean {
    this.cache = undefined;
    return this.removeStmt.run(did).changes === 1;
  }

  list(): { did: Did; since: number }[] {
    return this.listStmt.all() as { did: Did; since: number }[];
  }

  has(did: Did): boolean {
    this.cache ??= new Set(this.hasStmt.all() as string[]);
    return this.cache.has(did);
  }
}
