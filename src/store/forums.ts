import type { Db } from './database.js';
import { PAPERS_TYPE, type ActKind } from '../core/forum.js';
import type { ApId, Did } from '../core/types.js';

/** What this node is to a forum. */
export type ForumRole = 'owner' | 'member' | 'pending' | 'host';

export interface ForumActRow {
  readonly n: number;
  readonly kind: ActKind;
  readonly about: string;
  readonly signer: Did;
  readonly created: number;
  readonly body: string;
}

/** A ban or unban as the acceptance rule weighs it: its time by the signer's clock, and its row here (this node's order of arrival). */
interface Standing {
  readonly created: number;
  readonly object: number;
}

/**
 * Forums in the store: the roles this node holds, the moderation acts of
 * every forum it keeps (indexed when stored, in ingest's transaction, so a
 * ban counts for the very next object), invitations and join requests.
 */
export class ForumTable {
  private readonly setRoleStmt;
  private readonly dropStmt;
  private readonly roleStmt;
  private readonly listStmt;
  private readonly addActStmt;
  private readonly standingStmt;
  private readonly rootStandingStmt;
  private readonly rootsStmt;
  private readonly actsStmt;
  private readonly aboutStmt;
  private readonly addInviteStmt;
  private readonly redeemStmt;
  private readonly addRequestStmt;
  private readonly requestsStmt;
  private readonly takeRequestStmt;
  private readonly certifiedStmt;
  private readonly rootCertsStmt;
  private readonly underStmt;
  private readonly revokedStmt;
  private readonly papersStmt;

  constructor(db: Db) {
    this.papersStmt = db
      .prepare(
        `SELECT o.body FROM objects o WHERE o.scope = (SELECT n FROM scopes WHERE name = 'ap://' || ? || '/actor/outbox')
           AND o.type = '${PAPERS_TYPE}' AND o.signer = ? ORDER BY o.created DESC LIMIT 64`,
      )
      .pluck();
    this.setRoleStmt = db.prepare('INSERT INTO forums (forum, role, since) VALUES (?, ?, ?) ON CONFLICT (forum) DO UPDATE SET role = excluded.role');
    this.dropStmt = db.prepare('DELETE FROM forums WHERE forum = ?');
    this.roleStmt = db.prepare('SELECT role FROM forums WHERE forum = ?').pluck();
    this.listStmt = db.prepare('SELECT forum, role, since FROM forums ORDER BY since');
    this.addActStmt = db.prepare('INSERT OR IGNORE INTO forum_acts (object, forum, kind, about, signer, created) VALUES (?, ?, ?, ?, ?, ?)');
    this.standingStmt = db.prepare("SELECT kind, created, object FROM forum_acts WHERE forum = ? AND about = ? AND kind IN ('ban', 'unban')");
    this.rootStandingStmt = db.prepare(
      "SELECT CASE kind WHEN 'root-block' THEN 'ban' ELSE 'unban' END AS kind, created, object FROM forum_acts WHERE forum = ? AND about = ? AND kind IN ('root-block', 'root-unblock')",
    );
    this.rootsStmt = db.prepare("SELECT about, created, object FROM forum_acts WHERE forum = ? AND kind = 'roots' ORDER BY created, object");
    this.actsStmt = db.prepare(
      `SELECT a.object AS n, a.kind, a.about, a.signer, a.created, o.body FROM forum_acts a JOIN objects o ON o.n = a.object
       WHERE a.forum = ? ORDER BY a.created, a.object LIMIT ?`,
    );
    this.aboutStmt = db.prepare(
      `SELECT a.object AS n, a.kind, a.about, a.signer, a.created, o.body FROM forum_acts a JOIN objects o ON o.n = a.object
       WHERE a.forum = ? AND a.kind = ? ORDER BY a.created, a.object`,
    );
    this.addInviteStmt = db.prepare('INSERT INTO forum_invites (nonce, forum, expires) VALUES (?, ?, ?)');
    this.redeemStmt = db.prepare('UPDATE forum_invites SET redeemed_by = ?, redeemed_at = ? WHERE nonce = ? AND forum = ? AND redeemed_by IS NULL');
    this.addRequestStmt = db.prepare('INSERT OR IGNORE INTO forum_requests (forum, did, activity, created) VALUES (?, ?, ?, ?)');
    this.requestsStmt = db.prepare('SELECT did, activity, created FROM forum_requests WHERE forum = ? ORDER BY created');
    this.takeRequestStmt = db.prepare('DELETE FROM forum_requests WHERE forum = ? AND did = ?');
    this.certifiedStmt = db.prepare('SELECT DISTINCT subject FROM certificates WHERE root = ? LIMIT ?').pluck();
    this.underStmt = db.prepare('SELECT digest, expires FROM certificates WHERE root = ? AND subject = ? ORDER BY expires DESC');
    this.revokedStmt = db.prepare('SELECT 1 FROM revocations WHERE certificate = ? AND issuer = ?').pluck();
    this.rootCertsStmt = db.prepare('SELECT digest, expires FROM certificates WHERE root = ? AND issuer = ? AND subject = ? ORDER BY expires DESC');
  }

