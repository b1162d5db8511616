import { KithError, fail } from '../core/errors.js';
import { DEFAULT_LIMITS, checkShape, parseJsonLimited, byteLength, type Limits } from '../core/limits.js';
import { verifyDocument } from '../core/proof.js';
import { objectFacts } from '../core/as2.js';
import { outboxId } from '../core/apid.js';
import { canonicalize } from '../core/jcs.js';
import { sha256Hex } from '../core/bytes.js';
import { isJsonObject, type ApId, type Did, type Digest, type Json, type JsonObject } from '../core/types.js';
import { parseCertificate, verifyChain, type Certificate } from '../core/certificate.js';
import { parseRevocation, type Revocation } from '../core/revocation.js';
import type { NewObject } from './objects.js';
import type { Store } from './store.js';

/**
 * The one way anything enters the store: size limits, shape, proof,
 * authority, then a write. Verification touches nothing; the write is one
 * transaction. Whatever fails is refused with a reason, counted, and leaves
 * the store exactly as it was.
 */

export type IngestInput = string | Uint8Array | JsonObject;

export interface IngestOptions {
  readonly limits?: Limits;
  /** Clock, injectable for tests of time windows. */
  readonly now?: () => number;
  /** How far in the future an object's time may claim to be. */
  readonly maxClockSkewMs?: number;
  /** Longest certificate chain accepted for a key acting for someone. */
  readonly maxChainDepth?: number;
}

export interface Ingested {
  readonly status: 'stored' | 'duplicate';
  readonly digest: Digest;
  readonly id: ApId;
  readonly type: string;
  readonly owner: Did;
  readonly created: number;
}

/** The capability a key needs to sign objects in someone else's name. */
export const PUBLISH = 'publish';

interface Verified {
  readonly row: NewObject;
  readonly certificate?: Certificate;
  readonly revocation?: Revocation;
}

export class Ingestor {
  readonly limits: Limits;
  private readonly now: () => number;
  private readonly maxSkew: number;
  private readonly maxDepth: number;

  constructor(
    private readonly store: Store,
    opts: IngestOptions = {},
  ) {
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    this.now = opts.now ?? Date.now;
    this.maxSkew = opts.maxClockSkewMs ?? 5 * 60_000;
    this.maxDepth = opts.maxChainDepth ?? 8;
  }

  /** Ingests one object; throws a KithError (and stores nothing) if it is refused. */
  ingest(input: IngestInput): Ingested {
    let v: Verified;
    try {
      v = this.verify(input);
    } catch (e) {
      throw this.refused(e);
    }
    return this.store.transaction(() => this.write(v));
  }

  /** Runs every check ingest runs, without storing or counting anything. */
  check(input: IngestInput): Omit<Ingested, 'status'> & { signer: Did } {
    const { row } = this.verify(input);
    const { digest, id, type, owner, created, signer } = row;
    return { digest, id, type, owner, created, signer };
  }

