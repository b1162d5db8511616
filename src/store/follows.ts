import type { Db } from './database.js';
import type { ApId, Did } from '../core/types.js';

/** Where a follow stands with the followee: asked, or accepted by their node. */
export type FollowState = 'requested' | 'accepted';

export interface Follow {
  readonly did: Did;
  readonly scope: string;
  readonly since: number;
  readonly hint: string | null;
  /** The Follow the owner signed for it; null for a follow made before followees were told. */
  readonly followId: ApId | null;
  readonly state: FollowState;
  /** When the state last changed (the followee's answer arrived), or null. */
  readonly stateAt: number | null;
}

/** A follow the followee rejected (or ended by removing the owner from their followers). */
export interface RejectedFollow {
  readonly did: Did;
  readonly followId: ApId;
  readonly rejectedAt: number;
}

const FOLLOW_COLUMNS = 'did, scope, since, hint, follow_id AS followId, state, state_at AS stateAt';

/**
 * Whom this node follows. Following a person means keeping, serving and
 * syncing their scope; the Follow told to them and their answer ride along.
 * A rejected follow leaves this table (their scope is no longer kept) and is
 * remembered apart, so the owner sees why it ended.
 */
export class FollowTable {
  private readonly addStmt;
  private readonly removeStmt;
  private readonly listStmt;
  private readonly getStmt;
  private readonly byFollowIdStmt;
  private readonly requestedStmt;
  private readonly acceptedStmt;
  private readonly rejectStmt;
  private readonly rejectedStmt;
  private readonly rejectedGetStmt;
  private readonly rejectedByIdStmt;
  private readonly forgetRejectedStmt;

  constructor(db: Db) {
    this.addStmt = db.prepare(
      `INSERT INTO follows (did, scope, since, hint) VALUES (?, ?, ?, ?)
       ON CONFLICT (did) DO UPDATE SET hint = COALESCE(excluded.hint, follows.hint)`,
    );
    this.removeStmt = db.prepare('DELETE FROM follows WHERE did = ?');
    this.listStmt = db.prepare(`SELECT ${FOLLOW_COLUMNS} FROM follows ORDER BY since`);
    this.getStmt = db.prepare(`SELECT ${FOLLOW_COLUMNS} FROM follows WHERE did = ?`);
    this.byFollowIdStmt = db.prepare(`SELECT ${FOLLOW_COLUMNS} FROM follows WHERE follow_id = ?`);
    this.requestedStmt = db.prepare("UPDATE follows SET follow_id = ?, state = 'requested', state_at = ? WHERE did = ?");
    this.acceptedStmt = db.prepare("UPDATE follows SET state = 'accepted', state_at = ? WHERE did = ? AND follow_id = ?");
    this.rejectStmt = db.prepare(
      `INSERT INTO follows_rejected (did, follow_id, rejected_at) VALUES (?, ?, ?)
       ON CONFLICT (did) DO UPDATE SET follow_id = excluded.follow_id, rejected_at = excluded.rejected_at`,
    );
    this.rejectedStmt = db.prepare('SELECT did, follow_id AS followId, rejected_at AS rejectedAt FROM follows_rejected ORDER BY rejected_at');
    const rejectedColumns = 'did, follow_id AS followId, rejected_at AS rejectedAt';
    this.rejectedGetStmt = db.prepare(`SELECT ${rejectedColumns} FROM follows_rejected WHERE did = ?`);
    this.rejectedByIdStmt = db.prepare(`SELECT ${rejectedColumns} FROM follows_rejected WHERE follow_id = ?`);
    this.forgetRejectedStmt = db.prepare('DELETE FROM follows_rejected WHERE did = ?');
  }

  /** Returns true when this is a new follow. */
  add(did: Did, scope: string, hint: string | null, now = Date.now()): boolean {
    const existed = this.get(did) !== undefined;
    this.addStmt.run(did, scope, now, hint);
    return !existed;
  }

  remove(did: Did): boolean {
    return this.removeStmt.run(did).changes === 1;
  }

  get(did: Did): Follow | undefined {
    return this.getStmt.get(did) as Follow | undefined;
  }

  list(): Follow[] {
    return this.listStmt.all() as Follow[];
  }

  /** The follow a Follow of the owner's was signed for. */
  byFollowId(followId: ApId): Follow | undefined {
    return this.byFollowIdStmt.get(followId) as Follow | undefined;
  }

  /** Records the Follow just signed for a person followed; a new request forgets an old rejection. */
  requested(did: Did, followId: ApId, now = Date.now()): void {
    this.requestedStmt.run(followId, now, did);
    this.forgetRejectedStmt.run(did);
  }

  /** The followee accepted this Follow; false when it is not the follow's current one. */
  accepted(did: Did, followId: ApId, now = Date.now()): boolean {
    return this.acceptedStmt.run(now, did, followId).changes === 1;
  }

  /** The followee rejected this Follow: the follow ends and the rejection is remembered. Call in a transaction. */
  rejected(did: Did, followId: ApId, now = Date.now()): void {
    this.removeStmt.run(did);
    this.rejectStmt.run(did, followId, now);
  }

