import { decode as decodeVarint, encode as encodeVarint, encodingLength } from 'uint8-varint';
import { KithError, fail } from '../core/errors.js';
import { Reconciler, DIGEST_BYTES, DEFAULT_RECONCILE_LIMITS, type ReconcileLimits } from '../core/reconcile.js';
import type { Store } from '../store/store.js';
import type { Servable } from '../store/objects.js';
import type { Frames } from './frames.js';
import { joinBytes, sha256Hex } from '../core/bytes.js';
import { parseCheckpoint, type Checkpoint } from '../core/checkpoint.js';
import type { Examined } from '../core/examine.js';
import type { Digest } from '../core/types.js';
import { CheckpointRefusal, batchesOf, checkpointCheck, fetchCovered, type Fetched, type FetchOutcome } from './sync-checkpoint.js';
export { CheckpointRefusal } from './sync-checkpoint.js';
import {
  SYNC_INGEST_DEPTH,
  SYNC_MAX_HELLO_BYTES,
  SYNC_MAX_OBJECT_BYTES,
  SYNC_MAX_ROUNDS,
  SYNC_MAX_SCOPE_CHARS,
  SYNC_MAX_SCOPES_PER_STREAM,
  SYNC_PACK_BYTES,
  SYNC_READ_TIMEOUT_MS,
  SYNC_CHECKPOINT_MIN_NEED,
  SYNC_CHECKPOINT_MAX_NEED,
} from '../core/constants.js';

/**
 * The sync protocol: reconcile scopes with a peer, then fetch what is
 * missing. One stream carries any number of scopes, one after another, so a
 * node that follows many people opens one stream per peer, not one per person:
 *
 *   client → HELLO {scope, checkpoint?}
 *   server → HELLO [checkpoint]     it serves the scope (or ERROR not-found, and the client names another);
 *                                   the body is its latest checkpoint of the scope, if asked and held
 *   client → RECONCILE m0           range-based set reconciliation rounds
 *   server → RECONCILE r0   …       until the client has nothing more to ask
 *   client → TIMES ids              with a checkpoint: the times of what it lacks, to check its hash first
 *   server → TIMES times
 *   client → WANT ids               up to WANT_BATCH digests at a time
 *   server → OBJECTS …, END         signed objects, packed many to a frame, then END
 *   client → END                    done with this scope; a HELLO may follow, or the end of the stream
 *
 * Every frame is length-prefixed and size-limited; every read has a deadline.
 * The client ingests what it receives through the normal ingest checks, so a
 * sync interrupted anywhere resumes on the next contact: what landed stays,
 * and reconciliation finds what did not.
 *
 * With a checkpoint (core/checkpoint.ts) and many objects lacking, the client
 * fetches them all before storing any: objects the checkpoint covers are
 * checked by their SHA-256 and one hash over the covered range, not by their
 * proofs; the rest by their proofs, as without one. A checkpoint that does
 * not hold refuses the whole scope and nothing is stored. A peer that knows
 * no checkpoints answers an empty HELLO, and the sync runs as without one.
 */

export const SYNC_PROTOCOL = '/kith/sync/1.0.0';

const enum SyncFrame {
  Hello = 1,
  Reconcile = 2,
  Want = 3,
  /** Objects packed back to back, each as a varint length and its signed bytes. */
  Objects = 4,
  End = 5,
  Error = 6,
  /**
   * Asked with digests as WANT is; answered with each one's time (ms, a
   * big-endian float64; NaN when not held), so a client can check a
   * checkpoint's hash before it fetches anything. Only a client that was
   * offered a checkpoint asks, and only a server that offers them answers.
   */
  Times = 7,
}

export interface SyncLimits {
  readonly reconcile: ReconcileLimits;
  /** Largest object frame; matches the ingest limit plus a little framing. */
  readonly maxObjectBytes: number;
  /** Deadline for each frame from the peer. */
  readonly readTimeoutMs: number;
  /** Reconciliation rounds before the peer is judged to be stalling. */
  readonly maxRounds: number;
}

