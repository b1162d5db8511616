import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import { KithError, fail } from '../core/errors.js';
import { didOf, outboxId } from '../core/apid.js';
import { parseDid } from '../core/didkey.js';
import { parseJsonLimited } from '../core/limits.js';
import { isJsonObject, type Did, type Digest, type JsonObject } from '../core/types.js';
import { createHost, dhtKey, setTopicValidator, startBootstrap, type KithHost } from '../net/host.js';
import { frameStream } from '../net/frames.js';
import { disconnectPeer } from '../net/peers.js';
import { loadOrCreateNodeKey } from '../net/node-key.js';
import { BlockFetcher } from '../net/block-fetcher.js';
import { blocksOpener, handleBlocks } from '../net/block-server.js';
import { findRootProviders, provideRoot } from '../net/block-dht.js';
import type { Logger } from '../core/log.js';
import { initEris, parseErisUrn, type ReadCapability } from '../core/eris.js';
import { erisAttachments } from './media.js';
import { sealedBlocksOf, type SealedBlocks } from './sealed.js';
import { SYNC_PROTOCOL, serveSync, syncScope, type SyncClientOptions, type SyncLimits, type SyncProgress, type SyncResult } from '../net/sync.js';
import type { KithNode } from './kith-node.js';

/**
 * The node on the network: a libp2p host, the Kith protocols on it, and the
 * policy that ties them to the store. Who to sync with and when, what to
 * subscribe to, what to provide in the DHT, and whom to hang up on.
 */

export const ACTOR_PROTOCOL = '/kith/actor/1.0.0';
const PROVIDE_CONCURRENCY = 8;
const MAX_ACTOR_BYTES = 64 * 1024;
/** Peers whose sync streams are counted at once (see onSyncStream). */
const MAX_COUNTED_PEERS = 10_000;
/** Refusals that show the sending peer misbehaved, not merely that it holds something we no longer accept. */
const PEER_FAULTS: ReadonlySet<string> = new Set(['malformed', 'too-large', 'bad-signature', 'bad-encoding', 'unknown-cryptosuite', 'forged']);

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
  readonly log?: (line: string) => void;
}

export interface SyncSummary {
  readonly peer: string;
  readonly scope: string;
  readonly ok: boolean;
  readonly result?: SyncResult;
  readonly error?: string;
}

export const topicOf = (scope: string): string => `/kith/1/scope/${scope}`;

const short = (s: string): string => (s.length > 24 ? `${s.slice(0, 14)}…${s.slice(-6)}` : s);

export class Network extends EventEmitter {
  private readonly log: (line: string) => void;
  private readonly syncLimits: SyncLimits;
  private readonly maxSyncsPerMinute: number;
  private readonly syncing = new Map<string, Promise<SyncSummary[]>>();
  private readonly syncCounts = new Map<string, { minute: number; count: number }>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private announced = false;
  private announceTimer: NodeJS.Timeout | undefined;
  private fetcher!: BlockFetcher;
  /** Media being fetched, by root: one fetch per tree at a time. */
  private readonly fetching = new Map<string, Promise<void>>();
  private readonly progress = new Map<string, SyncProgress & { peer: string }>();

  private constructor(
    readonly node: KithNode,
    readonly host: KithHost,
    opts: NetworkOptions,
  ) {
    super();
    this.log = opts.log ?? (() => {});
    this.syncLimits = opts.syncLimits ?? node.config.sync;
    this.maxSyncsPerMinute = node.config.maxSyncsPerMinute;
  }

