import { KithError, fail } from '../core/errors.js';
import { ClientThrottle } from './client-throttle.js';
import { INBOX } from '../core/constants.js';
import { recipientsOf } from '../core/inbox-address.js';
import { KeyAgreement } from './key-agreement.js';
import { checkEnvelope, maxDeliveryBytes, openDelivery, unwrapDelivery, type HeldEnvelope } from '../core/inbox-seal.js';
import { checkCarried } from '../core/carried-documents.js';
import { examine } from '../core/examine.js';
import { sha256Hex } from '../core/bytes.js';
import { parseJsonLimited } from '../core/limits.js';
import { apIdParts } from '../core/apid.js';
import { isJsonObject, type Did, type Json, type JsonObject } from '../core/types.js';
import type { Ingested } from '../store/ingest.js';
import type { KithNode } from './kith-node.js';
import { checkFollowAnswer, isFollowAnswerType } from './follow-answers.js';

/**
 * What a node takes in through its inbox, whoever carried it: activities
 * addressed to its owner (checked like everything else, then stored through
 * ingest, so replies and mentions are indexed and notified), and sealed
 * deliveries it holds for people whose scope it keeps. Each refusal is a
 * KithError with its code, counted among the store's refusals, and changes
 * nothing stored. No network here: the protocol (inbox-protocol.ts) and
 * in-process callers share these rules.
 */

export type DeliveryStatus = Ingested['status'];

/** Largest sealed delivery a holder keeps: an object at the ingest limit with what it carries, plus the AEAD tag. */
function maxSealedBytes(node: KithNode): number {
  return maxDeliveryBytes(node.ingestor.limits) + 16;
}

/** Counts per key in one-minute windows, bounded in how many keys it remembers. */
export class WindowCounter {
  private readonly counts = new Map<string, { window: number; count: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys: number,
    private readonly now: () => number = Date.now,
  ) {}

  current(key: string): number {
    const c = this.counts.get(key);
    return c !== undefined && c.window === this.window() ? c.count : 0;
  }

  add(key: string): number {
    const window = this.window();
    const c = this.counts.get(key);
    if (c === undefined && this.counts.size >= this.maxKeys) {
      // Forget keys not counted this window, so a swarm of fresh keys cannot grow this without bound.
      for (const [k, v] of this.counts) if (v.window !== window) this.counts.delete(k);
    }
    const count = c !== undefined && c.window === window ? c.count + 1 : 1;
    this.counts.set(key, { window, count });
    return count;
  }

  private window(): number {
    return Math.floor(this.now() / this.windowMs);
  }
}

const MINUTE_MS = 60_000;

export class InboxIntake {
  /**
   * Deliveries stored (or held) per sender over the last minute: a sliding
   * window, so a sender cannot double its rate across a minute's boundary.
   */
  private readonly bySender: ClientThrottle;

  constructor(
    private readonly node: KithNode,
    private readonly now: () => number = Date.now,
    private readonly perSenderPerMinute: number = INBOX.PER_SENDER_PER_MINUTE,
  ) {
    this.bySender = new ClientThrottle(perSenderPerMinute, MINUTE_MS, INBOX.MAX_COUNTED);
  }

  /**
   * Takes in an activity delivered to the owner: 'stored', or 'duplicate'
   * when it is here already. Refused (nothing stored): blocked (its author
   * is blocked), not-addressed (it names nobody here), rate-limited (its
   * author sent too many this minute), not-found or wrong-key (an Accept or
   * Reject of no Follow of the owner's, or not by its followee), and whatever ingest refuses. `counted`
   * false for deliveries a holder kept (the holder's per-sender cap bounded them).
   * `carried`: the documents the delivery carries to check it by (its
   * sender's actor, the certificates of a device key; core/carried-documents.ts),
   * taken in first; one that is not the sender's own refuses the whole
   * delivery (wrong-key), and nothing of it is stored.
   */
  receive(input: string | Uint8Array | Json, opts: { counted?: boolean; sender?: Did; carried?: Json | undefined } = {}): Ingested {
    try {
      return this.admit(input, opts.counted ?? true, opts.sender, opts.carried);
    } catch (e) {
      throw this.refused(e);
    }
  }

