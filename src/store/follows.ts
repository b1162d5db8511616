import type { Db } from './database.js';
import type { Did } from '../core/types.js';

export interface Follow {
  readonly did: Did;
  readonly scope: string;
  readonly since: number;
  readonly hint: string | null;
}

/** Whom this node follows. Following a person means keeping, serving and syncing their scope. */
export class FollowTable {
  private readonly addStmt;
  private readonly removeStmt;
  private readonly listStmt;
  private readonly getStmt;

  constructor(db: Db) {
    this.addStmt = db.prepare(
      `INSERT INTO follows (did, scope, since, hint) VALUES (?, ?, ?, ?)
       ON CONFLICT (did) DO UPDATE SET hint = COALESCE(excluded.hint, follows.hint)`,
    );
    this.removeStmt = db.prepare('DELETE FROM follows WHERE did = ?');
    this.listStmt = db.prepare('SELECT did, scope, since, hint FROM follows ORDER BY since');
    this.getStmt = db.prepare('SELECT did, scope, since, hint FROM follows WHERE did = ?');
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
