import type { Connection, PeerId, PeerInfo, Stream } from '@libp2p/interface';
import { KithError, fail } from '../core/errors.js';
import { toHex } from '../core/bytes.js';
import { ERIS_HASH_BYTES } from '../core/eris-crypto.js';
import { checkReadCapability, formatErisReference, type ErisReference, type ReadCapability } from '../core/eris.js';
import type { BlockTable } from '../store/blocks.js';
import { frameStream } from './frames.js';
import { dhtKey, type KithHost } from './host.js';
import { disconnectPeer, type NetLogger } from './peers.js';
import type { Frames } from './sync.js';

/**
 * The blocks protocol: fetch ERIS blocks (encrypted, content-addressed; see
 * src/core/eris.ts and src/store/blocks.ts) by reference. A node serves any
 * block it holds, to anyone: a block is ciphertext, and only a read
 * capability, which never travels over this protocol, opens it.
 *
 *   client → WANT  ref ref …      1 to 256 references of 32 bytes, back to back
 *   server → BLOCK bytes          one answer per reference, in the order asked:
 *          | NONE                  the block (1 KiB or 32 KiB), or "I do not hold it"
 *   client → WANT …               any number more, pipelined (the server answers
 *                                 one WANT at a time, in order), or the end of the stream
 *
 * Every frame is length-prefixed (src/net/frames.ts) and starts with its type
 * byte. The server reads with a deadline, refuses a WANT that is empty, not
 * whole references or over 256 of them, and caps the references one stream
 * may ask for. The client trusts nothing it receives: every block is stored
 * through BlockTable.put, which refuses one that does not hash to its
 * reference, and a peer that sends one is reported and dropped, and the
 * reference asked of another peer.
 *
 * Blocks of a tree are fetched top-down (fetchTree): a child's reference is
 * only learnt from its parent, which the store opens as it arrives because the
 * tree is pinned first.
 */

export const BLOCKS_PROTOCOL = '/kith/blocks/1.0.0';

const enum Frame {
  /** References wanted, 32 bytes each. */
  Want = 1,
  /** One block, the answer to one reference. */
  Block = 2,
  /** The server does not hold the block; the answer to one reference. */
  None = 3,
}

/** References in one WANT frame at most. */
export const MAX_WANT_REFS = 256;
/** The largest ERIS block. */
const MAX_BLOCK_BYTES = 32 * 1024;
const MAX_WANT_FRAME = 1 + MAX_WANT_REFS * ERIS_HASH_BYTES;
const MAX_ANSWER_FRAME = 1 + MAX_BLOCK_BYTES;

export interface BlockServeLimits {
  /** Deadline for each WANT frame from the client. Default 30 s. */
  readonly readTimeoutMs: number;
  /** References one stream may ask for; a client wanting more opens another stream. Default 8192 (256 MiB of 32 KiB blocks). */
  readonly maxRefsPerStream: number;
}

export const DEFAULT_BLOCK_SERVE_LIMITS: BlockServeLimits = Object.freeze({
  readTimeoutMs: 30_000,
  maxRefsPerStream: 8192,
});

/** What serveBlocks needs of a store: the blocks, to read. */
export interface BlockSource {
  readonly blocks: Pick<BlockTable, 'get'>;
}

export interface BlockServeOptions extends Partial<BlockServeLimits> {
  /** Called for every reference answered: with the block's size, or 0 for NONE. */
  readonly onAnswer?: (reference: ErisReference, bytes: number) => void;
}

export interface BlockServeResult {
  readonly wants: number;
  readonly refs: number;
  /** Blocks sent, and their bytes. */
  readonly served: number;
  readonly bytes: number;
  /** References answered NONE. */
  readonly none: number;
}

function frame(type: Frame, body?: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + (body?.length ?? 0));
  out[0] = type;
  if (body !== undefined) out.set(body, 1);
  return out;
}

