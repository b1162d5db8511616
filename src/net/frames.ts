import type { Stream } from '@libp2p/interface';
import { lpStream, UnexpectedEOFError, type LengthPrefixedStream, type LengthPrefixedStreamOpts } from '@libp2p/utils';
import { decode as decodeVarint, encode as encodeVarint, encodingLength } from 'uint8-varint';
import { KithError } from '../core/errors.js';
import { FRAME_READ_AHEAD_BYTES, FRAME_READ_BUFFER_LIMIT_BYTES, FRAME_WRITE_TIMEOUT_MS } from '../core/constants.js';
import { Deadlines } from './deadlines.js';

/**
 * Length-prefixed frames over a libp2p 3 stream: each frame is an unsigned
 * LEB128 varint byte count followed by that many bytes (the multiformats
 * unsigned-varint, as libp2p's own protocols use), read one at a time, the
 * pull model a request/response protocol wants (read one frame, decide, answer).
 *
 * Reading is libp2p's `lpStream` (@libp2p/utils): it reads the prefix, then
 * the body, and honours an abort signal as the read's deadline. Writing is a
 * send and, when the muxer asks, a wait for 'drain' (see writeFrame for why
 * not lpStream's). What lpStream does not do, and this class adds:
 * - the per-frame limit is the read's, not the stream's, and is checked by our
 *   length decoder as the prefix arrives, before any of the body is read (the
 *   prefix must also be minimally encoded, so peers cannot disagree on it);
 * - back-pressure on the reading side: lpStream buffers whatever arrives and
 *   aborts the stream past a fixed size, so a fast sender and a slow reader
 *   would end in a reset. We pause the stream (yamux then stops granting the
 *   sender window) once the read-ahead reaches its mark, and resume when a read
 *   needs more; the frame being read raises the mark to its own size;
 * - deadlines that cost no timer per frame (net/deadlines.ts);
 * - errors as KithError, a clean end between frames as null, byte counters.
 */

export interface FrameStreamOptions {
  /**
   * Read-ahead before the stream is paused (yamux then stops granting the
   * sender window). Raised automatically to fit a frame being read.
   */
  highWaterMark?: number;
  /** Deadline for one writeFrame waiting for the peer to take our bytes. */
  writeTimeoutMs?: number;
}

/** What protocols need of a framed stream (tests and callers may hand in their own). */
export type Frames = Pick<FrameStream, 'readFrame' | 'writeFrame' | 'close' | 'reset' | 'bytesRead' | 'bytesWritten'>;

/** The length decoder's input: the prefix bytes read so far. */
type Prefix = Parameters<LengthPrefixedStreamOpts['lengthDecoder']>[0];

/** Below this a frame is copied into one send with its prefix: one muxer frame, one AEAD tag. */
const COALESCE_BELOW_BYTES = 64 * 1024;

/** lpStream reads the prefix a byte at a time; a RangeError from the decoder means "not all of it yet". */
const MORE_PREFIX = new RangeError('the length prefix continues');

export class FrameStream {
  readonly stream: Stream;
  /** Bytes received on this stream, prefixes included (for sync's accounting). */
  bytesRead = 0;
  /** Bytes handed to the stream, prefixes included. */
  bytesWritten = 0;

  private readonly lp: LengthPrefixedStream<Stream>;
  private readonly highWater: number;
  private readonly writeTimeoutMs: number;
  /** Bytes received and not yet taken by a read: what pausing bounds. */
  private buffered = 0;
  /** While a read waits for a body: its length, which then sets the read-ahead mark. */
  private want = 0;
  /** Prefix bytes of the frame being read that lpStream has taken (0 until it starts). */
  private prefixTaken = 0;
  /** The frame limit of the read in progress, for the length decoder. */
  private maxBytes = 0;
  private reading = false;
  /** Inside stream.resume(), which hands us what libp2p buffered before it re-opens the muxer's window. */
  private resuming = false;
  /** Once the framing is out of step (oversize, malformed, cut mid-frame) every later read fails the same way. */
  private poisoned: KithError | undefined;
  private closeError: Error | undefined;
  private readonly readDeadlines = new Deadlines();
  private readonly writeDeadlines = new Deadlines();

