import type { Db } from './database.js';
import type { ApId, Did, Digest } from '../core/types.js';
import type { ObjectLink } from '../core/as2.js';
import { didOf } from '../core/apid.js';
import { searchableOf } from '../core/searchable.js';
import { FOLLOWED_SCOPES, NEWEST_FIRST, NOT_LISTED_BUT_SEALED, OLDER_THAN, raw, type Page, type StoredObject } from './objects.js';
import { NOT_BLOCKED } from './links.js';

/**
 * Followers-only posts this node opened (migration 15), and the reading
 * views that show them: the owner's timeline, a person's posts, threads,
 * search (notifications: store/notifications.ts; reply counts:
 * store/post-facts.ts). An opened post is shown in its envelope's place,
 * as the Create its author signed with the envelope's row, digest and time;
 * an envelope not opened here is shown nowhere. These rows are never served
 * or synced: peers get the envelope, which they open themselves or not at all.
 */

/** An envelope joined with what this node opened of it, if anything. */
export const READABLE_FROM = 'objects o JOIN scopes s ON s.n = o.scope LEFT JOIN opened_posts p ON p.envelope = o.n';
/** StoredObject columns (objects.ts COLUMNS) showing an opened envelope as its Create. */
export const READABLE_COLUMNS = `o.n, lower(hex(o.digest)) AS digest, coalesce(p.id, o.id) AS id, o.owner, o.signer,
  CASE WHEN p.n IS NULL THEN o.type ELSE 'Create' END AS type, s.name AS scope, o.created, o.received, coalesce(p.body, o.body) AS body`;
/** A post of a listing: as objects.ts lists them, and an envelope only when opened. */
const SHOWN = `o.type NOT IN (${NOT_LISTED_BUT_SEALED}) AND (o.type <> 'KithSealed' OR p.n IS NOT NULL)`;
/** Opened posts with their envelopes, reached from `via` (a table joined on `on`) or alone. */
const opened = (via = '', on = ''): string =>
  `${via === '' ? '' : `${via} JOIN `}opened_posts p ${on === '' ? '' : `ON p.n = ${on} `}JOIN objects o ON o.n = p.envelope JOIN scopes s ON s.n = o.scope`;

/** A followers-only envelope this node holds and has not opened. */
export interface UnopenedEnvelope {
  readonly n: number;
  readonly digest: Digest;
  readonly owner: Did;
  readonly body: string;
}

export interface OpenedInput {
  /** The envelope's row. */
  readonly envelope: number;
  /** The Create's id and the post's, as the author signed them. */
  readonly id: ApId;
  readonly note: ApId;
  readonly owner: Did;
  /** The Create's JSON text. */
  readonly body: string;
  /** Its replies and mentions, as ingest reads them (core/examine.ts). */
  readonly links: readonly ObjectLink[];
}

export class OpenedPostTable {
  private readonly insertStmt;
  private readonly linkStmt;
  private readonly searchStmt;
  private readonly unopenedStmt;
  private readonly isOpenedStmt;
  private readonly byNoteStmt;
  private readonly envelopeStmt;
  private readonly timelineStmt;
  private readonly timelineBeforeStmt;
  private readonly outboxStmt;
  private readonly outboxBeforeStmt;
  private readonly repliesStmt;
  private readonly postsStmt;
  private readonly countStmt;
  private readonly pageStmt;
  private readonly pageBeforeStmt;
  private readonly add;