/** The references of a WANT frame (views into it), after every check on its shape. */
export function parseWant(f: Uint8Array): Uint8Array[] {
  if (f.length === 0) fail('malformed', 'empty frame on the blocks protocol');
  if (f[0] !== Frame.Want) fail('malformed', `expected a WANT frame (type ${Frame.Want}), got type ${f[0]}`);
  const body = f.subarray(1);
  if (body.length % ERIS_HASH_BYTES !== 0) {
    fail('malformed', `a WANT frame holds whole ${ERIS_HASH_BYTES}-byte references; this one has ${body.length} bytes`);
  }
  const n = body.length / ERIS_HASH_BYTES;
  if (n === 0) fail('malformed', 'a WANT frame must name at least one reference');
  if (n > MAX_WANT_REFS) fail('too-large', `a WANT frame asks for ${n} blocks; 1 to ${MAX_WANT_REFS} are allowed`);
  return Array.from({ length: n }, (_, i) => body.subarray(i * ERIS_HASH_BYTES, (i + 1) * ERIS_HASH_BYTES));
}

/** A WANT frame for these references (1 to MAX_WANT_REFS of them). */
export function encodeWant(refs: readonly Uint8Array[]): Uint8Array {
  if (refs.length === 0 || refs.length > MAX_WANT_REFS) fail('malformed', `a WANT frame names 1 to ${MAX_WANT_REFS} references, not ${refs.length}`);
  const out = new Uint8Array(1 + refs.length * ERIS_HASH_BYTES);
  out[0] = Frame.Want;
  refs.forEach((r, i) => {
    if (r.length !== ERIS_HASH_BYTES) fail('malformed', `an ERIS reference is ${ERIS_HASH_BYTES} bytes, not ${r.length}`);
    out.set(r, 1 + i * ERIS_HASH_BYTES);
  });
  return out;
}

/**
 * Answers one blocks stream until the client ends it. Throws KithError when
 * the client misbehaves: 'malformed' (a frame that is not a well-formed WANT,
 * or a stream cut inside a frame), 'too-large' (a frame over the WANT limit,
 * or more references than the stream allows), 'timeout' (no WANT within the
 * deadline), 'io' (the stream was reset). The caller resets the stream then,
 * and penalizes the peer unless the code is 'timeout' or 'io'.
 */
export async function serveBlocks(frames: Frames, store: BlockSource, options: BlockServeOptions = {}): Promise<BlockServeResult> {
  const readTimeoutMs = options.readTimeoutMs ?? DEFAULT_BLOCK_SERVE_LIMITS.readTimeoutMs;
  const maxRefs = options.maxRefsPerStream ?? DEFAULT_BLOCK_SERVE_LIMITS.maxRefsPerStream;
  let wants = 0;
  let refs = 0;
  let served = 0;
  let bytes = 0;
  let none = 0;
  for (;;) {
    const f = await frames.readFrame(MAX_WANT_FRAME, readTimeoutMs);
    if (f === null) break;
    const asked = parseWant(f);
    if (refs + asked.length > maxRefs) {
      fail('too-large', `more than ${maxRefs} blocks asked for on one stream (${refs} already, ${asked.length} more)`);
    }
    wants++;
    refs += asked.length;
    for (const ref of asked) {
      const block = store.blocks.get(ref);
      if (block === undefined) {
        none++;
        await frames.writeFrame(frame(Frame.None));
      } else {
        served++;
        bytes += block.length;
        await frames.writeFrame(frame(Frame.Block, block));
      }
      options.onAnswer?.(ref, block?.length ?? 0);
    }
  }
  await frames.close();
  return { wants, refs, served, bytes, none };
}

export interface HandleBlocksOptions extends BlockServeOptions {
  /** Blocks streams one connection may have open at once. Default 8. */
  readonly maxInboundStreams?: number;
  /**
   * Called when a stream fails. By default a protocol violation (any code but
   * 'io' and 'timeout') bans the peer and hangs up (disconnectPeer).
   */
  readonly onError?: (peer: PeerId, error: unknown) => void;
  readonly onServed?: (peer: PeerId, result: BlockServeResult) => void;
  readonly log?: NetLogger;
}

