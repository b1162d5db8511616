#!/usr/bin/env node
// The linter and the formatter's check, as `npm test` runs them: both must be
// clean on the whole tree. `node scripts/lint.mjs --fix` mends what they can.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fix = process.argv.includes('--fix');
const bin = (pkg, file) => join(root, 'node_modules', pkg, file);
const run = (what, args) => {
  process.stderr.write(`kith lint: ${what}…\n`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  return r.status ?? 1;
};
const prettier = run(fix ? 'formatting' : 'checking the format', [
  bin('prettier', 'bin/prettier.cjs'),
  fix ? '--write' : '--check',
  '--log-level',
  'warn',
  '.',
]);
const eslint = run('linting', [bin('eslint', 'bin/eslint.js'), ...(fix ? ['--fix'] : []), '.']);
process.exit(prettier || eslint);
