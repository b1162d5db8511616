import { existsSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { homePaths } from '../node/home.js';

/**
 * How to type `kith` where this command was run from. A hint that says
 * `kith pair` is no help in a clone, where the command is `npx kith`, nor
 * outside one, where it is `node /path/to/bin/kith.js`; and a node started
 * on another home needs that home named in every command that should reach it.
 */

function real(path: string): string | undefined {
  return existsSync(path) ? realpathSync(path) : undefined;
}

/** A shell word: as it is when it is plain, else single-quoted. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function detect(): string {
  const script = process.argv[1] === undefined ? undefined : real(process.argv[1]);
  if (script === undefined) return 'kith';
  const root = dirname(dirname(script));
  const inPackage = script === join(root, 'bin', 'kith.js') && existsSync(join(root, 'package.json'));
  // npm start and npx put node_modules/.bin folders on PATH for their child only: a `kith` found there is none the user can type.
  const throughNpm = process.env.npm_command !== undefined;
  if (!throughNpm) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (dir === '' || dir.split(sep).includes('node_modules')) continue;
      if (real(join(dir, 'kith')) === script) return 'kith';
    }
  }
  if (!inPackage) return 'kith';
  // npm runs scripts in the package's folder; INIT_CWD is where the person typed the command.
  const cwd = resolve((throughNpm ? process.env.INIT_CWD : undefined) ?? process.cwd());
  const rel = relative(root, cwd);
  if (!rel.startsWith('..') && !isAbsolute(rel)) return 'npx kith';
  return `node ${shellWord(script)}`;
}

let base: string | undefined;

/**
 * The command line that runs `kith <args>` for the person reading: `kith`,
 * `npx kith` or `node …/bin/kith.js`, with `--home` when the home is not the
 * default one. `args` is written as the person would type it.
 */
export function kithCommand(args: string, home?: string): string {
  base ??= detect();
  const root = home === undefined ? undefined : homePaths(home).root;
  const onDefault = root === undefined || root === resolve(join(homedir(), '.kith'));
  return `${base} ${args}${onDefault ? '' : ` --home ${shellWord(root)}`}`;
}
