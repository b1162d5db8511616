/**
 * The block store: ERIS blocks (src/core/eris.ts), ciphertext of exactly 1 KiB
 * or 32 KiB, each addressed by its 32-byte reference (BLAKE2b-256 of its bytes).
 *
 * Why in SQLite rather than one file per block:
 * - SQLite's own measurements ("Internal Versus External BLOBs", sqlite.org/intern-v-extern-blob.html,
 *   and "35% Faster Than The Filesystem", sqlite.org/fasterthanfs.html) show BLOBs under about
 *   100 KB are read and written faster inside the database than as separate files; ours are 1 and 32 KiB.
 * - One file keeps backups and atomicity simple: a block, the pin that covers it and the usage
 *   totals commit together in one WAL transaction, and a copy of kith.db is a copy of everything.
 * - A phone's storage (and Termux's) copes badly with tens of thousands of tiny files: inodes,
 *   directory scans, per-file allocation slack; a 1 KiB block would waste most of a 4 KiB cluster.
 *
 * Nothing here can read a block: the store keeps ciphertext and checks only that a block is
 * what its reference says. Pins are the exception by necessity (see below): to know which blocks
 * belong to a pinned file, the store opens the file's internal nodes with the read capability.
 *
 * Pins and garbage collection
 * ---------------------------
 * `pin(capability, reason, owner)` keeps every block of a file (the whole tree under the root)
 * from garbage collection; a file may be pinned for several reasons and goes only when none is
 * left. Coverage is kept as rows `pin_blocks(ref, root)`, one per reference known to be in a
 * pinned tree, whether its block is here yet or not; garbage collection takes a block only if no
 * row names it. A set rather than a reference count: the same block can sit in several trees (or
 * twice in one: convergent encoding makes equal plaintext blocks equal), references are learnt
 * piecemeal and sometimes twice, and a set makes every cover idempotent (INSERT OR IGNORE) and an
 * unpin one DELETE by root (a cascade), with no count to drift. It costs a row of ~70 bytes per
 * (tree, block): 2 MB for a 1 GiB file in 32 KiB blocks.
 *
 * The tree is walked when it is pinned, as far as its blocks are here (store/tree-coverage.ts): each
 * internal node present is opened with its key (from the capability, then from its parent) and
 * checked as the decoder checks it, and its children's references are covered. An internal
 * node not here yet is recorded in `pin_pending` with its level and key; when `put` stores it, its
 * children are covered at once and the row, key included, is deleted. So a file pinned before its
 * blocks arrive is covered block by block as they arrive top-down, the order any fetcher must
 * follow, since a child's reference is only learnt from its parent.
 *
 * Trade-offs:
 * - A block that arrives before its parent (a peer pushing blocks in encoding order, leaves
 *   first) cannot be recognised as part of a pinned tree until the parent arrives. Such blocks are
 *   protected only by the grace period below; a fetcher that learns references another way can
 *   cover them early with `coverReferences`.
 * - Until an internal node arrives, its key (for the root: the capability's key) is stored in
 *   `pin_pending`. Whoever pins holds the capability anyway, but the database then briefly
 *   holds it too; once the tree is complete no key remains.
 * - A capability that names a root the store does not hold cannot be checked when pinned: a wrong
 *   key or level is found only when the root arrives, and is recorded as `broken` on the pin (the
 *   root block itself stays covered).
 * - Coverage is per root, shared by all reasons: a second pin of the same root with another key is
 *   not walked again.
 *
 * Quota: every stored block counts, pinned or not. A put that would pass the quota first collects
 * unpinned blocks, least recently used first; if that cannot make room it is refused ('too-large')
 * and nothing is deleted. Blocks stored or read within the last `graceMs` are never collected: they
 * may be waiting for the pin that will cover them (a file being encoded and then pinned, or leaves
 * that arrived before their parent).
 *
 * The last-used time is kept coarsely: a read records a touch only when the stored time is more
 * than `touchMs` old, and touches are written in batches (and before every collection), so reading
 * a file does not cost a write per block. Touches not yet written when the process ends are lost,
 * which only makes those blocks look older to the collector.
 *
 * Callers must `await initEris()` once before `put` or `pin` (the hashes are synchronous after it).
 */
