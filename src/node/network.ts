import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Connection, PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { fail } from '../core/errors.js';
import { reasonOf, silentLogger, type Logger } from '../core/log.js';
import { BOOTSTRAP_RETRY_MS, INBOX, RESYNC_INTERVAL_MS } from '../core/constants.js';
import { didOf, outboxId } from '../core/apid.js';
import { parseDid } from '../core/didkey.js';
import type { Did, Digest, JsonObject } from '../core/types.js';
import { createHost, startBootstrap, type KithHost } from '../net/host.js';
import { loadOrCreateNodeKey } from '../net/node-key.js';
import type { SyncLimits } from '../net/sync.js';
import type { Ingested } from '../store/ingest.js';
import type { KithNode } from './kith-node.js';
import { Discovery } from './discovery.js';
import { LivePush } from './live-push.js';
import { MediaFetch, linkedContent } from './media-fetch.js';
import { PeerDiscipline } from './peer-discipline.js';
import { Replication, type ScopeSyncProgress, type SyncSummary } from './replication.js';
import { Redial } from './redial.js';
import { nodeStatus, type NodeStatus } from './node-status.js';
import { InboxIntake } from './inbox-intake.js';
import { INBOX_PROTOCOL, InboxProtocol } from './inbox-protocol.js';
import { DeliveryQueue } from './inbox-outgoing.js';
import { InboxContact } from './inbox-contact.js';

/**
 * The node on the network: a libp2p host and the parts that run Kith on it,
 * composed here and nowhere else. Each part has one job:
 * - Replication: serving and pulling scopes by set reconciliation;
 * - LivePush: a gossip topic per scope, every message checked before it spreads;
 * - Discovery: the DHT (who keeps what) and asking an address whose node it is;
 * - MediaFetch: serving, fetching and keeping ERIS content;
 * - PeerDiscipline: rates, bans, and the record of both;
 * - Redial: finding the way back to followed scopes after a restart or a lost connection;
 * - InboxProtocol, DeliveryQueue, InboxContact: activities addressed to a person, to their node or held for it.
 */

export { ACTOR_PROTOCOL } from './discovery.js';
export { topicOf } from './live-push.js';
export type { ScopeSyncProgress, SyncSummary } from './replication.js';
export type { NodeStatus } from './node-status.js';

export interface NetworkOptions {
  readonly listenHost?: string;
  readonly tcpPort?: number;
  readonly wsPort?: number;
  readonly bootstrap?: readonly string[];
  readonly mdns?: boolean;
  readonly publicRelay?: boolean;
  /** Look for relays to be reachable through (off in tests, which stay on loopback). */
  readonly relayListen?: boolean;
  readonly announce?: readonly string[];
  /** How often followed scopes are re-synced with connected peers. */
  readonly resyncMs?: number;
  readonly syncLimits?: SyncLimits;
  /** Silent unless given. */
  readonly log?: Logger;
}

/** What a Network tells its listeners. */
export interface NetworkEvents {
  /** An object arrived by live push and was stored. */
  object: [Ingested];
  /** A scope was pulled from a peer (or the attempt failed). */
  synced: [SyncSummary];
  'sync-progress': [ScopeSyncProgress];
}

