import type { Db } from './database.js';
import type { ApId, Did } from '../core/types.js';
import { COLUMNS, NEWEST_FIRST, type StoredObject } from './objects.js';
import { searchableOf } from '../core/searchable.js';
import { SEARCH_INDEX_ALL_SLICE } from '../core/constants.js';

/**
 * Full-text search (SQLite FTS5) over what this node holds: posts by their
 * words and hashtags, people by their own name, the petname the owner gave
 * them, or their DID. Triggers keep the indexes in step whichever way a row
 * is written: people's names in the writing transaction (migration 8), posts
 * through a queue (migration 13) that indexPending drains after the write
 * commits, and that a search on the writing connection drains first. A post
 * that goes leaves the index in the transaction that removes it.
 */

const NOT_BLOCKED = 'o.owner NOT IN (SELECT did FROM muted_people)';

export class SearchTable {
  private readonly postsStmt;
  private readonly peopleStmt;
  private readonly didPrefixStmt;
  private readonly forgetStmt;
  private readonly forgetIdStmt;
  private readonly indexStmt;
  private readonly pendingStmt;
  private readonly pendingCountStmt;
  private readonly unqueueStmt;
  private readonly unqueueIdStmt;
  private readonly addStmt;
  private readonly drain;

  constructor(private readonly db: Db) {
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
    this.pendingStmt = db.prepare(`SELECT q.n, o.body FROM search_pending q JOIN objects o ON o.n = q.n ORDER BY q.n LIMIT ?`);
    this.pendingCountStmt = db.prepare('SELECT COUNT(*) FROM search_pending').pluck();
    this.unqueueStmt = db.prepare('DELETE FROM search_pending WHERE n = ?');
    this.addStmt = db.prepare('INSERT INTO post_search (rowid, text, tags) VALUES (?, ?, ?)');
    this.drain = db.transaction((limit: number): number => {
      const rows = this.pendingStmt.all(limit) as { n: number; body: string }[];
      for (const { n, body } of rows) {
        this.unqueueStmt.run(n);
        const words = searchableOf(body);
        if (words !== undefined) this.addStmt.run(n, words.text, words.tags);
      }
      return rows.length;
    });
    const rowsOfId = '(SELECT n FROM objects WHERE id = ? UNION SELECT object FROM embedded WHERE id = ?)';
    this.forgetIdStmt = db.prepare(`DELETE FROM post_search WHERE rowid IN ${rowsOfId}`);
    this.unqueueIdStmt = db.prepare(`DELETE FROM search_pending WHERE n IN ${rowsOfId}`);
  }

  /** Posts matching an FTS5 expression (see core/searchable.ts searchQuery), newest first; none by blocked people. */
  posts(match: string, limit: number): StoredObject[] {
    // Every post stored is found, however recently: what is still queued is indexed now. A read-only
    // connection cannot; the writing one drains the queue within moments of each commit.
    if (!this.db.readonly) while (this.indexPending(SEARCH_INDEX_ALL_SLICE) > 0);
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
    // Still queued, it would be indexed after all.
    if (typeof target === 'number') this.unqueueStmt.run(target);
    else this.unqueueIdStmt.run(target, target);
    return typeof target === 'number' ? this.forgetStmt.run(target).changes : this.forgetIdStmt.run(target, target).changes;
  }

  /**
   * Indexes row `n` by the words of `body` (a post or an activity carrying
   * one) in place of what it was indexed by: for an edit, the row shown for a
   * post is found by its edited text. A body that is no post leaves the row
   * out of the index. Call inside the transaction that stores the edit.
   */
  index(n: number, body: string): void {
    // Queued, it would later be indexed by its own body, over these words.
    this.unqueueStmt.run(n);
    this.forgetStmt.run(n);
    this.indexStmt.run(n, body, body);
  }

  /**
   * Indexes up to `limit` queued posts in one transaction, oldest first: one
   * parse of each body, and FTS5 flushes its segment once for all of them.
   * Returns how many it took off the queue (0: none left).
   */
  indexPending(limit: number): number {
    return this.drain(limit);
  }

  /** Posts stored but not indexed yet. */
  pendingCount(): number {
    return this.pendingCountStmt.get() as number;
  }
}
