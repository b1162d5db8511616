import type { Db } from './database.js';
import type { ApId, Did } from '../core/types.js';
import { COLUMNS, NEWEST_FIRST, OLDER_THAN, raw, type Page, type StoredObject } from './objects.js';

export interface LinkedObject extends StoredObject {
  /** 'reply' when the object replies to the owner, 'mention' when it only mentions them. */
  readonly kind: 'reply' | 'mention';
}

const NOT_BLOCKED = 'o.owner NOT IN (SELECT did FROM blocked_people)';

/** People the owner knows: those they follow, and those whose follow of the owner was accepted. */
const KNOWN_PEOPLE = "SELECT did FROM follows UNION SELECT did FROM followers WHERE state = 'accepted'";

/** Which notifications a list takes: all, those from people the owner knows, or those from strangers (the filtered ones). */
export type NotificationFilter = 'all' | 'known' | 'strangers';

const FILTERS: Record<NotificationFilter, string> = {
  all: '',
  known: `AND o.owner IN (${KNOWN_PEOPLE})`,
  strangers: `AND o.owner NOT IN (${KNOWN_PEOPLE})`,
};

/** Replies and mentions, as indexed at ingest: threads, reply counts and notifications. */
export class LinkTable {
  private readonly repliesStmt;
  private readonly replyCountStmt;
  private readonly mentionsStmt;
  private readonly mentionsBeforeStmt;
  private readonly unreadStmt;

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
    const linked = (f: NotificationFilter): string => `SELECT ${COLUMNS}, CASE WHEN max(l.kind = 'reply') THEN 'reply' ELSE 'mention' END AS kind
       FROM object_links l JOIN objects o ON o.n = l.object JOIN scopes s ON s.n = o.scope
       WHERE l.target_owner = ? AND o.owner != l.target_owner AND ${NOT_BLOCKED} ${FILTERS[f]}`;
    const each = <T>(make: (f: NotificationFilter) => T): Record<NotificationFilter, T> => ({
      all: make('all'),
      known: make('known'),
      strangers: make('strangers'),
    });
    this.mentionsStmt = each((f) => db.prepare(`${linked(f)} GROUP BY o.n ${NEWEST_FIRST} LIMIT ?`));
    this.mentionsBeforeStmt = each((f) => db.prepare(`${linked(f)} AND ${OLDER_THAN} GROUP BY o.n ${NEWEST_FIRST} LIMIT ?`));
    this.unreadStmt = each((f) =>
      db
        .prepare(
          `SELECT COUNT(DISTINCT l.object) FROM object_links l JOIN objects o ON o.n = l.object
       WHERE l.target_owner = ? AND o.owner != l.target_owner AND o.created > ? AND ${NOT_BLOCKED} ${FILTERS[f]}`,
        )
        .pluck(),
    );
  }

  /** Replies to an object, oldest first. */
  replies(target: ApId, limit = 200): StoredObject[] {
    return this.repliesStmt.all(target, limit) as StoredObject[];
  }

  replyCount(target: ApId): number {
    return this.replyCountStmt.get(target) as number;
  }

  /** Objects by others that reply to or mention `owner`, newest first. */
  addressedTo(owner: Did, page: Page, filter: NotificationFilter = 'all'): LinkedObject[] {
    const b = page.before;
    return (
      b === undefined ? this.mentionsStmt[filter].all(owner, page.limit) : this.mentionsBeforeStmt[filter].all(owner, b.created, raw(b.digest), page.limit)
    ) as LinkedObject[];
  }

  /** How many of those arrived (by their time) after `since`. */
  unread(owner: Did, since: number, filter: NotificationFilter = 'all'): number {
    return this.unreadStmt[filter].get(owner, since) as number;
  }
}
