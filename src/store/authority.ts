import type { Db } from './database.js';
import { KithError } from '../core/errors.js';
import { checkChain, revokersOf, storedCertificate, type Certificate, type ChainGrant } from '../core/certificate.js';
import { CHAINS_PER_CHECK, CHAIN_VERDICTS_CACHED } from '../core/constants.js';
import type { Revocation } from '../core/revocation.js';
import type { ApId, Did, Digest } from '../core/types.js';

/**
 * Certificates and revocations, indexed for chain building. The signed
 * documents themselves live in `objects`. A chain is consulted for every
 * object a certified key signs, on the way in and on the way out, so what
 * the store knows about one (signer, root) pair is worked out once and kept
 * until a certificate or revocation is stored; and the work is bounded
 * (CHAINS_PER_CHECK), whatever a hostile root piled up for one key.
 */
const MAX_PARSED = 2048;

/** A revocation with standing that voids one link of a chain, as this store knows it. */
export interface RevocationFact {
  /** The link it voids, 0 being the one the root issued. */
  readonly link: number;
  readonly id: ApId;
  readonly issuer: Did;
  /** Its cut-off by the revoker's clock (ms): what the link signed at or after it is void. */
  readonly cutOff: number;
  /**
   * Its row in `objects`, this node's order of arrival: an object in a lower
   * row was taken in before the revocation was known here.
   */
  readonly row: number;
}

/** One stored chain from a root to a key, judged once for everything the key signs. */
export interface ChainVerdict {
  /** What the chain grants whatever the time, or why it grants nothing. */
  readonly grant: ChainGrant | KithError;
  /**
   * Revocations with standing that name one of its links: for each link and
   * way of naming it, the one stored first and the one with the earliest
   * cut-off (enough to decide, since either voids).
   */
  readonly revocations: readonly RevocationFact[];
}

const FACT = 'SELECT r.object AS row, r.effective AS cutOff, r.issuer AS issuer, o.id AS id FROM revocations r JOIN objects o ON o.n = r.object';
const BY_REVOKERS = 'r.issuer IN (SELECT value FROM json_each(?))';

export class AuthorityTable {
  private readonly insertCertStmt;
  private readonly rootOfStmt;
  private readonly adoptStmt;
  private readonly insertRevStmt;
  private readonly certBodyStmt;
  private readonly hasCertStmt;
  private readonly issuedStmt;
  private readonly leavesStmt;
  private readonly issuersStmt;
  private readonly leavesAtStmt;
  private readonly byCertificateStmts;
  private readonly bySubjectStmts;
  private readonly parsed = new Map<string, Certificate>();
  private readonly verdicts = new Map<string, ChainVerdict[]>();

