import Database from 'better-sqlite3';
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import { KithError } from '../core/errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import { registerSearchFunctions } from './search-functions.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the node's SQLite database in WAL mode and
 * brings its schema up to date. WAL lets readers (the CLI while a node runs)
 * work beside the one writer.
 *
 * What a crash may cost (README, "Crashes, power cuts, a full disk, lost
 * peers"): a crash of the process loses nothing committed, since every
 * commit is in the WAL file before it returns. A power cut or an OS crash
 * may lose the commits made since the WAL last reached the disk (the kernel
 * writes it out within about half a minute; SQLite fsyncs it before each
 * checkpoint), and never corrupts the database: the database file is only
 * written from a WAL already fsynced, and recovery drops frames whose
 * checksums do not hold. FULL would fsync every commit: a fetched block took
 * 5.4 ms to store instead of 1.5 ms on the test machine, which on a phone's
 * flash caps a media transfer at a few MB/s, for data reconciliation fetches
 * again anyway.
 */
export function openDatabase(path: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  let db: Db;
  try {
    makePrivate(path);
    db = new Database(path);
  } catch (e) {
    throw new KithError('io', `cannot open the database at ${path}: ${(e as Error).message}`);
  }
  guardWrites(db, path);
  try {
    db.pragma('journal_mode = WAL');
    // SQLite gives the -wal and -shm files the database file's mode when it makes them; ones left by an older Kith are made private here.
    for (const suffix of ['-wal', '-shm']) makePrivate(path + suffix, false);
    // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commits.
    db.pragma('synchronous = NORMAL');
    // Checkpoint (and fsync) every ~40 MB of WAL rather than every 4 MB: a sync writing thousands of
    // objects spends a third less time committing, and the WAL stays a small file on a phone.
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Before migrating: migration 8 and the search triggers it makes call these.
    registerSearchFunctions(db);
    migrate(db, migrations);
  } catch (e) {
    db.close();
    throw storageError(e, path);
  }
  return db;
}

/**
 * A second, read-only connection to a database another connection keeps up
 * to date: WAL lets it read the last commit while that one writes, so reads
 * on another thread never wait for the writer's work (or its event loop).
 */
export function openReader(path: string): Db {
  let db: Db;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new KithError('io', `cannot open the database at ${path} for reading: ${(e as Error).message}`);
  }
  guardWrites(db, path);
  db.pragma('busy_timeout = 5000');
  // Search reads call them, as the writer's triggers do.
  registerSearchFunctions(db);
  return db;
}

/**
 * The store holds private posts' keys, device sessions and settings: only
 * its owner may read it. A new database file is made 0600 before SQLite
 * writes anything to it (an empty file is a new database to SQLite), and one
 * readable by others is narrowed. `create` false leaves a missing file alone.
 */
function makePrivate(path: string, create = true): void {
  if (path === ':memory:' || path === '') return;
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (create) closeSync(openSync(path, 'a', 0o600));
  }
}

/**
 * A write the disk has no room for (or cannot take) as a KithError a person
 * can act on; anything else unchanged. SQLite has already rolled the
 * statement or transaction back, so nothing of it was written.
 */
export function storageError(e: unknown, path: string): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || e instanceof KithError) return e;
  if (code === 'SQLITE_FULL') {
    return new KithError('storage-full', `the disk holding ${path} is full, so nothing was written; free some space on it, then try again`);
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new KithError('io', `the database at ${path} could not be written (${code}: ${(e as Error).message}); nothing was written. Check the disk it is on`);
  }
  return e;
}

/**
 * Every table prepares its statements and transactions on this connection,
 * so turning storage failures into KithErrors here covers every write,
 * whichever table makes it: statements that commit on their own fail in
 * run(), transactions (whose COMMIT better-sqlite3 prepares out of our
 * reach) in the transaction function.
 */
function guardWrites(db: Db, path: string): void {
  const guard = <F extends (...args: never[]) => unknown>(fn: F): F =>
    ((...args: Parameters<F>): unknown => {
      try {
        return fn(...args);
      } catch (e) {
        throw storageError(e, path);
      }
    }) as F;
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => guardStatement(prepare(source), guard)) as Db['prepare'];
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: (...args: unknown[]) => unknown) => {
    const tx = transaction(fn);
    const variants = { deferred: guard(tx.deferred), immediate: guard(tx.immediate), exclusive: guard(tx.exclusive) };
    const guarded = guard(tx);
    return Object.assign(guarded, { default: guarded, ...variants, database: db });
  }) as Db['transaction'];
  db.exec = guard(db.exec.bind(db));
}

/** Statements whose failures pass through `guard`; only what runs them changes (iterate reads, and reads do not fill a disk). */
function guardStatement<S extends Database.Statement>(stmt: S, guard: <F extends (...args: never[]) => unknown>(fn: F) => F): S {
  const s = stmt as unknown as Record<'run' | 'get' | 'all', (...args: unknown[]) => unknown>;
  for (const method of ['run', 'get', 'all'] as const) s[method] = guard(s[method].bind(stmt));
  return stmt;
}

export function migrate(db: Db, migrations: readonly Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL)');
  const current = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
  const newest = migrations.at(-1)?.version ?? 0;
  if (current > newest) {
    throw new KithError('conflict', `the database is from a newer Kith (schema ${current}, this one knows ${newest}); upgrade Kith`);
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)');
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    })();
  }
}

export function schemaVersion(db: Db): number {
  return (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
}
