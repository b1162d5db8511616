import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import type { PeerId } from '@libp2p/interface';
import { reasonOf, type Logger } from '../core/log.js';
import { backoffDelay } from '../core/backoff.js';
import { INBOX } from '../core/constants.js';
import { actorId, apIdParts, isApId, outboxId } from '../core/apid.js';
import { KeyAgreement } from './key-agreement.js';
import { deliveryBytes, sealDelivery, type HeldEnvelope } from '../core/inbox-seal.js';
import { isJsonObject, type Did, type Digest, type JsonObject } from '../core/types.js';
import type { OutgoingRow } from '../store/inbox.js';
import { parseBody } from '../store/objects.js';
import type { KithHost } from '../net/host.js';
import type { KithNode } from './kith-node.js';
import type { Discovery } from './discovery.js';
import type { InboxProtocol } from './inbox-protocol.js';
import { short } from './network-log.js';
import { carriedFor } from './inbox-carried.js';

/**
 * Deliveries going out, from the queue in the store (store/inbox.ts), so
 * they survive a restart. For each activity and recipient: first the
 * recipient's own node (the addresses their actor document lists, the peers
 * that said they were theirs); when none answers, the activity is sealed to
 * the recipient and left with peers that keep their scope (those this node
 * synced it with, then whoever the DHT names). Neither works: it waits,
 * longer after each failure (core/backoff.ts), and is tried again as soon as
 * the recipient's node is met.
 */

/** How one delivery ended (for now): what `service.inbox.deliver` answers per recipient. */
export type DeliveryOutcome =
  | { readonly recipient: Did; readonly status: 'delivered'; readonly duplicate: boolean }
  | { readonly recipient: Did; readonly status: 'held'; readonly holders: number }
  /** Not reached yet: it stays queued and is tried again. */
  | { readonly recipient: Did; readonly status: 'queued'; readonly reason: string }
  /** Refused for good by the recipient's node (blocked, not addressed…): dropped from the queue. */
  | { readonly recipient: Did; readonly status: 'failed'; readonly code: string; readonly reason: string };

interface Candidate {
  readonly peer: PeerId | undefined;
  readonly addrs: Multiaddr[];
}

/** Refusals that may pass: the same delivery later can succeed. */
const TRANSIENT = new Set(['rate-limited', 'timeout', 'io', 'internal', 'storage-full', 'not-found']);

export class DeliveryQueue {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<number, Promise<DeliveryOutcome>>();
  private stopped = false;

  constructor(
    private readonly node: KithNode,
    private readonly host: KithHost,
    private readonly log: Logger,
    private readonly discovery: Discovery,
    private readonly inbox: InboxProtocol,
  ) {}

  start(): void {
    this.soon(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** A person's node (or a holder of theirs) is in reach: what waits for them goes now. */
  wake(recipient: Did): void {
    if (this.node.store.outgoing.wake(recipient) > 0) this.soon(0);
  }

  /** Tries these queued deliveries now (sharing a try already running) and answers how each went. */
  attempt(rows: readonly OutgoingRow[]): Promise<DeliveryOutcome[]> {
    return Promise.all(rows.map((r) => this.tryRow(r)));
  }

  private soon(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.runDue(), Math.max(0, delayMs));
    this.timer.unref();
  }

  /** Tries whatever is due, a few at a time, then sleeps until the next is. Never throws (it runs from timers). */
  private async runDue(): Promise<void> {
    let ran: number;
    try {
      const now = Date.now();
      const due = this.node.store.outgoing.due(now, INBOX.CONCURRENCY * 8).filter((r) => !this.inFlight.has(r.n));
      ran = due.length;
      const worker = async (): Promise<void> => {
        for (let r = due.shift(); r !== undefined && !this.stopped; r = due.shift()) await this.tryRow(r);
      };
      await Promise.all(Array.from({ length: INBOX.CONCURRENCY }, worker));
    } catch (e) {
      // A store that cannot record how a try went (a full disk) is given a moment, not a loop.
      ran = 0;
      if (!this.stopped) this.log.warn(`inbox: sending waiting deliveries failed: ${reasonOf(e)}`);
    }
    const next = this.node.store.outgoing.nextDue();
    if (next === undefined || this.stopped) return;
    // What is due but already being tried (by attempt()) is settled by that try: wait for it rather than spin.
    this.soon(ran > 0 ? next - Date.now() : Math.max(next - Date.now(), INBOX.RETRY_MIN_MS));
  }

  private tryRow(row: OutgoingRow): Promise<DeliveryOutcome> {
    const running = this.inFlight.get(row.n);
    if (running) return running;
    const p = this.send(row).finally(() => this.inFlight.delete(row.n));
    this.inFlight.set(row.n, p);
    return p;
  }

  /** One try of one delivery; the queue row is settled by how it went. */
  private async send(row: OutgoingRow): Promise<DeliveryOutcome> {
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.reach(row);
    } catch (e) {
      outcome = { recipient: row.recipient, status: 'queued', reason: reasonOf(e) };
    }
    const outgoing = this.node.store.outgoing;
    if (outcome.status !== 'queued') {
      outgoing.done(row.n);
      const what = outcome.status === 'failed' ? `refused (${outcome.reason})` : outcome.status === 'held' ? `held by ${outcome.holders} peer(s)` : 'delivered';
      this.log.info(`inbox: delivery to ${short(row.recipient)} ${what}`);
    } else if (Date.now() - row.queued > INBOX.QUEUE_EXPIRY_MS) {
      outgoing.done(row.n);
      this.log.warn(`inbox: gave up delivering to ${row.recipient} after ${row.attempts + 1} tries: ${outcome.reason}`);
    } else {
      const wait = backoffDelay(row.attempts + 1, INBOX.RETRY_MIN_MS, INBOX.RETRY_MAX_MS);
      outgoing.retryAt(row.n, Date.now() + wait, outcome.reason);
      this.log.info(`inbox: delivery to ${short(row.recipient)} waits ${Math.round(wait / 1000)} s: ${outcome.reason}`);
    }
    return outcome;
  }

