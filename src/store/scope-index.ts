import type { Db } from './database.js';
import { ItemIndex, DIGEST_BYTES } from '../core/reconcile.js';
import type { ObjectTable } from './objects.js';

/**
 * The sorted (created, digest) index of each scope that reconciliation
 * works on, kept in memory while it is current. Writes by this process bump
 * the scope's generation; commits by other processes (the CLI writing while
 * the node runs) change SQLite's data_version, which drops every index.
 */
export class ScopeIndexes {
  private readonly cache = new Map<string, { index: ItemIndex; generation: number }>();
  private dataVersion = -1;
  private readonly itemsStmt;

  constructor(
    private readonly db: Db,
    private readonly objects: ObjectTable,
  ) {
    this.itemsStmt = db
      .prepare(
        `SELECT o.created, o.digest FROM objects o
         WHERE o.scope = (SELECT n FROM scopes WHERE name = ?) ORDER BY o.created, o.digest`,
      )
      .raw();
  }

  index(scope: string): ItemIndex {
    const version = this.db.pragma('data_version', { simple: true }) as number;
    if (version !== this.dataVersion) {
      this.cache.clear();
      this.dataVersion = version;
    }
    const generation = this.objects.generation(scope);
    const hit = this.cache.get(scope);
    if (hit && hit.generation === generation) return hit.index;
    const rows = this.itemsStmt.all(scope) as [number, Buffer][];
    const created = new Float64Array(rows.length);
    const digests = new Uint8Array(rows.length * DIGEST_BYTES);
    rows.forEach(([c, d], i) => {
      created[i] = c;
      digests.set(d, i * DIGEST_BYTES);
    });
    const index = new ItemIndex(created, digests);
    this.cache.set(scope, { index, generation });
    return index;
  }
}
