import { KithError } from '../core/errors.js';
import { fromHex } from '../core/bytes.js';
import { checkAgainst, coveredBy, type Checkpoint, type HeldItems, type ScopeItem } from '../core/checkpoint.js';
import type { Examined } from '../core/examine.js';
import type { Digest } from '../core/types.js';
import type { CheckpointUse, IngestOutcome, SyncProgress } from './sync.js';

/**
 * The client's side of a sync with a checkpoint: fetch every lacking object,
 * hold them until the checkpoint is checked against what this node holds and
 * what it received, then store. Objects the checkpoint covers are checked by
 * their digests and that one hash; the rest (past the checkpoint, and
 * certificates and revocations, whose own checks read their proofs) by their
 * proofs. A checkpoint that does not hold stores nothing.
 */

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
  readonly fetch: (ids: Uint8Array[]) => Promise<Fetched>;
  readonly ingest: (bodies: string[]) => Promise<IngestOutcome>;
  readonly onProgress?: ((p: SyncProgress) => void) | undefined;
}

export async function fetchCovered(f: CoveredFetch): Promise<FetchOutcome> {
  const bodies: string[] = [];
  const digests: Digest[] = [];
  const examining: Promise<(Examined | KithError)[]>[] = [];
  // Examined on worker threads while the next batch is fetched.
  for (let i = 0; i < f.need.length; i += f.batch) {
    const got = await f.fetch(f.need.slice(i, i + f.batch));
    bodies.push(...got.bodies);
    digests.push(...got.digests);
    examining.push(f.use.examineCovered(got.bodies, got.digests));
    f.onProgress?.({ phase: 'fetching', received: bodies.length, needed: f.need.length });
  }
  const w0 = performance.now();
  const examined = (await Promise.all(examining)).flat();
  const lastDigest = fromHex(f.cp.last.digest);
  const inRange: ScopeItem[] = [];
  const covered: number[] = [];
  const rest: string[] = [];
  examined.forEach((e, i) => {
    const item = e instanceof KithError ? undefined : itemOf(e, digests[i]!);
    if (item !== undefined && coveredBy(f.cp, item, lastDigest)) {
      inRange.push(item);
      // Certificates and revocations take their usual path: their own checks read their proofs.
      if (!(e instanceof KithError) && e.kind === 'object') {
        covered.push(i);
        return;
      }
    }
    rest.push(bodies[i]!);
  });
  // Before anything is stored: the covered range must be exactly what the author signed.
  checkAgainst(f.cp, f.held, inRange);
  // Certificates first, so objects signed under them pass.
  const other = rest.length > 0 ? await f.ingest(rest) : { stored: 0, refused: 0 };
  const mine = await f.use.admitCovered(
    covered.map((i) => examined[i]!),
    covered.map((i) => bodies[i]!),
  );
  // Kept to serve on only when this node now holds the range as the author listed it.
  if (mine.refused === 0) f.use.keep(f.cp);
  const firstError = other.firstError ?? mine.firstError;
  return {
    received: bodies.length,
    stored: other.stored + mine.stored,
    refused: other.refused + mine.refused,
    proofsChecked: rest.length,
    waitedForIngestMs: performance.now() - w0,
    ...(firstError ? { firstError } : {}),
  };
}

/** An examined object's place in its scope's order; certificates and revocations sit at their start time, as ingest stores them. */
function itemOf(e: Examined, digest: Digest): ScopeItem | undefined {
  const created = e.kind === 'object' ? e.record.created : Date.parse(String(e.doc.type === 'KithCertificate' ? e.doc.notBefore : e.doc.from));
  return Number.isFinite(created) ? { created, digest: fromHex(digest) } : undefined;
}
