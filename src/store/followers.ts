import type { Db } from './database.js';
import type { ApId, Did } from '../core/types.js';
import { MAX_FOLLOWERS_LISTED } from '../core/constants.js';

/** Where a request to follow the owner stands: waiting for them (a locked account), accepted, or rejected. */
export type FollowerState = 'pending' | 'accepted' | 'rejected';

export interface Follower {
  readonly did: Did;
  /** Their newest Follow of the owner. */
  readonly followId: ApId;
  readonly state: FollowerState;
  /** When their Follow arrived, or their state last changed. */
  readonly since: number;
}

const COLUMNS = 'did, follow_id AS followId, state, since';

/**
 * People who asked to follow the owner, one row per person (their newest
 * Follow). A rejected row stays, so a rejected request does not come back
 * as new when an old copy of it arrives again; a new Follow replaces it.
 */
export class FollowerTable {
  private readonly putStmt;
  private readonly stateStmt;
  private readonly getStmt;
  private readonly byFollowIdStmt;
  private readonly listStmt;
  private readonly removeStmt;

  constructor(db: Db) {
    this.putStmt = db.prepare(
      `INSERT INTO followers (did, follow_id, state, since) VALUES (?, ?, ?, ?)
       ON CONFLICT (did) DO UPDATE SET follow_id = excluded.follow_id, state = excluded.state, since = excluded.since`,
    );
    this.stateStmt = db.prepare('UPDATE followers SET state = ?, since = ? WHERE did = ? AND follow_id = ?');
    this.getStmt = db.prepare(`SELECT ${COLUMNS} FROM followers WHERE did = ?`);
    this.byFollowIdStmt = db.prepare(`SELECT ${COLUMNS} FROM followers WHERE follow_id = ?`);
    this.listStmt = db.prepare(`SELECT ${COLUMNS} FROM followers WHERE state = ? ORDER BY since, did LIMIT ?`);
    this.removeStmt = db.prepare('DELETE FROM followers WHERE did = ? AND follow_id = ?');
  }

  /** Records a person's Follow of the owner in this state (their newest Follow replaces an older one). */
  put(did: Did, followId: ApId, state: FollowerState, now = Date.now()): void {
    this.putStmt.run(did, followId, state, now);
  }

  /** Moves a person's request to a new state; false when this is not their current Follow. */
  setState(did: Did, followId: ApId, state: FollowerState, now = Date.now()): boolean {
    return this.stateStmt.run(state, now, did, followId).changes === 1;
  }

  get(did: Did): Follower | undefined {
    return this.getStmt.get(did) as Follower | undefined;
  }

  byFollowId(followId: ApId): Follower | undefined {
    return this.byFollowIdStmt.get(followId) as Follower | undefined;
  }

  /** Requests in one state, oldest first. */
  list(state: FollowerState, limit = MAX_FOLLOWERS_LISTED): Follower[] {
    return this.listStmt.all(state, limit) as Follower[];
  }

  /** Forgets a person's Follow (they took it back); false when it is not their current one. */
  remove(did: Did, followId: ApId): boolean {
    return this.removeStmt.run(did, followId).changes === 1;
  }
}
