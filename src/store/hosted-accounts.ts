import type { Db } from './database.js';
import type { Did, Digest } from '../core/types.js';
import { outboxId } from '../core/apid.js';
import { COLUMNS as OBJECT_COLUMNS, NEWEST_FIRST, NOT_LISTED, OLDER_THAN, raw, type Page, type StoredObject } from './objects.js';

/** A person this node hosts (node/accounts.ts): their key, the node's delegate key for them, and the certificates between. */
export interface HostedAccount {
  readonly did: Did;
  readonly name: string;
  /** The key this node signs with for them (its seed in a 0600 file, see the keys table). */
  readonly delegate: Did;
  /** Their certificate letting the delegate publish for them, and when it runs out. */
  readonly publishCertificate: Digest;
  readonly publishExpires: number;
  /** This node root's certificate vouching for them. */
  readonly accountCertificate: Digest;
  readonly created: number;
  readonly removed: number | null;
}

const COLUMNS = `did, name, delegate, publish_certificate AS publishCertificate, publish_expires AS publishExpires,
  account_certificate AS accountCertificate, created, removed`;

export class HostedAccountTable {
  private readonly addStmt;
  private readonly getStmt;
  private readonly listStmt;
  private readonly activeStmt;
  private readonly renewStmt;
  private readonly removeStmt;
  private readonly vouchStmt;
  private readonly followStmt;
  private readonly unfollowStmt;
  private readonly followsStmt;
  private readonly followedScopesStmt;
  private readonly timelineStmt;
  private readonly timelineBeforeStmt;

  constructor(db: Db) {
    this.addStmt = db.prepare(
      `INSERT INTO hosted_accounts (did, name, delegate, publish_certificate, publish_expires, account_certificate, created)
       VALUES (@did, @name, @delegate, @publishCertificate, @publishExpires, @accountCertificate, @created)`,
    );
    this.getStmt = db.prepare(`SELECT ${COLUMNS} FROM hosted_accounts WHERE did = ?`);
    this.listStmt = db.prepare(`SELECT ${COLUMNS} FROM hosted_accounts ORDER BY removed IS NOT NULL, created`);
    this.activeStmt = db.prepare('SELECT did FROM hosted_accounts WHERE removed IS NULL ORDER BY created').pluck();
    this.renewStmt = db.prepare('UPDATE hosted_accounts SET publish_certificate = ?, publish_expires = ? WHERE did = ? AND removed IS NULL');
    this.removeStmt = db.prepare('UPDATE hosted_accounts SET removed = ? WHERE did = ? AND removed IS NULL');
    this.vouchStmt = db.prepare('UPDATE hosted_accounts SET account_certificate = ? WHERE did = ? AND removed IS NULL');
    this.followStmt = db.prepare('INSERT OR IGNORE INTO account_follows (account, did, since) VALUES (?, ?, ?)');
    this.unfollowStmt = db.prepare('DELETE FROM account_follows WHERE account = ? AND did = ?');
    this.followsStmt = db.prepare('SELECT did FROM account_follows WHERE account = ? ORDER BY since').pluck();
    this.followedScopesStmt = db
      .prepare(`SELECT DISTINCT f.did FROM account_follows f JOIN hosted_accounts a ON a.did = f.account WHERE a.removed IS NULL ORDER BY f.did`)
      .pluck();
    // As the owner's timeline (store/objects.ts), over the account's own scope and those it follows.
    const timeline = `+o.scope IN (SELECT sc.n FROM scopes sc WHERE sc.name = ?
        OR sc.name IN (SELECT 'ap://' || f.did || '/actor/outbox' FROM account_follows f WHERE f.account = ?))
      AND o.type NOT IN (${NOT_LISTED})`;
    const from = 'objects o JOIN scopes s ON s.n = o.scope';
    this.timelineStmt = db.prepare(`SELECT ${OBJECT_COLUMNS} FROM ${from} WHERE ${timeline} ${NEWEST_FIRST} LIMIT ?`);
    this.timelineBeforeStmt = db.prepare(`SELECT ${OBJECT_COLUMNS} FROM ${from} WHERE ${timeline} AND ${OLDER_THAN} ${NEWEST_FIRST} LIMIT ?`);
  }

  add(a: Omit<HostedAccount, 'removed'>): void {
    this.addStmt.run(a);
  }

  get(did: Did): HostedAccount | undefined {
    return this.getStmt.get(did) as HostedAccount | undefined;
  }

  list(): HostedAccount[] {
    return this.listStmt.all() as HostedAccount[];
  }

  /** The people hosted now: their scopes are kept and served as the owner's is. */
  active(): Did[] {
    return this.activeStmt.all() as Did[];
  }

  renew(did: Did, certificate: Digest, expires: number): boolean {
    return this.renewStmt.run(certificate, expires, did).changes === 1;
  }

  /** The node's root signed a new account certificate for them. */
  revouch(did: Did, certificate: Digest): boolean {
    return this.vouchStmt.run(certificate, did).changes === 1;
  }

  remove(did: Did, at: number): boolean {
    return this.removeStmt.run(at, did).changes === 1;
  }

  follow(account: Did, did: Did, now: number): boolean {
    return this.followStmt.run(account, did, now).changes === 1;
  }

  unfollow(account: Did, did: Did): boolean {
    return this.unfollowStmt.run(account, did).changes === 1;
  }

  follows(account: Did): Did[] {
    return this.followsStmt.all(account) as Did[];
  }

  /** Everyone some hosted account follows: this node keeps their scopes. */
  followedByAccounts(): Did[] {
    return this.followedScopesStmt.all() as Did[];
  }

  /** The account's home timeline: its posts and those of everyone it follows, newest first. */
  timeline(account: Did, page: Page): StoredObject[] {
    const b = page.before;
    const own = outboxId(account);
    return (
      b === undefined ? this.timelineStmt.all(own, account, page.limit) : this.timelineBeforeStmt.all(own, account, b.created, raw(b.digest), page.limit)
    ) as StoredObject[];
  }
}
