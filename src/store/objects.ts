import type { Db } from './database.js';
import type { ApId, Did, Digest, JsonObject } from '../core/types.js';
import type { ObjectRecord } from '../core/examine.js';
import { didOf } from '../core/apid.js';

/** One stored version of a signed object: what ingest wrote, plus its row number and arrival time. */
export interface StoredObject extends Omit<ObjectRecord, 'embedded'> {
  /** Row number: stable for the life of the row, used by the tables that point at objects. */
  readonly n: number;
  readonly received: number;
}

/** An object's signed bytes with what serving needs to re-check it; `n` is its row, its place in the order of arrival. */
export type Servable = Pick<StoredObject, 'n' | 'body' | 'owner' | 'signer' | 'id' | 'created'>;

/** What ingest writes: an examined, admitted object. */
export type NewObject = ObjectRecord;

export interface Page {
  /** Newest first. */
  readonly limit: number;
  /** Return items strictly older than this (created, digest) position. */
  readonly before?: { created: number; digest: Digest } | undefined;
}

/** Types that share an actor's scope but are not posts of its outbox. */
export const NOT_ACTIVITIES = ['Person', 'Service', 'Application', 'Group', 'Organization', 'KithCertificate', 'KithRevocation'];
/**
 * Left out of outbox listings, feeds and timelines: those, the bookkeeping of follows (a Follow, the
 * followee's answer), and of follower keys (an epoch key object; a sealed envelope, which a reader
 * sees opened or not at all: node/follower-epochs.ts).
 */
const UNLISTED = [...NOT_ACTIVITIES, 'Follow', 'Accept', 'Reject', 'KithEpochKey'];
export const NOT_LISTED = [...UNLISTED, 'KithSealed'].map((t) => `'${t}'`).join(',');
/** NOT_LISTED but for sealed envelopes, which the owner's reading views show opened when they may (store/opened-posts.ts). */
export const NOT_LISTED_BUT_SEALED = UNLISTED.map((t) => `'${t}'`).join(',');
/** The scopes of the people the owner follows (forums are read on their own). */
export const FOLLOWED_SCOPES = 'SELECT sc.n FROM follows f JOIN scopes sc ON sc.name = f.scope WHERE f.did NOT IN (SELECT forum FROM forums)';
export const COLUMNS = `o.n, lower(hex(o.digest)) AS digest, o.id, o.owner, o.signer, o.type, s.name AS scope, o.created, o.received, o.body`;
const FROM = 'objects o JOIN scopes s ON s.n = o.scope';
export const NEWEST_FIRST = 'ORDER BY o.created DESC, o.digest DESC';
// A row value, so SQLite walks the (created, digest) index from the cursor instead of sorting every older row.
export const OLDER_THAN = '(o.created, o.digest) < (?, ?)';

export const raw = (d: Digest): Buffer => Buffer.from(d, 'hex');

/** Objects table access: statements prepared once, used for the life of the store. */
export class ObjectTable {
  private readonly scopeIds = new Map<string, number>();
  /** Bumped on every insert into a scope, so in-memory indexes of it know they are stale. */
  private readonly generations = new Map<string, number>();
  private readonly scopeGetStmt;
  private readonly scopeAddStmt;
  private readonly insertStmt;
  private readonly embedStmt;
  private readonly linkStmt;
  private readonly byDigestStmt;
  private readonly byIdStmt;
  private readonly embeddedStmt;
  private readonly carriersStmt;
  private readonly pageStmt;
  private readonly pageBeforeStmt;
  private readonly outboxStmt;
  private readonly outboxBeforeStmt;
  private readonly byOwnerStmt;
  private readonly feedStmt;
  private readonly feedBeforeStmt;
  private readonly timelineStmt;
  private readonly timelineBeforeStmt;
  private readonly bodiesStmt;
  private readonly countStmt;
  private readonly scopeCountStmt;
  private readonly unlinkStmt;
  private readonly removeStmt;