  constructor(db: Db) {
    // Opening takes a while outside any transaction: an envelope deleted meanwhile is not kept opened.
    this.insertStmt = db.prepare(
      `INSERT INTO opened_posts (envelope, id, note, owner, body) SELECT @envelope, @id, @note, @owner, @body
       WHERE EXISTS (SELECT 1 FROM objects WHERE n = @envelope) ON CONFLICT (envelope) DO NOTHING`,
    );
    this.linkStmt = db.prepare('INSERT OR IGNORE INTO opened_links (opened, kind, target, target_owner) VALUES (?, ?, ?, ?)');
    this.searchStmt = db.prepare('INSERT INTO opened_search (rowid, text, tags) VALUES (?, ?, ?)');
    // Latest stored first; a DM's envelope names no followers and is not for here.
    this.unopenedStmt = db.prepare(
      `SELECT o.n, lower(hex(o.digest)) AS digest, o.owner, o.body FROM objects o
       WHERE o.type = 'KithSealed' AND o.n < ? AND json_extract(o.body, '$.followers') IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM opened_posts p WHERE p.envelope = o.n)
       ORDER BY o.n DESC LIMIT ?`,
    );
    this.envelopeStmt = db.prepare('SELECT o.id FROM opened_posts p JOIN objects o ON o.n = p.envelope WHERE p.note = ? LIMIT 1').pluck();
    this.isOpenedStmt = db.prepare('SELECT 1 FROM opened_posts WHERE envelope = ?').pluck();
    this.byNoteStmt = db.prepare(`SELECT ${READABLE_COLUMNS} FROM ${opened()} WHERE p.note = ? LIMIT 1`);
    // As objects.ts timelinePage and outboxPage, with opened envelopes in their place.
    const timeline = `+o.scope IN (${FOLLOWED_SCOPES} UNION SELECT n FROM scopes WHERE name = ?) AND ${SHOWN} AND ${NOT_BLOCKED}`;
    this.timelineStmt = db.prepare(`SELECT ${READABLE_COLUMNS} FROM ${READABLE_FROM} WHERE ${timeline} ${NEWEST_FIRST} LIMIT ?`);
    this.timelineBeforeStmt = db.prepare(`SELECT ${READABLE_COLUMNS} FROM ${READABLE_FROM} WHERE ${timeline} AND ${OLDER_THAN} ${NEWEST_FIRST} LIMIT ?`);
    const outbox = `s.name = ? AND ${SHOWN}`;
    this.outboxStmt = db.prepare(`SELECT ${READABLE_COLUMNS} FROM ${READABLE_FROM} WHERE ${outbox} ${NEWEST_FIRST} LIMIT ?`);
    this.outboxBeforeStmt = db.prepare(`SELECT ${READABLE_COLUMNS} FROM ${READABLE_FROM} WHERE ${outbox} AND ${OLDER_THAN} ${NEWEST_FIRST} LIMIT ?`);
    this.repliesStmt = db.prepare(
      `SELECT ${READABLE_COLUMNS} FROM ${opened('opened_links l', 'l.opened')}
       WHERE l.target = ? AND l.kind = 'reply' AND ${NOT_BLOCKED} ORDER BY o.created, o.digest LIMIT ?`,
    );
    this.postsStmt = db.prepare(
      `SELECT ${READABLE_COLUMNS} FROM ${opened('opened_search f', 'f.rowid')}
       WHERE opened_search MATCH ? AND ${NOT_BLOCKED} ${NEWEST_FIRST} LIMIT ?`,
    );
    this.pageStmt = db.prepare(`SELECT ${READABLE_COLUMNS} FROM ${opened()} WHERE ${NOT_BLOCKED} ${NEWEST_FIRST} LIMIT ?`);
    this.pageBeforeStmt = db.prepare(`SELECT ${READABLE_COLUMNS} FROM ${opened()} WHERE ${NOT_BLOCKED} AND ${OLDER_THAN} ${NEWEST_FIRST} LIMIT ?`);
    this.countStmt = db.prepare('SELECT COUNT(*) FROM opened_posts').pluck();
    this.add = db.transaction((p: OpenedInput): boolean => {
      const r = this.insertStmt.run({ envelope: p.envelope, id: p.id, note: p.note, owner: p.owner, body: p.body });
      if (r.changes !== 1) return false;
      const n = Number(r.lastInsertRowid);
      for (const l of p.links) this.linkStmt.run(n, l.kind, l.target, didOf(l.target));
      const words = searchableOf(p.body);
      if (words !== undefined) this.searchStmt.run(n, words.text, words.tags);
      return true;
    });
  }

  /** Keeps an opened post, its links and its words, in one short transaction; false when it was kept already or its envelope is gone. */
  keep(p: OpenedInput): boolean {
    return this.add(p);
  }

  /** Followers-only envelopes held here and not opened yet, stored before row `below`, the latest stored first. */
  unopened(below: number, limit: number): UnopenedEnvelope[] {
    return this.unopenedStmt.all(below, limit) as UnopenedEnvelope[];
  }

  /** Whether a stored row is an envelope this node opened (a listed row is then shown as its Create). */
  isOpened(n: number): boolean {
    return this.isOpenedStmt.get(n) !== undefined;
  }

  /** An opened post by its own id, shown as its Create. */
  byNote(id: ApId): StoredObject | undefined {
    return this.byNoteStmt.get(id) as StoredObject | undefined;
  }

  /** The id of the envelope an opened post came in (which a Delete of it names). */
  envelopeOf(note: ApId): ApId | undefined {
    return this.envelopeStmt.get(note) as ApId | undefined;
  }

  /** The owner's home timeline (objects.ts timelinePage) with the followers-only posts opened here. */
  timelinePage(ownScope: string, page: Page): StoredObject[] {
    const b = page.before;
    return (
      b === undefined ? this.timelineStmt.all(ownScope, page.limit) : this.timelineBeforeStmt.all(ownScope, b.created, raw(b.digest), page.limit)
    ) as StoredObject[];
  }

  /** One scope's posts (objects.ts outboxPage) with the followers-only ones opened here. */
  outboxPage(scope: string, page: Page): StoredObject[] {
    const b = page.before;
    return (
      b === undefined ? this.outboxStmt.all(scope, page.limit) : this.outboxBeforeStmt.all(scope, b.created, raw(b.digest), page.limit)
    ) as StoredObject[];
  }

  /** Every opened post (the owner's and those of whom they follow), newest first. */
  page(page: Page): StoredObject[] {
    const b = page.before;
    return (b === undefined ? this.pageStmt.all(page.limit) : this.pageBeforeStmt.all(b.created, raw(b.digest), page.limit)) as StoredObject[];
  }

  /** Opened replies to an object, oldest first. */
  replies(target: ApId, limit: number): StoredObject[] {
    return this.repliesStmt.all(target, limit) as StoredObject[];
  }

  /** Opened posts matching an FTS5 expression (store/search.ts posts), newest first. */
  posts(match: string, limit: number): StoredObject[] {
    return this.postsStmt.all(match, limit) as StoredObject[];
  }

  count(): number {
    return this.countStmt.get() as number;
  }
}

/** Two lists of posts, each newest first, as one (newest first, at most `limit`). */
export function newestFirst(a: readonly StoredObject[], b: readonly StoredObject[], limit: number): StoredObject[] {
  return [...a, ...b].sort((x, y) => y.created - x.created || (y.digest > x.digest ? 1 : y.digest < x.digest ? -1 : 0)).slice(0, limit);
}