  private async reach(row: OutgoingRow): Promise<DeliveryOutcome> {
    const recipient = row.recipient;
    const activity = JSON.parse(row.body) as JsonObject;
    // A recipient that does not follow the owner may lack their actor (their name) and a device key's certificates.
    const carried = carriedFor(this.node, row.digest as Digest, this.log);
    const ownersOwn = isApId(activity.id) && apIdParts(activity.id).did === this.node.did;
    const tried = new Set<string>([this.host.peerId.toString()]);
    let lastReason = `no address of ${recipient}'s node is known, and nobody keeping their scope was found`;
    let envelope: HeldEnvelope | undefined;
    let holders = 0;
    /** Delivers at one peer; when it is not the recipient's node and `hold`, leaves the sealed delivery with it. */
    const tryPeer = async (c: Candidate, hold: boolean): Promise<DeliveryOutcome | undefined> => {
      const peer = await this.connect(c);
      if (peer === undefined) {
        lastReason = `${c.peer ? short(c.peer.toString()) : String(c.addrs[0])} could not be reached`;
        return undefined;
      }
      if (tried.has(peer.toString())) return undefined;
      tried.add(peer.toString());
      try {
        const a = await this.inbox.deliver(peer, recipient, activity, carried);
        if (a.ok) return { recipient, status: 'delivered', duplicate: a.status === 'duplicate' };
        if (a.code !== 'not-found') {
          if (!TRANSIENT.has(a.code)) return { recipient, status: 'failed', code: a.code, reason: a.message };
          lastReason = `${short(peer.toString())} answered ${a.code}: ${a.message}`;
          return undefined;
        }
        // A sealed delivery names this node's owner as its sender: a hosted account's waits for the recipient's own node instead.
        if (!hold || !ownersOwn) return undefined;
        envelope ??= await this.seal(row, carried);
        const h = await this.inbox.hold(peer, envelope);
        if (h.ok) holders++;
        else lastReason = `${short(peer.toString())} would not hold it: ${h.message}`;
      } catch (e) {
        lastReason = `${short(peer.toString())} did not answer: ${reasonOf(e)}`;
      }
      return undefined;
    };
    // Their own node first.
    for (const c of this.homeCandidates(recipient)) {
      const done = await tryPeer(c, false);
      if (done) return done;
    }
    // Then peers that keep their scope: one that turns out to be their node takes it, the others hold it sealed.
    const tryHolders = async (candidates: readonly Candidate[]): Promise<DeliveryOutcome | undefined> => {
      for (const c of candidates) {
        if (holders >= INBOX.HOLDERS_PER_DELIVERY) return undefined;
        const done = await tryPeer(c, true);
        if (done) return done;
      }
      return undefined;
    };
    const known = await tryHolders(this.knownHolders(recipient));
    if (known) return known;
    if (holders === 0 && this.host.getPeers().length > 0) {
      const found = await this.discovery.findScopeHolders(outboxId(recipient), INBOX.DHT_FIND_TIMEOUT_MS);
      const done = await tryHolders(found.map((peer) => ({ peer, addrs: [] })));
      if (done) return done;
    }
    if (holders > 0) return { recipient, status: 'held', holders };
    return { recipient, status: 'queued', reason: lastReason };
  }

