import type { Db } from './database.js';
import { ACCOUNT_VOUCHES_CACHED } from '../core/constants.js';
import type { Certificate } from '../core/certificate.js';
import type { Did, Digest } from '../core/types.js';

/**
 * Which node root vouches for a key: the account certificate (core/account-vouch.ts)
 * its newest actor document carries, while the root has not revoked it and
 * it has not expired. Person blocks of a root read this through the
 * muted_people view; forums ask `rootOf` for each post's signer, so answers
 * are kept in memory until an actor document or a revocation changes them.
 */

export interface Vouch {
  readonly root: Did;
  /** The account certificate's digest. */
  readonly digest: Digest;
  readonly expires: number;
}

/** Answers are kept in memory and cleared by this store's own writes, so ask rootOf on the connection that writes (the node's main thread). */
export class AccountVouchTable {
  private readonly getStmt;
  private readonly upsertStmt;
  private readonly dropStmt;
  private readonly standingStmt;
  private readonly byRootStmt;
  private readonly cache = new Map<Did, Vouch | null>();

  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT root, digest, expires, claimed FROM account_vouches WHERE subject = ?');
    this.upsertStmt = db.prepare(
      `INSERT INTO account_vouches (subject, root, digest, expires, claimed) VALUES (@subject, @root, @digest, @expires, @claimed)
       ON CONFLICT (subject) DO UPDATE SET root = excluded.root, digest = excluded.digest, expires = excluded.expires, claimed = excluded.claimed
       WHERE excluded.claimed >= account_vouches.claimed`,
    );
    this.dropStmt = db.prepare('DELETE FROM account_vouches WHERE subject = ? AND claimed <= ?');
    // The root's own revocations only: of this certificate, or of every certificate of the subject under it.
    this.standingStmt = db.prepare(
      `SELECT v.root, v.digest, v.expires FROM account_vouches v WHERE v.subject = ?
         AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.issuer = v.root
           AND (r.certificate = v.digest OR (r.subject = v.subject AND r.root = v.root)))`,
    );
    this.byRootStmt = db.prepare('SELECT subject FROM account_vouches WHERE root = ? ORDER BY subject').pluck();
  }

  /**
   * An actor document of `subject` made at `claimed` was stored, carrying this
   * account certificate (or none): it says who vouches for them now, unless a
   * newer version already said otherwise. Call inside the writing transaction.
   */
  noteActor(subject: Did, cert: Certificate | undefined, claimed: number): void {
    if (cert === undefined) this.dropStmt.run(subject, claimed);
    else this.upsertStmt.run({ subject, root: cert.issuer, digest: cert.digest, expires: cert.expires, claimed });
    this.cache.delete(subject);
  }

  /** A revocation was stored: any answer may have changed. */
  changed(): void {
    this.cache.clear();
  }

  /**
   * The node root that vouches for `signer` at time `at` (ms, default now):
   * undefined for a self-rooted key, one whose root revoked its account
   * certificate, or one whose certificate expired. Ask it of an object's
   * author (its owner): a hosted account's posts are signed by its node's
   * delegate key, but owned by the account's own key.
   */
  rootOf(signer: Did, at = Date.now()): Did | undefined {
    let v = this.cache.get(signer);
    if (v === undefined) {
      v = (this.standingStmt.get(signer) as Vouch | undefined) ?? null;
      if (this.cache.size >= ACCOUNT_VOUCHES_CACHED) this.cache.delete(this.cache.keys().next().value as Did);
      this.cache.set(signer, v);
    }
    return v !== null && at < v.expires ? v.root : undefined;
  }

  /**
   * rootOf without the memory: for a read-only connection (the API's front
   * thread), which never sees the writes that clear rootOf's answers.
   */
  rootNow(signer: Did, at = Date.now()): Did | undefined {
    const v = this.standingStmt.get(signer) as Vouch | undefined;
    return v !== undefined && at < v.expires ? v.root : undefined;
  }

  /** Does `root` vouch for `signer` at `at`? */
  vouchedBy(signer: Did, root: Did, at = Date.now()): boolean {
    return this.rootOf(signer, at) === root;
  }

  /** The vouch recorded for a key, standing or not. */
  get(subject: Did): Vouch | undefined {
    return this.getStmt.get(subject) as Vouch | undefined;
  }

  /** Keys whose actor names this root (revoked or expired ones too). */
  accountsOf(root: Did): Did[] {
    return this.byRootStmt.all(root) as Did[];
  }
}
