import { KithError, fail } from '../core/errors.js';
import { reasonOf } from '../core/log.js';
import { toHex } from '../core/bytes.js';
import { ERIS_HASH_BYTES } from '../core/eris-crypto.js';
import { formatErisReference, type ErisReference } from '../core/eris.js';
import type { BlockFetchLimits, BlockFetcherOptions, BlockFetchResult } from './block-fetcher.js';
import { encodeWant, MAX_ANSWER_FRAME_BYTES, parseAnswer, type BlockAnswer } from './block-wire.js';
import type { Frames } from './frames.js';

/**
 * One fetch of a BlockFetcher (net/block-fetcher.ts): a pool of wanted
 * references and one worker per peer. Wanted references are shared out in
 * WANT batches (sized so every peer gets a share), each peer keeps a few
 * batches in flight on one stream, and a reference a peer answers NONE for
 * goes back to the pool for another peer.
 */

interface Want {
  readonly ref: Uint8Array;
  readonly hex: string;
  /** Peers that answered NONE or failed while holding it. */
  readonly tried: Set<string>;
}

/** Why a peer's session ended: it broke the protocol, or it just failed. */
class PeerFault extends Error {
  private constructor(
    readonly kind: 'misbehaved' | 'failed',
    message: string,
  ) {
    super(message);
  }

  /** It broke the protocol (a bad block, a frame of the wrong type or size): dropped, and not asked again. */
  static misbehaved(message: string): PeerFault {
    return new PeerFault('misbehaved', message);
  }

  /** It failed without misbehaving (unreachable, timed out, hung up): its references go to other peers. */
  static failed(message: string): PeerFault {
    return new PeerFault('failed', message);
  }
}

export interface RunContext<P> {
  readonly limits: BlockFetchLimits;
  readonly options: BlockFetcherOptions<P>;
  readonly key: (peer: P) => string;
  /** The fetcher's list of misbehaving peers, shared by its runs. */
  readonly excluded: Map<string, string>;
}

/** One fetch: a pool of wanted references and one worker per peer. */
export class FetchRun<P> {
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
        `${n} of ${this.wanted} block(s) could not be found on any of ${asked} peer(s)${dropped} (first: ${first}); ` + `${this.fetched} were fetched`,
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
    for (let i = 0; i < this.pending.length && out.length < n;) {
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
              throw PeerFault.failed(`cannot open a blocks stream: ${reasonOf(e)}`);
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
        frames.reset(e instanceof PeerFault && e.kind === 'misbehaved' ? 'misbehaviour' : 'fetch failed');
        frames = undefined;
      }
      this.live.delete(key);
      if (e instanceof PeerFault && this.fatal !== undefined) {
        // The fetch was stopped (its streams reset): not the peer's doing.
      } else if (e instanceof PeerFault) {
        if (e.kind === 'misbehaved') {
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
      f = await frames.readFrame(MAX_ANSWER_FRAME_BYTES, this.limits.readTimeoutMs);
    } catch (e) {
      const code = e instanceof KithError ? e.code : 'io';
      const message = `while waiting for block ${short(w)}: ${reasonOf(e)}`;
      throw code === 'io' || code === 'timeout' ? PeerFault.failed(message) : PeerFault.misbehaved(message);
    }
    if (f === null) throw PeerFault.failed(`the peer ended the stream with ${short(w)} and others unanswered`);
    let answer: BlockAnswer;
    try {
      answer = parseAnswer(f);
    } catch (e) {
      throw PeerFault.misbehaved(reasonOf(e));
    }
    if (answer.kind === 'none') {
      this.stats(key).none++;
      // The reference itself goes back to the pool for the next peer.
      this.inFlight--;
      w.tried.add(key);
      this.pending.push(w);
      this.settle();
      this.notify();
      return;
    }
    const block = answer.block;
    let added: boolean;
    try {
      added = this.opts.store.blocks.put(w.ref, block);
    } catch (e) {
      if (e instanceof KithError && (e.code === 'bad-encoding' || e.code === 'malformed')) {
        throw PeerFault.misbehaved(`sent a bad block for ${short(w)}: ${e.message}`);
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
    throw PeerFault.failed(`cannot send WANT: ${reasonOf(e)}`);
  }
}

function short(w: Want): string {
  return formatErisReference(w.ref);
}