  constructor(stream: Stream, options: FrameStreamOptions = {}) {
    this.stream = stream;
    this.highWater = options.highWaterMark ?? FRAME_READ_AHEAD_BYTES;
    this.writeTimeoutMs = options.writeTimeoutMs ?? FRAME_WRITE_TIMEOUT_MS;
    // Our pausing keeps lpStream's buffer near the read-ahead mark (or the
    // frame being read) plus what libp2p held while paused (one yamux window);
    // its own limit is only a backstop for a peer that ignores flow control.
    this.lp = lpStream(stream, { lengthDecoder: (prefix) => this.decodeLength(prefix), maxBufferSize: FRAME_READ_BUFFER_LIMIT_BYTES });
    // Listen at once (lpStream has): libp2p replays what arrived before a
    // 'message' listener existed, so nothing is lost or left uncounted.
    stream.addEventListener('message', (evt) => {
      this.buffered += evt.data.byteLength;
      this.bytesRead += evt.data.byteLength;
      if (!this.resuming && this.buffered >= Math.max(this.highWater, this.want)) this.pause();
    });
    stream.addEventListener('close', (evt) => {
      this.closeError ??= evt.error;
      this.readDeadlines.dispose();
      this.writeDeadlines.dispose();
    });
  }

  /**
   * The next frame's bytes; null when the peer closed its side cleanly between
   * frames. Throws KithError: 'too-large' (length prefix over maxBytes; the
   * body is not read, and the caller should reset), 'malformed' (a bad prefix,
   * or the stream ended inside a frame), 'timeout' (no whole frame within
   * timeoutMs; if part of one had arrived the stream is out of step and every
   * later read fails too), 'io' (the stream was reset or aborted).
   */
  async readFrame(maxBytes: number, timeoutMs: number): Promise<Uint8Array | null> {
    if (this.poisoned !== undefined) throw this.poisoned;
    if (this.reading) throw new KithError('io', 'readFrame called while another read is waiting');
    this.reading = true;
    this.maxBytes = maxBytes;
    const signal = this.readDeadlines.start(timeoutMs, () => new KithError('timeout', `no complete frame within ${timeoutMs} ms`));
    try {
      // Reading frees room: let the sender go on if it was waiting on us.
      if (this.buffered < this.highWater) this.resume();
      const frame = await this.lp.read({ signal });
      this.buffered -= frame.byteLength;
      return frame.subarray();
    } catch (e) {
      return this.readFailed(e);
    } finally {
      this.readDeadlines.end();
      this.reading = false;
      this.want = 0;
      this.prefixTaken = 0;
      if (this.buffered >= this.highWater) this.pause();
    }
  }

  /**
   * Sends one frame; resolves when the stream has taken it (not when the peer
   * has read it). Frames go one after another: await each before the next.
   *
   * Written here, not with lpStream's write: that takes its deadline as a
   * signal handed to p-event, which never removes its 'abort' listener, so it
   * needs a fresh AbortController and timer per frame (see net/deadlines.ts
   * for what those cost), or a signal per stream that collects a listener per
   * wait (Node warns of the leak after ten). Here a deadline applies only when
   * the muxer makes us wait.
   */
  async writeFrame(bytes: Uint8Array): Promise<void> {
    const prefix = encodeVarint(bytes.byteLength);
    this.bytesWritten += prefix.byteLength + bytes.byteLength;
    try {
      let ok: boolean;
      if (bytes.byteLength < COALESCE_BELOW_BYTES) {
        const one = new Uint8Array(prefix.byteLength + bytes.byteLength);
        one.set(prefix, 0);
        one.set(bytes, prefix.byteLength);
        ok = this.stream.send(one);
      } else {
        this.stream.send(prefix);
        ok = this.stream.send(bytes);
      }
      // send() has queued the bytes either way; false asks us not to queue
      // more until the muxer drains, which bounds our memory to one frame.
      if (!ok) await this.drained();
    } catch (e) {
      throw asKithError(e, 'write');
    }
  }

  /**
   * Ends our side: no more frames from us, queued bytes still delivered. The
   * peer's side stays readable until it closes too.
   */
  async close(): Promise<void> {
    try {
      await this.stream.close({ signal: AbortSignal.timeout(this.writeTimeoutMs) });
    } catch (e) {
      throw asKithError(e, 'close');
    }
  }

