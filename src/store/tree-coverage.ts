import type { Db } from './database.js';
import { openErisNode, type ErisChild } from '../core/eris-node.js';
import type { ErisBlockSize, ReadCapability } from '../core/eris.js';

/**
 * Which references belong to pinned trees (see the top of store/blocks.ts for
 * why and how): walking a pinned tree as far as its blocks are here, covering
 * every reference met (pin_blocks), and keeping each internal node not here yet
 * in pin_pending until it arrives. Nodes are opened and checked by core's
 * openErisNode, the decoder's own, so the store covers only references of a
 * tree the decoder would read.
 *
 * One check the decoder makes cannot always be made here: only a node on the
 * tree's right edge may hold fewer pairs than fit, and pin_pending does not
 * record whether a node waiting there is on the edge. A node that arrives after
 * its pin is therefore opened as if it were; decodeEris applies the rule when
 * the content is read.
 *
 * Every method runs inside the caller's transaction.
 */

/** What to do with an internal node that does not open: refuse the pin, or record the tree as broken and cover the rest. */
export type WhenUnopenable = 'refuse' | 'mark-broken';

/** Longest reason for a broken tree kept on its pin. */
const MAX_BROKEN_CHARS = 500;

/** A node of a pinned tree to cover, with what opening it takes when it is internal. */
interface TreeNode extends ErisChild {
  readonly ref: Buffer;
  readonly level: number;
}

export class TreeCoverage {
  private readonly dataStmt;
  private readonly brokenStmt;
  private readonly coverStmt;
  private readonly pendingAddStmt;
  private readonly pendingForStmt;
  private readonly pendingDelStmt;

  constructor(db: Db) {
    this.dataStmt = db.prepare('SELECT data FROM blocks WHERE ref = ?').pluck();
    this.brokenStmt = db.prepare('UPDATE pin_roots SET broken = COALESCE(broken, ?) WHERE root = ?');
    this.coverStmt = db.prepare('INSERT OR IGNORE INTO pin_blocks (ref, root) VALUES (?, ?)');
    this.pendingAddStmt = db.prepare('INSERT OR IGNORE INTO pin_pending (ref, root, level, key) VALUES (?, ?, ?, ?)');
    this.pendingForStmt = db.prepare(
      'SELECT p.root, p.level, p.key, r.block_size AS blockSize FROM pin_pending p JOIN pin_roots r ON r.root = p.root WHERE p.ref = ?',
    );
    this.pendingDelStmt = db.prepare('DELETE FROM pin_pending WHERE ref = ? AND root = ?');
  }

  /** Covers references of a pinned tree; returns how many were not covered before. */
  addReferences(root: Buffer, refs: readonly Buffer[]): number {
    let added = 0;
    for (const ref of refs) added += this.coverStmt.run(ref, root).changes;
    return added;
  }

  /** A newly pinned tree: covers its root and everything below it that is stored here. */
  pinned(root: Buffer, cap: ReadCapability): void {
    const start = { ref: root, reference: root, level: cap.level, key: cap.rootKey, rightmost: true };
    this.cover(root, cap.blockSize, start, 'refuse');
  }

  /** A block just stored: if pinned trees were waiting for it as an internal node, covers its children (and what is below them). */
  arrived(ref: Buffer): void {
    for (const p of this.pendingForStmt.all(ref) as { root: Buffer; level: number; key: Buffer; blockSize: ErisBlockSize }[]) {
      this.pendingDelStmt.run(ref, p.root);
      this.cover(p.root, p.blockSize, { ref, reference: ref, level: p.level, key: p.key, rightmost: true }, 'mark-broken');
    }
  }

  /**
   * Covers a node of a pinned tree and, if it is an internal node stored here, everything below it
   * that can be reached; internal nodes not stored yet wait in pin_pending.
   */
  private cover(root: Buffer, blockSize: ErisBlockSize, start: TreeNode, whenUnopenable: WhenUnopenable): void {
    const stack: TreeNode[] = [start];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      this.coverStmt.run(node.ref, root);
      if (node.level === 0) continue;
      const block = this.dataStmt.get(node.ref) as Buffer | undefined;
      if (block === undefined) {
        this.pendingAddStmt.run(node.ref, root, node.level, Buffer.from(node.key));
        continue;
      }
      let children: ErisChild[];
      try {
        children = openErisNode(block, blockSize, { ...node, isRoot: node.ref.equals(root) });
      } catch (e) {
        if (whenUnopenable === 'refuse') throw e;
        this.brokenStmt.run((e as Error).message.slice(0, MAX_BROKEN_CHARS), root);
        continue;
      }
      for (const c of children) stack.push({ ...c, ref: Buffer.from(c.reference), level: node.level - 1 });
    }
  }
}
