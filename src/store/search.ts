import type { Db } from './database.js';
import type { ApId, Did } from '../core/types.js';
import { COLUMNS, NEWEST_FIRST, type StoredObject } from './objects.js';

/**
 * Full-text search (SQLite FTS5) over what this node holds: posts by their
 * words and hashtags, people by their own name, the petname the owner gave
 * them, or their DID. The indexes are kept in step by triggers (migration 8),
 * in the same transaction as the row they index, whichever way a row is
 * written (see ./search-functions.ts for what they call).
 */

const NOT_BLOCKED = 'o.owner NOT IN (SELECT did FROM muted_people)';

export class SearchTable {
  private readonly postsStmt;
  private readonly peopleStmt;
  private readonly didPrefixStmt;
  private readonly forgetStmt;
  private readonly forgetIdStmt;
  private readonly indexStmt;

  constructor(db: Db) {
    // Newest first, as a timeline reads; the index finds the rows, the objects table orders them.
    this.postsStmt = db.prepare(
      `SELECT ${COLUMNS} FROM post_search f JOIN objects o ON o.n = f.rowid JOIN scopes s ON s.n = o.scope
       WHERE post_search MATCH ? AND ${NOT_BLOCKED} ${NEWEST_FIRST} LIMIT ?`,
    );
    this.peopleStmt = db
      .prepare(`SELECT p.did FROM people_search f JOIN search_people p ON p.n = f.rowid WHERE people_search MATCH ? ORDER BY f.rank LIMIT ?`)
      .pluck();
    this.didPrefixStmt = db.prepare(`SELECT did FROM search_people WHERE did >= ? AND did < ? ORDER BY did LIMIT ?`).pluck();
    this.forgetStmt = db.prepare('DELETE FROM post_search WHERE rowid = ?');
    this.indexStmt = db.prepare(
      `INSERT INTO post_search (rowid, text, tags) SELECT ?, t, kith_post_tags(?) FROM (SELECT kith_post_text(?) AS t) WHERE t IS NOT NULL`,
    );
    this.forgetIdStmt = db.prepare(
      `DELETE FROM post_search WHERE rowid IN (SELECT n FROM objects WHERE id = ? UNION SELECT object FROM embedded WHERE id = ?)`,
    );
  }

  /** Posts matching an FTS5 expression (see core/searchable.ts searchQuery), newest first; none by blocked people. */
  posts(match: string, limit: number): StoredObject[] {
    return this.postsStmt.all(match, limit) as StoredObject[];
  }

  /** People whose name or petname matches an FTS5 expression, best match first. */
  people(match: string, limit: number): Did[] {
    return this.peopleStmt.all(match, limit) as Did[];
  }

  /** People known here whose DID starts with this. */
  peopleByDid(prefix: string, limit: number): Did[] {
    return this.didPrefixStmt.all(prefix, `${prefix}\uffff`, limit) as Did[];
  }

  /**
   * Takes a post out of the index: by its row, or by the id of the object
   * (every stored version, and every activity that carries it). For a delete
   * that keeps the row as a tombstone; a row that goes is taken out by a trigger.
   * Returns how many entries went. Call inside the transaction that deletes.
   */
  forget(target: number | ApId): number {
    return typeof target === 'number' ? this.forgetStmt.run(target).changes : this.forgetIdStmt.run(target, target).changes;
  }

  /**
   * Indexes row `n` by the words of `body` (a post or an activity carrying
   * one) in place of what it was indexed by: for an edit, the row shown for a
   * post is found by its edited text. A body that is no post leaves the row
   * out of the index. Call inside the transaction that stores the edit.
   */
  index(n: number, body: string): void {
    this.forgetStmt.run(n);
    this.indexStmt.run(n, body, body);
  }
}
