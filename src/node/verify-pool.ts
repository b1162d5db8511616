import { nextTurn, WorkSlices } from './next-turn.js';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { KithError } from '../core/errors.js';
import type { Examined } from '../core/examine.js';
import type { Limits } from '../core/limits.js';
import type { Digest } from '../core/types.js';
import type { WorkRequest, WorkResponse } from './verify-worker.js';
import { HELD, type Ingestor, type Ingested } from '../store/ingest.js';

/**
 * Signature checks are the cost of taking in content, and they are
 * independent, so they run on every core: a pool of worker threads examines
 * batches while the main thread admits and writes. Workers start on first use
 * and never keep the process alive.
 */
export class VerifyPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (r: WorkResponse) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private turn = 0;

  constructor(
    private readonly limits: Limits,
    readonly size = Math.max(1, availableParallelism()),
  ) {}

  private worker(): Worker {
    if (this.workers.length < this.size) {
      const w = new Worker(new URL('./verify-worker.js', import.meta.url));
      w.unref();
      w.on('message', (res: WorkResponse) => {
        const p = this.pending.get(res.id);
        this.pending.delete(res.id);
        p?.resolve(res);
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(w);
      return w;
    }
    return this.workers[this.turn++ % this.workers.length]!;
  }

  private run(inputs: readonly string[], covered: readonly Digest[] | undefined): Promise<WorkResponse> {
    const id = this.nextId++;
    const w = this.worker();
    if (covered === undefined) this.proofs += inputs.length;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, limits: this.limits, inputs, ...(covered ? { covered } : {}) } satisfies WorkRequest);
    });
  }

  /** Proofs checked by this pool so far (objects a checkpoint covers are not among them). */
  get proofsChecked(): number {
    return this.proofs;
  }
  private proofs = 0;

  /**
   * Examines every input, spread over the workers; results are in input
   * order. With `covered` (their digests, checked against a checkpoint),
   * everything is checked but their proofs.
   */
  async examine(inputs: readonly string[], covered?: readonly Digest[]): Promise<(Examined | KithError)[]> {
    const chunk = Math.max(16, Math.ceil(inputs.length / (this.size * 4)));
    const parts: Promise<WorkResponse>[] = [];
    for (let i = 0; i < inputs.length; i += chunk) parts.push(this.run(inputs.slice(i, i + chunk), covered?.slice(i, i + chunk)));
    const out: (Examined | KithError)[] = [];
    for (const res of await Promise.all(parts)) {
      for (const r of res.results) {
        if ('error' in r) out.push(new KithError(r.error.code, r.error.message));
        else if ('sameBody' in r) out.push({ kind: 'object', record: { ...r.record, body: inputs[out.length]! } });
        else out.push(r);
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }
}

/** Inputs per round trip to the pool: large enough to amortise messaging, small enough to overlap with writes. */
const PIPELINE_BATCH = 1024;

/**
 * Ingests many serialised objects: workers examine batch k+1 while this
 * thread admits and writes batch k. Same checks and same results as
 * Ingestor.ingestMany, in input order.
 */
export async function ingestParallel(
  ingestor: Ingestor,
  pool: VerifyPool,
  inputs: readonly string[],
  opts: { scope?: string; onProgress?: (done: number, total: number) => void } = {},
): Promise<(Ingested | KithError)[]> {
  const results: (Ingested | KithError)[] = new Array(inputs.length);
  // Objects whose signer's certificate has not come yet wait for the end of the stream.
  const held: { index: number; examined: Examined }[] = [];
  let next = pool.examine(inputs.slice(0, PIPELINE_BATCH));
  for (let i = 0; i < inputs.length; i += PIPELINE_BATCH) {
    const examined = await next;
    if (i + PIPELINE_BATCH < inputs.length) next = pool.examine(inputs.slice(i + PIPELINE_BATCH, i + 2 * PIPELINE_BATCH));
    await admitSliced(ingestor, examined, i, results, held, opts.scope);
    opts.onProgress?.(Math.min(i + PIPELINE_BATCH, inputs.length), inputs.length);
  }
  admitHeld(ingestor, results, held, opts.scope);
  return results;
}

/** Admits and writes examined objects a slice (one transaction) at a time, with a turn of the event loop between slices; results land at `offset` on. */
async function admitSliced(
  ingestor: Ingestor,
  examined: readonly (Examined | KithError)[],
  offset: number,
  results: (Ingested | KithError)[],
  held: { index: number; examined: Examined }[],
  scope: string | undefined,
): Promise<void> {
  const slices = new WorkSlices();
  for (let s = 0; s < examined.length;) {
    if (s > 0) await nextTurn();
    const started = performance.now();
    const slice = examined.slice(s, s + slices.size);
    const at = s;
    ingestor.ingestExamined(slice, { holdUnauthorized: true, scope }).forEach((r, j) => {
      if (r === HELD) held.push({ index: offset + at + j, examined: slice[j] as Examined });
      else results[offset + at + j] = r;
    });
    s += slice.length;
    slices.took(performance.now() - started);
  }
}

/** Objects whose signer's certificate had not come yet get their last chance, now that the rest is in. */
function admitHeld(ingestor: Ingestor, results: (Ingested | KithError)[], held: { index: number; examined: Examined }[], scope: string | undefined): void {
  ingestor
    .ingestExamined(
      held.map((h) => h.examined),
      { scope },
    )
    .forEach((r, j) => (results[held[j]!.index] = r));
}

/**
 * Admits and writes objects examined without their proofs because a checked
 * checkpoint covers them (net/sync-checkpoint.ts), a slice at a time, as
 * ingestParallel does.
 */
export async function admitExamined(ingestor: Ingestor, examined: readonly (Examined | KithError)[], scope: string): Promise<(Ingested | KithError)[]> {
  const results: (Ingested | KithError)[] = new Array(examined.length);
  const held: { index: number; examined: Examined }[] = [];
  await admitSliced(ingestor, examined, 0, results, held, scope);
  admitHeld(ingestor, results, held, scope);
  return results;
}
