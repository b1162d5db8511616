/**
 * A verification thread: examines (parses, shape-checks, proof-checks) the
 * objects it is sent and returns what it found. No store, no clock.
 */
import { parentPort } from 'node:worker_threads';
import { examine, examineCovered, type Examined, type ObjectRecord } from '../core/examine.js';
import { KithError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import type { Digest } from '../core/types.js';

export interface WorkRequest {
  readonly id: number;
  readonly limits: Limits;
  readonly inputs: readonly string[];
  /** When given, the inputs are covered by a checked checkpoint: these are their digests, and their proofs are not checked again. */
  readonly covered?: readonly Digest[];
}

/**
 * An object whose stored body is exactly its input comes back without it
 * (`sameBody`): the caller holds the input already, and a body is most of
 * what crosses between threads.
 */
export type WorkResult =
  | Examined
  | { readonly kind: 'object'; readonly record: Omit<ObjectRecord, 'body'>; readonly sameBody: true }
  | { readonly error: { readonly code: KithError['code']; readonly message: string } };

export interface WorkResponse {
  readonly id: number;
  readonly results: readonly WorkResult[];
}

parentPort?.on('message', (req: WorkRequest) => {
  const results = req.inputs.map((input, i): WorkResult => {
    try {
      const e = req.covered ? examineCovered(input, req.covered[i]!, req.limits) : examine(input, req.limits);
      if (e.kind !== 'object' || e.record.body !== input) return e;
      const { body: _same, ...record } = e.record;
      return { kind: 'object', record, sameBody: true };
    } catch (e) {
      // examine throws KithErrors for bad input; anything else is a bug here, not the sender's fault.
      const err = e instanceof KithError ? e : new KithError('internal', `examining the object failed inside Kith: ${(e as Error).message}`);
      return { error: { code: err.code, message: err.message } };
    }
  });
  parentPort!.postMessage({ id: req.id, results } satisfies WorkResponse);
});
