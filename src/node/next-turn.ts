/**
 * Long work on this thread (admitting a sync's objects, judging its
 * refusals) is cut into slices with a turn of the event loop between them,
 * so the owner API and the network keep answering while it runs. Admitting
 * costs up to a few tenths of a millisecond an object (more for a refusal,
 * which is counted, or judged by checking its proof again): a whole batch at
 * once held the owner API's answers up to a second behind a hostile peer's
 * thousands of refused certificates.
 */

/** Objects handled between two turns of the event loop. */
export const WORK_SLICE = 16;

/** Resolves on the next turn of the event loop, after the I/O that waits. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
