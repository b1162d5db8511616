/**
 * The wait before the next try of something that keeps failing (or finding
 * nothing): `minMs` after the first failure, doubling with each one after,
 * never more than `maxMs`. `failures` of 0 or less gives `minMs`.
 */
export function backoffDelay(failures: number, minMs: number, maxMs: number): number {
  if (!(minMs > 0) || !(maxMs >= minMs)) throw new RangeError(`backoff needs 0 < minMs <= maxMs, got ${minMs} and ${maxMs}`);
  const doublings = Math.max(0, Math.floor(failures) - 1);
  // 2^31 already exceeds any maximum worth waiting; stop doubling before the number overflows.
  return doublings >= 31 ? maxMs : Math.min(maxMs, minMs * 2 ** doublings);
}
