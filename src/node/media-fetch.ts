import type { PeerId } from '@libp2p/interface';
import { reasonOf, type Logger } from '../core/log.js';
import { CONTACT_SYNC_DELAY_MS, PROGRESS_LOG_INTERVAL_MS } from '../core/constants.js';
import { initEris, type ErisReference, type ReadCapability } from '../core/eris.js';
import { parseErisUrn } from '../core/eris-urn.js';
import { isJsonObject, type Did, type JsonObject } from '../core/types.js';
import type { KithHost } from '../net/host.js';
import { BlockFetcher } from '../net/block-fetcher.js';
import { blocksOpener, handleBlocks } from '../net/block-server.js';
import { erisAttachments } from './media.js';
import { SEALED_TYPE, sealedBlocksOf, type SealedBlocks } from './sealed.js';
import type { KithNode } from './kith-node.js';
import type { Discovery } from './discovery.js';
import type { PeerDiscipline } from './peer-discipline.js';
import { short } from './network-log.js';

/**
 * Media on the network: serving the ERIS blocks this node holds, fetching
 * content trees from whoever has them, and keeping what the people we follow
 * link (friends host each other's media), announcing each tree once held.
 * A tree pinned but not all here (a fetch cut short by a crash, or by peers
 * that went away) is fetched again whenever a peer connects.
 */
export class MediaFetch {
  /** Trees being fetched, by root: one fetch per tree at a time. */
  private readonly fetching = new Map<string, Promise<void>>();
  /** Roots (hex) of pinned trees not all here, to fetch again on the next contact. */
  private readonly incomplete = new Map<string, ErisReference>();
  private readonly fetcher: BlockFetcher;

  constructor(
    private readonly node: KithNode,
    private readonly host: KithHost,
    private readonly log: Logger,
    private readonly discipline: PeerDiscipline,
    private readonly discovery: Discovery,
  ) {
    this.fetcher = new BlockFetcher({
      store: node.store,
      open: blocksOpener(host),
      onMisbehaviour: (peer, reason) => discipline.punish(peer, `blocks: ${reason}`),
      onPeerFailed: (peer, reason) => log.info(`blocks from ${short(peer.toString())} stopped: ${reason}`),
    });
  }

  async start(): Promise<void> {
    await initEris();
    await handleBlocks(this.host, this.node.store, {
      log: this.log,
      onError: (peer, e) => this.discipline.blame(peer, e),
    });
    for (const root of this.node.store.blocks.pinnedRoots()) {
      const status = this.node.store.blocks.pinStatus(root);
      if (status !== undefined && !status.complete && status.broken === null) this.incomplete.set(Buffer.from(root).toString('hex'), root);
    }
    this.host.addEventListener('peer:connect', () => {
      if (this.incomplete.size > 0) setTimeout(() => this.resumeIncomplete(), CONTACT_SYNC_DELAY_MS).unref();
    });
  }

  /** Fetches again every pinned tree not all here, from whoever is connected now (and whom the DHT names). */
  private resumeIncomplete(): void {
    for (const [key, root] of this.incomplete) {
      if (this.fetching.has(key)) continue;
      const p = this.fetchPinned(root)
        .then(() => {
          this.incomplete.delete(key);
        })
        .catch((e: unknown) => this.log.info(`resuming a fetch of media pinned here failed: ${reasonOf(e)}`))
        .finally(() => this.fetching.delete(key));
      this.fetching.set(key, p);
    }
  }

  /**
   * Pins content and fetches every block of it from whoever has them
   * (connected peers, and those the DHT names), then announces that this node
   * holds it too. Resumable: what arrived stays.
   */
  async fetchContent(urn: string, reason = 'fetched'): Promise<void> {
    // Async, so a URN that does not parse rejects like every other failure instead of throwing past a caller's .catch.
    const cap = parseErisUrn(urn);
    const key = Buffer.from(cap.rootReference).toString('hex');
    const running = this.fetching.get(key);
    if (running) return running;
    const p = this.fetchTree(cap, reason)
      .then(() => {
        this.incomplete.delete(key);
      })
      .catch((e: unknown) => {
        if (this.node.store.blocks.pinStatus(cap.rootReference)?.broken === null) this.incomplete.set(key, cap.rootReference);
        throw e;
      })
      .finally(() => this.fetching.delete(key));
    this.fetching.set(key, p);
    return p;
  }

