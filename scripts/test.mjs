#!/usr/bin/env node
// Runs every compiled test file. On Node 20, `node --test` given a folder or
// glob runs nothing, so the files are listed here one by one.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The files that take longest start first: with two at a time, one that starts last would run on alone
// at the end. Measured on a clean clone; the rest keep their alphabetical order.
const SLOW = [
  'cli.test',
  'fault-kill-sync',
  'web-e2e',
  'web-forums',
  'cli-backup',
  'vectors-in-clone',
  'fault-kill-blocks',
  'p2p-three-nodes',
  'p2p-abuse',
  'p2p-inbox',
  'p2p-media',
  'cli-follow',
  'cli-start',
  'cli-profile',
];
const rank = (f) => {
  const i = SLOW.findIndex((s) => f.startsWith(s));
  return i === -1 ? SLOW.length : i;
};
const slowFirst = (a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const testDir = join(root, 'dist', 'test');
const only = process.argv.slice(2);
const files = readdirSync(testDir, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.js'))
  // A compiled test whose source is gone (renamed, deleted) must not run.
  .filter((f) => existsSync(join(root, 'test', f.replace(/\.js$/, '.ts'))))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort(slowFirst)
  .map((f) => join(testDir, f));
if (files.length === 0) {
  console.error('no test files found under dist/test');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