  constructor(db: Db) {
    this.scopeGetStmt = db.prepare('SELECT n FROM scopes WHERE name = ?').pluck();
    this.scopeAddStmt = db.prepare('INSERT INTO scopes (name) VALUES (?)');
    this.insertStmt = db.prepare(
      `INSERT INTO objects (digest, id, owner, signer, type, scope, created, received, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING`,
    );
    this.embedStmt = db.prepare('INSERT OR IGNORE INTO embedded (id, object) VALUES (?, ?)');
    this.linkStmt = db.prepare('INSERT OR IGNORE INTO object_links (object, kind, target, target_owner) VALUES (?, ?, ?, ?)');
    this.byDigestStmt = db.prepare(`SELECT ${COLUMNS} FROM ${FROM} WHERE o.digest = ?`);
    this.byIdStmt = db.prepare(`SELECT ${COLUMNS} FROM ${FROM} WHERE o.id = ? ${NEWEST_FIRST} LIMIT 1`);
    this.embeddedStmt = db.prepare(`SELECT ${COLUMNS} FROM embedded e JOIN objects o ON o.n = e.object JOIN scopes s ON s.n = o.scope
       WHERE e.id = ? ${NEWEST_FIRST} LIMIT 1`);
    this.carriersStmt = db.prepare(`SELECT ${COLUMNS} FROM embedded e JOIN objects o ON o.n = e.object JOIN scopes s ON s.n = o.scope
       WHERE e.id = ? ${NEWEST_FIRST} LIMIT ?`);
    this.pageStmt = db.prepare(`SELECT ${COLUMNS} FROM ${FROM} WHERE s.name = ? ${NEWEST_FIRST} LIMIT ?`);
    this.pageBeforeStmt = db.prepare(`SELECT ${COLUMNS} FROM ${FROM} WHERE s.name = ? AND ${OLDER_THAN} ${NEWEST_FIRST} LIMIT ?`);
    const activities = `s.name = ? AND o.type NOT IN (${NOT_LISTED})`;
    this.outboxStmt = db.prepare(`SELECT ${COLUMNS} FROM ${FROM} WHERE ${activities} ${NEWEST_FIRST} LIMIT ?`);
    this.outboxBeforeStmt = db.prepare(`SELECT ${COLUMNS} FROM ${FROM} WHERE ${activities} AND ${OLDER_THAN} ${NEWEST_FIRST} LIMIT ?`);
    // `+o.scope`: not by the scope index, so SQLite walks objects newest first and stops at the page's end.
    // Forums are kept through follows too, but read on their own (hides filtered, the log apart): not in feeds and timelines.
    // Accounts under a node root the owner blocked stay stored but are left out (muted_people), so unblocking brings them back.
    const people = FOLLOWED_SCOPES;
    const followed = `+o.scope IN (${people}) AND o.type NOT IN (${NOT_LISTED}) AND o.owner NOT IN (SELECT did FROM muted_people)`;
    this.feedStmt = db.prepare(`SELECT ${COLUMNS} FROM ${FROM} WHERE ${followed} ${NEWEST_FIRST} LIMIT ?`);
    this.feedBeforeStmt = db.prepare(`SELECT ${COLUMNS} FROM ${FROM} WHERE ${followed} AND ${OLDER_THAN} ${NEWEST_FIRST} LIMIT ?`);
    const timeline = `+o.scope IN (${people} UNION SELECT n FROM scopes WHERE name = ?)
      AND o.type NOT IN (${NOT_LISTED}) AND o.owner NOT IN (SELECT did FROM muted_people)`;
    this.timelineStmt = db.prepare(`SELECT ${COLUMNS} FROM ${FROM} WHERE ${timeline} ${NEWEST_FIRST} LIMIT ?`);
    this.timelineBeforeStmt = db.prepare(`SELECT ${COLUMNS} FROM ${FROM} WHERE ${timeline} AND ${OLDER_THAN} ${NEWEST_FIRST} LIMIT ?`);
    this.bodiesStmt = db.prepare('SELECT n, body, owner, signer, id, created FROM objects WHERE digest = ?');
    this.byOwnerStmt = db.prepare(`SELECT ${COLUMNS} FROM ${FROM} WHERE o.owner = ? ORDER BY o.created, o.digest`);
    this.countStmt = db.prepare('SELECT COUNT(*) FROM objects').pluck();
    this.scopeCountStmt = db.prepare('SELECT COUNT(*) FROM objects o JOIN scopes s ON s.n = o.scope WHERE s.name = ?').pluck();
    this.unlinkStmt = db.prepare('DELETE FROM object_links WHERE object = ?');
    this.removeStmt = db.prepare('DELETE FROM objects WHERE n = ?');
  }

  /** A transaction that wrote here was rolled back (a full disk, say): numbers of scopes created in it name rows that are gone. */
  rolledBack(): void {
    this.scopeIds.clear();
  }

