import Database from 'better-sqlite3';
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import { KithError } from '../core/errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the node's SQLite database in WAL mode and
 * brings its schema up to date. WAL lets readers (the CLI while a node runs)
 * work beside the one writer.
 */
export function openDatabase(path: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  let db: Db;
  try {
    makePrivate(path);
    db = new Database(path);
  } catch (e) {
    throw new KithError('io', `cannot open the database at ${path}: ${(e as Error).message}`);
  }
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
  migrate(db, migrations);
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