import type { Db } from './database.js';
import { fail } from '../core/errors.js';
import { bytesEqual } from '../core/bytes.js';
import { ERIS_HASH_BYTES } from '../core/eris-crypto.js';
import {
  checkReadCapability,
  erisReference,
  ERIS_BLOCK_SIZES_TEXT,
  formatErisReference,
  isErisBlockSize,
  maxErisLevel,
  type ErisBlockSize,
  type ErisReference,
  type ReadCapability,
} from '../core/eris.js';
import { TreeCoverage } from './tree-coverage.js';

export interface BlockTableOptions {
  /** Bytes of blocks this node keeps, pinned or not. Default 1 GiB. */
  readonly quotaBytes?: number;
  /** Blocks stored or read this recently (ms) are never collected. Default 10 minutes. */
  readonly graceMs?: number;
  /** A read updates a block's last-used time only when it is older than this (ms). Default 1 minute. */
  readonly touchMs?: number;
}

export interface BlockUsage {
  readonly blocks: number;
  readonly bytes: number;
  /** Bytes of stored blocks covered by at least one pin (each block counted once). */
  readonly pinnedBytes: number;
  readonly quotaBytes: number;
}

export interface GcResult {
  /** Blocks and bytes deleted. */
  readonly blocks: number;
  readonly bytes: number;
  /** Quota left afterwards (negative when the store is over its quota). */
  readonly freeBytes: number;
}

export interface PinReason {
  readonly reason: string;
  readonly owner: string | null;
  readonly since: number;
}

export interface PinStatus {
  readonly root: ErisReference;
  readonly blockSize: ErisBlockSize;
  readonly level: number;
  readonly reasons: PinReason[];
  /** References known to be in the tree so far. */
  readonly coveredBlocks: number;
  /** How many of those are stored here. */
  readonly presentBlocks: number;
  /** Internal nodes not stored yet, below which the tree is still unknown. */
  readonly pendingNodes: number;
  /** Every block of the tree is here (and the tree opened cleanly). */
  readonly complete: boolean;
  /** Why part of the tree could not be opened, or null. */
  readonly broken: string | null;
}

export const DEFAULT_BLOCK_QUOTA_BYTES = 1024 ** 3;
const DEFAULT_GRACE_MS = 10 * 60_000;
const DEFAULT_TOUCH_MS = 60_000;
/** Touches held in memory before they are written in one transaction. */
const TOUCH_BATCH = 256;
/** Candidates read per query while collecting. */
const GC_BATCH = 256;
const MAX_REASON_CHARS = 256;

/** A view of the caller's bytes as a Buffer (no copy), which is what the SQLite binding takes. */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function checkReference(reference: unknown, what = 'an ERIS block reference'): Buffer {
  if (!(reference instanceof Uint8Array)) fail('malformed', `${what} must be bytes`);
  if (reference.length !== ERIS_HASH_BYTES) fail('malformed', `${what} is ${ERIS_HASH_BYTES} bytes (BLAKE2b-256), not ${reference.length}`);
  return asBuffer(reference);
}

function checkMs(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail('malformed', `${name} must be a non-negative number of milliseconds`);
  return value;
}

/** The root reference of a pin argument: a read capability, or the root reference itself. */
function rootOf(root: ReadCapability | ErisReference): Buffer {
  if (root instanceof Uint8Array) return checkReference(root, 'a pinned root reference');
  return asBuffer(checkReadCapability(root).rootReference);
}

/** ERIS blocks, their pins, the quota and garbage collection. Statements prepared once. */
export class BlockTable {
  private quota: number;
  private grace: number;
  private readonly touchMs: number;
  /** Reads not yet written as last-used times: hex reference → reference and time. */
  private readonly touches = new Map<string, { ref: Buffer; at: number }>();
  private readonly coverage: TreeCoverage;

  private readonly hasStmt;
  private readonly getStmt;
  private readonly dataStmt;
  private readonly insertStmt;
  private readonly deleteStmt;
  private readonly touchStmt;
  private readonly usageStmt;
  private readonly pinnedBytesStmt;
  private readonly candidatesStmt;
  private readonly rootGetStmt;
  private readonly rootAddStmt;
  private readonly rootDelStmt;
  private readonly reasonAddStmt;
  private readonly reasonDelStmt;
  private readonly reasonCountStmt;
  private readonly reasonsStmt;
  private readonly coveredCountStmt;
  private readonly presentCountStmt;
  private readonly pendingCountStmt;
  private readonly missingStmt;