  private seal(row: OutgoingRow, carried: readonly JsonObject[]): Promise<HeldEnvelope> {
    // Their published key when this store holds their actor; the did:key's key otherwise.
    const to = new KeyAgreement(this.node).recipientKey(row.recipient);
    return sealDelivery(
      deliveryBytes(row.body, carried),
      { recipient: row.recipient, sender: this.node.did, created: Date.now() },
      (m) => this.node.signBytes(m),
      to.keyId === row.recipient ? undefined : to,
    );
  }

  /** Dials a candidate (by peer id, with its addresses; or by address); the peer reached, or undefined. */
  private async connect(c: Candidate): Promise<PeerId | undefined> {
    try {
      if (c.peer !== undefined) {
        if (this.host.getConnections(c.peer).length > 0) return c.peer;
        if (c.addrs.length > 0) await this.host.peerStore.merge(c.peer, { multiaddrs: c.addrs });
        return (await this.host.dial(c.peer, { signal: AbortSignal.timeout(INBOX.DIAL_TIMEOUT_MS) })).remotePeer;
      }
      return (await this.host.dial(c.addrs[0]!, { signal: AbortSignal.timeout(INBOX.DIAL_TIMEOUT_MS) })).remotePeer;
    } catch (e) {
      this.log.debug(`inbox: could not reach ${c.peer?.toString() ?? c.addrs[0]?.toString()}: ${reasonOf(e)}`);
      return undefined;
    }
  }

  /** Where the recipient's own node may be: the address this node followed them by, peers that said they were it, the addresses their actor document lists. */
  private homeCandidates(did: Did): Candidate[] {
    const byKey = new Map<string, Candidate>();
    const add = (addr: string, peerHint?: string): void => {
      let ma: Multiaddr;
      let peer: PeerId | undefined;
      try {
        ma = multiaddr(addr);
        const id = ma.getComponents().find((x) => x.name === 'p2p')?.value ?? peerHint;
        peer = id === undefined ? undefined : peerIdFromString(id);
      } catch (e) {
        this.log.debug(`inbox: ignoring the address ${addr.slice(0, 100)} known for ${short(did)}: ${reasonOf(e)}`);
        return;
      }
      const key = peer?.toString() ?? ma.toString();
      const entry = byKey.get(key) ?? { peer, addrs: [] };
      if (!entry.addrs.some((a) => a.equals(ma))) entry.addrs.push(ma);
      byKey.set(key, entry);
    };
    const hint = this.node.store.follows.get(did)?.hint;
    if (hint !== undefined && hint !== null) add(hint);
    for (const p of this.node.store.peers.holdersOf(did, outboxId(did), INBOX.CANDIDATES_PER_ATTEMPT)) {
      if (p.did === did) for (const a of p.addrs) add(a, p.peerId);
    }
    for (const a of this.advertised(did)) add(a);
    return [...byKey.values()].slice(0, INBOX.CANDIDATES_PER_ATTEMPT);
  }

  /** Peers this node knows keep the recipient's scope (a sync of it completed with them), connected ones first. */
  private knownHolders(did: Did): Candidate[] {
    const out: Candidate[] = [];
    for (const p of this.node.store.peers.holdersOf(did, outboxId(did), INBOX.CANDIDATES_PER_ATTEMPT)) {
      if (p.did === did) continue;
      try {
        const addrs: Multiaddr[] = [];
        for (const a of p.addrs) addrs.push(multiaddr(a));
        out.push({ peer: peerIdFromString(p.peerId), addrs });
      } catch (e) {
        this.log.debug(`inbox: ignoring what is known of ${p.peerId.slice(0, 60)}: ${reasonOf(e)}`);
      }
    }
    const connected = (c: Candidate): number => (c.peer !== undefined && this.host.getConnections(c.peer).length > 0 ? 0 : 1);
    return out.sort((a, b) => connected(a) - connected(b));
  }

  /** The peer addresses the recipient's newest stored actor document lists. */
  private advertised(did: Did): string[] {
    const stored = this.node.store.objects.byId(actorId(did));
    if (stored === undefined) return [];
    const actor = parseBody(stored);
    const peers = isJsonObject(actor.endpoints) ? actor.endpoints.kithPeers : undefined;
    return Array.isArray(peers) ? peers.filter((a): a is string => typeof a === 'string').slice(0, INBOX.CANDIDATES_PER_ATTEMPT) : [];
  }
}
