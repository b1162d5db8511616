import { KithError, fail } from '../core/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../core/limits.js';
import { outboxId } from '../core/apid.js';
import { canonicalize } from '../core/jcs.js';
import { checkCanonicalSize, examine, type Examined, type ObjectRecord } from '../core/examine.js';
import type { ApId, Did, Digest, JsonObject } from '../core/types.js';
import { parseCertificate, verifyChain, type Certificate } from '../core/certificate.js';
import { parseRevocation, type Revocation } from '../core/revocation.js';
import type { Store } from './store.js';

/**
 * The one way anything enters the store: size limits, shape, proof
 * (core/examine, which may run on other threads), then the checks that need
 * the store and the clock (authority, time), then a write in one
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

/** Marks an object held back until its signer's certificate may have arrived. */
export const HELD: unique symbol = Symbol('held');

/** The capability a key needs to sign objects in someone else's name. */
export const PUBLISH = 'publish';

interface Admitted {
  readonly record: ObjectRecord;
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
    let a: Admitted;
    try {
      a = this.admit(examine(input, this.limits));
    } catch (e) {
      throw this.refused(e);
    }
    const result = this.store.transaction(() => this.write(a));
    if (result.status === 'stored') this.notify([a.record]);
    return result;
  }

  private readonly listeners = new Set<(records: readonly ObjectRecord[]) => void>();

  /** Calls `fn` with every batch of newly stored objects, after their transaction committed. Returns the way to stop. */
  onStored(fn: (records: readonly ObjectRecord[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(records: readonly ObjectRecord[]): void {
    for (const fn of this.listeners) {
      try {
        fn(records);
      } catch {
        // A listener's trouble is its own; ingest has already succeeded.
      }
    }
  }

  /** Runs every check ingest runs, without storing or counting anything. */
  check(input: IngestInput): Omit<Ingested, 'status'> & { signer: Did } {
    const { digest, id, type, owner, created, signer } = this.admit(examine(input, this.limits)).record;
    return { digest, id, type, owner, created, signer };
  }

  /** Ingests many objects, examined here on this thread. */
  ingestMany(inputs: readonly IngestInput[], scope?: string): (Ingested | KithError)[] {
    return this.ingestExamined(
      inputs.map((input) => {
        try {
          return examine(input, this.limits);
        } catch (e) {
          return e instanceof KithError ? e : new KithError('internal', `examining the object failed inside Kith: ${(e as Error).message}`);
        }
      }),
      { scope },
    );
  }

  /**
   * Finishes ingest of objects already examined (here or on worker threads):
   * each is admitted or refused on its own, and all admitted are written in
   * one transaction. Certificates and revocations go first, so objects signed
   * under them in the same batch pass.
   */
  ingestExamined(examined: readonly (Examined | KithError)[], opts?: { scope?: string | undefined }): (Ingested | KithError)[];
  /**
   * With `holdUnauthorized`, an object signed by a key that holds no
   * certificate yet is neither stored nor refused but returned as HELD, so a
   * caller feeding a long stream in batches can offer it again once the rest
   * (which may carry the certificate) is in.
   */
  ingestExamined(
    examined: readonly (Examined | KithError)[],
    opts: { holdUnauthorized: true; scope?: string | undefined },
  ): (Ingested | KithError | typeof HELD)[];
  ingestExamined(
    examined: readonly (Examined | KithError)[],
    opts: { holdUnauthorized?: boolean; scope?: string | undefined } = {},
  ): (Ingested | KithError | typeof HELD)[] {
    const results: (Ingested | KithError | typeof HELD)[] = new Array(examined.length);
    const objects: number[] = [];
    const authority: number[] = [];
    examined.forEach((e, i) => {
      if (e instanceof KithError) results[i] = this.refused(e);
      else (e.kind === 'authority' ? authority : objects).push(i);
    });
    for (const group of [authority, objects]) {
      const admitted: { index: number; a: Admitted }[] = [];
      for (const i of group) {
        const e = examined[i] as Examined;
        try {
          const a = this.admit(e);
          // What a peer sends for one scope must belong to it, however well signed.
          if (opts.scope !== undefined && a.record.scope !== opts.scope) {
            fail('malformed', `${a.record.id} belongs to ${a.record.scope}, not to the scope being synced (${opts.scope})`);
          }
          admitted.push({ index: i, a });
        } catch (err) {
          const noCertificateYet = err instanceof KithError && err.code === 'wrong-key' && e.kind === 'object' && e.record.signer !== e.record.owner;
          results[i] = opts.holdUnauthorized && noCertificateYet ? HELD : this.refused(err);
        }
      }
      if (admitted.length > 0) {
        this.store.transaction(() => {
          for (const { index, a } of admitted) results[index] = this.write(a);
        });
        const stored = admitted.filter(({ index }) => (results[index] as Ingested).status === 'stored').map(({ a }) => a.record);
        if (stored.length > 0) this.notify(stored);
      }
    }
    return results;
  }

  /** The checks that need the store or the clock. */
  private admit(e: Examined): Admitted {
    if (e.kind === 'authority') {
      const a = e.doc.type === 'KithCertificate' ? this.admitCertificate(e.doc) : this.admitRevocation(e.doc);
      this.checkNotBlocked(a.record.owner);
      return a;
    }
    const r = e.record;
    this.checkNotBlocked(r.owner);
    this.checkTime(r.created);
    if (r.signer !== r.owner) this.authorize(r.signer, r.owner, r.id, r.created);
    return { record: r };
  }

  private checkNotBlocked(owner: Did): void {
    if (this.store.blockedPeople.has(owner)) fail('blocked', `${owner} is blocked on this node; nothing of theirs is taken in`);
  }

  private checkTime(created: number): void {
    if (created > this.now() + this.maxSkew) fail('not-yet-valid', `object claims a time in the future (${new Date(created).toISOString()})`);
  }

  /**
   * Checked again on the way out (DESIGN): an object signed by a key other
   * than its owner's stays valid only while that key's chain holds at the
   * object's time, given every revocation known now, including ones that
   * arrived after the object did. Objects signed by their owner always are.
   */
  stillValid(o: { owner: Did; signer: Did; id: ApId; created: number }): boolean {
    if (o.signer === o.owner) return true;
    try {
      this.authorize(o.signer, o.owner, o.id, o.created);
      return true;
    } catch {
      return false;
    }
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

  private admitCertificate(doc: JsonObject): Admitted {
    const cert = parseCertificate(doc);
    return { record: this.authorityRecord(cert.doc, cert.digest, cert.issuer, cert.notBefore), certificate: cert };
  }

  private admitRevocation(doc: JsonObject): Admitted {
    const rev = parseRevocation(doc);
    return { record: this.authorityRecord(rev.doc, rev.digest, rev.issuer, rev.from), revocation: rev };
  }

  private authorityRecord(doc: Readonly<JsonObject>, digest: Digest, issuer: Did, created: number): ObjectRecord {
    const body = canonicalize(doc);
    checkCanonicalSize(body, this.limits);
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
      links: [],
    };
  }

  private write(a: Admitted): Ingested {
    const n = this.store.objects.insert(a.record, this.now());
    if (n !== undefined && a.certificate) this.store.authority.addCertificate(n, a.certificate);
    if (n !== undefined && a.revocation) this.store.authority.addRevocation(n, a.revocation);
    const { digest, id, type, owner, created } = a.record;
    return { status: n !== undefined ? 'stored' : 'duplicate', digest, id, type, owner, created };
  }

  private refused(e: unknown): KithError {
    // Every check throws a KithError for bad input; anything else is our bug, not the sender's fault.
    const err = e instanceof KithError ? e : new KithError('internal', `refused after an unexpected failure inside Kith: ${(e as Error).message}`);
    this.store.refusals.record(err.code, err.message, this.now());
    return err;
  }
}
