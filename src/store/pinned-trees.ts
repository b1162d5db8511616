import type { Db } from './database.js';
import type { ErisBlockSize, ErisReference } from '../core/eris.js';

/**
 * A read-only view of the pinned trees kept for some reasons (e.g. 'own' and 'sealed': a person's
 * own media and sealed objects), with the blocks of them stored here, for whoever must carry them
 * elsewhere whole: a backup. Pinning and collecting stay with the block table (blocks.ts).
 * A tree whose root block is not stored is left out: nothing under it can be read without it.
 */

export interface PinnedTree {
  readonly root: ErisReference;
  readonly blockSize: ErisBlockSize;
  readonly level: number;
  /** The reasons among those asked for, sorted. */
  readonly reasons: string[];
  /** References of the tree whose blocks are stored here, the root first when it is stored. */
  readonly references: ErisReference[];
}

export interface StoredBlock {
  readonly reference: ErisReference;
  readonly block: Uint8Array;
}

/** The trees pinned for any of these reasons. Call inside one read transaction with `blocksOf` for a consistent picture. */
export function pinnedTrees(db: Db, reasons: readonly string[]): PinnedTree[] {
  if (reasons.length === 0) return [];
  const marks = reasons.map(() => '?').join(', ');
  const roots = db
    .prepare(
      `SELECT r.root, r.block_size AS blockSize, r.level, group_concat(p.reason, char(10)) AS reasons
       FROM pin_roots r JOIN pins p ON p.root = r.root
       WHERE p.reason IN (${marks}) AND EXISTS (SELECT 1 FROM blocks b WHERE b.ref = r.root)
       GROUP BY r.root ORDER BY r.since, r.root`,
    )
    .all(...reasons) as { root: Buffer; blockSize: ErisBlockSize; level: number; reasons: string }[];
  const present = db
    .prepare(
      `SELECT pb.ref FROM pin_blocks pb WHERE pb.root = ? AND EXISTS (SELECT 1 FROM blocks b WHERE b.ref = pb.ref)
     ORDER BY pb.ref = pb.root DESC, pb.ref`,
    )
    .pluck();
  return roots.map((r) => ({
    root: new Uint8Array(r.root),
    blockSize: r.blockSize,
    level: r.level,
    reasons: [...new Set(r.reasons.split('\n'))].sort(),
    references: (present.all(r.root) as Buffer[]).map((b) => new Uint8Array(b)),
  }));
}

/** How many distinct stored blocks the trees pinned for these reasons hold. */
export function countBlocksOf(db: Db, reasons: readonly string[]): number {
  if (reasons.length === 0) return 0;
  return db
    .prepare(`SELECT COUNT(*) FROM blocks b WHERE b.ref IN (${treeRefs(reasons)})`)
    .pluck()
    .get(...reasons) as number;
}

/** Every distinct stored block of the trees pinned for these reasons, in reference order, read one at a time. */
export function* blocksOf(db: Db, reasons: readonly string[]): Generator<StoredBlock> {
  if (reasons.length === 0) return;
  const rows = db.prepare(`SELECT b.ref, b.data FROM blocks b WHERE b.ref IN (${treeRefs(reasons)}) ORDER BY b.ref`).iterate(...reasons);
  for (const row of rows as IterableIterator<{ ref: Buffer; data: Buffer }>) yield { reference: new Uint8Array(row.ref), block: row.data };
}

function treeRefs(reasons: readonly string[]): string {
  return `SELECT pb.ref FROM pin_blocks pb JOIN pins p ON p.root = pb.root
    WHERE p.reason IN (${reasons.map(() => '?').join(', ')}) AND EXISTS (SELECT 1 FROM blocks r WHERE r.ref = pb.root)`;
}
