import { isIPv6 } from 'node:net';
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify, identifyPush, type Identify, type IdentifyPush } from '@libp2p/identify';
import { ping, type Ping } from '@libp2p/ping';
import { mdns } from '@libp2p/mdns';
import { kadDHT, passthroughMapper, removePrivateAddressesMapper, type KadDHT } from '@libp2p/kad-dht';
import { circuitRelayServer, circuitRelayTransport, type CircuitRelayService } from '@libp2p/circuit-relay-v2';
import { dcutr } from '@libp2p/dcutr';
import { autoNAT } from '@libp2p/autonat';
import { gossipsub, StrictSign, TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { PeerId, PeerInfo, PrivateKey } from '@libp2p/interface';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { KithError } from '../core/errors.js';
import { reasonOf, silentLogger, type Logger } from '../core/log.js';
import { BOOTSTRAP_RETRY_MS, HOST } from '../core/constants.js';
import { PeerPenalties, type PeerPenaltiesOptions } from './peers.js';
import { relayFinder, type RelayFinder } from './relay-finder.js';

/**
 * The libp2p host every Kith node runs. One place decides the stack so all
 * nodes speak the same thing: TCP and WebSockets (browsers and proxies), Noise,
 * Yamux, a Kith-only Kademlia DHT, gossipsub for live push, and the NAT kit
 * (circuit relay v2, DCUtR hole punching, AutoNAT).
 */

/** Our own DHT, so Kith records never mix with the public IPFS DHT's. */
export const KITH_DHT_PROTOCOL = '/kith/kad/1.0.0';

/** Public relays announce themselves in the DHT under the key of this name (see RelayFinder). */
export const RELAYS_DHT_NAME = '/kith/relays';

/** Tags beginning with libp2p's KEEP_ALIVE ('keep-alive') make it redial the peer when lost and never prune it. */
const BOOTSTRAP_TAG = 'keep-alive-kith-bootstrap';

export interface KithServices extends Record<string, unknown> {
  identify: Identify;
  identifyPush: IdentifyPush;
  ping: Ping;
  dht: KadDHT;
  pubsub: GossipSub;
  autonat: unknown;
  dcutr: unknown;
  penalties: PeerPenalties;
  relayFinder: RelayFinder;
  /** Present only on hosts created with publicRelay. */
  relay?: CircuitRelayService;
}

export type KithHost = Libp2p<KithServices>;

export interface HostOptions {
  /** The node key (see loadOrCreateNodeKey); it fixes the peer id. */
  privateKey: PrivateKey;
  /** Address to listen on; default '0.0.0.0'. Tests use '127.0.0.1'. */
  listenHost?: string;
  /** TCP port; 0 (the default) picks a free one. */
  tcpPort?: number;
  /** WebSockets port; 0 picks a free one; omitted means no WebSockets listener. */
  wsPort?: number;
  /** Multiaddrs (ideally ending /p2p/<peer id>) dialled at start and again whenever lost. */
  bootstrap?: string[];
  /** Find and dial peers on the local network by multicast DNS; default true. */
  mdns?: boolean;
  /** Serve as a circuit relay for others (public nodes only); default false. */
  publicRelay?: boolean;
  /**
   * Reserve a slot on relays we meet, so peers can reach us through them when
   * we are behind NAT. Default: on unless this node is itself a public relay.
   * It makes the node look for relays in the background (see RelayFinder).
   */
  relayListen?: boolean;
  /** Waits of the relay search, for tests that cannot sit through a minute: see RelayFinderOptions. */
  relaySearch?: { firstSearchMs?: number; minSearchMs?: number; maxSearchMs?: number };
  /** Addresses to announce instead of the listen addresses (a public node behind port forwarding). */
  announce?: string[];
  /** Most open connections; default 100 (300 for a public relay). */
  maxConnections?: number;
  /**
   * Keep private and loopback addresses in DHT records; default true. A small
   * private network (a home, a LAN, a test) needs them; a node on the open
   * internet may turn this off so it neither stores nor hands out addresses
   * nobody outside can dial.
   */
  dhtPrivateAddresses?: boolean;
  /** Largest gossip message we decode; default 256 KiB (an object is at most 64 KiB). */
  maxGossipBytes?: number;
  /** How often lost bootstrap peers are redialled; default 30 s. */
  bootstrapRetryMs?: number;
  penalties?: PeerPenaltiesOptions;
  log?: Logger;
}

export async function createHost(options: HostOptions): Promise<KithHost> {
  const log = options.log ?? silentLogger;
  const listenHost = options.listenHost ?? '0.0.0.0';
  const ip = isIPv6(listenHost) ? 'ip6' : 'ip4';
  const listen = [`/${ip}/${listenHost}/tcp/${options.tcpPort ?? 0}`];
  if (options.wsPort !== undefined) listen.push(`/${ip}/${listenHost}/tcp/${options.wsPort}/ws`);
  const publicRelay = options.publicRelay ?? false;
  // No bare '/p2p-circuit' listen address: it starts libp2p's relay search, an
  // endless DHT random walk where no relay exists. RelayFinder reserves instead.
  const reserveRelays = options.relayListen ?? !publicRelay;
  const maxConnections = options.maxConnections ?? (publicRelay ? 300 : 100);
  const penalties = new PeerPenalties(options.penalties);

  // mDNS answers repeat every few seconds; libp2p 3 no longer dials what
  // discovery finds, so we dial local peers ourselves (and only those: the
  // DHT also "discovers" every peer a query passes, far too many to dial).
  let onLocalPeer: ((info: PeerInfo) => void) | undefined;
  const peerDiscovery: NonNullable<Libp2pOptions<KithServices>['peerDiscovery']> = [];
  if (options.mdns ?? true) {
    const factory = mdns({ interval: HOST.MDNS_QUERY_INTERVAL_MS });
    peerDiscovery.push((components) => {
      const discovery = factory(components);
      discovery.addEventListener('peer', (evt) => onLocalPeer?.(evt.detail));
      return discovery;
    });
  }

  const services = {
    identify: identify(),
    identifyPush: identifyPush(),
    ping: ping(),
    dht: kadDHT({
      protocol: KITH_DHT_PROTOCOL,
      // Server mode always: the network is small and made of nodes like this
      // one. libp2p's auto mode serves only once it has a public address, so
      // a network of home nodes behind NAT (or on loopback) would be all
      // askers and no answerers.
      clientMode: false,
      peerInfoMapper: (options.dhtPrivateAddresses ?? true) ? passthroughMapper : removePrivateAddressesMapper,
    }),
    pubsub: gossipsub({
      // Every message carries its origin's peer id and signature, so a relay
      // cannot forge who published; Kith objects carry their own proofs too.
      globalSignaturePolicy: StrictSign,
      // Publishing with nobody listening is normal (a phone posting offline);
      // set reconciliation delivers later.
      allowPublishToZeroTopicPeers: true,
      fallbackToFloodsub: false,
      emitSelf: false,
      maxInboundDataLength: options.maxGossipBytes ?? 256 * 1024,
      scoreParams: {
        // Rejected messages and bans feed the score here (see PeerPenalties),
        // so no per-topic score parameters are needed for topics made at run time.
        appSpecificScore: (peer: string) => penalties.gossipScore(peer),
        // No penalty for many peers on one address. gossipsub's default (-5 for the square of each peer
        // past ten on an IP) put the followers of an author who share an address far below its graylist:
        // a household or a carrier's NAT, everyone reaching a node through one circuit relay, a swarm on
        // one machine. In the 50-node swarm bench, most of 20 posts had not reached half their followers
        // after a minute (6 reached every one). Kith judges peers by what they send (the app score
        // above); every object carries its proof, and reconciliation repairs whatever a push missed.
        IPColocationFactorWeight: 0,
      },
    }),
    autonat: autoNAT(),
    dcutr: dcutr(),
    penalties: () => penalties,
    relayFinder: relayFinder({
      reserve: reserveRelays,
      announce: publicRelay,
      key: () => dhtKey(RELAYS_DHT_NAME),
      ...options.relaySearch,
      log,
    }),
    ...(publicRelay ? { relay: circuitRelayServer() } : {}),
  };

  let node: KithHost;
  try {
    node = await createLibp2p<KithServices>({
      privateKey: options.privateKey,
      addresses: {
        listen,
        ...(options.announce !== undefined ? { announce: options.announce } : {}),
      },
      transports: [tcp(), webSockets(), circuitRelayTransport()],
      connectionEncrypters: [noise()],
      // A paused stream holds at most one window of unread data; 4 MiB (not
      // yamux's 16) keeps that within libp2p's read buffer and a phone's memory.
      streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: 4 * 1024 * 1024 } })],
      peerDiscovery,
      connectionGater: penalties.connectionGater(),
      connectionManager: {
        maxConnections,
        maxIncomingPendingConnections: HOST.PENDING_INBOUND_CONNECTIONS,
        inboundConnectionThreshold: HOST.INBOUND_CONNECTIONS_PER_ADDRESS_PER_SECOND,
        dialTimeout: HOST.CONNECTION_DIAL_TIMEOUT_MS,
      },
      connectionMonitor: { pingInterval: HOST.PING_INTERVAL_MS },
      services,
    });
  } catch (e) {
    // Typically the port is taken, or the address is not one of ours.
    throw new KithError('io', `cannot start the network on ${listen.join(', ')}: ${(e as Error).message}`);
  }

  // Only a peer that answers ends the wait on redialling it (see PeerPenalties).
  node.addEventListener('peer:identify', (evt) => penalties.answered(evt.detail.peerId));

  onLocalPeer = (info) => {
    if (node.status !== 'started' || penalties.isDenied(info.id)) return;
    if (node.getConnections(info.id).length > 0) return;
    if (node.getConnections().length >= maxConnections / 2) return;
    void node.peerStore
      .merge(info.id, { multiaddrs: info.multiaddrs })
      .then(() => node.dial(info.id))
      .then(() => log.info(`connected to local peer ${info.id.toString()} (mDNS)`))
      .catch((e: unknown) => log.info(`could not dial local peer ${info.id.toString()}: ${reasonOf(e)}`));
  };

  if (options.bootstrap !== undefined && options.bootstrap.length > 0) {
    await startBootstrap(node, options.bootstrap, options.bootstrapRetryMs ?? BOOTSTRAP_RETRY_MS, log);
  }
  return node;
}

