import { closeSync, constants, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { KithError, fail } from '../core/errors.js';
import { isJsonObject, type JsonObject } from '../core/types.js';

/**
 * Small private files in the home (mode 0600, in a 0700 folder): key-agreement
 * secrets and epoch keys. Files rather than rows of the store: erasing a file
 * removes the key, where a deleted SQLite row lingers in free pages and the
 * WAL, and a copy of the store (a backup, a sync of the database) carries no
 * key. Never logged, never sent.
 */

export function secretDir(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Writes a new secret file; an existing one is never overwritten (false when it already exists). */
export function writeSecretFile(path: string, doc: JsonObject): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    return fail('io', `cannot create ${path}: ${(e as Error).message}`);
  }
  try {
    writeSync(fd, JSON.stringify(doc));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

export function readSecretFile(path: string): JsonObject {
  try {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) fail('io', `${path} is readable by others (mode ${mode.toString(8)}); run: chmod 600 ${path}`);
    const doc = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (!isJsonObject(doc)) fail('malformed', `${path} is not a key file of Kith`);
    return doc;
  } catch (e) {
    if (e instanceof KithError) throw e;
    return fail('io', `cannot read ${path}: ${(e as Error).message}`);
  }
}

/** The file names in a secret folder, sorted. */
export function listSecretFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function eraseSecretFile(path: string): void {
  rmSync(path, { force: true });
}