  /** The interned number of a scope, created on first use. Call inside the writing transaction. */
  private scopeId(name: string): number {
    let n = this.scopeIds.get(name);
    if (n === undefined) {
      n = (this.scopeGetStmt.get(name) as number | undefined) ?? Number(this.scopeAddStmt.run(name).lastInsertRowid);
      this.scopeIds.set(name, n);
    }
    return n;
  }

  /** Inserts a version; returns its row number, or undefined when that exact version was already stored. Call inside a transaction. */
  insert(o: NewObject, received: number): number | undefined {
    const r = this.insertStmt.run(raw(o.digest), o.id, o.owner, o.signer, o.type, this.scopeId(o.scope), o.created, received, o.body);
    if (r.changes !== 1) return undefined;
    this.generations.set(o.scope, (this.generations.get(o.scope) ?? 0) + 1);
    const n = Number(r.lastInsertRowid);
    for (const id of o.embedded) this.embedStmt.run(id, n);
    for (const l of o.links) this.linkStmt.run(n, l.kind, l.target, didOf(l.target));
    return n;
  }

  /**
   * Removes one stored version whose author deleted it; what indexes it (embedded ids, links)
   * goes with it, and in-memory indexes of its scope are stale. Call inside a transaction.
   */
  remove(n: number, scope: string): void {
    this.unlinkStmt.run(n);
    this.removeStmt.run(n);
    this.generations.set(scope, (this.generations.get(scope) ?? 0) + 1);
  }

  generation(scope: string): number {
    return this.generations.get(scope) ?? 0;
  }

  has(digest: Digest): boolean {
    return this.byDigestStmt.get(raw(digest)) !== undefined;
  }

  byDigest(digest: Digest): StoredObject | undefined {
    return this.byDigestStmt.get(raw(digest)) as StoredObject | undefined;
  }

  /** The newest version of an object stored under this id. */
  byId(id: ApId): StoredObject | undefined {
    return this.byIdStmt.get(id) as StoredObject | undefined;
  }

  /** The newest stored object that embeds this id. */
  carrierOf(id: ApId): StoredObject | undefined {
    return this.embeddedStmt.get(id) as StoredObject | undefined;
  }

  /** Every stored object that embeds this id (a post's Create and the Updates that edit it), newest first. */
  carriersOf(id: ApId, limit: number): StoredObject[] {
    return this.carriersStmt.all(id, limit) as StoredObject[];
  }

  page(scope: string, page: Page): StoredObject[] {
    const b = page.before;
    return (b === undefined ? this.pageStmt.all(scope, page.limit) : this.pageBeforeStmt.all(scope, b.created, raw(b.digest), page.limit)) as StoredObject[];
  }

  /** Like page, without the actor document and authority documents that share the scope. */
  outboxPage(scope: string, page: Page): StoredObject[] {
    const b = page.before;
    return (
      b === undefined ? this.outboxStmt.all(scope, page.limit) : this.outboxBeforeStmt.all(scope, b.created, raw(b.digest), page.limit)
    ) as StoredObject[];
  }

  /** The merged timeline of everyone followed, newest first. */
  feedPage(page: Page): StoredObject[] {
    const b = page.before;
    return (b === undefined ? this.feedStmt.all(page.limit) : this.feedBeforeStmt.all(b.created, raw(b.digest), page.limit)) as StoredObject[];
  }

  /** The owner's home timeline: their own posts and those of everyone followed, newest first. */
  timelinePage(ownScope: string, page: Page): StoredObject[] {
    const b = page.before;
    return (
      b === undefined ? this.timelineStmt.all(ownScope, page.limit) : this.timelineBeforeStmt.all(ownScope, b.created, raw(b.digest), page.limit)
    ) as StoredObject[];
  }

  /** The signed bytes of an object by its raw digest, with what serving needs to re-check it. */
  servable(digest: Uint8Array): Servable | undefined {
    return this.bodiesStmt.get(digest) as Servable | undefined;
  }

  /** Every object owned by one identity, oldest first. */
  *byOwner(owner: Did): IterableIterator<StoredObject> {
    yield* this.byOwnerStmt.iterate(owner) as IterableIterator<StoredObject>;
  }

  count(scope?: string): number {
    return (scope === undefined ? this.countStmt.get() : this.scopeCountStmt.get(scope)) as number;
  }
}

export function parseBody(o: StoredObject): JsonObject {
  return JSON.parse(o.body) as JsonObject;
}