/**
 * Dials the bootstrap peers once (waiting, so a caller can rely on them being
 * connected when createHost returns, unless they are down), tags them so
 * libp2p redials at once when one drops, and keeps trying on a timer after
 * libp2p's own retries give up.
 */
export async function startBootstrap(node: KithHost, addrs: string[], retryMs: number, log: Logger): Promise<void> {
  const targets: Array<{ addr: Multiaddr; peer?: PeerId }> = [];
  for (const s of addrs) {
    try {
      const addr = multiaddr(s);
      const id = addr.getComponents().find((c) => c.name === 'p2p')?.value;
      targets.push(id !== undefined ? { addr, peer: peerIdFromString(id) } : { addr });
    } catch (e) {
      log.warn(`ignoring bootstrap address ${s}: ${reasonOf(e)}`);
    }
  }
  let running = false;
  const dialAll = async (): Promise<void> => {
    if (running || node.status !== 'started') return;
    running = true;
    try {
      await Promise.all(
        targets.map(async (t) => {
          if (t.peer !== undefined && node.getConnections(t.peer).length > 0) return;
          try {
            const conn = await node.dial(t.addr, { signal: AbortSignal.timeout(10_000) });
            t.peer = conn.remotePeer;
            await node.peerStore.merge(conn.remotePeer, { tags: { [BOOTSTRAP_TAG]: { value: 50 } } });
          } catch (e) {
            if (node.status === 'started') log.info(`bootstrap peer ${t.addr.toString()} unreachable: ${reasonOf(e)}`);
          }
        }),
      );
    } finally {
      running = false;
    }
  };
  await dialAll();
  const timer = setInterval(() => void dialAll(), retryMs);
  // The node's own sockets keep the process alive while it runs; this timer must not.
  timer.unref();
  node.addEventListener('stop', () => clearInterval(timer), { once: true });
}