  private readonly putTx;
  private readonly pinTx;
  private readonly unpinTx;
  private readonly coverTx;
  private readonly blindTx;
  private readonly gcTx;
  private readonly touchTx;

  constructor(
    private readonly db: Db,
    options: BlockTableOptions = {},
  ) {
    this.quota = DEFAULT_BLOCK_QUOTA_BYTES;
    this.grace = DEFAULT_GRACE_MS;
    if (options.quotaBytes !== undefined) this.quotaBytes = options.quotaBytes;
    if (options.graceMs !== undefined) this.graceMs = options.graceMs;
    this.touchMs = checkMs(options.touchMs ?? DEFAULT_TOUCH_MS, 'touchMs');
    this.coverage = new TreeCoverage(db);

    this.hasStmt = db.prepare('SELECT 1 FROM blocks WHERE ref = ?').pluck();
    this.getStmt = db.prepare('SELECT used, data FROM blocks WHERE ref = ?');
    this.dataStmt = db.prepare('SELECT data FROM blocks WHERE ref = ?').pluck();
    this.insertStmt = db.prepare('INSERT INTO blocks (ref, size, used, data) VALUES (?, ?, ?, ?)');
    this.deleteStmt = db.prepare('DELETE FROM blocks WHERE n = ?');
    this.touchStmt = db.prepare('UPDATE blocks SET used = ? WHERE ref = ? AND used < ?');
    this.usageStmt = db.prepare('SELECT blocks, bytes FROM block_usage WHERE id = 1');
    this.pinnedBytesStmt = db.prepare('SELECT COALESCE(SUM(size), 0) FROM blocks WHERE ref IN (SELECT ref FROM pin_blocks)').pluck();
    // Least recently used first, from a cursor (used, n), skipping anything a pin covers.
    this.candidatesStmt = db.prepare(
      `SELECT n, used, size FROM blocks b
       WHERE (used, n) > (?, ?) AND used <= ? AND NOT EXISTS (SELECT 1 FROM pin_blocks p WHERE p.ref = b.ref)
       ORDER BY used, n LIMIT ?`,
    );
    this.rootGetStmt = db.prepare('SELECT block_size AS blockSize, level, broken FROM pin_roots WHERE root = ?');
    this.rootAddStmt = db.prepare('INSERT INTO pin_roots (root, block_size, level, since) VALUES (?, ?, ?, ?)');
    this.rootDelStmt = db.prepare('DELETE FROM pin_roots WHERE root = ?');
    this.reasonAddStmt = db.prepare('INSERT INTO pins (root, reason, owner, since) VALUES (?, ?, ?, ?) ON CONFLICT (root, reason) DO NOTHING');
    this.reasonDelStmt = db.prepare('DELETE FROM pins WHERE root = ? AND reason = ?');
    this.reasonCountStmt = db.prepare('SELECT COUNT(*) FROM pins WHERE root = ?').pluck();
    this.reasonsStmt = db.prepare('SELECT reason, owner, since FROM pins WHERE root = ? ORDER BY since, reason');
    this.coveredCountStmt = db.prepare('SELECT COUNT(*) FROM pin_blocks WHERE root = ?').pluck();
    this.presentCountStmt = db.prepare('SELECT COUNT(*) FROM pin_blocks p JOIN blocks b ON b.ref = p.ref WHERE p.root = ?').pluck();
    this.pendingCountStmt = db.prepare('SELECT COUNT(*) FROM pin_pending WHERE root = ?').pluck();
    this.missingStmt = db.prepare('SELECT ref FROM pin_blocks p WHERE p.root = ? AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.ref = p.ref) LIMIT ?').pluck();

    this.putTx = db.transaction((ref: Buffer, block: Buffer, now: number): boolean => {
      if (this.hasStmt.get(ref) !== undefined) return false;
      this.makeRoom(block.length, now);
      this.insertStmt.run(ref, block.length, now, block);
      this.coverage.arrived(ref);
      return true;
    });
    this.pinTx = db.transaction((cap: ReadCapability, root: Buffer, reason: string, owner: string | null, now: number): boolean => {
      const existing = this.rootGetStmt.get(root) as { blockSize: number; level: number } | undefined;
      if (existing) {
        if (existing.blockSize !== cap.blockSize || existing.level !== cap.level) {
          fail(
            'conflict',
            `ERIS root ${formatErisReference(root)} is pinned as a level-${existing.level} tree of ${existing.blockSize}-byte blocks, not level ${cap.level} of ${cap.blockSize}`,
          );
        }
      } else {
        this.rootAddStmt.run(root, cap.blockSize, cap.level, now);
        const block = this.dataStmt.get(root) as Buffer | undefined;
        if (block !== undefined && block.length !== cap.blockSize) {
          fail('malformed', `ERIS root ${formatErisReference(root)} is a ${block.length}-byte block, but the read capability says ${cap.blockSize}`);
        }
        this.coverage.pinned(root, cap);
      }
      return this.reasonAddStmt.run(root, reason, owner, now).changes === 1;
    });
    this.unpinTx = db.transaction((root: Buffer, reason: string): boolean => {
      if (this.reasonDelStmt.run(root, reason).changes === 0) return false;
      // The last reason gone: the tree and its coverage go too (pin_blocks and pin_pending cascade).
      if ((this.reasonCountStmt.get(root) as number) === 0) this.rootDelStmt.run(root);
      return true;
    });
    this.coverTx = db.transaction((root: Buffer, refs: Buffer[]): number => {
      if (this.rootGetStmt.get(root) === undefined) fail('not-found', `ERIS root ${formatErisReference(root)} is not pinned`);
      return this.coverage.addReferences(root, refs);
    });
    this.blindTx = db.transaction((root: Buffer, blockSize: number, level: number, refs: Buffer[], reason: string, now: number): boolean => {
      const existing = this.rootGetStmt.get(root) as { blockSize: number; level: number } | undefined;
      if (existing && (existing.blockSize !== blockSize || existing.level !== level)) {
        fail('conflict', `ERIS root ${formatErisReference(root)} is pinned as a level-${existing.level} tree of ${existing.blockSize}-byte blocks`);
      }
      if (!existing) this.rootAddStmt.run(root, blockSize, level, now);
      this.coverage.addReferences(root, refs);
      return this.reasonAddStmt.run(root, reason, null, now).changes === 1;
    });
    this.gcTx = db.transaction((keepAtMost: number, now: number): { blocks: number; bytes: number } => this.collect(keepAtMost, now));
    this.touchTx = db.transaction((touches: { ref: Buffer; at: number }[]) => {
      for (const t of touches) this.touchStmt.run(t.at, t.ref, t.at);
    });
  }