  constructor(private readonly db: Db) {
    this.insertCertStmt = db.prepare(
      `INSERT OR IGNORE INTO certificates (object, digest, issuer, subject, parent, not_before, expires, root)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.rootOfStmt = db.prepare('SELECT root FROM certificates WHERE digest = ?').pluck();
    // Links that arrived before this one, their ancestor, learn their root now.
    this.adoptStmt = db.prepare(
      `WITH RECURSIVE below (digest) AS (
         SELECT digest FROM certificates WHERE parent = @parent
         UNION SELECT c.digest FROM certificates c JOIN below b ON c.parent = b.digest
       ) UPDATE certificates SET root = @root WHERE root IS NULL AND digest IN below`,
    );
    this.insertRevStmt = db.prepare(
      `INSERT OR IGNORE INTO revocations (object, issuer, certificate, subject, root, effective)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.certBodyStmt = db.prepare('SELECT o.body FROM certificates c JOIN objects o ON o.n = c.object WHERE c.digest = ?');
    this.hasCertStmt = db.prepare('SELECT 1 FROM certificates WHERE digest = ?').pluck();
    this.issuedStmt = db.prepare('SELECT COUNT(*) FROM (SELECT 1 FROM certificates WHERE subject = ? AND issuer = ? AND expires > ? LIMIT ?)').pluck();
    this.issuersStmt = db.prepare('SELECT DISTINCT issuer FROM certificates WHERE subject = ? AND parent IS NULL ORDER BY issuer LIMIT ?').pluck();
    this.leavesStmt = db.prepare('SELECT digest FROM certificates WHERE root = ? AND subject = ? ORDER BY expires DESC LIMIT ?').pluck();
    this.leavesAtStmt = db
      .prepare('SELECT digest FROM certificates WHERE root = ? AND subject = ? AND expires > ? AND not_before <= ? ORDER BY expires LIMIT ?')
      .pluck();
    this.byCertificateStmts = ['r.object', 'r.effective'].map((first) =>
      db.prepare(`${FACT} WHERE r.certificate = ? AND ${BY_REVOKERS} ORDER BY ${first} LIMIT 1`),
    );
    this.bySubjectStmts = ['r.object', 'r.effective'].map((first) =>
      db.prepare(`${FACT} WHERE r.subject = ? AND r.root = ? AND ${BY_REVOKERS} ORDER BY ${first} LIMIT 1`),
    );
  }

  /** Index a certificate whose object row is written in the same transaction. */
  addCertificate(object: number, c: Certificate): void {
    const root = c.parent === undefined ? c.issuer : ((this.rootOfStmt.get(c.parent) as Did | null | undefined) ?? null);
    const r = this.insertCertStmt.run(object, c.digest, c.issuer, c.subject, c.parent ?? null, c.notBefore, c.expires, root);
    if (r.changes === 1 && root !== null) this.adoptStmt.run({ parent: c.digest, root });
    this.verdicts.clear();
  }

  addRevocation(object: number, r: Revocation): void {
    const t = r.target;
    this.insertRevStmt.run(object, r.issuer, 'certificate' in t ? t.certificate : null, 'subject' in t ? t.subject : null, 'root' in t ? t.root : null, r.from);
    this.verdicts.clear();
  }

  hasCertificate(digest: Digest): boolean {
    return this.hasCertStmt.get(digest) !== undefined;
  }

  /** How many certificates `issuer` gave `subject` that are stored here and still unexpired at `now`, counted up to `upTo`. */
  issued(issuer: Did, subject: Did, now: number, upTo: number): number {
    return this.issuedStmt.get(subject, issuer, now, upTo) as number;
  }

  /** The roots that certified `subject` directly (up to `upTo`): for a hosted account's delegate key, the account. */
  rootsOf(subject: Did, upTo: number): Did[] {
    return this.issuersStmt.all(subject, upTo) as Did[];
  }

  certificate(digest: Digest): Certificate | undefined {
    const hit = this.parsed.get(digest);
    if (hit) return hit;
    const row = this.certBodyStmt.get(digest) as { body: string } | undefined;
    if (!row) return undefined;
    const cert = storedCertificate(JSON.parse(row.body), digest);
    if (this.parsed.size >= MAX_PARSED) this.parsed.delete(this.parsed.keys().next().value as string);
    this.parsed.set(digest, cert);
    return cert;
  }

  /**
   * Every stored chain (up to CHAINS_PER_CHECK, those expiring last first)
   * that ends at `actor` and starts at `root`, root first. A chain whose
   * ancestors are missing is left out: it cannot be checked.
   */
  chains(actor: Did, root: Did, maxDepth: number): Certificate[][] {
    return this.chainsOf(this.leavesStmt.all(root, actor, CHAINS_PER_CHECK) as Digest[], root, maxDepth);
  }

  private chainsOf(leaves: readonly Digest[], root: Did, maxDepth: number): Certificate[][] {
    const out: Certificate[][] = [];
    for (const digest of leaves) {
      const chain: Certificate[] = [];
      let cur = this.certificate(digest);
      while (cur && chain.length <= maxDepth) {
        chain.unshift(cur);
        cur = cur.parent === undefined ? undefined : this.certificate(cur.parent);
      }
      const first = chain[0];
      if (first && first.parent === undefined && first.issuer === root) out.push(chain);
    }
    return out;
  }

  /**
   * The verdict on every stored chain from `root` to `actor` for
   * `capability`, kept until the next certificate or revocation is stored.
   * Empty when the key holds no certificate from the root.
   *
   * With `at` (the time of what is being judged), when none of the chains
   * expiring last holds at `at`, those whose last link was valid then: a
   * member renewed week after week holds more certificates than
   * CHAINS_PER_CHECK, and what it signed a year ago is judged by the
   * certificate it held a year ago, not refused as expired under the latest.
   */
  verdictsFor(actor: Did, root: Did, capability: string, maxDepth: number, at?: number): readonly ChainVerdict[] {
    const key = `${actor} ${root} ${capability} ${maxDepth}`;
    const latest = this.cached(key, () => this.leavesStmt.all(root, actor, CHAINS_PER_CHECK) as Digest[], actor, root, capability, maxDepth);
    // Fewer than the bound: every stored chain is among them already.
    if (at === undefined || latest.length < CHAINS_PER_CHECK || latest.some((v) => holdsAt(v, at))) return latest;
    const then = this.leavesAtStmt.all(root, actor, at, at, CHAINS_PER_CHECK) as Digest[];
    if (then.length === 0) return latest;
    return this.cached(`${key} ${then.join('')}`, () => then, actor, root, capability, maxDepth);
  }

  private cached(key: string, leaves: () => Digest[], actor: Did, root: Did, capability: string, maxDepth: number): readonly ChainVerdict[] {
    const hit = this.verdicts.get(key);
    if (hit) return hit;
    const out = this.chainsOf(leaves(), root, maxDepth).map((chain) => this.judge(chain, root, actor, capability, maxDepth));
    // Inside a transaction the rows read may yet be rolled back: such a verdict is not kept.
    if (!this.db.inTransaction) {
      if (this.verdicts.size >= CHAIN_VERDICTS_CACHED) this.verdicts.delete(this.verdicts.keys().next().value as string);
      this.verdicts.set(key, out);
    }
    return out;
  }

  private judge(chain: Certificate[], root: Did, actor: Did, capability: string, maxDepth: number): ChainVerdict {
    try {
      const grant = checkChain({ root, chain, actor, capability, maxDepth });
      return { grant, revocations: this.revocationFacts(root, grant.links) };
    } catch (e) {
      if (!(e instanceof KithError)) throw e;
      return { grant: e, revocations: [] };
    }
  }

  private revocationFacts(root: Did, links: readonly Certificate[]): RevocationFact[] {
    const facts: RevocationFact[] = [];
    const revokers = revokersOf(root, links);
    for (const [link, c] of links.entries()) {
      const by = JSON.stringify(revokers[link]);
      for (const stmt of this.byCertificateStmts) {
        const f = stmt.get(c.digest, by) as Omit<RevocationFact, 'link'> | undefined;
        if (f) facts.push({ link, ...f });
      }
      for (const stmt of this.bySubjectStmts) {
        const f = stmt.get(c.subject, root, by) as Omit<RevocationFact, 'link'> | undefined;
        if (f) facts.push({ link, ...f });
      }
    }
    return facts;
  }
}

/** Does the chain grant anything at `at`, as far as its links' windows go (revocations aside)? */
function holdsAt(v: ChainVerdict, at: number): boolean {
  return !(v.grant instanceof KithError) && v.grant.notBefore <= at && at < v.grant.expires;
}
