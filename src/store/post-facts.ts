import type { Db } from './database.js';
import type { ApId, Did } from '../core/types.js';
import type { InteractionCounts, InteractionKind } from './interactions.js';
import { NOT_BLOCKED_ACTOR, NOT_UNDONE } from './interactions.js';
import { NOT_BLOCKED } from './links.js';

/**
 * What a page of posts shows beside each post (reply, like and boost
 * counts, the owner's own likes and boosts, whether it has other versions), read for
 * the whole page in four statements instead of five per post: a timeline is
 * the request people make most, and it must stay quick while the node is
 * busy with its peers. The rules are those of LinkTable.replyCount,
 * InteractionTable.counts and .active; the page's ids travel as one JSON array.
 */

export interface PostFacts {
  readonly replies: number;
  readonly likes: number;
  readonly boosts: number;
  readonly liked: boolean;
  readonly boosted: boolean;
  /**
   * Held in one stored object only (the Create that carries it): that
   * object's copy is then its newest version. Otherwise (an Update names it,
   * or it is stored whole too) the views weigh every version.
   */
  readonly single: boolean;
}

const IDS = '(SELECT value FROM json_each(?))';

export class PostFactsReader {
  private readonly repliesStmt;
  private readonly countsStmt;
  private readonly mineStmt;
  private readonly singleStmt;

  constructor(db: Db) {
    // Replies held in public and followers-only replies opened here (store/opened-posts.ts).
    this.repliesStmt = db.prepare(
      `SELECT id, SUM(n) AS n FROM (
         SELECT l.target AS id, COUNT(DISTINCT l.object) AS n FROM object_links l JOIN objects o ON o.n = l.object
         WHERE l.target IN ${IDS} AND l.kind = 'reply' AND ${NOT_BLOCKED} GROUP BY l.target
         UNION ALL
         SELECT l.target, COUNT(DISTINCT l.opened) FROM opened_links l JOIN opened_posts o ON o.n = l.opened
         WHERE l.target IN ${IDS} AND l.kind = 'reply' AND ${NOT_BLOCKED} GROUP BY l.target
       ) GROUP BY id`,
    );
    this.countsStmt = db.prepare(
      `SELECT i.target AS id, COUNT(DISTINCT CASE WHEN i.kind = 'like' THEN i.actor END) AS likes,
              COUNT(DISTINCT CASE WHEN i.kind = 'boost' THEN i.actor END) AS boosts
       FROM interactions i WHERE i.target IN ${IDS} AND ${NOT_UNDONE} AND ${NOT_BLOCKED_ACTOR} GROUP BY i.target`,
    );
    this.mineStmt = db.prepare(`SELECT DISTINCT i.target AS id, i.kind FROM interactions i WHERE i.actor = ? AND i.target IN ${IDS} AND ${NOT_UNDONE}`);
    this.singleStmt = db
      .prepare(
        `SELECT e.id FROM embedded e WHERE e.id IN ${IDS} GROUP BY e.id
         HAVING COUNT(*) = 1 AND NOT EXISTS (SELECT 1 FROM objects w WHERE w.id = e.id)`,
      )
      .pluck();
  }

  /** The facts of each post named, as `me` (the owner) sees them. */
  of(ids: readonly ApId[], me: Did): Map<ApId, PostFacts> {
    const list = JSON.stringify([...new Set(ids)]);
    const replies = new Map((this.repliesStmt.all(list, list) as { id: ApId; n: number }[]).map((r) => [r.id, r.n]));
    const counts = new Map((this.countsStmt.all(list) as (InteractionCounts & { id: ApId })[]).map((r) => [r.id, r]));
    const mine = new Set((this.mineStmt.all(me, list) as { id: ApId; kind: InteractionKind }[]).map((r) => `${r.kind} ${r.id}`));
    const single = new Set(this.singleStmt.all(list) as ApId[]);
    const out = new Map<ApId, PostFacts>();
    for (const id of ids) {
      const c = counts.get(id);
      out.set(id, {
        replies: replies.get(id) ?? 0,
        likes: c?.likes ?? 0,
        boosts: c?.boosts ?? 0,
        liked: mine.has(`like ${id}`),
        boosted: mine.has(`boost ${id}`),
        single: single.has(id),
      });
    }
    return out;
  }
}
