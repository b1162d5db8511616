/**
 * Long work on this thread (admitting a sync's objects, judging its
 * refusals) is cut into slices with a turn of the event loop between them,
 * so the owner API and the network keep answering while it runs. Admitting
 * costs up to a few tenths of a millisecond an object (more for a refusal,
 * which is counted, or judged by checking its proof again): a whole batch at
 * once held the owner API's answers up to a second behind a hostile peer's
 * thousands of refused certificates.
 */

/** Objects handled between two turns of the event loop; where slices are sized by time (WorkSlices), the first and the least. */
export const WORK_SLICE = 16;
/**
 * Most objects in a slice sized by time. Each slice is a write transaction,
 * and its commit cost a follower more than the objects' own rows (16 a
 * commit: about half of storing a sync); a slice this long of refusals, the
 * costliest objects, still ends within a few tens of milliseconds, once,
 * before the slices shrink again.
 */
export const WORK_SLICE_MAX = 256;
/** Slices sized by time aim to take at most this long. */
export const WORK_SLICE_BUDGET_MS = 8;

/**
 * Sizes slices of work by how long the last one took: they grow (doubling)
 * while they take under half the budget, and shrink (halving) back towards
 * WORK_SLICE when one takes longer than it.
 */
export class WorkSlices {
  private current = WORK_SLICE;

  get size(): number {
    return this.current;
  }

  /** How long the last slice (of `size` objects) took. */
  took(ms: number): void {
    if (ms > WORK_SLICE_BUDGET_MS) this.current = Math.max(WORK_SLICE, this.current >> 1);
    else if (ms < WORK_SLICE_BUDGET_MS / 2) this.current = Math.min(WORK_SLICE_MAX, this.current * 2);
  }
}

/** Resolves on the next turn of the event loop, after the I/O that waits. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
