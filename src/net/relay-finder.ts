import type { ContentRouting, PeerId, PeerStore, Startable, Topology } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import type { CID } from 'multiformats/cid';
import { RELAY } from '../core/constants.js';
import { backoffDelay } from '../core/backoff.js';
import { reasonOf, silentLogger, type Logger } from '../core/log.js';

/**
 * Finds circuit relays for a node behind NAT, and keeps at most a few slots.
 *
 * libp2p's own relay search (listening on a bare `/p2p-circuit`) walks the
 * DHT with random keys, one query after another with no pause, until it holds
 * enough reservations. In a network of home nodes there may be no relay at
 * all, so the walk never ends: a node with one peer used 75% of a core and
 * grew by half a megabyte a second. This finder does the same job with a
 * bounded cost:
 *  - a relay we are connected to anyway (identify says it speaks the hop
 *    protocol) gets a reservation at once, through a topology: no search;
 *  - otherwise public relays are looked up where they announce themselves,
 *    one DHT key for all of them, with a delay that doubles after each search
 *    that finds nothing (seconds at first, then up to an hour);
 *  - public relays announce themselves under that key.
 * While a node is idle and holds its slots (or there is no relay to find),
 * it does nothing but wait on timers.
 */

const HOP_PROTOCOL = '/libp2p/circuit/relay/0.2.0/hop';

export interface RelayFinderOptions {
  /** Look for relays and reserve slots on them (nodes behind NAT). */
  readonly reserve: boolean;
  /** Announce this node as a relay (public nodes that run the relay server). */
  readonly announce: boolean;
  /** The DHT key public relays announce themselves under. */
  readonly key: () => Promise<CID>;
  /** Most reservations held at once. */
  readonly maxRelays?: number;
  /** Delay before the first search, and the least and most between searches that found nothing. */
  readonly firstSearchMs?: number;
  readonly minSearchMs?: number;
  readonly maxSearchMs?: number;
  readonly log?: Logger;
}

/** The parts of libp2p's components the finder uses (libp2p hands every service its components). */
export interface RelayFinderComponents {
  readonly peerId: PeerId;
  readonly registrar: { register(protocol: string, topology: Topology): Promise<string>; unregister(id: string): void };
  readonly transportManager: { listen(addrs: ReturnType<typeof multiaddr>[]): Promise<void> };
  readonly connectionManager: { getConnections(peer?: PeerId): unknown[]; openConnection(peer: PeerId, options?: { signal?: AbortSignal }): Promise<unknown> };
  readonly contentRouting: ContentRouting;
  readonly peerStore: PeerStore;
}

export interface RelayFinderStats {
  /** Relays we hold a slot on now. */
  readonly relays: readonly string[];
  /** DHT searches for relays made since start. */
  readonly searches: number;
  /** Announcements of this node as a relay since start. */
  readonly announcements: number;
}

export class RelayFinder implements Startable {
  private readonly log: Logger;
  private readonly maxRelays: number;
  private readonly firstSearchMs: number;
  private readonly minSearchMs: number;
  private readonly maxSearchMs: number;
  /** Relays we hold (or are asking for) a slot on, by peer id. */
  private readonly reserved = new Set<string>();
  private topologyId: string | undefined;
  private searchTimer: NodeJS.Timeout | undefined;
  private announceTimer: NodeJS.Timeout | undefined;
  private running = false;
  private searching = false;
  /** Searches in a row that found no new slot, and announcements in a row that failed: each doubles the next wait. */
  private fruitless = 0;
  private failedAnnouncements = 0;
  private searches = 0;
  private announcements = 0;

  constructor(
    private readonly components: RelayFinderComponents,
    private readonly options: RelayFinderOptions,
  ) {
    this.log = options.log ?? silentLogger;
    this.maxRelays = options.maxRelays ?? RELAY.MAX_RESERVATIONS;
    this.firstSearchMs = options.firstSearchMs ?? RELAY.FIRST_SEARCH_MS;
    this.minSearchMs = options.minSearchMs ?? RELAY.MIN_SEARCH_INTERVAL_MS;
    this.maxSearchMs = options.maxSearchMs ?? RELAY.MAX_SEARCH_INTERVAL_MS;
  }

  readonly [Symbol.toStringTag] = 'kith/relay-finder';

  async start(): Promise<void> {
    this.running = true;
    if (!this.options.reserve) return;
    this.topologyId = await this.components.registrar.register(HOP_PROTOCOL, {
      // A slot on a relay reached through another relay is no use to anyone.
      notifyOnLimitedConnection: false,
      onConnect: (peer) => this.reserveOn(peer),
      onDisconnect: (peer) => {
        // libp2p drops the reservation with the connection; the topology tells us again when it is back.
        if (this.reserved.delete(peer.toString())) {
          this.log.info(`lost the relay slot on ${peer.toString()}`);
          this.schedule(this.firstSearchMs);
        }
      },
    });
  }

