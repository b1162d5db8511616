import type { Stream } from '@libp2p/interface';
import { KithError } from '../core/errors.js';
import { encodeVarint } from '../core/varint.js';

/**
 * Length-prefixed frames over a libp2p 3 stream: each frame is an unsigned
 * LEB128 varint byte count followed by that many bytes (the multiformats
 * unsigned-varint, as libp2p's own protocols use).
 *
 * libp2p 3 streams are event emitters, not async iterables of sinks: data
 * arrives as 'message' events, `send()` queues bytes and returns false when
 * the caller should wait for 'drain', `close()` ends our writing side,
 * `abort(err)` resets both. This class turns that push model into the pull
 * model a request/response protocol wants (read one frame, decide, answer)
 * and puts the limits in one place: a per-frame size checked from the length
 * prefix before the body is buffered, a read deadline, and byte counters.
 */

/** Bytes we buffer ahead of the reader before asking the sender to wait. */
const DEFAULT_HIGH_WATER = 1024 * 1024;
/** Below this a frame is copied into one send with its prefix: one muxer frame, one AEAD tag. */
const COALESCE_BELOW = 64 * 1024;
/** A varint longer than this cannot be a length we would accept (2^56 > any limit). */
const MAX_VARINT_BYTES = 8;

export interface FrameStreamOptions {
  /**
   * Read-ahead before the stream is paused (yamux then stops granting the
   * sender window). Raised automatically to fit a frame being read.
   */
  highWaterMark?: number;
  /** Deadline for one writeFrame waiting for the peer to take our bytes. Default 30 s. */
  writeTimeoutMs?: number;
}

export class FrameStream {
  readonly stream: Stream;
  /** Bytes received on this stream, prefixes included (for sync's accounting). */
  bytesRead = 0;
  /** Bytes handed to the stream, prefixes included. */
  bytesWritten = 0;

  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private readonly highWater: number;
  private readonly writeTimeoutMs: number;
  private remoteEnded = false;
  private closed = false;
  private closeError: Error | undefined;
  private wake: (() => void) | undefined;
  private reading = false;
  /** Bytes the current read needs buffered to finish its frame. */
  private want = 0;
  /** Inside stream.resume(), which hands us what libp2p buffered before it re-opens the muxer's window. */
  private resuming = false;
  /** Once the framing is out of step (oversize, malformed) every later read fails the same way. */
  private poisoned: KithError | undefined;

  constructor(stream: Stream, options: FrameStreamOptions = {}) {
    this.stream = stream;
    this.highWater = options.highWaterMark ?? DEFAULT_HIGH_WATER;
    this.writeTimeoutMs = options.writeTimeoutMs ?? 30_000;
    // A short request may arrive whole, FIN included, while the protocol is
    // still being negotiated, before anyone could listen: its events are
    // gone, so start from the stream's state.
    this.remoteEnded = stream.remoteWriteStatus === 'closed';
    if (stream.status === 'aborted' || stream.status === 'reset') {
      this.closed = true;
      this.closeError = new Error(`stream ${stream.status} before it was read`);
    } else if (stream.status === 'closed') {
      this.closed = true;
    }
    // Listen at once: libp2p buffers data that arrives before a 'message'
    // listener exists and replays it when one is added, so nothing is lost,
    // but a stream with no listener counts that buffer against its own limit.
    stream.addEventListener('message', (evt) => {
      const data = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray();
      if (data.byteLength === 0) return;
      this.chunks.push(data);
      this.buffered += data.byteLength;
      this.bytesRead += data.byteLength;
      // Enough for the frame being read (or the high-water mark between
      // reads): ask the sender to wait rather than buffer without bound.
      if (!this.resuming && this.buffered >= Math.max(this.highWater, this.want)) this.pause();
      this.notify();
    });
    stream.addEventListener('remoteCloseWrite', () => {
      this.remoteEnded = true;
      this.notify();
    });
    stream.addEventListener('close', (evt) => {
      this.closed = true;
      this.closeError = evt.error;
      this.notify();
    });
  }

