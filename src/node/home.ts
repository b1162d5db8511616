import { mkdirSync, statSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where a node keeps everything: `$KITH_HOME`, or `~/.kith`. */
export interface Home {
  readonly root: string;
  readonly database: string;
  readonly identityKey: string;
  /** Written by a running node so other commands can reach it. */
  readonly controlFile: string;
  /** Held by the running node (`kith start`): its process id, so a second start on this home refuses. */
  readonly lockFile: string;
}

export function homePaths(root?: string): Home {
  // An empty --home or KITH_HOME means "not set", never the current folder.
  const r = resolve(root || process.env.KITH_HOME || join(homedir(), '.kith'));
  return {
    root: r,
    database: join(r, 'kith.db'),
    identityKey: join(r, 'identity.key'),
    controlFile: join(r, 'control.json'),
    lockFile: join(r, 'node.lock'),
  };
}

/** Creates the home folder, private to its owner. */
export function ensureHome(home: Home): void {
  mkdirSync(home.root, { recursive: true, mode: 0o700 });
  if ((statSync(home.root).mode & 0o077) !== 0) chmodSync(home.root, 0o700);
}