// ---- gossip validation ----

export type GossipVerdict = 'accept' | 'reject' | 'ignore';

export interface GossipMessage {
  topic: string;
  data: Uint8Array;
  /** The peer that published it (its signature was checked). */
  from: PeerId | undefined;
  /** The peer that handed it to us, who answers for it. */
  propagationSource: PeerId;
}

/**
 * Decides the fate of every message on a topic before it is delivered or
 * forwarded: 'accept' delivers and forwards; 'ignore' drops it quietly (a
 * duplicate, something we cannot judge yet); 'reject' drops it and gives the
 * peer that sent it a strike, lowering its gossip score (see PeerPenalties).
 * gossipsub waits on this for every message, so keep it fast (well under
 * 100 ms); a validator that throws counts as 'ignore', since our bug is not
 * the peer's fault.
 */
export type GossipValidator = (msg: GossipMessage) => GossipVerdict | Promise<GossipVerdict>;

export function setTopicValidator(host: KithHost, topic: string, validate: GossipValidator, log: Logger = silentLogger): void {
  const { pubsub, penalties } = host.services;
  pubsub.topicValidators.set(topic, async (propagationSource, msg) => {
    let verdict: GossipVerdict;
    try {
      verdict = await validate({
        topic: msg.topic,
        data: msg.data,
        from: msg.type === 'signed' ? msg.from : undefined,
        propagationSource,
      });
    } catch (e) {
      log.error(`gossip validator for ${topic} failed: ${reasonOf(e)}`);
      return TopicValidatorResult.Ignore;
    }
    if (verdict === 'accept') return TopicValidatorResult.Accept;
    if (verdict === 'reject') {
      const strikes = penalties.strike(propagationSource);
      log.info(`rejected gossip on ${topic} from ${propagationSource.toString()} (strikes now ${strikes.toFixed(1)})`);
      return TopicValidatorResult.Reject;
    }
    return TopicValidatorResult.Ignore;
  });
}

export function removeTopicValidator(host: KithHost, topic: string): void {
  host.services.pubsub.topicValidators.delete(topic);
}

// ---- DHT keys ----

/**
 * The DHT key for a name (a DID, a scope id): CID v1, raw codec, over the
 * SHA-256 of its UTF-8 bytes. Provide it to say "I hold this"; find its
 * providers to learn who does: `host.contentRouting.provide(cid)`,
 * `host.contentRouting.findProviders(cid)`.
 */
export async function dhtKey(name: string): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(name)));
}
