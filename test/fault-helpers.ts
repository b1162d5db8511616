import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { SeededRandom } from './seeded-random.js';

/**
 * What the fault tests look at in a node's store from outside its process:
 * a read-only view while it runs (SQLite in WAL mode lets readers in beside
 * the writer), and the check a restart would make after a crash.
 */

export const dbOf = (home: string): string => join(home, 'kith.db');

/** PRAGMA integrity_check on a store opened as a restart opens it (recovering its WAL first): 'ok', or what is wrong. */
export function integrity(home: string): string {
  const db = new Database(dbOf(home), { fileMustExist: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

/** A read-only view of a store, running node or not. */
export class StoreView {
  private readonly db: Database.Database;

  constructor(home: string) {
    this.db = new Database(dbOf(home), { readonly: true, fileMustExist: true });
  }

  /** Objects held of a scope. */
  count(scope: string): number {
    return this.db.prepare('SELECT COUNT(*) FROM objects o JOIN scopes s ON s.n = o.scope WHERE s.name = ?').pluck().get(scope) as number;
  }

  /** The digests (lowercase hex, as Kith writes them) of a scope's objects, sorted. */
  digests(scope: string): string[] {
    return this.db
      .prepare('SELECT lower(hex(digest)) FROM objects o JOIN scopes s ON s.n = o.scope WHERE s.name = ? ORDER BY 1')
      .pluck()
      .all(scope) as string[];
  }

  /** The types of these objects (digests in hex), sorted. */
  typesOf(digests: readonly string[]): string[] {
    const stmt = this.db.prepare('SELECT type FROM objects WHERE digest = ?').pluck();
    return digests.map((d) => stmt.get(Buffer.from(d, 'hex')) as string).sort();
  }

  /** The digests of every object held, sorted. */
  allDigests(): string[] {
    return this.db.prepare('SELECT lower(hex(digest)) FROM objects ORDER BY 1').pluck().all() as string[];
  }

  /** Whether an object (by digest, hex) is held. */
  has(digest: string): boolean {
    return this.db.prepare('SELECT 1 FROM objects WHERE digest = ?').pluck().get(Buffer.from(digest, 'hex')) !== undefined;
  }

  /** Blocks stored, of any tree. */
  blocks(): number {
    return this.db.prepare('SELECT blocks FROM block_usage WHERE id = 1').pluck().get() as number;
  }

  /** The references (hex, sorted) a pinned tree is known to have, and how many of them are stored. */
  tree(root: Uint8Array): { refs: string[]; present: number } {
    const refs = this.db.prepare('SELECT lower(hex(ref)) FROM pin_blocks WHERE root = ? ORDER BY 1').pluck().all(Buffer.from(root)) as string[];
    const present = this.db
      .prepare('SELECT COUNT(*) FROM pin_blocks p JOIN blocks b ON b.ref = p.ref WHERE p.root = ?')
      .pluck()
      .get(Buffer.from(root)) as number;
    return { refs, present };
  }

  /** PRAGMA integrity_check through this read-only view (for a store whose node still runs): 'ok', or what is wrong. */
  integrity(): string {
    return (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  }

  close(): void {
    this.db.close();
  }
}

/** Reads `probe` until it reaches `target`, checking often, so a kill lands right where the test chose; fails after `timeoutMs`. */
export async function reach(what: string, probe: () => number, target: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v >= target) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} to reach ${target}; it is at ${v}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A number in [0, 1) drawn from a seeded source. */
export function uniform(rnd: SeededRandom): number {
  return Buffer.from(rnd.bytes(4)).readUInt32BE(0) / 2 ** 32;
}

/** A whole number in [0, n) drawn from a seeded source. */
export function below(rnd: SeededRandom, n: number): number {
  return Math.floor(uniform(rnd) * n);
}

/**
 * The random moment itself: after the chosen progress is reached, the kill
 * waits this many more milliseconds, so it lands anywhere in the work that
 * follows (verifying, writing, waiting on the network), not only just after a commit.
 */
export function jitter(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