  setRole(forum: Did, role: ForumRole, now = Date.now()): void {
    this.setRoleStmt.run(forum, role, now);
  }

  drop(forum: Did): boolean {
    return this.dropStmt.run(forum).changes > 0;
  }

  role(forum: Did): ForumRole | undefined {
    return this.roleStmt.get(forum) as ForumRole | undefined;
  }

  list(): { forum: Did; role: ForumRole; since: number }[] {
    return this.listStmt.all() as { forum: Did; role: ForumRole; since: number }[];
  }

  /** Indexes an act whose object row is written in the same transaction. */
  addAct(object: number, forum: Did, kind: ActKind, about: string, signer: Did, created: number): void {
    this.addActStmt.run(object, forum, kind, about, signer, created);
  }

  /**
   * Does a ban stand against what `signer` signed at `created`, reaching
   * this node as row `row` (Infinity: arriving now)? A ban counts if it was
   * made at or before that time or reached this node first (a banned key can
   * claim any time, as with revocations); an unban lifts it for what comes
   * after the unban in the same sense. Returns the ban's row, or undefined.
   */
  banAgainst(forum: Did, signer: Did, created: number, row: number): number | undefined {
    return standsAgainst(this.standingStmt.all(forum, signer) as (Standing & { kind: 'ban' | 'unban' })[], created, row);
  }

  /** banAgainst for a node root the forum blocked: the block's row, or undefined. */
  rootBlockAgainst(forum: Did, root: Did, created: number, row: number): number | undefined {
    return standsAgainst(this.rootStandingStmt.all(forum, root) as (Standing & { kind: 'ban' | 'unban' })[], created, row);
  }

  /** Does the forum block this node root now (its latest block or unblock)? */
  rootBlocked(forum: Did, root: Did): boolean {
    const acts = this.rootStandingStmt.all(forum, root) as (Standing & { kind: 'ban' | 'unban' })[];
    return acts.sort((a, b) => a.created - b.created || a.object - b.object).at(-1)?.kind === 'ban';
  }

  /** The node roots the forum blocks now. */
  blockedRoots(forum: Did): Did[] {
    const roots = new Set(this.actsOfKind(forum, 'root-block').map((a) => a.about as Did));
    return [...roots].filter((r) => this.rootBlocked(forum, r)).sort();
  }

  /**
   * The node roots the forum admits alone, for an object claiming `created`
   * and arriving as `row`: the latest "roots" act that counts for it (made
   * at or before it, or here first); undefined when none lists any.
   */
  admittedRoots(forum: Did, created = Infinity, row = Infinity): Did[] | undefined {
    const acts = this.rootsStmt.all(forum) as (Standing & { about: string })[];
    const last = acts.filter((a) => a.created <= created || a.object < row).at(-1);
    return last === undefined || last.about === '' ? undefined : (last.about.split(' ') as Did[]);
  }

