import type { Db } from './database.js';
import type { ApId } from '../core/types.js';
import { COLUMNS, type StoredObject } from './objects.js';

/** Leaves out people the owner blocked and accounts under a node root they blocked (the muted_people view). */
export const NOT_BLOCKED = 'o.owner NOT IN (SELECT did FROM muted_people)';

/** People the owner knows: those they follow, and those whose follow of the owner was accepted. */
const KNOWN_PEOPLE = "SELECT did FROM follows UNION SELECT did FROM followers WHERE state = 'accepted'";

/** Which notifications a list takes: all, those from people the owner knows, or those from strangers (the filtered ones). */
export type NotificationFilter = 'all' | 'known' | 'strangers';

const FILTERS: Record<NotificationFilter, string> = {
  all: '',
  known: `AND o.owner IN (${KNOWN_PEOPLE})`,
  strangers: `AND o.owner NOT IN (${KNOWN_PEOPLE})`,
};

/** Replies and mentions, as indexed at ingest: threads and reply counts (notifications: store/notifications.ts). */
export class LinkTable {
  private readonly repliesStmt;
  private readonly replyCountStmt;

  constructor(db: Db) {
    this.repliesStmt = db.prepare(
      `SELECT ${COLUMNS} FROM object_links l JOIN objects o ON o.n = l.object JOIN scopes s ON s.n = o.scope
       WHERE l.target = ? AND l.kind = 'reply' AND ${NOT_BLOCKED} ORDER BY o.created, o.digest LIMIT ?`,
    );
    this.replyCountStmt = db
      .prepare(
        `SELECT COUNT(DISTINCT l.object) FROM object_links l JOIN objects o ON o.n = l.object
       WHERE l.target = ? AND l.kind = 'reply' AND ${NOT_BLOCKED}`,
      )
      .pluck();
  }

  /** Replies to an object, oldest first. */
  replies(target: ApId, limit = 200): StoredObject[] {
    return this.repliesStmt.all(target, limit) as StoredObject[];
  }

  replyCount(target: ApId): number {
    return this.replyCountStmt.get(target) as number;
  }
}

/** The filters, for the notification list (store/notifications.ts), which also filters likes and boosts by `o.owner`. */
export { FILTERS as NOTIFICATION_FILTERS };
