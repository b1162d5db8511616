import { KithError, fail } from '../core/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../core/limits.js';
import { actorId, outboxId } from '../core/apid.js';
import { canonicalize } from '../core/jcs.js';
import { digestOf } from '../core/proof.js';
import { checkCanonicalSize, examine, type Examined, type ObjectRecord } from '../core/examine.js';
import type { ApId, Did, Digest, JsonObject } from '../core/types.js';
import { parseCertificate, type Certificate } from '../core/certificate.js';
import { parseRevocation, type Revocation } from '../core/revocation.js';
import type { Checkpoint } from '../core/checkpoint.js';
import { accountCertificateOf, ACCOUNT_MEMBER } from '../core/account-vouch.js';
import { CERTIFICATES_PER_ISSUER_AND_SUBJECT } from '../core/constants.js';
import { reasonOf, silentLogger, type Logger } from '../core/log.js';
import { ARRIVING, checkVerdicts, PUBLISH } from './chain-verdicts.js';
import type { Store } from './store.js';
import { forumCapabilityOf, forumFactsOf, type ActKind } from '../core/forum.js';
import { forumRefusesSigner } from './forum-acceptance.js';
import { authorizeForAccount, authorizePapers, forumAuthorOf, isPapersId, papersCarried } from './forum-accounts.js';
import { parseApId } from '../core/apid.js';

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
  /** Where trouble that is nobody's refusal goes (a failing listener, say). */
  readonly log?: Logger;
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

export { PUBLISH } from './chain-verdicts.js';

interface Admitted {
  readonly record: ObjectRecord;
  /** A forum's moderation act, indexed as it is written. */
  readonly forumAct?: { readonly forum: Did; readonly kind: ActKind; readonly about: string };
  readonly certificate?: Certificate;
  readonly revocation?: Revocation;
  /** An actor document's word on who hosts it: the account certificate it carries, or null for none. */
  readonly account?: Certificate | null;
}

/** Certificates admitted in one batch but not written yet, by issuer and subject, so the cap counts them too. */
type PendingCertificates = Map<string, BatchCertificates>;
interface BatchCertificates {
  readonly digests: Set<Digest>;
  readonly ids: Set<string>;
}

export class Ingestor {
  readonly limits: Limits;
  private readonly now: () => number;
  private readonly maxSkew: number;
  private readonly maxDepth: number;
  private readonly log: Logger;

  constructor(
    private readonly store: Store,
    opts: IngestOptions = {},
  ) {
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    this.now = opts.now ?? Date.now;
    this.maxSkew = opts.maxClockSkewMs ?? 5 * 60_000;
    this.maxDepth = opts.maxChainDepth ?? 8;
    this.log = opts.log ?? silentLogger;
  }

