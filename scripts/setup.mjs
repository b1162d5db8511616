#!/usr/bin/env node
// Sets up whatever a fresh clone is missing, then builds. Uses only Node's
// own modules, because it runs before node_modules exists.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const say = (msg) => {
  if (!quiet) process.stderr.write(`kith setup: ${msg}\n`);
};
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`kith needs Node.js 20.19 or newer; this is ${process.versions.node}.`);
  process.exit(1);
}

// Install when node_modules is missing or older than the lock file.
const lock = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.package-lock.json');
const native = join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
if (!existsSync(stamp) || !existsSync(native) || statSync(stamp).mtimeMs < statSync(lock).mtimeMs) {
  say('installing dependencies (the SQLite binding may build from source, about a minute)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
  if (!existsSync(native)) {
    say('building the SQLite binding…');
    run('npm', ['rebuild', 'better-sqlite3']);
  }
}

say('building…');
run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')]);
