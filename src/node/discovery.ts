import { multiaddr } from '@multiformats/multiaddr';
import type { Connection, PeerId } from '@libp2p/interface';
import { KithError, fail } from '../core/errors.js';
import { reasonOf, type Logger } from '../core/log.js';
import type { ErisReference } from '../core/eris.js';
import type { Did } from '../core/types.js';
import {
  ACTOR_TIMEOUT_MS,
  ANNOUNCE_DELAY_MS,
  DHT_FIND_TIMEOUT_MS,
  DHT_PROVIDE_TIMEOUT_MS,
  DIAL_TIMEOUT_MS,
  MAX_ACTOR_BYTES,
  MAX_SCOPE_PROVIDERS,
  MAX_UNANNOUNCED,
  PROVIDE_CONCURRENCY,
} from '../core/constants.js';
import { dhtKey, type KithHost } from '../net/host.js';
import { frameStream } from '../net/frames.js';
import { findRootProviders, provideRoot } from '../net/block-dht.js';
import type { KithNode } from './kith-node.js';
import { short } from './network-log.js';

/** No stream could be opened on a connection to ask whose node it is (as opposed to a wrong or missing answer). */
class StreamRefused extends KithError {}

/**
 * Finding who is where: announcing in the DHT what this node keeps (scopes,
 * content trees), looking up who keeps something, and asking the node at an
 * address whose it is. Announcements start once the first peer is met (the
 * DHT needs someone to hold them) and are repeated by the caller's timer.
 */

export const ACTOR_PROTOCOL = '/kith/actor/1.0.0';

export class Discovery {
  private announceTimer: NodeJS.Timeout | undefined;
  /** What could not be announced yet, by key, with how to try again. */
  private readonly unannounced = new Map<string, () => Promise<void>>();

  constructor(
    private readonly node: KithNode,
    private readonly host: KithHost,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.host.handle(ACTOR_PROTOCOL, async (stream, connection) => {
      try {
        const frames = frameStream(stream);
        await frames.writeFrame(Buffer.from(JSON.stringify(this.node.actor()), 'utf8'));
        await frames.close();
      } catch (e) {
        this.log.info(`telling ${short(connection.remotePeer.toString())} whose node this is failed: ${reasonOf(e)}`);
        throw e; // libp2p aborts the stream
      }
    });
    const onFirstContact = (): void => {
      this.announceTimer = setTimeout(() => void this.announceAll(), ANNOUNCE_DELAY_MS);
      this.announceTimer.unref();
    };
    this.host.addEventListener('peer:connect', onFirstContact, { once: true });
  }

  stop(): void {
    clearTimeout(this.announceTimer);
  }

  // ---- who is at an address ----

