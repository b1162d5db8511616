import type { Db } from './database.js';
import { parseCheckpoint, checkpointBytes, type Checkpoint } from '../core/checkpoint.js';
import { fromHex } from '../core/bytes.js';
import type { Did } from '../core/types.js';

/**
 * The latest checkpoint held for each scope: the one this node signed for its
 * own scope, or the newest one it received with a followed scope and checked
 * against it. Only checked checkpoints are kept here, so one read back is
 * trusted as it stands (its signature was checked on the way in).
 */
export interface HeldCheckpoint {
  readonly count: number;
  readonly signer: Did;
  readonly body: string;
}

export class CheckpointTable {
  private readonly latestStmt;
  private readonly scopeAddStmt;
  private readonly upsertStmt;
  private readonly countStmt;

  constructor(private readonly db: Db) {
    this.latestStmt = db.prepare('SELECT c.count, c.signer, c.body FROM checkpoints c JOIN scopes s ON s.n = c.scope WHERE s.name = ?');
    this.countStmt = db.prepare('SELECT COUNT(*) FROM checkpoints').pluck();
    this.scopeAddStmt = db.prepare('INSERT INTO scopes (name) VALUES (?) ON CONFLICT (name) DO NOTHING');
    // A checkpoint covering fewer items than the one held is older news: it does not replace it.
    this.upsertStmt = db.prepare(
      `INSERT INTO checkpoints (scope, count, last_created, last_digest, signer, body, received)
       VALUES ((SELECT n FROM scopes WHERE name = @scope), @count, @lastCreated, @lastDigest, @signer, @body, @received)
       ON CONFLICT (scope) DO UPDATE SET count = excluded.count, last_created = excluded.last_created,
         last_digest = excluded.last_digest, signer = excluded.signer, body = excluded.body, received = excluded.received
       WHERE excluded.count >= checkpoints.count`,
    );
  }

  latest(scope: string): HeldCheckpoint | undefined {
    return this.latestStmt.get(scope) as HeldCheckpoint | undefined;
  }

  /** The latest held checkpoint, as it was checked when it came in. */
  latestParsed(scope: string): Checkpoint | undefined {
    const held = this.latest(scope);
    return held === undefined ? undefined : parseCheckpoint(held.body);
  }

  /** Keeps a checkpoint whose signature, authority and hash were checked; an older one (fewer items) is ignored. Returns whether it is now the one held. */
  keep(cp: Checkpoint, now = Date.now()): boolean {
    return this.db.transaction(() => {
      this.scopeAddStmt.run(cp.scope);
      const r = this.upsertStmt.run({
        scope: cp.scope,
        count: cp.count,
        lastCreated: cp.last.created,
        lastDigest: Buffer.from(fromHex(cp.last.digest)),
        signer: cp.signer,
        body: checkpointBytes(cp),
        received: now,
      });
      return r.changes === 1;
    })();
  }

  count(): number {
    return this.countStmt.get() as number;
  }
}