  afterStart(): void {
    if (this.options.reserve) this.schedule(this.firstSearchMs);
    if (this.options.announce) this.scheduleAnnounce(this.firstSearchMs);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.searchTimer);
    clearTimeout(this.announceTimer);
    if (this.topologyId !== undefined) this.components.registrar.unregister(this.topologyId);
  }

  stats(): RelayFinderStats {
    return { relays: [...this.reserved], searches: this.searches, announcements: this.announcements };
  }

  private reserveOn(peer: PeerId): void {
    const id = peer.toString();
    if (!this.running || this.reserved.has(id) || this.reserved.size >= this.maxRelays) return;
    this.reserved.add(id);
    this.components.transportManager
      .listen([multiaddr(`/p2p/${id}/p2p-circuit`)])
      .then(() => this.log.info(`reserved a relay slot on ${id}; peers behind NAT can reach this node through it`))
      .catch((e: unknown) => {
        this.reserved.delete(id);
        this.log.debug(`no relay slot on ${id}: ${reasonOf(e)}`);
      });
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => void this.search(), ms);
    // The node's sockets keep the process alive while it runs; a search timer must not.
    this.searchTimer.unref();
  }

  /** One bounded search: relays we met before, then the DHT. Never throws (it runs from a timer). */
  private async search(): Promise<void> {
    if (!this.running || this.searching || this.reserved.size >= this.maxRelays) return;
    this.searching = true;
    const before = this.reserved.size;
    try {
      for (const peer of await this.candidates()) {
        if (!this.running || this.reserved.size >= this.maxRelays) break;
        if (this.components.connectionManager.getConnections(peer).length > 0) {
          this.reserveOn(peer);
          continue;
        }
        // Dialling runs identify, and the topology reserves a slot when the peer speaks the hop protocol.
        await this.components.connectionManager
          .openConnection(peer, { signal: AbortSignal.timeout(RELAY.DIAL_TIMEOUT_MS) })
          .catch((e: unknown) => this.log.debug(`relay candidate ${peer.toString()} unreachable: ${reasonOf(e)}`));
      }
    } catch (e) {
      this.log.warn(`looking for relays failed: ${reasonOf(e)}`);
    } finally {
      this.searching = false;
    }
    if (this.reserved.size >= this.maxRelays) {
      this.fruitless = 0;
      return;
    }
    this.fruitless = this.reserved.size > before ? 0 : this.fruitless + 1;
    this.schedule(backoffDelay(this.fruitless, this.minSearchMs, this.maxSearchMs));
  }

  /** Relays known from earlier (the peer store) first, then those the DHT names. */
  private async candidates(): Promise<PeerId[]> {
    const found = new Map<string, PeerId>();
    const self = this.components.peerId.toString();
    for (const p of await this.components.peerStore.all({ filters: [(p) => p.protocols.includes(HOP_PROTOCOL)] })) {
      if (found.size < RELAY.MAX_CANDIDATES) found.set(p.id.toString(), p.id);
    }
    this.searches++;
    const signal = AbortSignal.timeout(RELAY.SEARCH_TIMEOUT_MS);
    try {
      for await (const p of this.components.contentRouting.findProviders(await this.options.key(), { signal })) {
        const id = p.id.toString();
        if (id === self || this.reserved.has(id)) continue;
        if (p.multiaddrs.length > 0) await this.components.peerStore.merge(p.id, { multiaddrs: p.multiaddrs });
        found.set(id, p.id);
        if (found.size >= RELAY.MAX_CANDIDATES) break;
      }
    } catch (e) {
      // Nobody to ask yet, or nobody answered in time: the next search comes later.
      this.log.debug(`DHT search for relays ended: ${reasonOf(e)}`);
    }
    found.delete(self);
    return [...found.values()];
  }

  private scheduleAnnounce(ms: number): void {
    if (!this.running) return;
    clearTimeout(this.announceTimer);
    this.announceTimer = setTimeout(() => void this.announce(), ms);
    this.announceTimer.unref();
  }

  /** Tells the DHT this node relays; retried with backoff while nobody holds the record, then renewed daily. */
  private async announce(): Promise<void> {
    if (!this.running) return;
    let next: number;
    try {
      await this.components.contentRouting.provide(await this.options.key(), { signal: AbortSignal.timeout(RELAY.SEARCH_TIMEOUT_MS) });
      this.announcements++;
      this.failedAnnouncements = 0;
      this.log.info('announced this node as a relay in the DHT');
      next = RELAY.ANNOUNCE_INTERVAL_MS;
    } catch (e) {
      this.failedAnnouncements++;
      next = backoffDelay(this.failedAnnouncements, this.minSearchMs, this.maxSearchMs);
      this.log.debug(`could not announce this node as a relay yet: ${reasonOf(e)}`);
    }
    this.scheduleAnnounce(next);
  }
}

export function relayFinder(options: RelayFinderOptions): (components: RelayFinderComponents) => RelayFinder {
  return (components) => new RelayFinder(components, options);
}