  /** Bytes of blocks this node keeps, pinned or not. Lowering it deletes nothing by itself: the next put or gc does. */
  get quotaBytes(): number {
    return this.quota;
  }

  set quotaBytes(bytes: number) {
    if (typeof bytes !== 'number' || !(Number.isSafeInteger(bytes) || bytes === Infinity) || bytes < 0) {
      fail('malformed', 'the block quota must be a non-negative whole number of bytes');
    }
    this.quota = bytes;
  }

  /** Blocks stored or read this recently (ms) are never collected. */
  get graceMs(): number {
    return this.grace;
  }

  set graceMs(ms: number) {
    this.grace = checkMs(ms, 'graceMs');
  }

  /**
   * Stores a block under its reference. Refused, with nothing stored: a reference that is not 32
   * bytes or a block not of 1024 or 32768 bytes ('malformed'); a block whose BLAKE2b-256 is not the
   * reference ('bad-encoding'); a block the quota has no room for even after collecting unpinned
   * blocks ('too-large'). Returns false when the block was already stored (nothing changes).
   */
  put(reference: ErisReference, block: Uint8Array, now = Date.now()): boolean {
    const ref = checkReference(reference);
    if (!(block instanceof Uint8Array)) fail('malformed', 'an ERIS block must be bytes');
    if (!isErisBlockSize(block.length)) fail('malformed', `an ERIS block is ${ERIS_BLOCK_SIZES_TEXT} bytes, not ${block.length}`);
    if (!bytesEqual(erisReference(block), ref)) {
      fail('bad-encoding', `the block offered as ${formatErisReference(ref)} does not hash to that reference (BLAKE2b-256 differs): corrupted or substituted`);
    }
    return this.putTx(ref, asBuffer(block), now);
  }

