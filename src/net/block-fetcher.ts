import type { PeerId } from '@libp2p/interface';
import { KithError, fail } from '../core/errors.js';
import { BLOCK_READ_TIMEOUT_MS, BLOCK_REFS_PER_STREAM, BLOCK_TREE_ROUND_REFS, BLOCK_WANT_REFS, BLOCK_WANTS_IN_FLIGHT } from '../core/constants.js';
import { checkReadCapability, formatErisReference, type ErisReference, type ReadCapability } from '../core/eris.js';
import type { BlockTable } from '../store/blocks.js';
import { FetchRun, type RunContext } from './block-fetch-run.js';
import { MAX_WANT_REFS } from './block-wire.js';
import type { Frames } from './frames.js';

/**
 * The fetching side of the blocks protocol (net/block-wire.ts). The client
 * trusts nothing it receives: every block is stored through BlockTable.put,
 * which refuses one that does not hash to its reference; a peer that sends
 * one is reported and dropped, and the reference asked of another peer.
 *
 * Blocks of a tree are fetched top-down (fetchTree): a child's reference is
 * only learnt from its parent, which the store opens as it arrives because the
 * tree is pinned first.
 */

export interface BlockFetchLimits {
  /** Deadline for each answer frame. */
  readonly readTimeoutMs: number;
  /** References asked per WANT frame (at most 256). */
  readonly wantRefs: number;
  /** WANT frames outstanding per peer, so the server never waits for the next one. */
  readonly inFlight: number;
  /** References asked on one stream before another is opened; keep within the servers' cap. */
  readonly maxRefsPerStream: number;
}

export const DEFAULT_BLOCK_FETCH_LIMITS: BlockFetchLimits = Object.freeze({
  readTimeoutMs: BLOCK_READ_TIMEOUT_MS,
  wantRefs: BLOCK_WANT_REFS,
  inFlight: BLOCK_WANTS_IN_FLIGHT,
  maxRefsPerStream: BLOCK_REFS_PER_STREAM,
});

/** What a fetcher needs of a store: to add verified blocks, and for fetchTree to see what a pinned tree still lacks. */
export interface BlockSink {
  readonly blocks: Pick<BlockTable, 'put' | 'has' | 'missing' | 'pinStatus'>;
}

export interface BlockFetcherOptions<P> {
  readonly store: BlockSink;
  /** Opens a blocks stream to a peer (see blocksOpener). */
  readonly open: (peer: P) => Promise<Frames>;
  /**
   * A peer broke the protocol (sent a block that is not what its reference
   * says, a frame of the wrong type or size). The fetcher has already dropped
   * its stream and stops asking it; the caller typically bans it (disconnectPeer).
   */
  readonly onMisbehaviour?: (peer: P, reason: string) => void;
  /** A peer failed without misbehaving (unreachable, timed out, hung up): for logging. */
  readonly onPeerFailed?: (peer: P, reason: string) => void;
  /** Called for every block stored, with the peer that served it. */
  readonly onBlock?: (reference: ErisReference, peer: P, bytes: number) => void;
  readonly limits?: Partial<BlockFetchLimits>;
  /** Identifies a peer (for PeerId, its string form, the default). */
  readonly peerKey?: (peer: P) => string;
}

export interface PeerFetchStats {
  readonly blocks: number;
  readonly bytes: number;
  readonly none: number;
}

export interface BlockFetchResult {
  /** Distinct references asked for. */
  readonly wanted: number;
  /** Already stored before the fetch, so not asked of anyone. */
  readonly alreadyHad: number;
  /** Blocks received and stored. */
  readonly fetched: number;
  readonly bytes: number;
  /** Per peer (by peerKey): what it served. */
  readonly perPeer: Map<string, PeerFetchStats>;
  /** Peers dropped for misbehaving, with the reason. */
  readonly misbehaved: Map<string, string>;
}

export interface FetchOptions {
  readonly signal?: AbortSignal;
}

export interface TreeProgress {
  /** Blocks stored by this fetchTree call so far. */
  readonly fetched: number;
  /** Blocks of the tree stored here (fetched now or before). */
  readonly present: number;
  /** References of the tree known so far; grows as internal nodes arrive. */
  readonly known: number;
}

export interface FetchTreeOptions extends FetchOptions {
  readonly onProgress?: (p: TreeProgress) => void;
  /** References taken from the store's missing list per round. */
  readonly roundRefs?: number;
}

export interface FetchTreeResult {
  readonly fetched: number;
  readonly bytes: number;
  readonly rounds: number;
  readonly blocks: number;
  readonly perPeer: Map<string, PeerFetchStats>;
  readonly misbehaved: Map<string, string>;
}

/**
 * Fetches blocks from several peers at once. Wanted references are shared
 * out in WANT batches (sized so every peer gets a share), each peer keeps a
 * few batches in flight on one stream, and a reference a peer answers NONE
 * for goes back to the pool for another peer. Every block is verified by
 * storing it (BlockTable.put checks its hash); a peer that sends a bad one is
 * reported through onMisbehaviour and not used again by this fetcher.
 */