  /** Announces in the DHT that this node holds some content (say, the attachments of a new post). */
  announce(urns: readonly string[]): void {
    for (const urn of urns) {
      try {
        void this.discovery.announceContent(parseErisUrn(urn).rootReference);
      } catch (e) {
        // Only an object stored before URNs were checked at ingest can link one that does not parse.
        this.log.warn(`not announcing ${urn.slice(0, 40)}: ${reasonOf(e)}`);
      }
    }
  }

  /**
   * Friends host each other's media: the ERIS attachments of someone we
   * follow are pinned and fetched (within the block quota), and then served.
   * Runs beside ingest and never throws into it: the object is stored either way,
   * and a failure here is the object's (its author's), never the peer's that sent it.
   */
  keep(owner: Did, body: string | Uint8Array): void {
    const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
    if (!mayHoldContent(text) || owner === this.node.did || !this.node.store.follows.get(owner)) return;
    try {
      const doc: unknown = JSON.parse(text);
      if (!isJsonObject(doc)) return;
      const sealed = sealedBlocksOf(doc);
      if (sealed) {
        this.keepSealed(owner, sealed).catch((e: unknown) => this.log.warn(`could not keep a sealed object of ${short(owner)}: ${reasonOf(e)}`));
        return;
      }
      // One attachment that cannot be kept does not keep the others from being kept.
      for (const urn of linkedContent(doc)) {
        this.fetchContent(urn, `follow:${owner}`).catch((e: unknown) => this.log.warn(`could not keep media of ${short(owner)}: ${reasonOf(e)}`));
      }
    } catch (e) {
      this.log.warn(`could not tell what media an object of ${short(owner)} links: ${reasonOf(e)}`);
    }
  }

  private async fetchTree(cap: ReadCapability, reason: string): Promise<void> {
    this.node.store.blocks.pin(cap, reason);
    await this.fetchPinned(cap.rootReference);
  }

  /** Fetches what a pinned tree lacks (the pin holds what opening it needs), then announces it. */
  private async fetchPinned(root: ErisReference): Promise<void> {
    if (this.node.store.blocks.pinStatus(root)?.complete) return;
    const peers = new Map<string, PeerId>();
    for (const p of this.host.getPeers()) peers.set(p.toString(), p);
    for (const p of await this.discovery.findContentHolders(root)) peers.set(p.toString(), p);
    let lastLog = 0;
    await this.fetcher.fetchTree(root, [...peers.values()], {
      onProgress: (p) => {
        if (Date.now() - lastLog > PROGRESS_LOG_INTERVAL_MS) {
          lastLog = Date.now();
          this.log.info(`fetching media: ${p.present}/${p.known} blocks`);
        }
      },
    });
    void this.discovery.announceContent(root);
  }

  /** Keeps the blocks of a sealed object of someone we follow: ciphertext we serve and cannot read. */
  private async keepSealed(owner: Did, sealed: SealedBlocks): Promise<void> {
    this.node.store.blocks.pinBlind(sealed.root, sealed.blockSize, sealed.level, sealed.blocks, `follow:${owner}`);
    await this.fetcher.fetch(sealed.blocks, this.host.getPeers());
    void this.discovery.announceContent(sealed.root);
  }
}

/**
 * Whether an object's JSON text may link ERIS content or be a sealed
 * envelope, told without parsing it: a sync's thousands of plain posts were
 * each parsed again here only to find nothing. Both need their marker
 * written out in the text, unless the JSON spells characters as \u escapes.
 */
function mayHoldContent(text: string): boolean {
  return text.includes('urn:eris:') || text.includes(SEALED_TYPE) || text.includes('\\u');
}

/** The ERIS content a stored object links (attachments, an avatar and a header), as read-capability URNs. */
export function linkedContent(doc: JsonObject): string[] {
  const inner = isJsonObject(doc.object) ? doc.object : doc;
  const images = [doc.icon, doc.image].flatMap((i) => (isJsonObject(i) && typeof i.url === 'string' && i.url.startsWith('urn:eris:') ? [i.url] : []));
  return [...erisAttachments(inner), ...images];
}
