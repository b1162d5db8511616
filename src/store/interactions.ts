import type { Db } from './database.js';
import type { ApId, Did } from '../core/types.js';
import type { ObjectRecord } from '../core/examine.js';
import { COLUMNS, NEWEST_FIRST, type StoredObject } from './objects.js';

/**
 * Likes, boosts and the Undos that take them back, as indexed at ingest:
 * counts per post and what one person has done to it. An Undo may arrive
 * before what it undoes (each travels on its own), so undos are kept by the
 * id they name, and a count leaves out every like or boost an undo names.
 */

export type InteractionKind = 'like' | 'boost';

export interface InteractionCounts {
  readonly likes: number;
  readonly boosts: number;
}

export const NOT_UNDONE = 'NOT EXISTS (SELECT 1 FROM undone u WHERE u.id = i.id)';
export const NOT_BLOCKED_ACTOR = 'i.actor NOT IN (SELECT did FROM muted_people)';

export class InteractionTable {
  private readonly addStmt;
  private readonly undoStmt;
  private readonly countStmt;
  private readonly activeStmt;
  private readonly undoneStmt;
  private readonly byIdStmt;
  private readonly targetStmt;

  constructor(db: Db) {
    this.addStmt = db.prepare('INSERT OR IGNORE INTO interactions (object, id, kind, target, actor) VALUES (?, ?, ?, ?, ?)');
    this.undoStmt = db.prepare('INSERT OR IGNORE INTO undone (id, object) VALUES (?, ?)');
    // One person counts once, however many devices or nodes signed a like of theirs.
    this.countStmt = db.prepare(
      `SELECT COUNT(DISTINCT CASE WHEN i.kind = 'like' THEN i.actor END) AS likes, COUNT(DISTINCT CASE WHEN i.kind = 'boost' THEN i.actor END) AS boosts
       FROM interactions i WHERE i.target = ? AND ${NOT_UNDONE} AND ${NOT_BLOCKED_ACTOR}`,
    );
    this.activeStmt = db
      .prepare(
        `SELECT i.id FROM interactions i JOIN objects o ON o.n = i.object WHERE i.actor = ? AND i.kind = ? AND i.target = ? AND ${NOT_UNDONE} ${NEWEST_FIRST}`,
      )
      .pluck();
    this.undoneStmt = db.prepare('SELECT 1 FROM undone WHERE id = ? LIMIT 1').pluck();
    this.targetStmt = db.prepare('SELECT target FROM interactions WHERE id = ? LIMIT 1').pluck();
    this.byIdStmt = db.prepare(`SELECT ${COLUMNS} FROM interactions i JOIN objects o ON o.n = i.object JOIN scopes s ON s.n = o.scope WHERE i.id = ? LIMIT 1`);
  }

  /** Indexes a Like, Announce or Undo just stored at row `n`. Call inside the writing transaction. */
  index(n: number, r: ObjectRecord): void {
    const a = r.activity;
    if (a === undefined) return;
    if (a.kind === 'like' || a.kind === 'boost') this.addStmt.run(n, r.id, a.kind, a.target, r.owner);
    else if (a.kind === 'undo') this.undoStmt.run(a.target, n);
  }

  counts(target: ApId): InteractionCounts {
    return this.countStmt.get(target) as InteractionCounts;
  }

  /** The ids of this person's likes (or boosts) of a post that no Undo took back, newest first. */
  active(actor: Did, kind: InteractionKind, target: ApId): ApId[] {
    return this.activeStmt.all(actor, kind, target) as ApId[];
  }

  /** Whether an Undo of this id is stored. */
  isUndone(id: ApId): boolean {
    return this.undoneStmt.get(id) !== undefined;
  }

  /** The post a stored Like or Announce is about. */
  targetOf(id: ApId): ApId | undefined {
    return this.targetStmt.get(id) as ApId | undefined;
  }

  /** A stored Like or Announce by its id. */
  byId(id: ApId): StoredObject | undefined {
    return this.byIdStmt.get(id) as StoredObject | undefined;
  }
}