  /**
   * Ingests many objects: each is verified on its own and refused on its own;
   * all that pass are written in one transaction. Certificates and
   * revocations go first, so objects signed under them in the same batch pass.
   */
  ingestMany(inputs: readonly IngestInput[]): (Ingested | KithError)[] {
    const results: (Ingested | KithError)[] = new Array(inputs.length);
    const parsed: (Json | KithError)[] = inputs.map((input) => {
      try {
        return this.parse(input);
      } catch (e) {
        return this.refused(e);
      }
    });
    const ranks = parsed.map(rank);
    const authorityFirst = [...parsed.keys()].sort((a, b) => ranks[a]! - ranks[b]!);
    let pending: { index: number; v: Verified }[] = [];
    const flush = () => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      this.store.transaction(() => {
        for (const { index, v } of batch) results[index] = this.write(v);
      });
    };
    let lastRank = 0;
    for (const i of authorityFirst) {
      const p = parsed[i]!;
      if (p instanceof KithError) {
        results[i] = p;
        continue;
      }
      // Authority documents must be stored before the objects that lean on them are checked.
      if (ranks[i] !== lastRank) flush();
      lastRank = ranks[i]!;
      try {
        pending.push({ index: i, v: this.verifyParsed(p) });
      } catch (e) {
        results[i] = this.refused(e);
      }
    }
    flush();
    return results;
  }

  private parse(input: IngestInput): Json {
    if (typeof input === 'string' || input instanceof Uint8Array) return parseJsonLimited(input, this.limits);
    checkShape(input, this.limits);
    return input;
  }

  private verify(input: IngestInput): Verified {
    return this.verifyParsed(this.parse(input));
  }

  private verifyParsed(doc: Json): Verified {
    if (!isJsonObject(doc)) fail('malformed', 'an object must be a JSON object');
    switch (doc.type) {
      case 'KithCertificate':
        return this.verifyCertificate(doc);
      case 'KithRevocation':
        return this.verifyRevocation(doc);
      default:
        return this.verifyObject(doc);
    }
  }

  private checkSize(canonical: string): void {
    const size = byteLength(canonical);
    if (size > this.limits.maxObjectBytes) fail('too-large', `object is ${size} bytes; the limit is ${this.limits.maxObjectBytes}`);
  }

  private checkTime(created: number): void {
    if (created > this.now() + this.maxSkew) fail('not-yet-valid', `object claims a time in the future (${new Date(created).toISOString()})`);
  }

  private verifyObject(doc: JsonObject): Verified {
    const facts = objectFacts(doc);
    this.checkTime(facts.created);
    const proof = verifyDocument(doc);
    this.checkSize(proof.canonical);
    if (proof.signer !== facts.owner) this.authorize(proof.signer, facts.owner, facts.id, facts.created);
    return {
      row: {
        digest: proof.digest,
        id: facts.id,
        owner: facts.owner,
        signer: proof.signer,
        type: facts.type,
        scope: outboxId(facts.owner),
        created: facts.created,
        body: proof.canonical,
        embedded: facts.embedded,
      },
    };
  }

  /** A key other than the owner's may sign only with a valid chain from the owner granting `publish`. */
  private authorize(signer: Did, owner: Did, id: ApId, at: number): void {
    const chains = this.store.authority.chains(signer, owner, this.maxDepth);
    if (chains.length === 0) fail('wrong-key', `signed by ${signer}, which holds no certificate from ${owner}`);
    let last: unknown;
    for (const chain of chains) {
      try {
        verifyChain({
          root: owner,
          chain,
          actor: signer,
          capability: PUBLISH,
          resource: id,
          at,
          maxDepth: this.maxDepth,
          revocations: this.store.authority.revocationsFor(chain),
        });
        return;
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  private verifyCertificate(doc: JsonObject): Verified {
    const cert = parseCertificate(doc);
    const body = canonicalize(cert.doc);
    this.checkSize(body);
    return { row: authorityRow(cert.doc, cert.digest, cert.issuer, cert.notBefore, body), certificate: cert };
  }

  private verifyRevocation(doc: JsonObject): Verified {
    const rev = parseRevocation(doc);
    const body = canonicalize(rev.doc);
    this.checkSize(body);
    return { row: authorityRow(rev.doc, rev.digest, rev.issuer, rev.from, body), revocation: rev };
  }

  private write(v: Verified): Ingested {
    const n = this.store.objects.insert(v.row, this.now());
    if (n !== undefined && v.certificate) this.store.authority.addCertificate(n, v.certificate);
    if (n !== undefined && v.revocation) this.store.authority.addRevocation(n, v.revocation);
    const { digest, id, type, owner, created } = v.row;
    return { status: n !== undefined ? 'stored' : 'duplicate', digest, id, type, owner, created };
  }

  private refused(e: unknown): KithError {
    const err = e instanceof KithError ? e : new KithError('malformed', `refused: ${(e as Error).message}`);
    this.store.refusals.record(err.code, err.message, this.now());
    return err;
  }
}

function rank(p: Json | KithError): number {
  if (!isJsonObject(p)) return 2;
  return p.type === 'KithCertificate' ? 0 : p.type === 'KithRevocation' ? 1 : 2;
}

function authorityRow(doc: JsonObject, digest: Digest, issuer: Did, created: number, body: string): NewObject {
  if (sha256Hex(body) !== digest) fail('malformed', 'digest does not match the canonical body');
  return {
    digest,
    id: doc.id as ApId,
    owner: issuer,
    signer: issuer,
    type: doc.type as string,
    scope: outboxId(issuer),
    created,
    body,
    embedded: [],
  };
}