  /** Dials an address the owner gave (following by address, connecting to a peer). */
  async dial(addr: string): Promise<Connection> {
    let ma;
    try {
      ma = multiaddr(addr);
    } catch (e) {
      return fail('malformed', `not a multiaddr: ${addr} (${reasonOf(e)})`);
    }
    // The owner named this address: an earlier failed try (a wrong port) does not hold this one back.
    const named = ma.getComponents().find((c) => c.name === 'p2p')?.value;
    if (named !== undefined) this.host.services.penalties.retryNow(named);
    try {
      return await this.host.dial(ma, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) });
    } catch (e) {
      if (e instanceof KithError) throw e;
      // libp2p's own errors name its internals; say what a person can check.
      const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
      return fail(
        timedOut ? 'timeout' : 'io',
        `no Kith node answered at ${addr} (${reasonOf(e)}); nobody was followed. Check the address, its port and its peer id`,
      );
    }
  }

  /** Dials a multiaddr and asks the node there whose it is. */
  async whoIsAt(addr: string): Promise<{ did: Did; peer: PeerId }> {
    let conn = await this.dial(addr);
    let did: Did;
    try {
      did = await this.whoseNode(conn, addr);
    } catch (e) {
      if (!(e instanceof StreamRefused)) throw e;
      // libp2p hands back a connection it still lists as open though its muxer has closed (the other side
      // went away mid-way), and every new stream on it fails: drop it and dial afresh, once.
      this.log.info(`the connection to ${addr} opens no streams (${e.message}); dialling it again`);
      conn.abort(e);
      conn = await this.dial(addr);
      did = await this.whoseNode(conn, addr);
    }
    // Remembered, so a restarted node finds this person's node again (see Redial).
    const peer = conn.remotePeer.toString();
    const listening = this.node.store.peers.get(peer)?.addrs ?? [];
    this.node.store.peers.seen(peer, listening.length > 0 ? listening : [addr], did);
    return { did, peer: conn.remotePeer };
  }

  /**
   * Asks a connected peer whose node it is (the DID of the actor document it
   * answers with, which proves itself). A claim, not a proof that the peer
   * holds that person's key: whatever needs that asks for a signature.
   */
  async whoseNode(conn: Connection, addr = conn.remoteAddr.toString()): Promise<Did> {
    let stream;
    try {
      stream = await conn.newStream(ACTOR_PROTOCOL, { signal: AbortSignal.timeout(ACTOR_TIMEOUT_MS) });
    } catch (e) {
      throw new StreamRefused('io', `the node at ${addr} does not say whose it is; is it a Kith node? (${reasonOf(e)})`);
    }
    const frames = frameStream(stream);
    const body = await frames.readFrame(MAX_ACTOR_BYTES, ACTOR_TIMEOUT_MS);
    await frames.close().catch((e: unknown) => this.log.debug(`closing the actor stream to ${addr} failed: ${reasonOf(e)}`));
    if (body === null) fail('io', `the node at ${addr} did not say whose it is`);
    // The actor document proves itself: its id names the DID and its proof is by that key.
    const r = this.node.ingest(body);
    if (r.type !== 'Person' && r.type !== 'Service' && r.type !== 'Group') fail('malformed', `the node at ${addr} sent a ${r.type}, not an actor`);
    return r.owner;
  }

  // ---- the DHT ----

  /**
   * Says in the DHT that this node keeps a scope. Once a provide has reached
   * the DHT, kad-dht's own reprovider renews it before it expires (records
   * live 48 hours), so each thing is announced once; one that failed (no peer
   * to hold it yet) waits in `unannounced` for the next round. Logged, never thrown.
   */
  async announceScope(scope: string): Promise<void> {
    const key = `scope ${scope}`;
    try {
      await this.host.contentRouting.provide(await dhtKey(scope), { signal: AbortSignal.timeout(DHT_PROVIDE_TIMEOUT_MS) });
      this.unannounced.delete(key);
    } catch (e) {
      this.remember(key, () => this.announceScope(scope));
      this.log.debug(`could not announce ${short(scope)} in the DHT yet: ${reasonOf(e)}`);
    }
  }

  /** Says in the DHT that this node holds a content tree; once, like announceScope. */
  async announceContent(root: ErisReference): Promise<void> {
    const key = `tree ${Buffer.from(root).toString('hex')}`;
    try {
      await provideRoot(this.host, root);
      this.unannounced.delete(key);
    } catch (e) {
      this.remember(key, () => this.announceContent(root));
      // provideRoot's reason names the tree.
      this.log.debug(`${reasonOf(e)}; trying again on the next round`);
    }
  }

  private remember(key: string, retry: () => Promise<void>): void {
    // Bounded: a node that never reaches the DHT keeps the newest failures; announceAll on the next first contact covers the rest.
    if (!this.unannounced.has(key) && this.unannounced.size >= MAX_UNANNOUNCED) return;
    this.unannounced.set(key, retry);
  }

  /** Announces every scope and every pinned tree this node keeps; never throws (it runs from timers). */
  async announceAll(): Promise<void> {
    try {
      // A few at a time: a node following a thousand people should not start a thousand DHT walks at once.
      const queue = this.node.scopes();
      const worker = async (): Promise<void> => {
        for (let s = queue.shift(); s !== undefined && this.host.status === 'started'; s = queue.shift()) await this.announceScope(s);
      };
      await Promise.all(Array.from({ length: PROVIDE_CONCURRENCY }, worker));
      for (const root of this.node.store.blocks.pinnedRoots()) {
        if (this.host.status !== 'started') return;
        await this.announceContent(root);
      }
    } catch (e) {
      if (this.host.status === 'started') this.log.warn(`announcing in the DHT failed: ${reasonOf(e)}`);
    }
  }

  /** Tries again what could not be announced before; nothing at all when everything reached the DHT. */
  async retryAnnouncements(): Promise<void> {
    const retries = [...this.unannounced.values()];
    const worker = async (): Promise<void> => {
      for (let r = retries.shift(); r !== undefined && this.host.status === 'started'; r = retries.shift()) await r();
    };
    await Promise.all(Array.from({ length: PROVIDE_CONCURRENCY }, worker));
  }

  /** Peers the DHT says keep a scope (never this node). */
  async findScopeHolders(scope: string, timeoutMs = DHT_FIND_TIMEOUT_MS): Promise<PeerId[]> {
    const found: PeerId[] = [];
    try {
      for await (const p of this.host.contentRouting.findProviders(await dhtKey(scope), { signal: AbortSignal.timeout(timeoutMs) })) {
        if (p.id.equals(this.host.peerId)) continue;
        if (p.multiaddrs.length > 0) await this.host.peerStore.merge(p.id, { multiaddrs: p.multiaddrs });
        found.push(p.id);
        if (found.length >= MAX_SCOPE_PROVIDERS) break;
      }
    } catch (e) {
      if (found.length === 0) this.log.info(`DHT lookup of ${short(scope)} found nobody: ${reasonOf(e)}`);
    }
    if (found.length > 0) this.log.info(`DHT: ${found.length} peer(s) keep ${short(scope)}: ${found.map((p) => p.toString()).join(' ')}`);
    return found;
  }

  /** Peers the DHT says hold a content tree; a failed lookup finds nobody (the caller still has its connected peers). */
  async findContentHolders(root: ErisReference): Promise<PeerId[]> {
    let found;
    try {
      found = await findRootProviders(this.host, root);
    } catch (e) {
      this.log.info(`${reasonOf(e)}; asking connected peers only`);
      return [];
    }
    for (const p of found) {
      if (p.multiaddrs.length > 0) await this.host.peerStore.merge(p.id, { multiaddrs: p.multiaddrs });
    }
    return found.map((p) => p.id);
  }
}