  /**
   * As receive, and also takes in the types a part of the node keeps out of
   * the scopes (KithNode.inboxTypes: direct messages), which may need to
   * wait (opening a sealed key). What the network and held deliveries use.
   */
  async take(input: string | Uint8Array | Json, opts: { counted?: boolean; sender?: Did; carried?: Json | undefined } = {}): Promise<Ingested> {
    let doc: Json;
    let own: ((doc: JsonObject) => Promise<Ingested>) | undefined;
    try {
      doc = typeof input === 'string' || input instanceof Uint8Array ? parseJsonLimited(input, this.node.ingestor.limits) : input;
      own = isJsonObject(doc) && typeof doc.type === 'string' ? this.node.inboxTypes.get(doc.type) : undefined;
    } catch (e) {
      throw this.refused(e);
    }
    if (own === undefined) return this.receive(doc, opts);
    const counted = opts.counted ?? true;
    try {
      const author = this.precheck(doc, counted, opts.sender, opts.carried);
      const r = await own(doc as JsonObject);
      if (r.status === 'stored' && counted) this.bySender.take(author, this.now());
      return r;
    } catch (e) {
      throw this.refused(e);
    }
  }

  private admit(input: string | Uint8Array | Json, counted: boolean, sender: Did | undefined, carried: Json | undefined): Ingested {
    const doc = typeof input === 'string' || input instanceof Uint8Array ? parseJsonLimited(input, this.node.ingestor.limits) : input;
    const author = this.precheck(doc, counted, sender, carried);
    let r: Ingested;
    try {
      const activity = doc as JsonObject; // precheck saw an object
      const unscoped = typeof activity.type === 'string' ? this.node.unscoped.get(activity.type) : undefined;
      r = unscoped !== undefined ? unscoped(activity) : this.node.ingest(activity);
    } catch (e) {
      if (e instanceof KithError) ingestCounted.add(e);
      throw e;
    }
    if (r.status === 'stored' && counted) this.bySender.take(author, this.now());
    return r;
  }

  /** What every delivery must pass before it is taken in: its author and addressing, the rate, what it carries. Returns its author. */
  private precheck(doc: Json, counted: boolean, sender: Did | undefined, carried: Json | undefined): Did {
    if (!isJsonObject(doc)) fail('malformed', 'a delivery is one signed activity, a JSON object');
    // Cheap checks first, on what the activity claims; ingest then proves the claim (a forged author is refused there).
    const author = apIdParts(doc.id).did;
    if (sender !== undefined && author !== sender) fail('wrong-key', `a delivery sealed by ${sender} carries an activity of ${author}`);
    if (this.node.store.blockedPeople.has(author)) fail('blocked', `${author} is blocked on this node; nothing of theirs is taken in`);
    // A forum whose root this node holds takes its join requests here too.
    if (!recipientsOf(doc).some((d) => this.node.answersFor(d))) {
      fail(
        'not-addressed',
        `this activity does not address ${this.node.did} (by to/cc, a mention, a reply to their post, or acting on their object), so this node does not take it in`,
      );
    }
    // An answer to a Follow must answer one of the owner's, and come from its followee (follow-answers.ts).
    if (isFollowAnswerType(doc.type)) checkFollowAnswer(this.node.store, this.node.did, doc);
    if (counted && this.bySender.left(author, this.now()) <= 0) {
      fail('rate-limited', `${author} has delivered ${this.perSenderPerMinute} activities here this minute; try again in a minute`);
    }
    if (carried !== undefined) this.takeCarried(doc, author, carried);
    return author;
  }

  /**
   * Checks what a delivery carries (all of it, before storing any), then
   * takes it in: certificates and revocations, then the actor. What passes
   * stays even if the activity is then refused on its own account (a time
   * in the future, a revoked key): each is the sender's own and valid, as a
   * sync of their scope would bring it.
   */
  private takeCarried(activity: JsonObject, author: Did, carried: Json): void {
    const limits = this.node.ingestor.limits;
    const e = examine(activity, limits);
    if (e.kind !== 'object') fail('malformed', 'a delivery carries an activity, not a certificate or revocation');
    const docs = checkCarried(carried, { owner: author, signer: e.record.signer }, limits);
    for (const r of docs.length === 0 ? [] : this.node.ingestor.ingestExamined(docs)) {
      if (r instanceof KithError) {
        ingestCounted.add(r);
        throw r;
      }
    }
  }