export const DEFAULT_SYNC_LIMITS: SyncLimits = Object.freeze({
  reconcile: DEFAULT_RECONCILE_LIMITS,
  maxObjectBytes: SYNC_MAX_OBJECT_BYTES,
  readTimeoutMs: SYNC_READ_TIMEOUT_MS,
  maxRounds: SYNC_MAX_ROUNDS,
});

/** Digests asked for in one WANT (part of the protocol: a server refuses more): enough to keep the pipe full, small enough to bound a reply. */
export const WANT_BATCH = 512;
/** Of a peer's ERROR frame, the part of its reason we pass on (it ends up in our logs and messages). */
const MAX_PEER_REASON_CHARS = 300;

function frame(type: SyncFrame, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = type;
  out.set(body, 1);
  return out;
}

const json = (type: SyncFrame, v: unknown) => frame(type, Buffer.from(JSON.stringify(v), 'utf8'));

function parseJsonBody(body: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return fail('malformed', `${what} is not JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('malformed', `${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

async function read(frames: Frames, max: number, limits: SyncLimits, what: string): Promise<{ type: SyncFrame; body: Uint8Array }> {
  const f = await frames.readFrame(max + 1, limits.readTimeoutMs);
  if (f === null) fail('io', `the peer closed the stream while we waited for ${what}`);
  if (f.length === 0) fail('malformed', 'empty frame');
  const type = f[0] as SyncFrame;
  const body = f.subarray(1);
  if (type === SyncFrame.Error) {
    const e = parseJsonBody(body, 'error frame');
    const said = e.message ?? e.code ?? 'no reason given';
    // Not String(): a peer's {"toString": 1} makes it throw a TypeError. Parsed JSON always stringifies.
    const reason = (typeof said === 'string' ? said : JSON.stringify(said)).slice(0, MAX_PEER_REASON_CHARS);
    // "I do not keep that scope" is an answer, not a failure.
    throw new KithError(e.code === 'not-found' ? 'not-found' : 'io', `the peer refused: ${reason}`);
  }
  return { type, body };
}

function splitIds(body: Uint8Array): Uint8Array[] {
  if (body.length % DIGEST_BYTES !== 0) fail('malformed', 'a WANT frame must hold whole 32-byte digests');
  const n = body.length / DIGEST_BYTES;
  if (n === 0 || n > WANT_BATCH) fail('too-large', `a WANT frame asks for ${n} objects; 1 to ${WANT_BATCH} are allowed`);
  return Array.from({ length: n }, (_, i) => body.subarray(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES));
}

/** The objects packed in an OBJECTS frame, each checked against the size limit before it is decoded. */
function unpack(body: Uint8Array, maxObjectBytes: number): string[] {
  const out: string[] = [];
  let pos = 0;
  while (pos < body.length) {
    const len = readPackedLength(body, pos);
    pos += encodingLength(len);
    if (len === 0 || len > maxObjectBytes) fail('too-large', `a packed object of ${len} bytes; the limit is ${maxObjectBytes}`);
    if (pos + len > body.length) fail('malformed', 'a packed object runs past the end of its frame');
    out.push(Buffer.from(body.buffer, body.byteOffset + pos, len).toString('utf8'));
    pos += len;
  }
  return out;
}

/** The length prefix of a packed object at `pos`: a minimally encoded varint, so it takes encodingLength(value) bytes. */
function readPackedLength(body: Uint8Array, pos: number): number {
  let len: number;
  try {
    len = decodeVarint(body, pos);
  } catch {
    // uint8-varint reads past the end as continuation bytes, so a cut-off varint lands here too.
    return fail('malformed', "a packed object's length is cut off or longer than 8 bytes");
  }
  // Eight bytes hold up to 2^56: past 2^53 encodingLength throws a RangeError, and no object is that long anyway.
  if (!Number.isSafeInteger(len)) fail('too-large', "a packed object's length is larger than 2^53 bytes");
  // Not minimal: the byte that should end the varint says more follow.
  if ((body[pos + encodingLength(len) - 1]! & 0x80) !== 0) fail('malformed', "a packed object's length is not minimally encoded");
  return len;
}

/**
 * Copies digests out of the frames they came in, many to one buffer: a
 * digest of its own would cost an ArrayBuffer each, several times its 32
 * bytes, and a large sync holds every digest it lacks until it ends.
 */
function digestKeeper(): (id: Uint8Array) => Uint8Array {
  const perBuffer = 4096;
  let buffer = new Uint8Array(0);
  let used = 0;
  return (id) => {
    if (used === buffer.length) {
      buffer = new Uint8Array(DIGEST_BYTES * perBuffer);
      used = 0;
    }
    buffer.set(id, used);
    used += DIGEST_BYTES;
    return buffer.subarray(used - DIGEST_BYTES, used);
  };
}

function concatIds(ids: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(ids.length * DIGEST_BYTES);
  ids.forEach((d, i) => out.set(d, i * DIGEST_BYTES));
  return out;
}

// ---- server ----

export interface SyncServerOptions {
  readonly store: Store;
  /** Whether this node shares the scope at all (its own, or one it keeps for people it follows). */
  readonly serves: (scope: string) => boolean;
  readonly limits?: SyncLimits;
  /** Re-checks an object on the way out; objects it refuses are not served. */
  readonly stillValid?: (o: Servable) => boolean;
  /** The checkpoint of a scope to offer a client that asks, as its bytes: one that holds for what this node serves. */
  readonly checkpoint?: (scope: string) => string | undefined;
}

/** Answers one sync stream. Throws a KithError when the peer misbehaves; the caller then scores it down. */
export async function serveSync(frames: Frames, opts: SyncServerOptions): Promise<{ scopes: string[]; sent: number }> {
  const limits = opts.limits ?? DEFAULT_SYNC_LIMITS;
  const scopes: string[] = [];
  let sent = 0;
  for (let asked = 0; ; asked++) {
    const f = await frames.readFrame(SYNC_MAX_HELLO_BYTES, limits.readTimeoutMs);
    if (f === null) break;
    if (f[0] !== SyncFrame.Hello) fail('malformed', 'a sync must start with HELLO');
    if (asked >= SYNC_MAX_SCOPES_PER_STREAM) fail('too-large', `more than ${SYNC_MAX_SCOPES_PER_STREAM} scopes asked on one stream`);
    const hello = parseJsonBody(f.subarray(1), 'hello');
    const scope = hello.scope;
    if (typeof scope !== 'string' || scope.length === 0 || scope.length > SYNC_MAX_SCOPE_CHARS) fail('malformed', 'hello must name a scope');
    if (!opts.serves(scope)) {
      await frames.writeFrame(json(SyncFrame.Error, { code: 'not-found', message: `this node does not keep ${scope}` }));
      continue;
    }
    const checkpoint = hello.checkpoint === true ? opts.checkpoint?.(scope) : undefined;
    await frames.writeFrame(frame(SyncFrame.Hello, checkpoint === undefined ? undefined : Buffer.from(checkpoint, 'utf8')));
    scopes.push(scope);
    sent += await serveScope(frames, scope, opts.store, limits, opts.stillValid);
  }
  await frames.close();
  return { scopes, sent };
}

/** One scope's reconciliation and fetches, until the client's END. */
async function serveScope(frames: Frames, scope: string, store: Store, limits: SyncLimits, stillValid: SyncServerOptions['stillValid']): Promise<number> {
  const reconciler = new Reconciler(store.scopeIndexes.index(scope), {}, limits.reconcile);
  let rounds = 0;
  let sent = 0;
  for (;;) {
    const f = await frames.readFrame(limits.reconcile.maxMessageBytes + 1, limits.readTimeoutMs);
    if (f === null) fail('io', 'the peer ended the stream in the middle of a scope');
    if (f.length === 0) fail('malformed', 'empty frame');
    const body = f.subarray(1);
    switch (f[0]) {
      case SyncFrame.Reconcile:
        if (++rounds > limits.maxRounds) fail('too-large', `more than ${limits.maxRounds} reconciliation rounds`);
        await frames.writeFrame(frame(SyncFrame.Reconcile, reconciler.respond(body)));
        break;
      case SyncFrame.Want: {
        let pack: Uint8Array[] = [];
        let size = 0;
        const flush = async () => {
          if (pack.length === 0) return;
          await frames.writeFrame(frame(SyncFrame.Objects, joinBytes(pack)));
          pack = [];
          size = 0;
        };
        for (const id of splitIds(body)) {
          const obj = store.objects.servable(id);
          // An object we no longer hold, or no longer vouch for (its signing key's certificate was
          // revoked since it came in), is simply not sent.
          if (obj === undefined || (stillValid !== undefined && !stillValid(obj))) continue;
          const bytes = Buffer.from(obj.body, 'utf8');
          const len = encodeVarint(bytes.length);
          if (size + len.length + bytes.length > SYNC_PACK_BYTES) await flush();
          pack.push(len, bytes);
          size += len.length + bytes.length;
          sent++;
        }
        await flush();
        await frames.writeFrame(frame(SyncFrame.End));
        break;
      }
      case SyncFrame.Times: {
        const ids = splitIds(body);
        const times = new DataView(new ArrayBuffer(ids.length * 8));
        ids.forEach((id, i) => times.setFloat64(i * 8, store.objects.servable(id)?.created ?? NaN));
        await frames.writeFrame(frame(SyncFrame.Times, new Uint8Array(times.buffer)));
        break;
      }
      case SyncFrame.End:
        return sent;
      default:
        fail('malformed', `unexpected sync frame type ${f[0]}`);
    }
  }
}

// ---- client ----

export interface SyncProgress {
  readonly phase: 'reconciling' | 'fetching';
  readonly received: number;
  readonly needed: number;
}

export interface IngestOutcome {
  readonly stored: number;
  readonly refused: number;
  readonly firstError?: KithError;
}

export interface SyncClientOptions {
  readonly store: Store;
  /** Ingests fetched objects (through every ingest check) and reports how many were refused. */
  readonly ingest: (bodies: string[]) => Promise<IngestOutcome>;
  readonly limits?: SyncLimits;
  readonly onProgress?: (p: SyncProgress) => void;
  /** Given, the client asks for the peer's checkpoint of the scope and uses it for a large sync. */
  readonly checkpoints?: CheckpointUse;
}

/** What the client needs of the node to use a checkpoint. */
export interface CheckpointUse {
  /** Throws the refusal when the checkpoint's signer may not speak for its actor; false when this node cannot tell yet (it holds no certificate for the key). */
  readonly authorize: (cp: Checkpoint) => boolean;
  /** Examines objects whose digests match, without their proofs (off this thread). */
  readonly examineCovered: (bodies: string[], digests: Digest[]) => Promise<(Examined | KithError)[]>;
  /** Admits and writes objects examined so, once the checkpoint held (a slice at a time). */
  readonly admitCovered: (examined: (Examined | KithError)[], bodies: string[]) => Promise<IngestOutcome>;
  /** Keeps the checkpoint, checked against the scope, to serve on. */
  readonly keep: (cp: Checkpoint) => void;
}

export interface SyncResult {
  readonly scope: string;
  readonly needed: number;
  readonly received: number;
  readonly stored: number;
  readonly refused: number;
  /** What the peer lacks that we hold. */
  readonly theyLack: number;
  readonly rounds: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Bytes of the reconciliation alone, both ways. */
  readonly reconcileBytes: number;
  /** Time fetching and ingesting, and how much of it was spent waiting for ingest (the rest, for the network). */
  readonly fetchMs: number;
  readonly waitedForIngestMs: number;
  /** Objects whose proofs were checked one by one (the rest a checkpoint covered). */
  readonly proofsChecked: number;
  /** The checkpoint used, when one was: how many items it covers. */
  readonly checkpointCount?: number;
}

/**
 * Pulls one scope from a peer over an open sync stream, and leaves the stream
 * open for the next scope. Throws KithError 'not-found' when the peer does not
 * keep the scope (the stream stays usable), and other codes when it misbehaves
 * or offers a checkpoint that does not hold.
 */
export async function syncScope(frames: Frames, scope: string, opts: SyncClientOptions): Promise<SyncResult> {
  const limits = opts.limits ?? DEFAULT_SYNC_LIMITS;
  const bytesIn0 = frames.bytesRead;
  const bytesOut0 = frames.bytesWritten;
  await frames.writeFrame(json(SyncFrame.Hello, { v: 1, scope, ...(opts.checkpoints ? { checkpoint: true } : {}) }));
  const ack = await read(frames, SYNC_MAX_HELLO_BYTES, limits, 'the answer to our hello');
  if (ack.type !== SyncFrame.Hello) fail('malformed', 'expected HELLO or ERROR in answer to our hello');
  const use = opts.checkpoints;
  const cp = ack.body.length > 0 && use ? await endIfRefused(frames, () => acceptCheckpoint(ack.body, scope, use)) : undefined;
  const index = opts.store.scopeIndexes.index(scope);
  const reconciler = new Reconciler(index, {}, limits.reconcile);
  let msg: Uint8Array | null = reconciler.initiate();
  const need: Uint8Array[] = [];
  const keep = digestKeeper();
  let theyLack = 0;
  let rounds = 0;
  while (msg) {
    await frames.writeFrame(frame(SyncFrame.Reconcile, msg));
    const reply = await read(frames, limits.reconcile.maxMessageBytes, limits, 'a reconciliation reply');
    if (reply.type !== SyncFrame.Reconcile) fail('malformed', 'expected a reconciliation reply');
    if (++rounds > limits.maxRounds) fail('too-large', `reconciliation did not finish in ${limits.maxRounds} rounds`);
    const r = reconciler.reconcile(reply.body);
    for (const id of r.need) need.push(keep(id));
    theyLack += r.have.length;
    msg = r.next;
    opts.onProgress?.({ phase: 'reconciling', received: 0, needed: need.length });
  }
  const reconcileBytes = frames.bytesRead - bytesIn0 + frames.bytesWritten - bytesOut0;
  const fetch = objectFetcher(frames, limits);
  const fetchStart = performance.now();
  const covering = cp && use && need.length >= SYNC_CHECKPOINT_MIN_NEED && need.length <= SYNC_CHECKPOINT_MAX_NEED ? { cp, use } : undefined;
  const fetched = covering
    ? await endIfRefused(frames, () =>
        fetchCovered({
          ...covering,
          held: index,
          need,
          batch: WANT_BATCH,
          depth: SYNC_INGEST_DEPTH,
          fetch,
          times: (ids) => listTimes(frames, ids, limits),
          ingest: opts.ingest,
          onProgress: opts.onProgress,
        }),
      )
    : await fetchEach(need, fetch, opts);
  const fetchMs = performance.now() - fetchStart;
  await frames.writeFrame(frame(SyncFrame.End));
  if (fetched.firstError) {
    // A peer that serves objects that fail their checks is misbehaving; the caller scores it down.
    throw new KithError(fetched.firstError.code, `the peer sent ${fetched.refused} object(s) that failed their checks: ${fetched.firstError.message}`);
  }
  return {
    scope,
    needed: need.length,
    received: fetched.received,
    stored: fetched.stored,
    refused: fetched.refused,
    theyLack,
    rounds,
    bytesIn: frames.bytesRead - bytesIn0,
    bytesOut: frames.bytesWritten - bytesOut0,
    reconcileBytes,
    fetchMs: Math.round(fetchMs),
    waitedForIngestMs: Math.round(fetched.waitedForIngestMs),
    proofsChecked: fetched.proofsChecked,
    ...(covering ? { checkpointCount: covering.cp.count } : {}),
  };
}

/** A checkpoint the peer offered: its signature checked, and its signer's authority if this node can tell yet (if not, it is not used). */
function acceptCheckpoint(body: Uint8Array, scope: string, use: CheckpointUse): Checkpoint | undefined {
  return checkpointCheck(() => {
    const cp = parseCheckpoint(Buffer.from(body).toString('utf8'));
    if (cp.scope !== scope) fail('malformed', `the peer offered a checkpoint of ${cp.scope} for ${scope}`);
    return use.authorize(cp) ? cp : undefined;
  });
}

/** Ends the scope (the stream stays usable) when its checkpoint is refused; anything else passes as it is. */
async function endIfRefused<T>(frames: Frames, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof CheckpointRefusal) await frames.writeFrame(frame(SyncFrame.End));
    throw e;
  }
}

/**
 * Fetches batches of objects in order, each asked for one batch ahead of
 * reading it: the peer serves the next batch (it answers WANTs in the order
 * they came) while this node stores the last, instead of both taking turns.
 */
export type ObjectFetch = (ids: Uint8Array[], next?: Uint8Array[]) => Promise<Fetched>;

function objectFetcher(frames: Frames, limits: SyncLimits): ObjectFetch {
  /** The batch whose WANT went out ahead. */
  let asked: Uint8Array[] | undefined;
  return async (ids, next) => {
    if (asked !== ids) await frames.writeFrame(frame(SyncFrame.Want, concatIds(ids)));
    asked = undefined;
    if (next !== undefined && next.length > 0) {
      await frames.writeFrame(frame(SyncFrame.Want, concatIds(next)));
      asked = next;
    }
    return readObjects(frames, ids, limits);
  };
}

/** Reads the answer to a WANT for `ids`: each object checked to be one asked for, byte for byte. */
async function readObjects(frames: Frames, ids: Uint8Array[], limits: SyncLimits): Promise<Fetched> {
  const wanted = new Set(ids.map((d) => Buffer.from(d).toString('hex')));
  const bodies: string[] = [];
  const digests: Digest[] = [];
  for (;;) {
    const f = await read(frames, SYNC_PACK_BYTES + limits.maxObjectBytes + 16, limits, 'objects');
    if (f.type === SyncFrame.End) break;
    if (f.type !== SyncFrame.Objects) fail('malformed', 'expected objects or END');
    for (const obj of unpack(f.body, limits.maxObjectBytes)) {
      // Only what was asked for, byte for byte: an object's digest is the hash of its canonical bytes.
      const digest = sha256Hex(obj);
      if (!wanted.delete(digest)) fail('malformed', 'the peer sent an object that was not asked for');
      bodies.push(obj);
      digests.push(digest);
    }
  }
  return { bodies, digests };
}

/** The times of `ids` as the peer holds them (NaN for one it does not). */
async function listTimes(frames: Frames, ids: Uint8Array[], limits: SyncLimits): Promise<Float64Array> {
  await frames.writeFrame(frame(SyncFrame.Times, concatIds(ids)));
  const f = await read(frames, ids.length * 8, limits, 'times');
  if (f.type !== SyncFrame.Times || f.body.length !== ids.length * 8) fail('malformed', `expected the times of ${ids.length} object(s)`);
  const view = new DataView(f.body.buffer, f.body.byteOffset, f.body.byteLength);
  return Float64Array.from({ length: ids.length }, (_, i) => view.getFloat64(i * 8));
}

/** Fetches and ingests without a checkpoint: every proof checked, batch by batch. */
async function fetchEach(need: Uint8Array[], fetch: ObjectFetch, opts: SyncClientOptions): Promise<FetchOutcome> {
  let received = 0;
  let stored = 0;
  let refused = 0;
  let firstError: KithError | undefined;
  // Up to SYNC_INGEST_DEPTH batches are verified (on worker threads) while the next is fetched; writes stay in order.
  const inFlight: Promise<void>[] = [];
  let waitedForIngestMs = 0;
  try {
    const batches = batchesOf(need, WANT_BATCH);
    for (const [k, batch] of batches.entries()) {
      const { bodies } = await fetch(batch, batches[k + 1]);
      received += bodies.length;
      const w0 = performance.now();
      if (inFlight.length >= SYNC_INGEST_DEPTH) await inFlight.shift();
      waitedForIngestMs += performance.now() - w0;
      const previous = inFlight.at(-1) ?? Promise.resolve();
      const ingested = opts.ingest(bodies);
      inFlight.push(
        ingested.then(async (r) => {
          await previous;
          stored += r.stored;
          refused += r.refused;
          firstError ??= r.firstError;
        }),
      );
      opts.onProgress?.({ phase: 'fetching', received, needed: need.length });
    }
  } finally {
    // Whatever happens to the stream, batches already received finish landing before we return.
    const w0 = performance.now();
    await Promise.allSettled(inFlight);
    waitedForIngestMs += performance.now() - w0;
  }
  await Promise.all(inFlight); // settled already: this only surfaces an ingest that failed
  return { received, stored, refused, proofsChecked: received, waitedForIngestMs, ...(firstError ? { firstError } : {}) };
}