  /** Follows that ended in a rejection, oldest first. */
  rejections(): RejectedFollow[] {
    return this.rejectedStmt.all() as RejectedFollow[];
  }

  /** The rejection of a person's follow. */
  rejection(did: Did): RejectedFollow | undefined {
    return this.rejectedGetStmt.get(did) as RejectedFollow | undefined;
  }

  /** The rejection of this Follow. */
  rejectionOf(followId: ApId): RejectedFollow | undefined {
    return this.rejectedByIdStmt.get(followId) as RejectedFollow | undefined;
  }

  /** Forgets that a follow was rejected (the owner unfollowed or asked again). */
  forgetRejection(did: Did): boolean {
    return this.forgetRejectedStmt.run(did).changes === 1;
  }
}

export interface PeerRecord {
  readonly peerId: string;
  readonly addrs: string[];
  readonly did: string | null;
  readonly lastSeen: number;
  readonly penalties: number;
  readonly bannedUntil: number;
  readonly lastReason: string | null;
}

/** Peers met: where they were, and whether they misbehaved. */
export class PeerTable {
  private readonly seenStmt;
  private readonly penaltyStmt;
  private readonly getStmt;
  private readonly listStmt;
  private readonly syncStmt;
  private readonly syncListStmt;
  private readonly holdersStmt;

  constructor(db: Db) {
    this.seenStmt = db.prepare(
      `INSERT INTO peers (peer_id, addrs, did, last_seen) VALUES (?, ?, ?, ?)
       ON CONFLICT (peer_id) DO UPDATE SET addrs = excluded.addrs, did = COALESCE(excluded.did, peers.did), last_seen = excluded.last_seen`,
    );
    this.penaltyStmt = db.prepare(
      `INSERT INTO peers (peer_id, last_seen, penalties, banned_until, last_reason) VALUES (?, ?, 1, ?, ?)
       ON CONFLICT (peer_id) DO UPDATE SET penalties = peers.penalties + 1, banned_until = excluded.banned_until, last_reason = excluded.last_reason`,
    );
    const cols = 'peer_id AS peerId, addrs, did, last_seen AS lastSeen, penalties, banned_until AS bannedUntil, last_reason AS lastReason';
    this.getStmt = db.prepare(`SELECT ${cols} FROM peers WHERE peer_id = ?`);
    this.listStmt = db.prepare(`SELECT ${cols} FROM peers ORDER BY last_seen DESC LIMIT ?`);
    this.syncStmt = db.prepare(
      `INSERT INTO sync_state (scope, peer_id, last_ok, received, bytes) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (scope, peer_id) DO UPDATE SET last_ok = excluded.last_ok, received = excluded.received, bytes = excluded.bytes`,
    );
    this.syncListStmt = db.prepare('SELECT scope, peer_id AS peerId, last_ok AS lastOk, received, bytes FROM sync_state ORDER BY last_ok DESC');
    this.holdersStmt = db.prepare(
      `SELECT ${cols} FROM peers
       WHERE banned_until <= ? AND addrs <> '[]'
         AND (did = ? OR peer_id IN (SELECT peer_id FROM sync_state WHERE scope = ?))
       ORDER BY last_seen DESC LIMIT ?`,
    );
  }

  seen(peerId: string, addrs: string[], did: string | null, now = Date.now()): void {
    this.seenStmt.run(peerId, JSON.stringify(addrs.slice(0, 16)), did, now);
  }

  penalise(peerId: string, reason: string, bannedUntil: number, now = Date.now()): void {
    this.penaltyStmt.run(peerId, now, bannedUntil, reason.slice(0, 300));
  }

  get(peerId: string): PeerRecord | undefined {
    const r = this.getStmt.get(peerId) as (Omit<PeerRecord, 'addrs'> & { addrs: string }) | undefined;
    return r && { ...r, addrs: JSON.parse(r.addrs) as string[] };
  }

  list(limit = 100): PeerRecord[] {
    return (this.listStmt.all(limit) as (Omit<PeerRecord, 'addrs'> & { addrs: string })[]).map((r) => ({ ...r, addrs: JSON.parse(r.addrs) as string[] }));
  }

  /**
   * Where a person's scope may be had again, as this node saw it: peers that
   * said they were that person's node, and peers a sync of the scope
   * completed with; not banned, with the addresses they listened on, the
   * most recently seen first.
   */
  holdersOf(did: string, scope: string, limit: number, now = Date.now()): PeerRecord[] {
    return (this.holdersStmt.all(now, did, scope, limit) as (Omit<PeerRecord, 'addrs'> & { addrs: string })[]).map((r) => ({
      ...r,
      addrs: JSON.parse(r.addrs) as string[],
    }));
  }

  synced(scope: string, peerId: string, received: number, bytes: number, now = Date.now()): void {
    this.syncStmt.run(scope, peerId, now, received, bytes);
  }

  syncState(): { scope: string; peerId: string; lastOk: number; received: number; bytes: number }[] {
    return this.syncListStmt.all() as { scope: string; peerId: string; lastOk: number; received: number; bytes: number }[];
  }
}
