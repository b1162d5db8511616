import type { Db } from './database.js';
import type { ApId, Did, Digest, JsonObject } from '../core/types.js';

/** One stored version of a signed object. */
export interface StoredObject {
  readonly digest: Digest;
  readonly id: ApId;
  readonly owner: Did;
  readonly signer: Did;
  readonly type: string;
  readonly scope: string;
  readonly created: number;
  readonly received: number;
  /** The JCS bytes as text, exactly as signed. */
  readonly body: string;
}

export interface NewObject extends Omit<StoredObject, 'received'> {
  readonly embedded: readonly ApId[];
}

export interface Page {
  /** Newest first. */
  readonly limit: number;
  /** Return items strictly older than this (created, digest) position. */
  readonly before?: { created: number; digest: Digest } | undefined;
}

const NOT_ACTIVITIES = ['Person', 'Service', 'Application', 'Group', 'Organization', 'KithCertificate', 'KithRevocation'];

/** Objects table access: prepared once, used for the life of the store. */
export class ObjectTable {
  private readonly insertStmt;
  private readonly embedStmt;
  private readonly byDigestStmt;
  private readonly byIdStmt;
  private readonly embeddedStmt;
  private readonly pageStmt;
  private readonly pageBeforeStmt;
  private readonly outboxStmt;
  private readonly outboxBeforeStmt;
  private readonly allStmt;
  private readonly byOwnerStmt;
  private readonly countStmt;
  private readonly scopeCountStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO objects (digest, id, owner, signer, type, scope, created, received, body)
       VALUES (@digest, @id, @owner, @signer, @type, @scope, @created, @received, @body)
       ON CONFLICT (digest) DO NOTHING`,
    );
    this.embedStmt = db.prepare('INSERT OR IGNORE INTO embedded (id, digest) VALUES (?, ?)');
    this.byDigestStmt = db.prepare('SELECT * FROM objects WHERE digest = ?');
    this.byIdStmt = db.prepare('SELECT * FROM objects WHERE id = ? ORDER BY created DESC, digest DESC LIMIT 1');
    this.embeddedStmt = db.prepare(
      `SELECT o.* FROM embedded e JOIN objects o ON o.digest = e.digest
       WHERE e.id = ? ORDER BY o.created DESC, o.digest DESC LIMIT 1`,
    );
    this.pageStmt = db.prepare('SELECT * FROM objects WHERE scope = ? ORDER BY created DESC, digest DESC LIMIT ?');
    this.pageBeforeStmt = db.prepare(
      `SELECT * FROM objects WHERE scope = ? AND (created < ? OR (created = ? AND digest < ?))
       ORDER BY created DESC, digest DESC LIMIT ?`,
    );
    // An outbox lists activities; the actor document and authority documents share the scope but are not posts.
    const activities = `scope = ? AND type NOT IN (${NOT_ACTIVITIES.map((t) => `'${t}'`).join(',')})`;
    this.outboxStmt = db.prepare(`SELECT * FROM objects WHERE ${activities} ORDER BY created DESC, digest DESC LIMIT ?`);
    this.outboxBeforeStmt = db.prepare(
      `SELECT * FROM objects WHERE ${activities} AND (created < ? OR (created = ? AND digest < ?))
       ORDER BY created DESC, digest DESC LIMIT ?`,
    );
    this.allStmt = db.prepare('SELECT * FROM objects ORDER BY scope, created, digest');
    this.byOwnerStmt = db.prepare('SELECT * FROM objects WHERE owner = ? ORDER BY created, digest');
    this.countStmt = db.prepare('SELECT COUNT(*) AS n FROM objects');
    this.scopeCountStmt = db.prepare('SELECT COUNT(*) AS n FROM objects WHERE scope = ?');
  }

  /** Inserts a version; returns false when that exact version was already stored. Call inside a transaction. */
  insert(o: NewObject, received: number): boolean {
    const { embedded, ...row } = o;
    const inserted = this.insertStmt.run({ ...row, received }).changes === 1;
    if (inserted) for (const id of embedded) this.embedStmt.run(id, o.digest);
    return inserted;
  }

  has(digest: Digest): boolean {
    return this.byDigestStmt.get(digest) !== undefined;
  }

  byDigest(digest: Digest): StoredObject | undefined {
    return this.byDigestStmt.get(digest) as StoredObject | undefined;
  }

  /** The newest version of an object stored under this id. */
  byId(id: ApId): StoredObject | undefined {
    return this.byIdStmt.get(id) as StoredObject | undefined;
  }

  /** The newest stored object that embeds this id. */
  carrierOf(id: ApId): StoredObject | undefined {
    return this.embeddedStmt.get(id) as StoredObject | undefined;
  }

  page(scope: string, page: Page): StoredObject[] {
    const b = page.before;
    return (b === undefined
      ? this.pageStmt.all(scope, page.limit)
      : this.pageBeforeStmt.all(scope, b.created, b.created, b.digest, page.limit)) as StoredObject[];
  }

  outboxPage(scope: string, page: Page): StoredObject[] {
    const b = page.before;
    return (b === undefined
      ? this.outboxStmt.all(scope, page.limit)
      : this.outboxBeforeStmt.all(scope, b.created, b.created, b.digest, page.limit)) as StoredObject[];
  }

  *all(): IterableIterator<StoredObject> {
    yield* this.allStmt.iterate() as IterableIterator<StoredObject>;
  }

  /** Every object owned by one identity, oldest first. */
  *byOwner(owner: Did): IterableIterator<StoredObject> {
    yield* this.byOwnerStmt.iterate(owner) as IterableIterator<StoredObject>;
  }

  count(scope?: string): number {
    const r = (scope === undefined ? this.countStmt.get() : this.scopeCountStmt.get(scope)) as { n: number };
    return r.n;
  }
}

export function parseBody(o: StoredObject): JsonObject {
  return JSON.parse(o.body) as JsonObject;
}