  /**
   * Keeps a sealed delivery for a person whose scope this node keeps:
   * 'held', or 'duplicate' when the same sealed bytes are here. Refused:
   * malformed or bad-signature (the envelope), not-found (this node does not
   * keep the recipient's scope), blocked (the sender is blocked here),
   * rate-limited (the sender's rate, or a cap reached).
   */
  hold(envelope: Json): 'held' | 'duplicate' {
    try {
      return this.keep(envelope);
    } catch (e) {
      throw this.refused(e);
    }
  }

  private keep(envelope: Json): 'held' | 'duplicate' {
    const e = checkEnvelope(envelope, maxSealedBytes(this.node));
    const now = this.now();
    if (e.recipient === this.node.did) fail('conflict', 'this is the recipient\u2019s own node: deliver the activity itself, not a sealed copy');
    if (this.node.store.follows.get(e.recipient) === undefined)
      fail('not-found', `this node does not keep ${e.recipient}'s scope, so it holds nothing for them`);
    if (this.node.store.blockedPeople.has(e.sender)) fail('blocked', `${e.sender} is blocked on this node; nothing of theirs is held`);
    if (e.created > now + INBOX.HELD_CLOCK_SKEW_MS)
      fail('not-yet-valid', `the held delivery claims a time in the future (${new Date(e.created).toISOString()})`);
    if (e.created < now - INBOX.HELD_EXPIRY_MS) fail('expired', 'the held delivery is older than holders keep anything');
    if (this.bySender.left(e.sender, now) <= 0) {
      fail('rate-limited', `${e.sender} has left ${this.perSenderPerMinute} deliveries here this minute; try again in a minute`);
    }
    const body = JSON.stringify(e);
    const r = this.node.store.held.hold(
      { recipient: e.recipient, sender: e.sender, created: e.created, hash: sha256Hex(`${e.enc}.${e.ct}`), envelope: body },
      { perRecipient: INBOX.HELD_PER_RECIPIENT, perSender: INBOX.HELD_PER_SENDER },
      now,
    );
    if (r === 'recipient-full')
      fail('rate-limited', `this node already holds ${INBOX.HELD_PER_RECIPIENT} deliveries for ${e.recipient}; try again once they have claimed them`);
    if (r === 'sender-full') fail('rate-limited', `this node already holds ${INBOX.HELD_PER_SENDER} deliveries from ${e.sender}`);
    if (r === 'held') this.bySender.take(e.sender, now);
    return r;
  }

  /** Opens a delivery a holder kept for the owner and takes it in like any other (its author must be its sender). */
  async openHeld(envelope: Json): Promise<Ingested> {
    let e: HeldEnvelope;
    let bytes: Uint8Array;
    try {
      e = checkEnvelope(envelope, maxSealedBytes(this.node));
      if (e.recipient !== this.node.did) fail('not-addressed', `the held delivery is for ${e.recipient}, not for this node's ${this.node.did}`);
      const secret = e.key === undefined ? this.node.keyAgreementSecret() : new KeyAgreement(this.node).secretFor(e.key);
      if (secret === undefined) fail('not-found', `the held delivery from ${e.sender} is sealed to ${e.key}, whose private half this node has erased`);
      bytes = await openDelivery(e, secret);
    } catch (err) {
      throw this.refused(err);
    }
    let opened: ReturnType<typeof unwrapDelivery>;
    try {
      opened = unwrapDelivery(bytes, this.node.ingestor.limits);
    } catch (err) {
      throw this.refused(err);
    }
    return this.take(opened.activity, { counted: false, sender: e.sender, carried: opened.carried });
  }

  /** Drops held deliveries nobody claimed in time; returns how many. */
  expireHeld(): number {
    return this.node.store.held.expire(this.now() - INBOX.HELD_EXPIRY_MS);
  }

  private refused(e: unknown): KithError {
    const err =
      e instanceof KithError ? e : new KithError('internal', `refused after an unexpected failure inside Kith: ${(e as Error)?.message ?? String(e)}`);
    // Ingest counts its own refusals; these are the inbox's.
    if (!ingestCounted.has(err)) this.node.store.refusals.record(err.code, err.message, this.now());
    return err;
  }
}

/** Refusals ingest already counted (it records every refusal it throws), so they are not counted twice. */
const ingestCounted = new WeakSet<KithError>();