  /** A person's latest ban or unban act: whether the forum bans them now. */
  banned(forum: Did, did: Did): boolean {
    const acts = this.standingStmt.all(forum, did) as (Standing & { kind: 'ban' | 'unban' })[];
    const last = acts.sort((a, b) => a.created - b.created || a.object - b.object).at(-1);
    return last?.kind === 'ban';
  }

  /** The forum's log, oldest first. */
  acts(forum: Did, limit: number): ForumActRow[] {
    return this.actsStmt.all(forum, limit) as ForumActRow[];
  }

  actsOfKind(forum: Did, kind: ActKind): ForumActRow[] {
    return this.aboutStmt.all(forum, kind) as ForumActRow[];
  }

  hidden(forum: Did): Set<ApId> {
    return new Set(this.actsOfKind(forum, 'hide').map((a) => a.about as ApId));
  }

  /** Every key a certificate under the forum's root names, as far as this store knows. */
  certified(forum: Did, limit = 10_000): Did[] {
    return this.certifiedStmt.all(forum, limit) as Did[];
  }

  /** The certificates `issuer` gave `subject` under the forum's root, latest expiry first. */
  certificatesOf(forum: Did, issuer: Did, subject: Did): { digest: string; expires: number }[] {
    return this.rootCertsStmt.all(forum, issuer, subject) as { digest: string; expires: number }[];
  }

  /** Every certificate `subject` holds under the forum's root, whoever issued it. */
  certificatesUnder(forum: Did, subject: Did): { digest: string; expires: number }[] {
    return this.underStmt.all(forum, subject) as { digest: string; expires: number }[];
  }

  revokedByRoot(forum: Did, digest: string): boolean {
    return this.revokedStmt.get(digest, forum) !== undefined;
  }

  addInvite(nonce: string, forum: Did, expires: number): void {
    this.addInviteStmt.run(nonce, forum, expires);
  }

  /** Marks an invitation used; false if it is unknown here or was used already. */
  redeem(nonce: string, forum: Did, by: Did, now = Date.now()): boolean {
    return this.redeemStmt.run(by, now, nonce, forum).changes === 1;
  }

  addRequest(forum: Did, did: Did, activity: ApId, now = Date.now()): boolean {
    return this.addRequestStmt.run(forum, did, activity, now).changes === 1;
  }

  requests(forum: Did): { did: Did; activity: ApId; created: number }[] {
    return this.requestsStmt.all(forum) as { did: Did; activity: ApId; created: number }[];
  }

  takeRequest(forum: Did, did: Did): boolean {
    return this.takeRequestStmt.run(forum, did).changes === 1;
  }

  /** The papers a node root put in the forum for the accounts it vouches for, newest first (store/forum-accounts.ts). */
  papersBy(forum: Did, signer: Did): string[] {
    return this.papersStmt.all(forum, signer) as string[];
  }
}

/**
 * Of bans (or root blocks) and their lifts: the row of one that stands
 * against an object claiming `created` and arriving as `row`. An act counts
 * if made at or before that time or here first (a refused key can claim any
 * time, as with revocations); a lift counts in the same sense.
 */
function standsAgainst(acts: readonly (Standing & { kind: 'ban' | 'unban' })[], created: number, row: number): number | undefined {
  if (acts.length === 0) return undefined;
  const applies = (a: Standing): boolean => a.created <= created || a.object < row;
  for (const ban of acts) {
    if (ban.kind !== 'ban' || !applies(ban)) continue;
    const lifted = acts.some((u) => u.kind === 'unban' && u.created > ban.created && applies(u));
    if (!lifted) return ban.object;
  }
  return undefined;
}