  /** The block stored under a reference, or undefined. Marks it used (coarsely, see the top of this file). */
  get(reference: ErisReference, now = Date.now()): Uint8Array | undefined {
    const ref = checkReference(reference);
    const row = this.getStmt.get(ref) as { used: number; data: Buffer } | undefined;
    if (row === undefined) return undefined;
    if (now - row.used >= this.touchMs) {
      this.touches.set(ref.toString('hex'), { ref: Buffer.from(ref), at: now });
      if (this.touches.size >= TOUCH_BATCH) this.flush();
    }
    return row.data;
  }

  has(reference: ErisReference): boolean {
    return this.hasStmt.get(checkReference(reference)) !== undefined;
  }

  /** Writes the last-used times of recent reads. Runs by itself every few hundred reads and before every collection. */
  flush(): void {
    if (this.touches.size === 0) return;
    const touches = [...this.touches.values()];
    this.touches.clear();
    this.touchTx(touches);
  }

  /**
   * Pins a file: keeps every block of the tree under the capability's root from garbage
   * collection, for this reason (e.g. 'own', 'follow:<did>', 'sealed') and optional owner (whose
   * content it is). Blocks not stored yet are covered as they arrive. Refused with 'malformed'
   * when the stored part of the tree does not open with the capability (wrong key or level), with
   * 'conflict' when the root is pinned with another block size or level; nothing changes then.
   * Returns false when this reason was already pinned.
   */
  pin(root: ReadCapability, reason: string, owner?: string | null, now = Date.now()): boolean {
    const cap = checkReadCapability(root);
    checkReason(reason);
    if (owner !== undefined && owner !== null && (typeof owner !== 'string' || owner.length === 0 || owner.length > MAX_REASON_CHARS)) {
      fail('malformed', `a pin's owner must be a non-empty string of at most ${MAX_REASON_CHARS} characters`);
    }
    return this.pinTx(cap, asBuffer(cap.rootReference), reason, owner ?? null, now);
  }

  /**
   * Pins a tree this node may not read: no key, so it cannot be walked, and
   * instead every block reference is given (a sealed object's envelope lists
   * them). Its holder keeps and serves ciphertext it cannot open.
   */
  pinBlind(root: ErisReference, blockSize: ErisBlockSize, level: number, references: readonly ErisReference[], reason: string, now = Date.now()): boolean {
    const ref = checkReference(root);
    checkReason(reason);
    if (!isErisBlockSize(blockSize)) fail('malformed', `an ERIS block size is ${ERIS_BLOCK_SIZES_TEXT}, not ${String(blockSize)}`);
    if (!Number.isInteger(level) || level < 0 || level > maxErisLevel(blockSize)) fail('malformed', `ERIS level ${String(level)} is out of range`);
    const refs = references.map((r) => checkReference(r));
    if (!refs.some((r) => r.equals(ref))) fail('malformed', 'the list of blocks must include the root');
    return this.blindTx(ref, blockSize, level, refs, reason, now);
  }

  /** Removes one reason a file is pinned for; the file's blocks become collectable when no reason is left. Returns false when that reason was not pinned. */
  unpin(root: ReadCapability | ErisReference, reason: string): boolean {
    const ref = rootOf(root);
    checkReason(reason);
    return this.unpinTx(ref, reason);
  }

  /**
   * Covers references a fetcher learnt for a pinned tree some other way than from their parent
   * (e.g. a peer's list of the tree's blocks), so blocks that arrive before their parent are kept.
   * The root must be pinned ('not-found' otherwise). Returns how many were not covered before.
   */
  coverReferences(root: ReadCapability | ErisReference, references: Iterable<ErisReference>): number {
    const ref = rootOf(root);
    const refs = [...references].map((r) => checkReference(r));
    return this.coverTx(ref, refs);
  }

  /** Roots of every pinned tree, to announce in the DHT. */
  pinnedRoots(): ErisReference[] {
    return (this.db.prepare('SELECT root FROM pin_roots ORDER BY since').pluck().all() as Buffer[]).map((b) => new Uint8Array(b));
  }