export class BlockFetcher<P = PeerId> {
  private readonly limits: BlockFetchLimits;
  private readonly key: (peer: P) => string;
  /** Peers that misbehaved: never asked again by this fetcher. */
  readonly excluded = new Map<string, string>();

  constructor(private readonly options: BlockFetcherOptions<P>) {
    const l = { ...DEFAULT_BLOCK_FETCH_LIMITS, ...options.limits };
    if (!Number.isInteger(l.wantRefs) || l.wantRefs < 1 || l.wantRefs > MAX_WANT_REFS) fail('malformed', `wantRefs must be 1 to ${MAX_WANT_REFS}`);
    if (!Number.isInteger(l.inFlight) || l.inFlight < 1) fail('malformed', 'inFlight must be at least 1');
    if (!Number.isInteger(l.maxRefsPerStream) || l.maxRefsPerStream < l.wantRefs) fail('malformed', 'maxRefsPerStream must be at least wantRefs');
    this.limits = l;
    this.key = options.peerKey ?? ((p: P) => String(p));
  }

  /**
   * Fetches these references from these peers and stores them. Resolves when
   * every one is stored; throws KithError 'not-found' when some could not be
   * had from any peer (after storing all the others), and passes on a store
   * refusal other than a bad block (e.g. 'too-large': the quota is full).
   */
  async fetch(references: Iterable<ErisReference>, peers: readonly P[], options: FetchOptions = {}): Promise<BlockFetchResult> {
    return new FetchRun<P>(this.context(), references, peers, options.signal).result();
  }

  /**
   * Fetches a whole ERIS tree into the store, top-down. The caller pins the
   * tree first (store.blocks.pin(cap, reason)): the pin is what makes the store
   * open each internal node as it arrives and list its children as missing.
   * Then the content decodes locally: decodeEris(cap, (r) => store.blocks.get(r)).
   */
  async fetchTree(root: ReadCapability | ErisReference, peers: readonly P[], options: FetchTreeOptions = {}): Promise<FetchTreeResult> {
    const rootRef = root instanceof Uint8Array ? root : checkReadCapability(root).rootReference;
    const blocks = this.options.store.blocks;
    const name = formatErisReference(rootRef);
    const roundRefs = options.roundRefs ?? BLOCK_TREE_ROUND_REFS;
    let fetched = 0;
    let bytes = 0;
    let rounds = 0;
    const perPeer = new Map<string, PeerFetchStats>();
    const misbehaved = new Map<string, string>();
    for (;;) {
      const status = blocks.pinStatus(rootRef);
      if (status === undefined) fail('not-found', `ERIS root ${name} is not pinned here: pin it before fetching its tree`);
      options.onProgress?.({ fetched, present: status.presentBlocks, known: status.coveredBlocks });
      if (status.broken !== null) fail('malformed', `the tree under ${name} does not open: ${status.broken}`);
      if (status.complete) return { fetched, bytes, rounds, blocks: status.coveredBlocks, perPeer, misbehaved };
      const missing = blocks.missing(rootRef, roundRefs);
      if (missing.length === 0) {
        // Not complete, yet nothing listed: internal nodes wait for blocks nobody has named (cannot happen when fetched top-down).
        fail('not-found', `the tree under ${name} lacks ${status.pendingNodes} internal node(s) that no missing reference leads to`);
      }
      rounds++;
      const present0 = status.presentBlocks;
      let r: BlockFetchResult;
      try {
        r = await this.fetchWith(missing, peers, options.signal, () => {
          fetched++;
          options.onProgress?.({ fetched, present: present0 + fetched, known: status.coveredBlocks });
        });
      } catch (e) {
        // What arrived stays stored and pinned: a later fetchTree resumes from there.
        if (e instanceof KithError && e.code === 'not-found') {
          throw new KithError(
            'not-found',
            `the tree under ${name} is incomplete (${status.presentBlocks + fetched} of at least ${status.coveredBlocks} blocks here): ${e.message}`,
          );
        }
        throw e;
      }
      bytes += r.bytes;
      for (const [k, s] of r.perPeer) {
        const t = perPeer.get(k) ?? { blocks: 0, bytes: 0, none: 0 };
        perPeer.set(k, { blocks: t.blocks + s.blocks, bytes: t.bytes + s.bytes, none: t.none + s.none });
      }
      for (const [k, v] of r.misbehaved) misbehaved.set(k, v);
      if (r.fetched === 0 && r.alreadyHad === 0) fail('io', `fetching the tree under ${name} made no progress`);
    }
  }

  private fetchWith(refs: ErisReference[], peers: readonly P[], signal: AbortSignal | undefined, onStored: () => void): Promise<BlockFetchResult> {
    return new FetchRun<P>(this.context(), refs, peers, signal, onStored).result();
  }

  private context(): RunContext<P> {
    return { limits: this.limits, options: this.options, key: this.key, excluded: this.excluded };
  }
}
