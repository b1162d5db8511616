import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fail } from '../core/errors.js';
import { HOME_LOCK_ATTEMPTS, HOME_LOCK_WRITE_GRACE_MS } from '../core/constants.js';
import type { Home } from './home.js';

/**
 * One running node per home. Two nodes on one home would share a peer id
 * (and dial themselves), and the one that stops first would delete the
 * other's control.json. `kith start` holds a lock file, created with O_EXCL
 * and holding its process id, for as long as it runs. A lock whose process is
 * gone (a crash, kill -9, a pulled plug) is stale and taken over, so a crash
 * never blocks the next start. Only `start` takes it: the other commands
 * reach a running node through control.json, or the store directly.
 *
 * Plain files rather than a lock library: the maintained ones that avoid
 * native code lock by mkdir and mtime refreshes, which a phone that sleeps
 * would mistake for stale.
 */

export interface HomeLock {
  readonly file: string;
  /** Removes the lock if it is still this process's. Safe to call more than once. */
  release(): void;
}

interface Holder {
  readonly pid: number | undefined;
  /** The file's bytes, to tell a stale lock from one another start took in the meantime. */
  readonly content: string;
  readonly ageMs: number;
}

/** True when a process with this id exists (EPERM: it does, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** The lock's holder, or undefined when the file is gone (its holder just released it). */
function readHolder(file: string): Holder | undefined {
  let content: string;
  let ageMs: number;
  try {
    content = readFileSync(file, 'utf8');
    ageMs = Date.now() - statSync(file).mtimeMs;
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    throw e;
  }
  const pid = /^\s*\{[^}]*"pid"\s*:\s*(\d+)/.exec(content)?.[1];
  return { pid: pid === undefined ? undefined : Number(pid), content, ageMs };
}

/**
 * Moves a stale lock aside and deletes it, but only if it is still the one
 * found stale: between reading it and moving it, another start may have
 * taken over the same stale lock and written its own, which goes back.
 */
function removeStale(file: string, seen: Holder): void {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(file, aside);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return;
    throw e;
  }
  try {
    if (readFileSync(aside, 'utf8') === seen.content) return;
    try {
      linkSync(aside, file);
    } catch (e) {
      // EEXIST: yet another start locked the home meanwhile; the next attempt meets it.
      if (errnoOf(e) !== 'EEXIST') throw e;
    }
  } finally {
    unlinkSync(aside);
  }
}

function heldBy(home: Home, pid: number): never {
  return fail(
    'conflict',
    `a Kith node is already running on ${home.root} (process ${pid}); stop it first, or start this one with another --home. ` +
      `(If process ${pid} is not Kith, its number having been reused after a crash, remove ${home.lockFile}.)`,
  );
}

/** Takes the home's lock or refuses, naming the process that holds it. The home folder must exist. */
export function lockHome(home: Home): HomeLock {
  const file = home.lockFile;
  for (let attempt = 0; attempt < HOME_LOCK_ATTEMPTS; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (e) {
      if (errnoOf(e) !== 'EEXIST') return fail('io', `cannot lock ${home.root}: ${(e as Error).message}`);
      const holder = readHolder(file);
      if (holder === undefined) continue;
      if (holder.pid !== undefined && processAlive(holder.pid)) heldBy(home, holder.pid);
      if (holder.pid === undefined && holder.ageMs < HOME_LOCK_WRITE_GRACE_MS) {
        fail('conflict', `another Kith node is starting on ${home.root} right now; stop it first, or start this one with another --home`);
      }
      removeStale(file, holder);
      continue;
    }
    try {
      writeSync(fd, JSON.stringify({ pid: process.pid, started: new Date().toISOString() }) + '\n');
    } finally {
      closeSync(fd);
    }
    return held(file);
  }
  return fail('conflict', `cannot lock ${home.root}: other starts keep taking its lock; try again`);
}

function held(file: string): HomeLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Never remove a lock that is no longer ours (someone removed a stale-looking one by hand and started again).
    if (readHolder(file)?.pid !== process.pid) return;
    try {
      unlinkSync(file);
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw e;
    }
  };
  // An exit that skips the normal stop (an uncaught error) still frees the home; only a kill leaves a stale lock.
  process.on('exit', release);
  return { file, release };
}