export class Network extends EventEmitter<NetworkEvents> {
  private readonly discipline: PeerDiscipline;
  private readonly discovery: Discovery;
  private readonly media: MediaFetch;
  private readonly replication: Replication;
  private readonly live: LivePush;
  private readonly redial: Redial;
  readonly inbox: InboxProtocol;
  readonly deliveries: DeliveryQueue;
  private readonly inboxContact: InboxContact;
  private resyncTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly node: KithNode,
    readonly host: KithHost,
    private readonly log: Logger,
    opts: NetworkOptions,
  ) {
    super();
    this.discipline = new PeerDiscipline(host, node.store.peers, log, node.config.maxSyncsPerMinute);
    this.discovery = new Discovery(node, host, log);
    this.media = new MediaFetch(node, host, log, this.discipline, this.discovery);
    this.replication = new Replication(node, host, log, opts.syncLimits ?? node.config.sync, this.discipline, this.discovery, {
      synced: (s) => {
        this.redial.noteHolder(peerIdFromString(s.peer));
        this.emit('synced', s);
      },
      progress: (p) => this.emit('sync-progress', p),
      stored: (owner, body) => this.media.keep(owner, body),
    });
    this.redial = new Redial(node, host, log, this.discovery, this.replication);
    this.inbox = new InboxProtocol(node, host, log, new InboxIntake(node), this.discipline);
    this.deliveries = new DeliveryQueue(node, host, log, this.discovery, this.inbox);
    this.inboxContact = new InboxContact(node, host, log, this.discovery, this.inbox, this.deliveries);
    this.live = new LivePush(node, host, log, {
      arrived: (r, body) => {
        this.emit('object', r);
        this.media.keep(r.owner, body);
      },
    });
  }

  static async start(node: KithNode, opts: NetworkOptions = {}): Promise<Network> {
    const log = opts.log ?? silentLogger;
    const host = await createHost({
      privateKey: await loadOrCreateNodeKey(join(node.home.root, 'node.key')),
      listenHost: opts.listenHost ?? '0.0.0.0',
      tcpPort: opts.tcpPort ?? 0,
      ...(opts.wsPort !== undefined ? { wsPort: opts.wsPort } : {}),
      ...(opts.announce !== undefined ? { announce: [...opts.announce] } : {}),
      bootstrap: [],
      mdns: opts.mdns ?? true,
      publicRelay: opts.publicRelay ?? false,
      relayListen: opts.relayListen ?? !(opts.publicRelay ?? false),
      log: log,
    });
    const net = new Network(node, host, log, opts);
    await net.wire();
    // Dialled once the protocols are in place, so the first sync on contact finds them; redialled when lost.
    if (opts.bootstrap && opts.bootstrap.length > 0) await startBootstrap(host, [...opts.bootstrap], BOOTSTRAP_RETRY_MS, log);
    node.publishEndpoints(net.addresses());
    // No bootstrap, no mDNS: what the store remembers of where followed scopes are is the way back.
    net.redial.start();
    net.deliveries.start();
    net.resyncTimer = setInterval(() => void net.resync(), opts.resyncMs ?? RESYNC_INTERVAL_MS);
    net.resyncTimer.unref();
    return net;
  }

  private async wire(): Promise<void> {
    await this.replication.start();
    await this.discovery.start();
    await this.media.start();
    await this.inbox.start();
    this.live.start();
    this.host.addEventListener('peer:connect', (evt) => this.log.info(`connected to ${evt.detail.toString()}`));
    this.host.addEventListener('peer:disconnect', (evt) => this.log.info(`disconnected from ${evt.detail.toString()}`));
    this.host.addEventListener('peer:identify', (evt) => {
      const { peerId, listenAddrs } = evt.detail;
      try {
        this.node.store.peers.seen(
          peerId.toString(),
          listenAddrs.map((a) => a.toString()),
          null,
        );
      } catch (e) {
        // A full disk, say: the peer is still met, only not remembered for the next start.
        this.log.warn(`could not record where ${peerId.toString()} listens: ${reasonOf(e)}`);
      }
      if (evt.detail.protocols.includes(INBOX_PROTOCOL)) {
        setTimeout(() => void this.inboxContact.met(peerId), INBOX.CLAIM_DELAY_MS).unref();
      }
    });
  }

  /** The periodic round: find holders of what we follow that are not connected, pull it all again, then announce what could not be announced before. */
  private async resync(): Promise<void> {
    try {
      const expired = this.inbox.intake.expireHeld();
      if (expired > 0) this.log.info(`inbox: dropped ${expired} held delivery(ies) nobody claimed in time`);
      await this.redial.round();
      await this.replication.resyncAll();
      await this.discovery.retryAnnouncements();
    } catch (e) {
      this.log.warn(`periodic resync failed: ${reasonOf(e)}`);
    }
  }

  get peerId(): string {
    return this.host.peerId.toString();
  }

  addresses(): string[] {
    return this.host.getMultiaddrs().map((m) => m.toString());
  }

  /** Stops at once: syncs under way end with their streams, and what they stored stays (each batch is one transaction). */
  async stop(): Promise<void> {
    clearInterval(this.resyncTimer);
    this.redial.stop();
    this.deliveries.stop();
    this.discovery.stop();
    await this.host.stop();
    await this.replication.stop();
  }

  /** Pushes a new object of ours (or one we keep) to everyone subscribed to its scope. */
  publish(scope: string, body: string): Promise<number> {
    return this.live.publish(scope, body);
  }

  /**
   * Pushes a stored object of this node's to its scope's followers, and
   * announces the ERIS content it links (attachments, an avatar) so they can
   * fetch it. Returns how many peers the push reached.
   */
  async push(digest: Digest): Promise<number> {
    const stored = this.node.store.objects.byDigest(digest);
    if (!stored) return 0;
    const urns = linkedContent(JSON.parse(stored.body) as JsonObject);
    if (urns.length > 0) this.media.announce(urns);
    return this.live.publish(stored.scope, stored.body);
  }

  /** Follows a person named by DID, ap:// id, or the multiaddr of their node; then fetches what they posted. */
  /**
   * `via` is where to sync a scope from that is not the node's own at that address (a forum it keeps);
   * `followed` runs once the follow is stored, before the sync (which may take minutes, and may be cut off).
   */
  async follow(target: string, opts: { via?: string; followed?: (did: Did) => void } = {}): Promise<{ did: Did; added: boolean; synced: SyncSummary[] }> {
    const { via, followed } = opts;
    let did: Did;
    let hint: PeerId | undefined;
    let hintAddr: string | null = null;
    if (via !== undefined) {
      // A scope that is not the node's own at that address (a forum it keeps): the address says where to sync it from.
      did = target.startsWith('did:') ? parseDid(target) : didOf(target);
      hint = (await this.discovery.whoIsAt(via)).peer;
      hintAddr = via;
    } else if (target.startsWith('/')) {
      ({ did, peer: hint } = await this.discovery.whoIsAt(target));
      hintAddr = target;
    } else if (target.startsWith('did:')) did = parseDid(target);
    else if (/^ap(\+ef61)?:\/\//i.test(target)) did = didOf(target);
    else return fail('malformed', `follow takes a did:key, an ap:// id or a multiaddr, not "${target.slice(0, 60)}"`);
    const added = this.node.follow(did, hintAddr);
    followed?.(did);
    if (hint !== undefined) this.redial.noteHolder(hint);
    const scope = outboxId(did);
    this.live.subscribe(scope);
    const synced = await this.replication.syncEverywhere(scope, hint);
    return { did, added, synced };
  }

  unfollow(did: Did): boolean {
    const removed = this.node.unfollow(did);
    this.live.unsubscribe(outboxId(did));
    return removed;
  }

  /** Keeps a scope that is not a follow of the owner's (a hosted account's own, or one it follows): live and synced now. */
  async keepScope(scope: string): Promise<SyncSummary[]> {
    this.live.subscribe(scope);
    return this.replication.syncEverywhere(scope);
  }

  /** Stops listening to a scope kept by keepScope. */
  dropScope(scope: string): void {
    this.live.unsubscribe(scope);
  }

  fetchContent(urn: string, reason?: string): Promise<void> {
    return this.media.fetchContent(urn, reason);
  }

  announceContent(urns: readonly string[]): void {
    this.media.announce(urns);
  }

  findProviders(scope: string, timeoutMs?: number): Promise<PeerId[]> {
    return this.discovery.findScopeHolders(scope, timeoutMs);
  }

  syncWith(peer: PeerId, scopes: readonly string[]): Promise<SyncSummary[]> {
    return this.replication.syncWith(peer, scopes);
  }

  syncEverywhere(scope: string, hint?: PeerId): Promise<SyncSummary[]> {
    return this.replication.syncEverywhere(scope, hint);
  }

  whoIsAt(addr: string): Promise<{ did: Did; peer: PeerId }> {
    return this.discovery.whoIsAt(addr);
  }

  dial(addr: string): Promise<Connection> {
    return this.discovery.dial(addr);
  }

  peers(): { peerId: string; addresses: string[]; direction: string; streams: number }[] {
    return this.host.getConnections().map((c) => ({
      peerId: c.remotePeer.toString(),
      addresses: [c.remoteAddr.toString()],
      direction: c.direction,
      streams: c.streams.length,
    }));
  }

  status(): NodeStatus {
    return nodeStatus(this.node, this.host, this.replication.underway());
  }
}
