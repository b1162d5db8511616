import type { Db } from './database.js';
import type { Did } from '../core/types.js';

/** A name the owner gave a key: theirs alone, never published (DESIGN, principle 2). */
export interface Petname {
  readonly did: Did;
  readonly name: string;
  readonly since: number;
}

/**
 * Petnames, one per key and each name used once. `folded` is the name as it
 * is compared (one Unicode form, lower case), kept unique by the table, so
 * "Mum" and "mum" cannot name two keys.
 */
export class PetnameTable {
  private readonly getStmt;
  private readonly byFoldedStmt;
  private readonly setStmt;
  private readonly removeStmt;
  private readonly listStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT did, name, since FROM petnames WHERE did = ?');
    this.byFoldedStmt = db.prepare('SELECT did, name, since FROM petnames WHERE folded = ?');
    this.setStmt = db.prepare(
      `INSERT INTO petnames (did, name, folded, since) VALUES (?, ?, ?, ?)
       ON CONFLICT (did) DO UPDATE SET name = excluded.name, folded = excluded.folded, since = excluded.since`,
    );
    this.removeStmt = db.prepare('DELETE FROM petnames WHERE did = ?');
    this.listStmt = db.prepare('SELECT did, name, since FROM petnames ORDER BY folded');
  }

  get(did: Did): Petname | undefined {
    return this.getStmt.get(did) as Petname | undefined;
  }

  /** The key a name (compared folded) is given to, if any. */
  byName(folded: string): Petname | undefined {
    return this.byFoldedStmt.get(folded) as Petname | undefined;
  }

  /** Gives (or renames) a key's petname; the caller has checked the name is free. */
  set(did: Did, name: string, folded: string, now: number): void {
    this.setStmt.run(did, name, folded, now);
  }

  remove(did: Did): boolean {
    return this.removeStmt.run(did).changes > 0;
  }

  list(): Petname[] {
    return this.listStmt.all() as Petname[];
  }
}