  /** Ingests one object; throws a KithError (and stores nothing) if it is refused. */
  ingest(input: IngestInput): Ingested {
    let a: Admitted;
    try {
      const e = examine(input, this.limits);
      this.takeCarried(e);
      a = this.admit(e);
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
      } catch (e) {
        // A listener's trouble is its own; ingest has already succeeded.
        this.log.error(`a listener for stored objects failed (the objects are stored): ${reasonOf(e)}`);
      }
    }
  }

  /** Runs every check ingest runs, without storing or counting anything. */
  check(input: IngestInput): Omit<Ingested, 'status'> & { signer: Did } {
    const e = examine(input, this.limits);
    // What is stored here already is judged as stored (a moderator's act made before its removal stands), not as arriving now.
    const row = e.kind === 'object' ? (this.store.objects.byDigest(e.record.digest)?.n ?? ARRIVING) : ARRIVING;
    const { digest, id, type, owner, created, signer } = this.admit(e, undefined, row).record;
    return { digest, id, type, owner, created, signer };
  }

  /** Ingests many objects, examined here on this thread. */
  ingestMany(inputs: readonly IngestInput[], scope?: string, order: { revocationsLast?: boolean } = {}): (Ingested | KithError)[] {
    return this.ingestExamined(
      inputs.map((input) => {
        try {
          return examine(input, this.limits);
        } catch (e) {
          return e instanceof KithError ? e : new KithError('internal', `examining the object failed inside Kith: ${(e as Error).message}`);
        }
      }),
      { scope, ...order },
    );
  }

  /**
   * Finishes ingest of objects already examined (here or on worker threads):
   * each is admitted or refused on its own, and all admitted are written in
   * one transaction. Certificates and revocations go first, so objects signed
   * under them in the same batch pass, and objects signed by a key revoked in
   * the same batch do not.
   *
   * With `revocationsLast`, revocations go after the objects instead: only
   * for a person's own signed backup, which vouches that its objects were
   * taken in before its revocations, and keeps that order here.
   */
  ingestExamined(
    examined: readonly (Examined | KithError)[],
    opts?: { scope?: string | undefined; revocationsLast?: boolean | undefined },
  ): (Ingested | KithError)[];
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
    opts: { holdUnauthorized?: boolean; scope?: string | undefined; revocationsLast?: boolean | undefined } = {},
  ): (Ingested | KithError | typeof HELD)[] {
    const results: (Ingested | KithError | typeof HELD)[] = new Array(examined.length);
    examined = examined.map((e) => (e instanceof KithError ? e : this.withCarried(e)));
    // Counted together, each group in one transaction: a flood of refusals is not a commit each.
    let refusals: KithError[] = [];
    const objects: number[] = [];
    const certificates: number[] = [];
    const revocations: number[] = [];
    examined.forEach((e, i) => {
      if (e instanceof KithError) refusals.push((results[i] = e));
      else if (e.kind !== 'authority') objects.push(i);
      else (e.doc.type === 'KithRevocation' ? revocations : certificates).push(i);
    });
    const groups = opts.revocationsLast ? [certificates, objects, revocations] : [[...certificates, ...revocations].sort((a, b) => a - b), objects];
    for (const group of groups) {
      const admitted: { index: number; a: Admitted }[] = [];
      const pending: PendingCertificates = new Map();
      // One look at the tombstones for the whole group: nothing of it is written before every object is admitted.
      const deleted = this.store.tombstones.deletedIn(group.flatMap((i) => idsOf(examined[i] as Examined)));
      for (const i of group) {
        const e = examined[i] as Examined;
        try {
          const a = this.admit(e, pending, ARRIVING, deleted);
          // What a peer sends for one scope must belong to it, however well signed.
          if (opts.scope !== undefined && a.record.scope !== opts.scope) {
            fail('malformed', `${a.record.id} belongs to ${a.record.scope}, not to the scope being synced (${opts.scope})`);
          }
          admitted.push({ index: i, a });
        } catch (err) {
          const noCertificateYet = err instanceof KithError && err.code === 'wrong-key' && e.kind === 'object' && e.record.signer !== e.record.owner;
          results[i] = opts.holdUnauthorized && noCertificateYet ? HELD : asRefusal(err);
          if (results[i] !== HELD) refusals.push(results[i] as KithError);
        }
      }
      if (admitted.length > 0 || refusals.length > 0) {
        const counting = refusals;
        refusals = [];
        // Deletes last: a post and its Delete in one batch end deleted, as they would arriving one by one.
        const deletes = admitted.filter(({ a }) => a.record.activity?.kind === 'delete');
        const writing = deletes.length === 0 ? admitted : [...admitted.filter(({ a }) => a.record.activity?.kind !== 'delete'), ...deletes];
        this.store.transaction(() => {
          for (const err of counting) this.store.refusals.record(err.code, err.message, this.now());
          for (const { index, a } of writing) results[index] = this.write(a);
        });
        const stored = admitted
          .filter(({ index }) => (results[index] as Ingested).status === 'stored')
          .map(({ a }) => a.record)
          .filter((r) => deletes.length === 0 || this.store.objects.has(r.digest));
        if (stored.length > 0) this.notify(stored);
      }
    }
    return results;
  }

  /**
   * What a hosted account's papers carry (store/forum-accounts.ts) is taken
   * in first, on its own: each document is the account's own and signed, so
   * it stays even if the papers are then refused, as an inbox delivery's do.
   */
  private takeCarried(e: Examined): void {
    const docs = papersCarried(e, this.limits);
    if (docs.length > 0) this.ingestExamined(docs);
  }

  private withCarried(e: Examined): Examined | KithError {
    try {
      this.takeCarried(e);
      return e;
    } catch (err) {
      return asRefusal(err);
    }
  }

  /** The checks that need the store or the clock. */
  /** `deleted`: which of the object's ids are known deleted, looked up for a whole batch at once; by default, looked up here. */
  private admit(e: Examined, pending?: PendingCertificates, row = ARRIVING, deleted?: ReadonlySet<ApId>): Admitted {
    if (e.kind === 'authority') {
      const a = e.doc.type === 'KithCertificate' ? this.admitCertificate(e.doc, pending) : this.admitRevocation(e.doc);
      this.checkNotBlocked(a.record.owner);
      return a;
    }
    const r = e.record;
    this.checkNotBlocked(r.owner);
    this.checkNotDeleted(r, deleted);
    this.checkTime(r.created);
    const forum = forumCapabilityOf(r.id) === undefined ? undefined : forumFactsOf(JSON.parse(r.body) as JsonObject);
    if (forum?.path.what === 'papers' && r.signer !== r.owner) authorizePapers(this.store, r, row, this.maxDepth);
    else if (r.signer !== r.owner) this.authorize(r.signer, r.owner, r.id, r.created, row);
    if (forum?.path.what === 'act') return { record: r, forumAct: { forum: forum.forum, kind: forum.path.kind, about: forum.about! } };
    return { record: r, ...this.accountOf(r) };
  }

  /** For an actor document: the account certificate it carries (checked, so a forged one refuses the whole document), or null. */
  private accountOf(r: ObjectRecord): { account?: Certificate | null } {
    if (r.id !== actorId(r.owner)) return {};
    // Most actors carry none: the body is parsed again only when it names the member.
    if (!r.body.includes(`"${ACCOUNT_MEMBER}"`)) return { account: null };
    return { account: accountCertificateOf(JSON.parse(r.body) as JsonObject, r.owner) ?? null };
  }

  private checkNotBlocked(owner: Did): void {
    if (this.store.blockedPeople.has(owner)) fail('blocked', `${owner} is blocked on this node; nothing of theirs is taken in`);
  }

  /** A version of something its author deleted, or an activity carrying one: an honest peer may still hold it, so this blames nobody. */
  private checkNotDeleted(r: ObjectRecord, known?: ReadonlySet<ApId>): void {
    const deleted = known === undefined ? this.store.tombstones.deletedAmong([r.id, ...r.embedded]) : [r.id, ...r.embedded].find((id) => known.has(id));
    if (deleted !== undefined) fail('deleted', `${deleted} was deleted by its author; no version of it is taken in again`);
  }

  private checkTime(created: number): void {
    if (created > this.now() + this.maxSkew) fail('not-yet-valid', `object claims a time in the future (${new Date(created).toISOString()})`);
  }

  /**
   * Checked again on the way out (DESIGN): an object signed by a key other
   * than its owner's stays valid only while that key's chain holds at the
   * object's time, given every revocation known now, including ones that
   * arrived after the object did (see authorize). `n` is its row, this
   * node's order of arrival. Objects signed by their owner always are.
   */
  stillValid(o: { owner: Did; signer: Did; id: ApId; created: number; n: number }): boolean {
    // Papers only carry an account's signed documents, each judged on its own, and what they let in is judged post by post.
    if (o.signer === o.owner || isPapersId(o.id)) return true;
    try {
      this.authorize(o.signer, o.owner, o.id, o.created, o.n);
      return true;
    } catch (e) {
      if (!(e instanceof KithError)) this.log.error(`re-checking ${o.id} failed inside Kith, so it is not served: ${reasonOf(e)}`);
      return false;
    }
  }

  /** Who a forum object is by: the hosted account its node's key signed it for, else its signer. */
  forumAuthorOf(o: { owner: Did; signer: Did; id: ApId; created: number; n: number }): Did {
    return o.signer === o.owner ? o.signer : forumAuthorOf(this.store, o, this.maxDepth);
  }

  /**
   * May this checkpoint's signer speak for its actor? The actor's own key
   * may; another key needs the same publishing chain an object it signed
   * would need, judged as arriving now: a key revoked by now is refused
   * whatever date the checkpoint claims. Throws the refusal.
   */
  authorizeCheckpoint(cp: Checkpoint): void {
    this.checkNotBlocked(cp.actor);
    this.checkTime(cp.published);
    if (cp.signer !== cp.actor) this.authorize(cp.signer, cp.actor, cp.id, cp.published, ARRIVING);
  }

  /**
   * A key other than the owner's may sign only with a valid chain from the
   * owner granting `publish` at the object's time. A revocation of a link
   * voids what the link signed at or after its cut-off; and since a revoked
   * key can claim any time, it also voids everything that reached this node
   * after the revocation did (a row after the revocation's, or ARRIVING),
   * whatever time it claims. What was stored before it, and claims a time
   * before its cut-off, stays.
   */
  private authorize(signer: Did, owner: Did, id: ApId, created: number, row: number): void {
    // A forum's objects each need the capability their path names (core/forum.ts); anything else, `publish`.
    const forumCapability = forumCapabilityOf(id);
    const verdicts = this.store.authority.verdictsFor(signer, owner, forumCapability ?? PUBLISH, this.maxDepth, created);
    if (verdicts.length === 0 && forumCapability !== undefined) {
      // A hosted account's node key, acting for the member under its publish certificate.
      const action = { signer, forum: owner, capability: forumCapability, id, created, row, maxDepth: this.maxDepth };
      if (authorizeForAccount(this.store, action) !== undefined) return;
    }
    if (verdicts.length === 0) fail('wrong-key', `signed by ${signer}, which holds no certificate from ${owner}`);
    checkVerdicts(verdicts, id, created, row);
    if (forumCapability !== undefined) {
      const refusal = forumRefusesSigner(this.store, owner, signer, created, row);
      if (refusal !== undefined) throw refusal;
    }
  }

  private admitCertificate(doc: JsonObject, pending: PendingCertificates | undefined): Admitted {
    const key = `${String(doc.issuer)} ${String(doc.subject)}`;
    const now = this.now();
    this.checkCertificateCap(doc, now, pending?.get(key));
    const cert = parseCertificate(doc);
    // Only one still valid counts against the cap, in the batch as in the store.
    if (pending !== undefined && cert.expires > now && !this.store.authority.hasCertificate(cert.digest)) {
      const inBatch: BatchCertificates = pending.get(key) ?? { digests: new Set(), ids: new Set() };
      inBatch.digests.add(cert.digest);
      inBatch.ids.add(cert.id);
      pending.set(key, inBatch);
    }
    // A certificate lives with what it grants over: a moderator's grant to a member travels with the forum.
    const scope = outboxId(parseApId(cert.resource).did);
    return { record: this.authorityRecord(cert.doc, cert.digest, cert.issuer, cert.notBefore, scope), certificate: cert };
  }

  /**
   * A key holds at most CERTIFICATES_PER_ISSUER_AND_SUBJECT unexpired
   * certificates from one issuer: a flood of concurrently valid ones is
   * refused, while renewals go on for as long as the issuer renews (a forum
   * member's weekly certificate, a hosted account's monthly one), since each
   * stops counting when it expires. Past the cap a new one is refused rather
   * than an old one replaced or dropped: an expired certificate still proves
   * what its key signed while it held, so it stays. One that arrives already
   * expired (history a sync brings) never counts. Checked first, on the
   * fields as they came, so a flood past the cap costs two index lookups a
   * certificate, not a signature check: only a copy of one already held
   * passes, and a copy has the same id, so only then is it worth hashing.
   */
  private checkCertificateCap(doc: JsonObject, now: number, inBatch: BatchCertificates | undefined): void {
    const { issuer, subject, id, expires } = doc;
    if (typeof issuer !== 'string' || typeof subject !== 'string') return;
    if (typeof expires === 'string' && Date.parse(expires) <= now) return;
    const cap = CERTIFICATES_PER_ISSUER_AND_SUBJECT;
    if (this.store.authority.issued(issuer as Did, subject as Did, now, cap) + (inBatch?.digests.size ?? 0) < cap) return;
    if (typeof id === 'string' && (inBatch?.ids.has(id) || this.store.objects.byId(id as ApId) !== undefined)) {
      const digest = digestOf(doc);
      if (inBatch?.digests.has(digest) || this.store.authority.hasCertificate(digest)) return;
    }
    fail(
      'conflict',
      `${issuer.slice(0, 80)} already holds ${cap} unexpired certificates for ${subject.slice(0, 80)}; a key may hold at most ${cap} certificates from one issuer that have not expired, so this one is not kept (renewals go on as older ones expire)`,
    );
  }

  private admitRevocation(doc: JsonObject): Admitted {
    const rev = parseRevocation(doc);
    return { record: this.authorityRecord(rev.doc, rev.digest, rev.issuer, rev.from), revocation: rev };
  }

  private authorityRecord(doc: Readonly<JsonObject>, digest: Digest, issuer: Did, created: number, scope = outboxId(issuer)): ObjectRecord {
    const body = canonicalize(doc);
    checkCanonicalSize(body, this.limits);
    return {
      digest,
      id: doc.id as ApId,
      owner: issuer,
      signer: issuer,
      type: doc.type as string,
      scope,
      created,
      body,
      embedded: [],
      links: [],
    };
  }

  private write(a: Admitted): Ingested {
    const n = this.store.objects.insert(a.record, this.now());
    if (n !== undefined && a.record.activity) {
      this.store.interactions.index(n, a.record);
      // Only an object stored before URNs were checked at ingest can link one that does not parse; nothing was pinned for it.
      for (const link of this.store.tombstones.bury(a.record).unreadable)
        this.log.warn(`deleted ${a.record.activity.target}, which linked media that cannot be read: ${link}`);
    }
    if (n !== undefined && a.certificate) this.store.authority.addCertificate(n, a.certificate);
    if (n !== undefined && a.revocation) {
      this.store.authority.addRevocation(n, a.revocation);
      this.store.accountVouches.changed();
    }
    if (n !== undefined && a.account !== undefined) this.store.accountVouches.noteActor(a.record.owner, a.account ?? undefined, a.record.created);
    if (n !== undefined && a.forumAct) {
      const { forum, kind, about } = a.forumAct;
      this.store.forums.addAct(n, forum, kind, about, a.record.signer, a.record.created);
    }
    const { digest, id, type, owner, created } = a.record;
    return { status: n !== undefined ? 'stored' : 'duplicate', digest, id, type, owner, created };
  }

  private refused(e: unknown): KithError {
    const err = asRefusal(e);
    this.store.refusals.record(err.code, err.message, this.now());
    return err;
  }
}

/** The ids an examined object could be refused under as deleted (none for authority documents, which are revoked instead). */
function idsOf(e: Examined): readonly ApId[] {
  return e.kind === 'object' ? [e.record.id, ...e.record.embedded] : [];
}

/** Every check throws a KithError for bad input; anything else is our bug, not the sender's fault. */
function asRefusal(e: unknown): KithError {
  return e instanceof KithError ? e : new KithError('internal', `refused after an unexpected failure inside Kith: ${(e as Error).message}`);
}
