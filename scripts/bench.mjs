#!/usr/bin/env node
// `npm run bench -- <name>` runs bench/<name>.ts (compiled) with the rest of the arguments.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'dist', 'bench');
const [name, ...rest] = process.argv.slice(2);
const known = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .map((f) => f.slice(0, -3))
  : [];
if (!name || !known.includes(name)) {
  console.error(`usage: npm run bench -- <name>   (one of: ${known.join(', ') || 'none built'})`);
  process.exit(2);
}
const r = spawnSync(process.execPath, [join(dir, `${name}.js`), ...rest], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