  /**
   * The next frame's bytes; null when the peer closed its side cleanly between
   * frames. Throws KithError: 'too-large' (length prefix over maxBytes; the
   * body is not read, and the caller should reset), 'malformed' (a bad prefix,
   * or the stream ended inside a frame), 'timeout' (no whole frame within
   * timeoutMs; the partial frame stays buffered, so reading again is allowed),
   * 'io' (the stream was reset or aborted).
   */
  async readFrame(maxBytes: number, timeoutMs: number): Promise<Uint8Array | null> {
    if (this.poisoned !== undefined) throw this.poisoned;
    if (this.reading) throw new KithError('io', 'readFrame called while another read is waiting');
    this.reading = true;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    try {
      for (;;) {
        const header = this.parseHeader(maxBytes);
        if (header !== undefined && this.buffered >= header.prefix + header.length) {
          this.consume(header.prefix);
          return this.consume(header.length);
        }
        // A frame above the high-water mark could never complete if we stayed
        // paused, so the frame being read sets the mark until it is done.
        this.want = header === undefined ? this.buffered + 1 : header.prefix + header.length;
        if (this.stream.readStatus === 'paused') {
          const before = this.buffered;
          this.resume();
          // resume() hands over at once what libp2p held while we were paused,
          // perhaps the rest of this frame: look again before judging the end.
          if (this.buffered !== before) continue;
        }
        if (this.closed && this.closeError !== undefined) {
          throw new KithError('io', `stream reset: ${this.closeError.message}`);
        }
        if (this.isEnded()) {
          if (this.buffered === 0) return null;
          throw this.poison(new KithError('malformed', `stream ended inside a frame (${this.buffered} bytes of it arrived)`));
        }
        if (timedOut) throw new KithError('timeout', `no complete frame within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          if (timer === undefined) {
            timer = setTimeout(() => {
              timedOut = true;
              this.notify();
            }, timeoutMs);
          }
        });
      }
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      this.wake = undefined;
      this.reading = false;
      this.want = 0;
      if (this.buffered >= this.highWater) this.pause();
    }
  }

  /** Sends one frame; resolves when the stream has taken it (not when the peer has read it). */
  async writeFrame(bytes: Uint8Array): Promise<void> {
    const prefix = encodeVarint(bytes.byteLength);
    try {
      let ok: boolean;
      if (bytes.byteLength < COALESCE_BELOW) {
        const one = new Uint8Array(prefix.byteLength + bytes.byteLength);
        one.set(prefix, 0);
        one.set(bytes, prefix.byteLength);
        ok = this.stream.send(one);
      } else {
        this.stream.send(prefix);
        ok = this.stream.send(bytes);
      }
      this.bytesWritten += prefix.byteLength + bytes.byteLength;
      // send() has queued the bytes either way; false asks us not to queue
      // more until the muxer drains, which bounds our memory to one frame.
      if (!ok) await this.stream.onDrain({ signal: AbortSignal.timeout(this.writeTimeoutMs) });
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

  private isEnded(): boolean {
    // Bytes may still sit in libp2p's own buffer (we paused); those come first.
    return (this.remoteEnded || this.closed) && this.stream.readBufferLength === 0;
  }

  /** The frame header at the front of the buffer, or undefined if it has not all arrived. */
  private parseHeader(maxBytes: number): { prefix: number; length: number } | undefined {
    let value = 0;
    let i = 0;
    const maxPrefix = Math.min(MAX_VARINT_BYTES, varintLength(maxBytes));
    for (const chunk of this.chunks) {
      for (const byte of chunk) {
        value += (byte & 0x7f) * 2 ** (7 * i);
        i++;
        if ((byte & 0x80) === 0) {
          // Minimal encoding only: a trailing zero byte would let two peers
          // disagree about where frames start if anyone re-encodes.
          if (byte === 0 && i > 1) throw this.poison(new KithError('malformed', 'frame length is not minimally encoded'));
          if (value > maxBytes) throw this.poison(new KithError('too-large', `frame of ${value} bytes; the limit is ${maxBytes}`));
          return { prefix: i, length: value };
        }
        if (i >= maxPrefix) {
          // Already too many digits for any length within the limit.
          throw this.poison(new KithError('too-large', `frame length prefix exceeds the limit of ${maxBytes} bytes`));
        }
      }
    }
    return undefined;
  }

  private consume(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.chunks[0]!;
    let out: Uint8Array;
    if (first.byteLength >= n) {
      // The common case (a frame within one arrival): a view, not a copy.
      out = first.subarray(0, n);
      if (first.byteLength === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[0]!;
        const take = Math.min(c.byteLength, n - off);
        out.set(c.subarray(0, take), off);
        off += take;
        if (take === c.byteLength) this.chunks.shift();
        else this.chunks[0] = c.subarray(take);
      }
    }
    this.buffered -= n;
    return out;
  }

  private pause(): void {
    if (this.stream.readStatus === 'readable') {
      try {
        this.stream.pause();
      } catch {
        // Closing already; nothing more will arrive to pause.
      }
    }
  }

  private resume(): void {
    // libp2p's resume() first delivers what it buffered, then tells the muxer
    // to grant window again. Pausing from the listener during that delivery
    // would be undone by the grant: the stream would say "paused" while yamux
    // kept granting window, until libp2p's read buffer overflowed and it reset
    // the stream. So pause, if still needed, only once resume() has returned.
    this.resuming = true;
    try {
      this.stream.resume();
    } catch {
      // Closing already: what libp2p still holds is dropped with it.
    } finally {
      this.resuming = false;
    }
    if (this.buffered >= Math.max(this.highWater, this.want)) this.pause();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
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

export function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    len++;
  }
  return len;
}

function asKithError(e: unknown, what: string): KithError {
  if (e instanceof KithError) return e;
  const err = e as Error;
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return new KithError('timeout', `stream ${what} timed out: the peer is not reading`);
  }
  return new KithError('io', `stream ${what} failed: ${err?.message ?? String(e)}`);
}