  static async start(node: KithNode, opts: NetworkOptions = {}): Promise<Network> {
    const log = opts.log ?? (() => {});
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
      log: asLogger(log),
    });
    const net = new Network(node, host, opts);
    await net.wire();
    // Dialled once the protocols are in place, so the first sync on contact finds them; redialled when lost.
    if (opts.bootstrap && opts.bootstrap.length > 0) await startBootstrap(host, [...opts.bootstrap], 30_000, asLogger(log));
    node.publishEndpoints(net.addresses());
    const every = opts.resyncMs ?? 5 * 60_000;
    net.resyncTimer = setInterval(
      () =>
        void net
          .resyncAll()
          .then(() => net.announceAll())
          .catch((e: Error) => log(`periodic resync failed: ${e.message}`)),
      every,
    );
    net.resyncTimer.unref();
    return net;
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
    clearTimeout(this.announceTimer);
    await this.host.stop();
    await Promise.allSettled(this.syncing.values());
  }

  private async wire(): Promise<void> {
    const host = this.host;
    await host.handle(SYNC_PROTOCOL, (stream, connection) => this.onSyncStream(stream, connection));
    await host.handle(ACTOR_PROTOCOL, async (stream) => {
      const frames = frameStream(stream);
      await frames.writeFrame(Buffer.from(JSON.stringify(this.node.actor()), 'utf8'));
      await frames.close();
    });
    await initEris();
    await handleBlocks(host, this.node.store, {
      log: asLogger(this.log),
      onError: (peer, e) => this.blame(peer, e),
    });
    this.fetcher = new BlockFetcher({
      store: this.node.store,
      open: blocksOpener(host),
      onMisbehaviour: (peer, reason) => this.punish(peer, `blocks: ${reason}`),
      onPeerFailed: (peer, reason) => this.log(`blocks from ${short(peer.toString())} stopped: ${reason}`),
    });
    for (const scope of this.node.scopes()) this.subscribe(scope);
    host.addEventListener('peer:connect', (evt) => {
      const peer = evt.detail;
      this.log(`connected to ${peer.toString()}`);
      // The DHT needs someone to hold our announcements: the first peer met is the first chance.
      if (!this.announced) {
        this.announced = true;
        this.announceTimer = setTimeout(() => void this.announceAll(), 1000);
        this.announceTimer.unref();
      }
      // New contact: catch up on everything we follow (a peer that does not keep a scope just says so).
      setTimeout(() => void this.syncAllWith(peer), 200).unref();
    });
    host.addEventListener('peer:disconnect', (evt) => this.log(`disconnected from ${evt.detail.toString()}`));
    host.addEventListener('peer:identify', (evt) => {
      const { peerId, listenAddrs } = evt.detail;
      this.node.store.peers.seen(peerId.toString(), listenAddrs.map((a) => a.toString()), null);
    });
  }

  // ---- live push ----

  private subscribe(scope: string): void {
    const topic = topicOf(scope);
    setTopicValidator(
      this.host,
      topic,
      (msg) => {
        let owner: Did;
        try {
          owner = ownerOf(parseJsonLimited(msg.data, this.node.ingestor.limits));
        } catch {
          return 'reject';
        }
        // A topic carries one scope: anything else is off-topic, however well signed.
        if (outboxId(owner) !== scope) return 'reject';
        try {
          const r = this.node.ingest(msg.data);
          if (r.status === 'duplicate') return 'ignore';
          this.log(`live: ${r.type} ${r.id} from ${short(owner)}`);
          this.emit('object', r);
          this.keepMedia(owner, msg.data);
          return 'accept';
        } catch (e) {
          if (!(e instanceof KithError)) throw e;
          // Forged or broken: the peer that passed it on answers for it. Revoked, or signed under a
          // certificate we do not hold yet: not its fault; sync will bring what is missing.
          return PEER_FAULTS.has(e.code) ? 'reject' : 'ignore';
        }
      },
      asLogger(this.log),
    );
    this.host.services.pubsub.subscribe(topic);
  }

  /** Pushes a new object of ours (or one we keep) to everyone subscribed to its scope. */
  async publish(scope: string, body: string): Promise<number> {
    const { recipients } = await this.host.services.pubsub.publish(topicOf(scope), Buffer.from(body, 'utf8'));
    return recipients.length;
  }

  /**
   * Pushes a stored object of this node's to its scope's followers, and
   * announces the ERIS content it links (attachments, an avatar) so they can
   * fetch it. Returns how many peers the push reached.
   */
  async push(digest: Digest): Promise<number> {
    const stored = this.node.store.objects.byDigest(digest);
    if (!stored) return 0;
    const doc = JSON.parse(stored.body) as JsonObject;
    const inner = isJsonObject(doc.object) ? doc.object : doc;
    const icon = isJsonObject(doc.icon) && typeof doc.icon.url === 'string' && doc.icon.url.startsWith('urn:eris:') ? [doc.icon.url] : [];
    const urns = [...erisAttachments(inner), ...icon];
    if (urns.length > 0) this.announceContent(urns);
    return this.publish(stored.scope, stored.body);
  }

  // ---- DHT ----

  private async provide(scope: string): Promise<void> {
    try {
      await this.host.contentRouting.provide(await dhtKey(scope), { signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      this.log(`could not announce ${short(scope)} in the DHT yet: ${(e as Error).message}`);
    }
  }

  /** A few at a time: a node following a thousand people should not start a thousand DHT walks at once. */
  private async provideAll(): Promise<void> {
    const queue = this.node.scopes();
    const worker = async (): Promise<void> => {
      for (let s = queue.shift(); s !== undefined && this.host.status === 'started'; s = queue.shift()) await this.provide(s);
    };
    await Promise.all(Array.from({ length: PROVIDE_CONCURRENCY }, worker));
  }

  /** Peers the DHT says hold a scope. */
  async findProviders(scope: string, timeoutMs = 10_000): Promise<PeerId[]> {
    const found: PeerId[] = [];
    try {
      for await (const p of this.host.contentRouting.findProviders(await dhtKey(scope), { signal: AbortSignal.timeout(timeoutMs) })) {
        if (p.id.equals(this.host.peerId)) continue;
        if (p.multiaddrs.length > 0) await this.host.peerStore.merge(p.id, { multiaddrs: p.multiaddrs });
        found.push(p.id);
        if (found.length >= 8) break;
      }
    } catch (e) {
      if (found.length === 0) this.log(`DHT lookup of ${short(scope)} found nobody: ${(e as Error).message}`);
    }
    if (found.length > 0) this.log(`DHT: ${found.length} peer(s) keep ${short(scope)}: ${found.map((p) => p.toString()).join(' ')}`);
    return found;
  }

  // ---- sync ----

  private onSyncStream(stream: Stream, connection: Connection): void {
    const peer = connection.remotePeer;
    const minute = Math.floor(Date.now() / 60_000);
    const c = this.syncCounts.get(peer.toString());
    if (c === undefined && this.syncCounts.size >= MAX_COUNTED_PEERS) {
      // Forget peers not heard from this minute, so a swarm of fresh peer ids cannot grow this without bound.
      for (const [k, v] of this.syncCounts) if (v.minute !== minute) this.syncCounts.delete(k);
    }
    const count = c && c.minute === minute ? c.count + 1 : 1;
    this.syncCounts.set(peer.toString(), { minute, count });
    if (count > this.maxSyncsPerMinute) {
      stream.abort(new Error('too many sync requests'));
      this.punish(peer, `flooding: more than ${this.maxSyncsPerMinute} sync requests a minute`);
      return;
    }
    const frames = frameStream(stream);
    const serves = new Set(this.node.scopes());
    serveSync(frames, { store: this.node.store, serves: (s) => serves.has(s), limits: this.syncLimits, stillValid: (o) => this.node.ingestor.stillValid(o) })
      .then((r) => {
        if (r.sent > 0) this.log(`served ${r.sent} object(s) of ${r.scopes.length} scope(s) to ${peer.toString()}`);
      })
      .catch((e: unknown) => this.blame(peer, e, () => frames.reset('protocol violation')));
  }

  /** A protocol violation costs the peer its connection and a penalty; a lost connection costs nothing. */
  private blame(peer: PeerId, e: unknown, reset?: () => void): void {
    // A stream we give up on is dropped either way: left open, a peer that stalled it would keep
    // its buffers (and its slot among the streams libp2p allows) for as long as the connection lasts.
    reset?.();
    const err = e instanceof KithError ? e : undefined;
    if (err && err.code !== 'io' && err.code !== 'timeout') {
      this.punish(peer, err.message);
    } else {
      this.log(`sync with ${peer.toString()} stopped: ${(e as Error).message}`);
    }
  }

  /**
   * Bans a peer, hangs up on it and records why. Once per offence: streams it
   * opened before the hang-up landed still fail (or exceed the rate) after
   * the ban, and must not count as repeat offences, each doubling the ban.
   */
  private punish(peer: PeerId, reason: string): void {
    if (this.host.services.penalties.isDenied(peer)) {
      for (const conn of this.host.getConnections(peer)) conn.abort(new Error(`misbehaving peer: ${reason}`));
      return;
    }
    const penalty = disconnectPeer(this.host, peer, reason, { log: asLogger(this.log) });
    this.node.store.peers.penalise(peer.toString(), reason, penalty.until);
  }

  /**
   * Pulls scopes from one peer, one after another on one stream. A sync of
   * the same peer and scopes already running is shared, not repeated.
   */
  syncWith(peer: PeerId, scopes: readonly string[]): Promise<SyncSummary[]> {
    const key = `${peer.toString()} ${scopes.join(' ')}`;
    const running = this.syncing.get(key);
    if (running) return running;
    const p = this.runSync(peer, scopes).finally(() => this.syncing.delete(key));
    this.syncing.set(key, p);
    return p;
  }

  private async runSync(peer: PeerId, scopes: readonly string[]): Promise<SyncSummary[]> {
    const who = peer.toString();
    let frames;
    try {
      frames = frameStream(await this.host.dialProtocol(peer, SYNC_PROTOCOL, { signal: AbortSignal.timeout(15_000) }));
    } catch (e) {
      return scopes.map((scope) => ({ peer: who, scope, ok: false, error: (e as Error).message }));
    }
    const out: SyncSummary[] = [];
    for (const scope of scopes) {
      try {
        const result = await syncScope(frames, scope, this.clientOptions(who, scope));
        this.node.store.peers.synced(scope, who, result.stored, result.bytesIn + result.bytesOut);
        if (result.needed > 0 || result.theyLack > 0) {
          this.log(
            `synced ${short(scope)} with ${short(who)}: ${result.stored} new, they lack ${result.theyLack}; ` +
              `${result.rounds} round(s), ${result.bytesIn + result.bytesOut} bytes`,
          );
        }
        const summary = { peer: who, scope, ok: true, result };
        this.emit('synced', summary);
        out.push(summary);
      } catch (e) {
        out.push({ peer: who, scope, ok: false, error: (e as Error).message });
        // The peer does not keep this scope: ask about the next one on the same stream.
        if (e instanceof KithError && e.code === 'not-found') continue;
        this.blame(peer, e, () => frames.reset('protocol violation'));
        for (const rest of scopes.slice(out.length)) out.push({ peer: who, scope: rest, ok: false, error: 'not tried: the stream failed' });
        return out;
      } finally {
        this.progress.delete(scope);
      }
    }
    await frames.close().catch(() => {});
    return out;
  }

  private clientOptions(peer: string, scope: string): SyncClientOptions {
    let lastLog = 0;
    return {
      store: this.node.store,
      limits: this.syncLimits,
      ingest: async (bodies) => {
        const results = await this.node.ingestMany(bodies, { scope });
        results.forEach((r, i) => {
          if (!(r instanceof KithError) && r.status === 'stored') this.keepMedia(r.owner, bodies[i]!);
        });
        let stored = 0;
        let refused = 0;
        let firstError: KithError | undefined;
        for (const r of results) {
          if (r instanceof KithError) {
            refused++;
            // Forged, broken or off-scope objects are the peer's doing; a revoked or expired one it may hold in good faith.
            if (PEER_FAULTS.has(r.code)) firstError ??= r;
          } else if (r.status === 'stored') stored++;
        }
        return firstError ? { stored, refused, firstError } : { stored, refused };
      },
      onProgress: (p) => {
        this.progress.set(scope, { ...p, peer });
        this.emit('sync-progress', { ...p, peer, scope });
        if (p.phase === 'fetching' && Date.now() - lastLog > 1000) {
          lastLog = Date.now();
          this.log(`syncing ${short(scope)} from ${short(peer)}: ${p.received}/${p.needed}`);
        }
      },
    };
  }

  private async syncAllWith(peer: PeerId): Promise<void> {
    const scopes = this.node.following().map((f) => f.scope);
    if (scopes.length > 0) await this.syncWith(peer, scopes);
  }

  private async resyncAll(): Promise<void> {
    for (const peer of this.host.getPeers()) await this.syncAllWith(peer);
  }

  /** Finds everyone who keeps a scope (connected peers, the DHT) and pulls it from each. */
  async syncEverywhere(scope: string, hint?: PeerId): Promise<SyncSummary[]> {
    const candidates = new Map<string, PeerId>();
    if (hint) candidates.set(hint.toString(), hint);
    for (const p of this.host.getPeers()) candidates.set(p.toString(), p);
    for (const p of await this.findProviders(scope)) candidates.set(p.toString(), p);
    candidates.delete(this.peerId);
    const results = (await Promise.all([...candidates.values()].map((p) => this.syncWith(p, [scope])))).flat();
    if (results.some((r) => r.ok)) void this.provide(scope);
    return results;
  }

  // ---- media ----

  /**
   * Friends host each other's media: the ERIS attachments of someone we
   * follow are pinned and fetched (within the block quota), and then served.
   */
  private keepMedia(owner: Did, body: string | Uint8Array): void {
    if (owner === this.node.did || !this.node.store.follows.get(owner)) return;
    let doc: unknown;
    try {
      doc = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
    } catch {
      return;
    }
    if (!isJsonObject(doc)) return;
    const sealed = sealedBlocksOf(doc);
    if (sealed) {
      void this.keepSealed(owner, sealed).catch((e: Error) => this.log(`could not keep a sealed object of ${short(owner)}: ${e.message}`));
      return;
    }
    const inner = isJsonObject(doc.object) ? doc.object : doc;
    for (const urn of erisAttachments(inner)) {
      void this.fetchContent(urn, `follow:${owner}`).catch((e: Error) => this.log(`could not keep media of ${short(owner)}: ${e.message}`));
    }
  }

  /**
   * Pins content and fetches every block of it from whoever has them
   * (connected peers, and those the DHT names), then announces that this node
   * holds it too. Resumable: what arrived stays.
   */
  fetchContent(urn: string, reason = 'fetched'): Promise<void> {
    const cap = parseErisUrn(urn);
    const key = Buffer.from(cap.rootReference).toString('hex');
    const running = this.fetching.get(key);
    if (running) return running;
    const p = this.fetchTree(cap, reason).finally(() => this.fetching.delete(key));
    this.fetching.set(key, p);
    return p;
  }

  private async fetchTree(cap: ReadCapability, reason: string): Promise<void> {
    this.node.store.blocks.pin(cap, reason);
    if (this.node.store.blocks.pinStatus(cap.rootReference)?.complete) return;
    const peers = new Map<string, PeerId>();
    for (const p of this.host.getPeers()) peers.set(p.toString(), p);
    for (const p of await findRootProviders(this.host, cap.rootReference).catch(() => [])) {
      if (p.multiaddrs.length > 0) await this.host.peerStore.merge(p.id, { multiaddrs: p.multiaddrs });
      peers.set(p.id.toString(), p.id);
    }
    let lastLog = 0;
    await this.fetcher.fetchTree(cap, [...peers.values()], {
      onProgress: (p) => {
        if (Date.now() - lastLog > 1000) {
          lastLog = Date.now();
          this.log(`fetching media: ${p.present}/${p.known} blocks`);
        }
      },
    });
    void provideRoot(this.host, cap.rootReference).catch(() => {});
  }

  /** Keeps the blocks of a sealed object of someone we follow: ciphertext we serve and cannot read. */
  private async keepSealed(owner: Did, sealed: SealedBlocks): Promise<void> {
    this.node.store.blocks.pinBlind(sealed.root, sealed.blockSize, sealed.level, sealed.blocks, `follow:${owner}`);
    await this.fetcher.fetch(sealed.blocks, this.host.getPeers());
    void provideRoot(this.host, sealed.root).catch(() => {});
  }

  /** Announces in the DHT that this node holds some content (say, the attachments of a new post). */
  announceContent(urns: readonly string[]): void {
    for (const urn of urns) void provideRoot(this.host, parseErisUrn(urn).rootReference).catch(() => {});
  }

  /** Announces in the DHT every scope and every pinned tree this node keeps; never throws (it runs from timers). */
  private async announceAll(): Promise<void> {
    try {
      await this.provideAll();
      for (const root of this.node.store.blocks.pinnedRoots()) {
        if (this.host.status !== 'started') return;
        await provideRoot(this.host, root).catch(() => {});
      }
    } catch (e) {
      if (this.host.status === 'started') this.log(`announcing in the DHT failed: ${(e as Error).message}`);
    }
  }

  // ---- following ----

  /** Dials a multiaddr and asks the node there whose it is. */
  async whoIsAt(addr: string): Promise<{ did: Did; peer: PeerId }> {
    const conn = await this.dial(addr);
    const frames = frameStream(await conn.newStream(ACTOR_PROTOCOL, { signal: AbortSignal.timeout(10_000) }));
    const body = await frames.readFrame(MAX_ACTOR_BYTES, 10_000);
    await frames.close().catch(() => {});
    if (body === null) fail('io', `the node at ${addr} did not say whose it is`);
    // The actor document proves itself: its id names the DID and its proof is by that key.
    const r = this.node.ingest(body);
    if (r.type !== 'Person' && r.type !== 'Service' && r.type !== 'Group') fail('malformed', `the node at ${addr} sent a ${r.type}, not an actor`);
    return { did: r.owner, peer: conn.remotePeer };
  }

  async dial(addr: string): Promise<Connection> {
    let ma;
    try {
      ma = multiaddr(addr);
    } catch (e) {
      return fail('malformed', `not a multiaddr: ${addr} (${(e as Error).message})`);
    }
    return this.host.dial(ma, { signal: AbortSignal.timeout(15_000) });
  }

  /** Follows a person named by DID, ap:// id, or the multiaddr of their node; then fetches what they posted. */
  async follow(target: string): Promise<{ did: Did; added: boolean; synced: SyncSummary[] }> {
    let did: Did;
    let hint: PeerId | undefined;
    let hintAddr: string | null = null;
    if (target.startsWith('/')) {
      ({ did, peer: hint } = await this.whoIsAt(target));
      hintAddr = target;
    } else if (target.startsWith('did:')) did = parseDid(target);
    else if (/^ap(\+ef61)?:\/\//i.test(target)) did = didOf(target);
    else return fail('malformed', `follow takes a did:key, an ap:// id or a multiaddr, not "${target.slice(0, 60)}"`);
    const added = this.node.follow(did, hintAddr);
    const scope = outboxId(did);
    this.subscribe(scope);
    const synced = await this.syncEverywhere(scope, hint);
    return { did, added, synced };
  }

  unfollow(did: Did): boolean {
    const removed = this.node.unfollow(did);
    const topic = topicOf(outboxId(did));
    this.host.services.pubsub.unsubscribe(topic);
    this.host.services.pubsub.topicValidators.delete(topic);
    return removed;
  }

  peers(): { peerId: string; addresses: string[]; direction: string; streams: number }[] {
    return this.host.getConnections().map((c) => ({
      peerId: c.remotePeer.toString(),
      addresses: [c.remoteAddr.toString()],
      direction: c.direction,
      streams: c.streams.length,
    }));
  }

  status(): JsonObject {
    return {
      did: this.node.did,
      peerId: this.peerId,
      addresses: this.addresses(),
      connections: this.host.getConnections().length,
      scopes: this.node.scopes().map((s) => ({ scope: s, objects: this.node.store.objects.count(s) })),
      syncing: [...this.progress.entries()].map(([scope, p]) => ({ scope, ...p })),
      lastSyncs: this.node.store.peers.syncState().slice(0, 50),
      blocks: this.node.store.blocks.usage(),
    } as unknown as JsonObject;
  }
}

/** Whose scope an incoming object belongs to: its issuer for authority documents, its id's DID otherwise. */
function ownerOf(doc: unknown): Did {
  if (!isJsonObject(doc)) return fail('malformed', 'not an object');
  if (doc.type === 'KithCertificate' || doc.type === 'KithRevocation') return parseDid(doc.issuer);
  return didOf(doc.id);
}

/** net/ logs through a leveled Logger; until this node has one, every level goes to its line log as before. */
function asLogger(line: (text: string) => void): Logger {
  return { debug: line, info: line, warn: line, error: line };
}