/** Serves the blocks protocol on a host from a store. Returns a function that stops serving. */
export async function handleBlocks(host: KithHost, store: BlockSource, options: HandleBlocksOptions = {}): Promise<() => Promise<void>> {
  const onError =
    options.onError ??
    ((peer: PeerId, e: unknown) => {
      if (e instanceof KithError && e.code !== 'io' && e.code !== 'timeout') {
        disconnectPeer(host, peer, `blocks protocol: ${e.message}`, options.log !== undefined ? { log: options.log } : {});
      } else {
        options.log?.(`blocks stream from ${peer.toString()} stopped: ${(e as Error).message}`);
      }
    });
  await host.handle(
    BLOCKS_PROTOCOL,
    (stream: Stream, connection: Connection) => {
      const frames = frameStream(stream);
      serveBlocks(frames, store, options).then(
        (r) => options.onServed?.(connection.remotePeer, r),
        (e: unknown) => {
          frames.reset('blocks protocol error');
          onError(connection.remotePeer, e);
        },
      );
    },
    { maxInboundStreams: options.maxInboundStreams ?? 8 },
  );
  return () => host.unhandle(BLOCKS_PROTOCOL);
}

/** Opens blocks streams to peers of a host, for a BlockFetcher. */
export function blocksOpener(host: KithHost, dialTimeoutMs = 15_000): (peer: PeerId) => Promise<Frames> {
  return async (peer) => frameStream(await host.dialProtocol(peer, BLOCKS_PROTOCOL, { signal: AbortSignal.timeout(dialTimeoutMs) }));
}

// ---- client ----

export interface BlockFetchLimits {
  /** Deadline for each answer frame. Default 30 s. */
  readonly readTimeoutMs: number;
  /** References asked per WANT frame (at most 256). Default 32 (1 MiB of 32 KiB blocks). */
  readonly wantRefs: number;
  /** WANT frames outstanding per peer, so the server never waits for the next one. Default 3. */
  readonly inFlight: number;
  /** References asked on one stream before another is opened; keep within the servers' cap. Default 8192. */
  readonly maxRefsPerStream: number;
}

