import { lstatSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { fail } from '../core/errors.js';

/**
 * Where `kith export` may write. Paths are compared by where they really
 * lead, symlinks followed, since a link (or a linked folder) that points into
 * the node's home would let a backup replace the key or the database. An
 * existing file is replaced only when the person says so.
 */
export function exportTarget(homeRoot: string, path: string, force: boolean): string {
  const abs = resolve(path);
  let dir: string;
  try {
    dir = realpathSync(dirname(abs));
  } catch (e) {
    return fail('io', `cannot write ${path}: the folder ${dirname(abs)} cannot be reached (${(e as Error).message})`);
  }
  const target = join(dir, basename(abs));
  const home = realpathSync(homeRoot);
  const inHome = (p: string) => p === home || p.startsWith(home + sep);
  const refuseHome = (): never => fail('conflict', `will not write a backup inside the node's home (${home}): ${path} leads there; choose another place`);
  if (inHome(target)) refuseHome();
  const existing = lstatOrUndefined(target, path);
  if (existing === undefined) return target;
  if (existing.isSymbolicLink() && inHome(linkDestination(target))) refuseHome();
  if (existing.isDirectory()) fail('conflict', `${path} is a folder; give a file name inside it`);
  if (!force) fail('conflict', `${path} already exists; add --force to replace it`);
  return target;
}

function lstatOrUndefined(target: string, path: string): Stats | undefined {
  try {
    return lstatSync(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return fail('io', `cannot check ${path}: ${(e as Error).message}`);
  }
}

/** Where a link leads, even when nothing is there yet (a dangling link would be created through). */
function linkDestination(link: string): string {
  try {
    return realpathSync(link);
  } catch {
    const to = resolve(dirname(link), readlinkSync(link));
    try {
      return join(realpathSync(dirname(to)), basename(to));
    } catch {
      return to;
    }
  }
}
