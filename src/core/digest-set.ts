/**
 * A set of digests for reconciliation's id lists: sorted bytes searched by
 * bisection. A Map keyed by hex strings made a string per digest, which cost
 * more than the rest of a large reconciliation together; hashing on a few
 * bytes instead would let a peer choose ids that all fall in one bucket. The
 * sort and each search are O(n log n) and O(log n) whatever the peer sends.
 */
export class DigestSet {
  private readonly sorted: Uint8Array[];

  constructor(digests: Iterable<Uint8Array>) {
    this.sorted = [...digests].sort(compareBytes);
  }

  has(d: Uint8Array): boolean {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareBytes(this.sorted[mid]!, d);
      if (c === 0) return true;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return false;
  }
}

/** Byte order, shorter first on a common prefix. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