export const DEFAULT_BLOCK_FETCH_LIMITS: BlockFetchLimits = Object.freeze({
  readTimeoutMs: 30_000,
  wantRefs: 32,
  inFlight: 3,
  maxRefsPerStream: DEFAULT_BLOCK_SERVE_LIMITS.maxRefsPerStream,
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
  /** References taken from the store's missing list per round. Default 1024. */
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

interface Want {
  readonly ref: Uint8Array;
  readonly hex: string;
  /** Peers that answered NONE or failed while holding it. */
  readonly tried: Set<string>;
}

/** Why a peer's session ended: it broke the protocol, or it just failed. */
class PeerFault extends Error {
  constructor(
    readonly misbehaved: boolean,
    message: string,
  ) {
    super(message);
  }
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
    const roundRefs = options.roundRefs ?? 1024;
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
          throw new KithError('not-found', `the tree under ${name} is incomplete (${status.presentBlocks + fetched} of at least ${status.coveredBlocks} blocks here): ${e.message}`);
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

interface RunContext<P> {
  readonly limits: BlockFetchLimits;
  readonly options: BlockFetcherOptions<P>;
  readonly key: (peer: P) => string;
  /** The fetcher's list of misbehaving peers, shared by its runs. */
  readonly excluded: Map<string, string>;
}

/** One fetch: a pool of wanted references and one worker per peer. */
class FetchRun<P> {
  private readonly pending: Want[] = [];
  private readonly notFound: Want[] = [];
  private inFlight = 0;
  private readonly live = new Set<string>();
  private readonly perPeer = new Map<string, { blocks: number; bytes: number; none: number }>();
  private readonly misbehaved = new Map<string, string>();
  private readonly sessions = new Set<Frames>();
  private fatal: unknown;
  private wake: Array<() => void> = [];
  private wanted = 0;
  private alreadyHad = 0;
  private fetched = 0;
  private bytes = 0;
  private readonly limits: BlockFetchLimits;
  private readonly opts: BlockFetcherOptions<P>;

  constructor(
    private readonly ctx: RunContext<P>,
    references: Iterable<ErisReference>,
    private readonly peers: readonly P[],
    private readonly signal: AbortSignal | undefined,
    private readonly onStored?: () => void,
  ) {
    this.limits = ctx.limits;
    this.opts = ctx.options;
    const seen = new Set<string>();
    for (const ref of references) {
      if (!(ref instanceof Uint8Array) || ref.length !== ERIS_HASH_BYTES) fail('malformed', `an ERIS reference is ${ERIS_HASH_BYTES} bytes`);
      const hex = toHex(ref);
      if (seen.has(hex)) continue;
      seen.add(hex);
      this.wanted++;
      if (this.opts.store.blocks.has(ref)) this.alreadyHad++;
      else this.pending.push({ ref: ref.slice(), hex, tried: new Set() });
    }
  }

  async result(): Promise<BlockFetchResult> {
    const workers: Array<{ peer: P; key: string }> = [];
    for (const peer of this.peers) {
      const key = this.ctx.key(peer);
      if (this.live.has(key) || this.ctx.excluded.has(key)) continue;
      this.live.add(key);
      workers.push({ peer, key });
    }
    const onAbort = () => this.fail(new KithError('timeout', 'the block fetch was cancelled'));
    if (this.signal?.aborted) onAbort();
    this.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      this.settle();
      if (this.pending.length > 0) await Promise.all(workers.map((w) => this.work(w.peer, w.key)));
    } finally {
      this.signal?.removeEventListener('abort', onAbort);
    }
    if (this.fatal !== undefined) throw this.fatal;
    // Workers only stop with work left when every peer is gone.
    this.notFound.push(...this.pending.splice(0));
    if (this.notFound.length > 0) {
      const n = this.notFound.length;
      const asked = this.peers.length;
      const first = formatErisReference(this.notFound[0]!.ref);
      const dropped = this.misbehaved.size > 0 ? `, ${this.misbehaved.size} dropped for misbehaving` : '';
      throw new KithError(
        'not-found',
        `${n} of ${this.wanted} block(s) could not be found on any of ${asked} peer(s)${dropped} (first: ${first}); ` +
          `${this.fetched} were fetched`,
      );
    }
    return {
      wanted: this.wanted,
      alreadyHad: this.alreadyHad,
      fetched: this.fetched,
      bytes: this.bytes,
      perPeer: new Map(this.perPeer),
      misbehaved: new Map(this.misbehaved),
    };
  }

  /** Moves to notFound every pending reference that every live peer has already been asked. */
  private settle(): void {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const w = this.pending[i]!;
      let untried = false;
      for (const k of this.live) {
        if (!w.tried.has(k)) {
          untried = true;
          break;
        }
      }
      if (!untried) {
        this.pending.splice(i, 1);
        this.notFound.push(w);
      }
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.wake.push(resolve));
  }

  private done(): boolean {
    return this.fatal !== undefined || (this.pending.length === 0 && this.inFlight === 0);
  }

  /** A batch for this peer: references it has not been asked, sized so every live peer gets a share. */
  private take(key: string): Want[] {
    const share = Math.ceil(this.pending.length / Math.max(1, this.live.size * this.limits.inFlight));
    const n = Math.max(1, Math.min(this.limits.wantRefs, share));
    const out: Want[] = [];
    for (let i = 0; i < this.pending.length && out.length < n; ) {
      const w = this.pending[i]!;
      if (w.tried.has(key)) {
        i++;
        continue;
      }
      this.pending.splice(i, 1);
      out.push(w);
    }
    this.inFlight += out.length;
    return out;
  }

  /** References handed back unanswered (or answered NONE): to the pool, for other peers. */
  private giveBack(wants: Want[], key: string | undefined): void {
    this.inFlight -= wants.length;
    for (const w of wants) {
      if (key !== undefined) w.tried.add(key);
      this.pending.push(w);
    }
  }

  private stats(key: string): { blocks: number; bytes: number; none: number } {
    let s = this.perPeer.get(key);
    if (s === undefined) {
      s = { blocks: 0, bytes: 0, none: 0 };
      this.perPeer.set(key, s);
    }
    return s;
  }

  private async work(peer: P, key: string): Promise<void> {
    let frames: Frames | undefined;
    let asked = 0;
    /** Batches sent (or about to be) and not fully answered, oldest first; answered references are shifted off. */
    const sent: Want[][] = [];
    const closeSession = (): Promise<void> => {
      if (frames === undefined) return Promise.resolve();
      const f = frames;
      frames = undefined;
      this.sessions.delete(f);
      // Ends our side only; the server sees the end of its WANTs and closes its own.
      return f.close().catch(() => f.reset('closing'));
    };
    try {
      for (;;) {
        if (this.fatal !== undefined) break;
        // Keep up to inFlight WANTs outstanding.
        while (sent.length < this.limits.inFlight && this.fatal === undefined) {
          const batch = this.take(key);
          if (batch.length === 0) break;
          if (frames !== undefined && asked + batch.length > this.limits.maxRefsPerStream) {
            if (sent.length > 0) {
              // This stream is nearly used up: take its answers first, then open another.
              this.giveBack(batch, undefined);
              break;
            }
            await closeSession();
          }
          sent.push(batch);
          if (frames === undefined) {
            try {
              frames = await this.opts.open(peer);
            } catch (e) {
              throw new PeerFault(false, `cannot open a blocks stream: ${(e as Error).message}`);
            }
            this.sessions.add(frames);
            asked = 0;
            if (this.fatal !== undefined) break;
          }
          asked += batch.length;
          await writeOrFault(frames, encodeWant(batch.map((w) => w.ref)));
        }
        if (this.fatal !== undefined) break;
        if (sent.length === 0) {
          if (this.done()) break;
          // Nothing for us now, but others' answers (NONE, a failed peer) may bring some back.
          // Don't hold an idle stream open meanwhile: the server's read deadline would end it.
          void closeSession();
          await this.changed();
          continue;
        }
        const batch = sent[0]!;
        while (batch.length > 0) {
          await this.answer(frames!, peer, key, batch[0]!);
          batch.shift();
        }
        sent.shift();
      }
    } catch (e) {
      for (const b of sent.splice(0)) this.giveBack(b, key);
      if (frames !== undefined) {
        this.sessions.delete(frames);
        frames.reset(e instanceof PeerFault && e.misbehaved ? 'misbehaviour' : 'fetch failed');
        frames = undefined;
      }
      this.live.delete(key);
      if (e instanceof PeerFault && this.fatal !== undefined) {
        // The fetch was stopped (its streams reset): not the peer's doing.
      } else if (e instanceof PeerFault) {
        if (e.misbehaved) {
          this.misbehaved.set(key, e.message);
          this.ctx.excluded.set(key, e.message);
          this.opts.onMisbehaviour?.(peer, e.message);
        } else {
          this.opts.onPeerFailed?.(peer, e.message);
        }
      } else {
        this.fail(e);
      }
    } finally {
      for (const b of sent.splice(0)) this.giveBack(b, undefined);
      this.live.delete(key);
      this.settle();
      this.notify();
      await closeSession();
    }
  }

  /** Ends the whole fetch: our own failure (the store refused), or the caller cancelled. */
  private fail(e: unknown): void {
    this.fatal ??= e;
    for (const s of this.sessions) s.reset('fetch stopped');
    this.sessions.clear();
    this.notify();
  }

  /** Reads the answer to one reference and stores it. Throws PeerFault for the peer's failures, anything else for ours. */
  private async answer(frames: Frames, peer: P, key: string, w: Want): Promise<void> {
    let f: Uint8Array | null;
    try {
      f = await frames.readFrame(MAX_ANSWER_FRAME, this.limits.readTimeoutMs);
    } catch (e) {
      const code = e instanceof KithError ? e.code : 'io';
      throw new PeerFault(code !== 'io' && code !== 'timeout', `while waiting for block ${short(w)}: ${(e as Error).message}`);
    }
    if (f === null) throw new PeerFault(false, `the peer ended the stream with ${short(w)} and others unanswered`);
    if (f.length === 0) throw new PeerFault(true, 'an empty frame on the blocks protocol');
    if (f[0] === Frame.None) {
      if (f.length !== 1) throw new PeerFault(true, 'a NONE frame with a body');
      this.stats(key).none++;
      // The reference itself goes back to the pool for the next peer.
      this.inFlight--;
      w.tried.add(key);
      this.pending.push(w);
      this.settle();
      this.notify();
      return;
    }
    if (f[0] !== Frame.Block) throw new PeerFault(true, `unexpected frame type ${f[0]} on the blocks protocol`);
    const block = f.subarray(1);
    let added: boolean;
    try {
      added = this.opts.store.blocks.put(w.ref, block);
    } catch (e) {
      if (e instanceof KithError && (e.code === 'bad-encoding' || e.code === 'malformed')) {
        throw new PeerFault(true, `sent a bad block for ${short(w)}: ${e.message}`);
      }
      throw e; // ours: the quota is full, the database failed
    }
    this.inFlight--;
    const s = this.stats(key);
    s.blocks++;
    s.bytes += block.length;
    if (added) {
      this.fetched++;
      this.bytes += block.length;
      this.onStored?.();
    }
    this.opts.onBlock?.(w.ref, peer, block.length);
    if (this.pending.length === 0 && this.inFlight === 0) this.notify();
  }
}

async function writeOrFault(frames: Frames, bytes: Uint8Array): Promise<void> {
  try {
    await frames.writeFrame(bytes);
  } catch (e) {
    throw new PeerFault(false, `cannot send WANT: ${(e as Error).message}`);
  }
}

function short(w: Want): string {
  return formatErisReference(w.ref);
}

// ---- DHT ----

/** The DHT key under which the holders of an ERIS tree announce it: 'eris:' + the root reference in hex. */
export function rootDhtKey(rootRef: ErisReference): ReturnType<typeof dhtKey> {
  if (!(rootRef instanceof Uint8Array) || rootRef.length !== ERIS_HASH_BYTES) fail('malformed', `an ERIS root reference is ${ERIS_HASH_BYTES} bytes`);
  return dhtKey('eris:' + toHex(rootRef));
}

/**
 * Announces in the DHT that this node holds (and serves) the tree under a
 * root. The record says only that some ciphertext is here: the root reference
 * does not open anything without the capability's key.
 */
export async function provideRoot(host: KithHost, rootRef: ErisReference, options: { signal?: AbortSignal } = {}): Promise<void> {
  const key = await rootDhtKey(rootRef);
  try {
    await host.contentRouting.provide(key, { signal: options.signal ?? AbortSignal.timeout(30_000) });
  } catch (e) {
    const err = e as Error;
    if (err.name === 'AbortError' || err.name === 'TimeoutError') fail('timeout', `announcing ${formatErisReference(rootRef)} in the DHT timed out`);
    fail('io', `announcing ${formatErisReference(rootRef)} in the DHT failed: ${err.message}`);
  }
}

/**
 * Peers the DHT says hold the tree under a root (never this node), up to
 * `max` (default 20), stopping early at the deadline (default 15 s) with
 * whatever was found by then.
 */
export async function findRootProviders(
  host: KithHost,
  rootRef: ErisReference,
  options: { signal?: AbortSignal; max?: number } = {},
): Promise<PeerInfo[]> {
  const key = await rootDhtKey(rootRef);
  const max = options.max ?? 20;
  const found = new Map<string, PeerInfo>();
  try {
    for await (const p of host.contentRouting.findProviders(key, { signal: options.signal ?? AbortSignal.timeout(15_000) })) {
      if (p.id.equals(host.peerId)) continue;
      found.set(p.id.toString(), p);
      if (found.size >= max) break;
    }
  } catch (e) {
    const err = e as Error;
    if (err.name !== 'AbortError' && err.name !== 'TimeoutError' && found.size === 0) {
      fail('io', `looking up ${formatErisReference(rootRef)} in the DHT failed: ${err.message}`);
    }
  }
  return [...found.values()];
}
