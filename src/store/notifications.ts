import type { Db } from './database.js';
import type { ApId, Did } from '../core/types.js';
import { raw, type Page, type StoredObject } from './objects.js';
import { NOTIFICATION_FILTERS as FILTERS, type NotificationFilter } from './links.js';
import { READABLE_COLUMNS } from './opened-posts.js';

/**
 * What the owner is notified of, one row per stored activity: replies to
 * them and mentions of them (the link index), likes and boosts of their
 * posts (the interaction index), and people's Follows of them (the
 * followers table: 'follow' once accepted, 'follow-request' while it waits
 * for a locked account's answer; a rejected or taken back one is not told
 * of). Each kind is one branch of a union, so a new kind is one more branch
 * and one more name in NotificationKind.
 */

export type NotificationKind = 'reply' | 'mention' | 'like' | 'boost' | 'follow' | 'follow-request';

export interface NotificationRow extends StoredObject {
  readonly kind: NotificationKind;
  /** For a like or boost, the owner's post it is about; null when the object itself is what the owner is told of (a reply, a mention). */
  readonly target: ApId | null;
}

const NOT_BLOCKED = 'o.owner NOT IN (SELECT did FROM muted_people)';
/** A like or boost counts while no Undo took it back and the post it names is held here and not deleted. */
const STANDING = `NOT EXISTS (SELECT 1 FROM undone u WHERE u.id = i.id)
  AND NOT EXISTS (SELECT 1 FROM tombstones t WHERE t.id = i.target)
  AND (EXISTS (SELECT 1 FROM objects p WHERE p.id = i.target) OR EXISTS (SELECT 1 FROM embedded e WHERE e.id = i.target))`;

/**
 * A request to follow comes from someone the owner does not know yet, by
 * its nature: it is told of in the main list even while strangers are
 * filtered (it waits for an answer; the sender's rate is limited like any).
 */
const REQUESTS_SHOWN: Record<NotificationFilter, string> = {
  all: '',
  known: `AND (fw.state = 'pending' OR (1 ${FILTERS.known}))`,
  strangers: `AND fw.state <> 'pending' ${FILTERS.strangers}`,
};

/** The union of every kind, for one owner; `extra` is a further condition on `o` (the page's cursor, the unread cut). */
function union(f: NotificationFilter, extra: string): string {
  return `SELECT o.n AS n, CASE WHEN max(l.kind = 'reply') THEN 'reply' ELSE 'mention' END AS kind, NULL AS target
      FROM object_links l JOIN objects o ON o.n = l.object
      WHERE l.target_owner = @owner AND o.owner != @owner AND ${NOT_BLOCKED} ${FILTERS[f]} ${extra} GROUP BY o.n
    UNION ALL
    -- Replies and mentions in followers-only posts opened here, shown as the post (store/opened-posts.ts).
    SELECT o.n, CASE WHEN max(l.kind = 'reply') THEN 'reply' ELSE 'mention' END, NULL
      FROM opened_links l JOIN opened_posts p ON p.n = l.opened JOIN objects o ON o.n = p.envelope
      WHERE l.target_owner = @owner AND o.owner != @owner AND ${NOT_BLOCKED} ${FILTERS[f]} ${extra} GROUP BY o.n
    UNION ALL
    SELECT o.n, i.kind, i.target
      FROM interactions i JOIN objects o ON o.n = i.object
      -- The owner's object ids are exactly those between "ap://<did>/" and "ap://<did>0" ('0' follows '/').
      WHERE i.target >= @mine AND i.target < @beyond AND o.owner != @owner AND ${NOT_BLOCKED} ${FILTERS[f]} ${extra} AND ${STANDING}
        -- One row per object, since pages are cut on objects: a boost that also mentions the owner is told of as the mention.
        AND NOT EXISTS (SELECT 1 FROM object_links l WHERE l.object = o.n AND l.target_owner = @owner)
    UNION ALL
    SELECT o.n, CASE fw.state WHEN 'pending' THEN 'follow-request' ELSE 'follow' END, NULL
      FROM followers fw JOIN objects o ON o.id = fw.follow_id AND o.owner = fw.did
      WHERE fw.state IN ('pending', 'accepted') AND ${NOT_BLOCKED} ${REQUESTS_SHOWN[f]} ${extra}`;
}

function each<T>(make: (f: NotificationFilter) => T): Record<NotificationFilter, T> {
  return { all: make('all'), known: make('known'), strangers: make('strangers') };
}

export class NotificationTable {
  private readonly pageStmt;
  private readonly pageBeforeStmt;
  private readonly unreadStmt;

  constructor(db: Db) {
    const list = (f: NotificationFilter, extra: string): string =>
      `SELECT ${READABLE_COLUMNS}, x.kind, x.target FROM (${union(f, extra)}) x JOIN objects o ON o.n = x.n
       JOIN scopes s ON s.n = o.scope LEFT JOIN opened_posts p ON p.envelope = o.n
       ORDER BY o.created DESC, o.digest DESC LIMIT @limit`;
    this.pageStmt = each((f) => db.prepare(list(f, '')));
    this.pageBeforeStmt = each((f) => db.prepare(list(f, 'AND (o.created, o.digest) < (@created, @digest)')));
    this.unreadStmt = each((f) => db.prepare(`SELECT COUNT(*) FROM (${union(f, 'AND o.created > @since')})`).pluck());
  }

  /** What the owner is notified of, newest first. */
  page(owner: Did, page: Page, filter: NotificationFilter = 'all'): NotificationRow[] {
    const b = page.before;
    const params = { ...bounds(owner), limit: page.limit };
    return (
      b === undefined ? this.pageStmt[filter].all(params) : this.pageBeforeStmt[filter].all({ ...params, created: b.created, digest: raw(b.digest) })
    ) as NotificationRow[];
  }

  /** How many arrived (by their time) after `since`. */
  unread(owner: Did, since: number, filter: NotificationFilter = 'all'): number {
    return this.unreadStmt[filter].get({ ...bounds(owner), since }) as number;
  }
}

function bounds(owner: Did): { owner: Did; mine: string; beyond: string } {
  return { owner, mine: `ap://${owner}/`, beyond: `ap://${owner}0` };
}