  /** What a pinned tree holds so far, or undefined when it is not pinned. */
  pinStatus(root: ReadCapability | ErisReference): PinStatus | undefined {
    const ref = rootOf(root);
    const r = this.rootGetStmt.get(ref) as { blockSize: ErisBlockSize; level: number; broken: string | null } | undefined;
    if (r === undefined) return undefined;
    const coveredBlocks = this.coveredCountStmt.get(ref) as number;
    const presentBlocks = this.presentCountStmt.get(ref) as number;
    const pendingNodes = this.pendingCountStmt.get(ref) as number;
    return {
      root: new Uint8Array(ref),
      blockSize: r.blockSize,
      level: r.level,
      reasons: this.reasonsStmt.all(ref) as PinReason[],
      coveredBlocks,
      presentBlocks,
      pendingNodes,
      complete: pendingNodes === 0 && presentBlocks === coveredBlocks && r.broken === null,
      broken: r.broken,
    };
  }

  /** References of a pinned tree known but not stored: what a fetcher should ask peers for next. */
  missing(root: ReadCapability | ErisReference, limit = 256): ErisReference[] {
    return (this.missingStmt.all(rootOf(root), limit) as Buffer[]).map((b) => new Uint8Array(b));
  }

  /**
   * Deletes unpinned blocks not used within the grace period, least recently used first: all of
   * them, or only until `targetFreeBytes` of the quota are free (possibly none). A block covered
   * by a pin is never deleted. Returns what was deleted and the quota left.
   */
  gc(targetFreeBytes?: number, now = Date.now()): GcResult {
    if (targetFreeBytes !== undefined && (typeof targetFreeBytes !== 'number' || !(targetFreeBytes >= 0))) {
      fail('malformed', 'the bytes to free must be a non-negative number');
    }
    this.flush();
    const freed = this.gcTx(targetFreeBytes === undefined ? -1 : this.quota - targetFreeBytes, now);
    return { ...freed, freeBytes: this.quota - this.totals().bytes };
  }

  usage(): BlockUsage {
    const { blocks, bytes } = this.totals();
    return { blocks, bytes, pinnedBytes: this.pinnedBytesStmt.get() as number, quotaBytes: this.quota };
  }

  private totals(): { blocks: number; bytes: number } {
    return this.usageStmt.get() as { blocks: number; bytes: number };
  }

  /** Inside the put transaction: collects unpinned blocks until `size` more bytes fit, or refuses (rolling the collection back). */
  private makeRoom(size: number, now: number): void {
    if (this.totals().bytes + size <= this.quota) return;
    this.flush();
    this.collect(this.quota - size, now);
    const { bytes } = this.totals();
    if (bytes + size > this.quota) {
      const pinned = this.pinnedBytesStmt.get() as number;
      fail(
        'too-large',
        `the block store is full: a ${size}-byte block does not fit in the quota of ${this.quota} bytes ` +
          `(${bytes} used, ${pinned} of them pinned; unpinned blocks used in the last ${Math.round(this.grace / 1000)} s are kept)`,
      );
    }
  }

  /** Deletes collectable blocks, least recently used first, until at most `keepAtMost` bytes are stored (-1: all of them). */
  private collect(keepAtMost: number, now: number): { blocks: number; bytes: number } {
    let bytes = this.totals().bytes;
    const cutoff = now - this.grace;
    let freedBlocks = 0;
    let freedBytes = 0;
    let cursor: [number, number] = [Number.MIN_SAFE_INTEGER, 0];
    while (keepAtMost < 0 || bytes > keepAtMost) {
      const batch = this.candidatesStmt.all(cursor[0], cursor[1], cutoff, GC_BATCH) as { n: number; used: number; size: number }[];
      if (batch.length === 0) break;
      for (const b of batch) {
        if (keepAtMost >= 0 && bytes <= keepAtMost) break;
        this.deleteStmt.run(b.n);
        bytes -= b.size;
        freedBlocks++;
        freedBytes += b.size;
      }
      const last = batch[batch.length - 1]!;
      cursor = [last.used, last.n];
    }
    return { blocks: freedBlocks, bytes: freedBytes };
  }
}

function checkReason(reason: unknown): void {
  if (typeof reason !== 'string' || reason.length === 0 || reason.length > MAX_REASON_CHARS) {
    fail('malformed', `a pin's reason must be a non-empty string of at most ${MAX_REASON_CHARS} characters`);
  }
}
