import type { Connection, PeerId, Stream } from '@libp2p/interface';
import { KithError, fail } from '../core/errors.js';
import { reasonOf, silentLogger, type Logger } from '../core/log.js';
import { BLOCK_DIAL_TIMEOUT_MS, BLOCK_INBOUND_STREAMS, BLOCK_READ_TIMEOUT_MS, BLOCK_REFS_PER_STREAM } from '../core/constants.js';
import type { ErisReference } from '../core/eris.js';
import type { BlockTable } from '../store/blocks.js';
import { BLOCKS_PROTOCOL, encodeAnswer, MAX_WANT_FRAME_BYTES, parseWant } from './block-wire.js';
import { frameStream, type Frames } from './frames.js';
import type { KithHost } from './host.js';
import { disconnectPeer } from './peers.js';

/**
 * The serving side of the blocks protocol (net/block-wire.ts): answers WANTs
 * from the store, in order. It reads with a deadline, refuses a WANT that is
 * empty, not whole references or over 256 of them, and caps the references
 * one stream may ask for.
 */

export interface BlockServeLimits {
  /** Deadline for each WANT frame from the client. */
  readonly readTimeoutMs: number;
  /** References one stream may ask for; a client wanting more opens another stream. */
  readonly maxRefsPerStream: number;
}

export const DEFAULT_BLOCK_SERVE_LIMITS: BlockServeLimits = Object.freeze({
  readTimeoutMs: BLOCK_READ_TIMEOUT_MS,
  maxRefsPerStream: BLOCK_REFS_PER_STREAM,
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
    const f = await frames.readFrame(MAX_WANT_FRAME_BYTES, readTimeoutMs);
    if (f === null) break;
    const asked = parseWant(f);
    if (refs + asked.length > maxRefs) {
      fail('too-large', `more than ${maxRefs} blocks asked for on one stream (${refs} already, ${asked.length} more)`);
    }
    wants++;
    refs += asked.length;
    for (const ref of asked) {
      const block = store.blocks.get(ref);
      if (block === undefined) none++;
      else {
        served++;
        bytes += block.length;
      }
      await frames.writeFrame(encodeAnswer(block));
      options.onAnswer?.(ref, block?.length ?? 0);
    }
  }
  await frames.close();
  return { wants, refs, served, bytes, none };
}

export interface HandleBlocksOptions extends BlockServeOptions {
  /** Blocks streams one connection may have open at once. */
  readonly maxInboundStreams?: number;
  /**
   * Called when a stream fails. By default a protocol violation (any code but
   * 'io' and 'timeout') bans the peer and hangs up (disconnectPeer).
   */
  readonly onError?: (peer: PeerId, error: unknown) => void;
  readonly onServed?: (peer: PeerId, result: BlockServeResult) => void;
  readonly log?: Logger;
}

/** Serves the blocks protocol on a host from a store. Returns a function that stops serving. */
export async function handleBlocks(host: KithHost, store: BlockSource, options: HandleBlocksOptions = {}): Promise<() => Promise<void>> {
  const log = options.log ?? silentLogger;
  const onError =
    options.onError ??
    ((peer: PeerId, e: unknown) => {
      if (e instanceof KithError && e.code !== 'io' && e.code !== 'timeout') {
        disconnectPeer(host, peer, `blocks protocol: ${e.message}`, { log });
      } else {
        log.debug(`blocks stream from ${peer.toString()} stopped: ${reasonOf(e)}`);
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
    { maxInboundStreams: options.maxInboundStreams ?? BLOCK_INBOUND_STREAMS },
  );
  return () => host.unhandle(BLOCKS_PROTOCOL);
}

/** Opens blocks streams to peers of a host, for a BlockFetcher. */
export function blocksOpener(host: KithHost, dialTimeoutMs = BLOCK_DIAL_TIMEOUT_MS): (peer: PeerId) => Promise<Frames> {
  return async (peer) => frameStream(await host.dialProtocol(peer, BLOCKS_PROTOCOL, { signal: AbortSignal.timeout(dialTimeoutMs) }));
}