  /** Drops the stream at once in both directions; the peer sees a reset. */
  reset(reason: string): void {
    this.stream.abort(new Error(reason));
  }

  private async drained(): Promise<void> {
    const signal = this.writeDeadlines.start(this.writeTimeoutMs, () => new KithError('timeout', 'stream write timed out: the peer is not reading'));
    try {
      await this.stream.onDrain({ signal });
    } finally {
      this.writeDeadlines.end();
    }
  }

  /**
   * lpStream's length decoder, called with each prefix byte as it is taken:
   * checks the prefix against this read's limit before any of the body is read.
   */
  private decodeLength(prefix: Prefix): number {
    this.buffered--;
    const n = (this.prefixTaken = prefix.byteLength);
    const last = prefix.get(n - 1);
    if ((last & 0x80) !== 0) {
      // Already as many digits as the largest allowed length takes, and more to come.
      if (n >= encodingLength(this.maxBytes)) throw this.poison(new KithError('too-large', `frame length prefix exceeds the limit of ${this.maxBytes} bytes`));
      throw MORE_PREFIX;
    }
    // Minimal encoding only: a trailing zero byte would let two peers
    // disagree about where frames start if anyone re-encodes.
    if (last === 0 && n > 1) throw this.poison(new KithError('malformed', 'frame length is not minimally encoded'));
    const length = decodeVarint(prefix);
    if (length > this.maxBytes) throw this.poison(new KithError('too-large', `frame of ${length} bytes; the limit is ${this.maxBytes}`));
    // A frame above the read-ahead mark could never complete while paused, so
    // the frame being read sets the mark until it is done.
    this.want = length;
    if (this.buffered < length) this.resume();
    return length;
  }

  /** Turns what a read threw into its answer: null for a clean end, a KithError otherwise. */
  private readFailed(e: unknown): null {
    if (e instanceof KithError) {
      // Our own: a refused prefix (already poisoned), or the deadline.
      if (e.code === 'timeout' && this.prefixTaken > 0) throw this.poison(e);
      throw e;
    }
    const failure = this.failure();
    if (failure !== undefined) throw new KithError('io', `stream reset: ${failure}`);
    if (e instanceof UnexpectedEOFError) {
      if (this.prefixTaken === 0) return null;
      const arrived = this.prefixTaken + Math.max(0, this.buffered);
      throw this.poison(new KithError('malformed', `stream ended inside a frame (${arrived} bytes of it arrived)`));
    }
    throw new KithError('io', `stream read failed: ${(e as Error)?.message ?? String(e)}`);
  }

  /** Why the stream is unusable, if it was reset or aborted. */
  private failure(): string | undefined {
    if (this.closeError !== undefined) return this.closeError.message;
    if (this.stream.status === 'reset' || this.stream.status === 'aborted') return `the stream was ${this.stream.status}`;
    return undefined;
  }

  private pause(): void {
    // Only a readable stream can be paused (one closing has nothing more to hold back).
    if (this.stream.readStatus === 'readable') this.stream.pause();
  }

  private resume(): void {
    if (this.stream.readStatus !== 'paused') return;
    // libp2p's resume() first delivers what it buffered, then tells the muxer
    // to grant window again. Pausing from the listener during that delivery
    // would be undone by the grant: the stream would say "paused" while yamux
    // kept granting window, until libp2p's read buffer overflowed and it reset
    // the stream. So pause, if still needed, only once resume() has returned.
    this.resuming = true;
    try {
      this.stream.resume();
    } finally {
      this.resuming = false;
    }
    if (this.buffered >= Math.max(this.highWater, this.want)) this.pause();
  }

  private poison(e: KithError): KithError {
    this.poisoned = e;
    return e;
  }
}

/** Opens framing on a stream; call this as soon as the stream exists. */
export function frameStream(stream: Stream, options?: FrameStreamOptions): FrameStream {
  return new FrameStream(stream, options);
}

function asKithError(e: unknown, what: string): KithError {
  if (e instanceof KithError) return e;
  const err = e as Error;
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return new KithError('timeout', `stream ${what} timed out: the peer is not reading`);
  }
  // lpStream rejects a write with the stream's 'close' event if the stream closes while it waits.
  const reason = err?.message ?? (e as { error?: Error })?.error?.message ?? 'the stream closed';
  return new KithError('io', `stream ${what} failed: ${reason}`);
}
