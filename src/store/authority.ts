import type { Db } from './database.js';
import { parseCertificate, type Certificate } from '../core/certificate.js';
import { parseRevocation, type Revocation } from '../core/revocation.js';
import type { Did, Digest } from '../core/types.js';

/**
 * Certificates and revocations, indexed for chain building. The signed
 * documents themselves live in `objects`; parsed certificates are cached,
 * since a chain is consulted for every object a certified key signs.
 */
const MAX_CACHE = 2048;

export class AuthorityTable {
  private readonly insertCertStmt;
  private readonly insertRevStmt;
  private readonly certBodyStmt;
  private readonly leavesStmt;
  private readonly revByCertStmt;
  private readonly revBySubjectStmt;
  private readonly cache = new Map<string, Certificate>();

  constructor(db: Db) {
    this.insertCertStmt = db.prepare(
      `INSERT OR IGNORE INTO certificates (object, digest, issuer, subject, parent, not_before, expires)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertRevStmt = db.prepare(
      `INSERT OR IGNORE INTO revocations (object, issuer, certificate, subject, root, effective)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.certBodyStmt = db.prepare('SELECT o.body FROM certificates c JOIN objects o ON o.n = c.object WHERE c.digest = ?');
    this.leavesStmt = db.prepare('SELECT digest FROM certificates WHERE subject = ? ORDER BY expires DESC');
    this.revByCertStmt = db.prepare('SELECT o.body FROM revocations r JOIN objects o ON o.n = r.object WHERE r.certificate = ?');
    this.revBySubjectStmt = db.prepare('SELECT o.body FROM revocations r JOIN objects o ON o.n = r.object WHERE r.subject = ?');
  }

  /** Index a certificate whose object row is written in the same transaction. */
  addCertificate(object: number, c: Certificate): void {
    this.insertCertStmt.run(object, c.digest, c.issuer, c.subject, c.parent ?? null, c.notBefore, c.expires);
  }

  addRevocation(object: number, r: Revocation): void {
    const t = r.target;
    this.insertRevStmt.run(object, r.issuer, 'certificate' in t ? t.certificate : null, 'subject' in t ? t.subject : null, 'root' in t ? t.root : null, r.from);
  }

  certificate(digest: Digest): Certificate | undefined {
    const hit = this.cache.get(digest);
    if (hit) return hit;
    const row = this.certBodyStmt.get(digest) as { body: string } | undefined;
    if (!row) return undefined;
    const cert = parseCertificate(JSON.parse(row.body));
    if (this.cache.size >= MAX_CACHE) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(digest, cert);
    return cert;
  }

  /**
   * Every stored chain that ends at `actor` and starts at `root`, root first.
   * A chain whose ancestors are missing is left out: it cannot be checked.
   */
  chains(actor: Did, root: Did, maxDepth: number): Certificate[][] {
    const out: Certificate[][] = [];
    for (const { digest } of this.leavesStmt.all(actor) as { digest: Digest }[]) {
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

  /** Revocations that could touch any link of these chains. */
  revocationsFor(chain: readonly Certificate[]): Revocation[] {
    const out = new Map<string, Revocation>();
    const add = (rows: unknown[]) => {
      for (const { body } of rows as { body: string }[]) {
        const r = parseRevocation(JSON.parse(body));
        out.set(r.digest, r);
      }
    };
    for (const c of chain) {
      add(this.revByCertStmt.all(c.digest));
      add(this.revBySubjectStmt.all(c.subject));
    }
    return [...out.values()];
  }
}
