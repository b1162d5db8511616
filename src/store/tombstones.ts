import type { Db } from './database.js';
import type { ApId, Did, Digest, JsonObject } from '../core/types.js';
import { isJsonObject } from '../core/types.js';
import { KithError } from '../core/errors.js';
import { parseErisUrn } from '../core/eris-urn.js';
import { outboxId } from '../core/apid.js';
import type { ObjectRecord } from '../core/examine.js';
import { COLUMNS, NOT_ACTIVITIES, parseBody, raw, type ObjectTable, type StoredObject } from './objects.js';
import type { BlockTable } from './blocks.js';
import type { KeyTable } from './settings.js';

/**
 * What deleting does to the store: a Delete by an object's author removes
 * every stored version of it (on its own, or carried by a Create or Update),
 * with what indexes them and the media pins only it held, and leaves a
 * tombstone, so no version of it is taken in again from a peer that still
 * has it. The Delete itself stays, and travels with the author's scope.
 */

export interface Tombstone {
  readonly id: ApId;
  readonly deletedAt: number;
  /** The Delete's digest. */
  readonly digest: Digest;
}

/** Pins a followed person's media is kept under (node/media-fetch.ts), and the owner's own uploads' (node/media.ts). */
const followReason = (owner: Did): string => `follow:${owner}`;
const OWN_REASON = 'own';

/** Never removed by a Delete: the actor, authority documents (revoked instead), and other Deletes, which keep tombstones alive across peers. */
const KEPT_TYPES = [...NOT_ACTIVITIES, 'Delete'].map((t) => `'${t}'`).join(',');

export class TombstoneTable {
  private readonly buryStmt;
  private readonly getStmt;
  private readonly amongStmt;
  private readonly versionsStmt;
  private readonly stillLinkedStmt;

  constructor(
    db: Db,
    private readonly objects: ObjectTable,
    private readonly blocks: BlockTable,
    private readonly keys: KeyTable,
  ) {
    this.buryStmt = db.prepare('INSERT OR IGNORE INTO tombstones (id, deleted_at, digest) VALUES (?, ?, ?)');
    this.getStmt = db.prepare('SELECT id, deleted_at AS deletedAt, lower(hex(digest)) AS digest FROM tombstones WHERE id = ?');
    this.amongStmt = db.prepare('SELECT id FROM tombstones WHERE id IN (SELECT value FROM json_each(?))').pluck();
    this.versionsStmt = db.prepare(
      `SELECT ${COLUMNS} FROM objects o JOIN scopes s ON s.n = o.scope
       WHERE (o.id = ? OR o.n IN (SELECT object FROM embedded WHERE id = ?)) AND o.owner = ? AND o.type NOT IN (${KEPT_TYPES})`,
    );
    this.stillLinkedStmt = db.prepare('SELECT 1 FROM objects o JOIN scopes s ON s.n = o.scope WHERE s.name = ? AND instr(o.body, ?) > 0 LIMIT 1').pluck();
  }

  get(id: ApId): Tombstone | undefined {
    return this.getStmt.get(id) as Tombstone | undefined;
  }

  /** The first of these ids that was deleted, if any. */
  deletedAmong(ids: readonly ApId[]): ApId | undefined {
    return ids.find((id) => this.getStmt.get(id) !== undefined);
  }

  /** Which of these ids were deleted: one statement for a batch, where deletedAmong is one per id. */
  deletedIn(ids: readonly ApId[]): Set<ApId> {
    return ids.length === 0 ? new Set() : new Set(this.amongStmt.all(JSON.stringify(ids)) as ApId[]);
  }

  /**
   * Applies a Delete just stored (its author's, as ingest checked): the
   * tombstone, then every version of what it names. A Delete that arrives
   * before the post leaves the tombstone alone, which keeps the post out when
   * it comes. Call inside the writing transaction. Returns how many versions
   * went, and the links to media among them that could not be read (so
   * nothing was pinned for them), for the caller to log.
   */
  bury(r: ObjectRecord): { removed: number; unreadable: string[] } {
    const target = r.activity?.target;
    if (r.activity?.kind !== 'delete' || target === undefined) return { removed: 0, unreadable: [] };
    this.buryStmt.run(target, r.created, raw(r.digest));
    const versions = this.versionsStmt.all(target, target, r.owner) as StoredObject[];
    const media = new Set<string>();
    for (const v of versions) {
      for (const urn of erisLinks(parseBody(v))) media.add(urn);
      this.objects.remove(v.n, v.scope);
    }
    return { removed: versions.length, unreadable: this.unpinUnused(r.owner, media) };
  }

  /** Media the removed versions linked that nothing else of the owner's still does is no longer kept for them. Returns the links that do not parse. */
  private unpinUnused(owner: Did, media: ReadonlySet<string>): string[] {
    const unreadable: string[] = [];
    if (media.size === 0) return unreadable;
    const scope = outboxId(owner);
    const own = this.keys.byRole('identity').some((k) => k.did === owner);
    for (const urn of media) {
      if (this.stillLinkedStmt.get(scope, urn) !== undefined) continue;
      let cap;
      try {
        cap = parseErisUrn(urn);
      } catch (e) {
        if (!(e instanceof KithError)) throw e;
        unreadable.push(`${urn.slice(0, 60)}: ${e.message}`);
        continue;
      }
      this.blocks.unpin(cap, followReason(owner));
      if (own) this.blocks.unpin(cap, OWN_REASON);
    }
    return unreadable;
  }
}

/** ERIS links in a post's attachments, whether the post is stored on its own or inside an activity. */
function erisLinks(doc: JsonObject): string[] {
  const post = isJsonObject(doc.object) ? doc.object : doc;
  const list = Array.isArray(post.attachment) ? post.attachment : post.attachment === undefined ? [] : [post.attachment];
  const out: string[] = [];
  for (const a of list) {
    if (isJsonObject(a) && typeof a.url === 'string' && a.url.startsWith('urn:eris:')) out.push(a.url);
  }
  return out;
}
