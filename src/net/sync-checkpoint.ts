import { KithError } from '../core/errors.js';
import { fromHex, toHex } from '../core/bytes.js';
import { checkAgainst, coveredBy, type Checkpoint, type HeldItems, type ScopeItem } from '../core/checkpoint.js';
import type { Digest } from '../core/types.js';
import type { CheckpointUse, IngestOutcome, ObjectFetch, SyncProgress } from './sync.js';

/**
 * The client's side of a sync with a checkpoint. First the times of what it
 * lacks (TIMES): with what it holds, that is the whole covered range, so the
 * checkpoint's count and hash are checked before anything is fetched, and a
 * checkpoint that does not hold stores nothing. Then objects are fetched and
 * stored batch by batch, as without one: an object the checkpoint covers is
 * checked by its digest (matched on arrival) and the time it was listed at,
 * not by its proof; the rest (past the checkpoint) by their proofs.
 */

/**
 * A checkpoint refused (forged, a wrong hash, one that leaves out what this
 * node holds, its signer not allowed): the scope's sync ends cleanly with it,
 * before anything was fetched, and the stream stays usable for the next scope.
 */
export class CheckpointRefusal extends KithError {}

/** Runs a check of a checkpoint, its refusal marked as one. */
export function checkpointCheck<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw e instanceof KithError && !(e instanceof CheckpointRefusal) ? new CheckpointRefusal(e.code, e.message) : e;
  }
}

/** Batches of `size` digests, so each can be asked for ahead by the same array it is then read by. */
export function batchesOf(need: readonly Uint8Array[], size: number): Uint8Array[][] {
  return Array.from({ length: Math.ceil(need.length / size) }, (_, k) => need.slice(k * size, (k + 1) * size));
}

/** Objects as fetched, with the digests they were checked against. */
export interface Fetched {
  readonly bodies: string[];
  readonly digests: Digest[];
}

export interface FetchOutcome extends IngestOutcome {
  readonly received: number;
  readonly proofsChecked: number;
  readonly waitedForIngestMs: number;
}

export interface CoveredFetch {
  readonly cp: Checkpoint;
  readonly use: CheckpointUse;
  readonly held: HeldItems;
  readonly need: Uint8Array[];
  /** Digests asked for at a time. */
  readonly batch: number;
  readonly fetch: ObjectFetch;
  /** The peer's times of `ids` (NaN for one it does not hold). */
  readonly times: (ids: Uint8Array[]) => Promise<Float64Array>;
  /** Fetched batches being stored at once while the next is fetched. */
  readonly depth: number;
  readonly ingest: (bodies: string[]) => Promise<IngestOutcome>;
  readonly onProgress?: ((p: SyncProgress) => void) | undefined;
}

export async function fetchCovered(f: CoveredFetch): Promise<FetchOutcome> {
  const batches = batchesOf(f.need, f.batch);
  // Eight bytes an object, not a map entry: a sync of a million objects holds this until its end.
  const listedAt = await checkCoverage(f, batches);

  let received = 0;
  let stored = 0;
  let refused = 0;
  let proofsChecked = 0;
  let coveredRefused = 0;
  let firstError: KithError | undefined;
  const inFlight: Promise<void>[] = [];
  let waitedForIngestMs = 0;
  try {
    for (const [k, batch] of batches.entries()) {
      const got = await f.fetch(batch, batches[k + 1]);
      received += got.bodies.length;
      const covered = coveredIn(batch, listedAt.subarray(k * f.batch, k * f.batch + batch.length));
      const mine: Fetched = { bodies: [], digests: [] };
      const rest: string[] = [];
      got.bodies.forEach((body, j) => {
        const digest = got.digests[j]!;
        if (covered.has(digest)) {
          mine.bodies.push(body);
          mine.digests.push(digest);
        } else rest.push(body);
      });
      proofsChecked += rest.length;
      const w0 = performance.now();
      if (inFlight.length >= f.depth) await inFlight.shift();
      waitedForIngestMs += performance.now() - w0;
      const previous = inFlight.at(-1) ?? Promise.resolve();
      const examined = f.use.examineCovered(mine.bodies, mine.digests);
      inFlight.push(
        (async () => {
          const e = await examined;
          await previous;
          // Certificates and revocations past the checkpoint first, so objects signed under them pass.
          const other = rest.length > 0 ? await f.ingest(rest) : { stored: 0, refused: 0 };
          const listed = e.map((x, j) =>
            x instanceof KithError || x.kind !== 'object' || x.record.created === covered.get(mine.digests[j]!) ? x : wrongTime(x.record.id),
          );
          const own = await f.use.admitCovered(listed, mine.bodies);
          stored += other.stored + own.stored;
          refused += other.refused + own.refused;
          coveredRefused += own.refused;
          firstError ??= other.firstError ?? own.firstError;
        })(),
      );
      f.onProgress?.({ phase: 'fetching', received, needed: f.need.length });
    }
  } finally {
    // Whatever happens to the stream, batches already received finish landing before we return.
    const w0 = performance.now();
    await Promise.allSettled(inFlight);
    waitedForIngestMs += performance.now() - w0;
  }
  await Promise.all(inFlight); // settled already: this only surfaces an ingest that failed
  // Kept to serve on only when this node now holds the range as the author listed it.
  if (coveredRefused === 0 && received === f.need.length) f.use.keep(f.cp);
  return { received, stored, refused, proofsChecked, waitedForIngestMs, ...(firstError ? { firstError } : {}) };
}

/**
 * The times of what this node lacks (TIMES), a batch at a time; with what it
 * holds, the whole range the checkpoint covers, whose count and hash are
 * checked before anything is fetched. Returns, for each object lacked, the
 * time it was listed at, or NaN when the checkpoint does not cover it.
 */
async function checkCoverage(f: CoveredFetch, batches: readonly Uint8Array[][]): Promise<Float64Array> {
  const lastDigest = fromHex(f.cp.last.digest);
  const listedAt = new Float64Array(f.need.length).fill(NaN);
  const inRange: ScopeItem[] = [];
  for (const [k, ids] of batches.entries()) {
    const times = await f.times(ids);
    ids.forEach((digest, j) => {
      const item = { created: times[j]!, digest };
      if (!Number.isFinite(item.created) || !coveredBy(f.cp, item, lastDigest)) return;
      inRange.push(item);
      listedAt[k * f.batch + j] = item.created;
    });
    f.onProgress?.({ phase: 'reconciling', received: 0, needed: f.need.length });
  }
  checkpointCheck(() => checkAgainst(f.cp, f.held, inRange));
  return listedAt;
}

/** One batch's covered objects by digest, with the time each was listed at. */
function coveredIn(batch: readonly Uint8Array[], listedAt: Float64Array): Map<string, number> {
  const covered = new Map<string, number>();
  batch.forEach((digest, j) => {
    if (!Number.isNaN(listedAt[j]!)) covered.set(toHex(digest), listedAt[j]!);
  });
  return covered;
}

/** A covered object whose own time is not the one it was listed at: the hash was over the listed one, so the listing was false. */
function wrongTime(id: string): KithError {
  return new KithError('malformed', `${id} carries another time than the peer listed it at`);
}
