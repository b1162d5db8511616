import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { vectorsDir } from './helpers.js';

/**
 * The vector sets in test/vectors are copies of the official ones and must stay whole and
 * unchanged: every file is listed in SHA256SUMS with its hash (taken when they were copied). The
 * tests never read the official folder itself: a public clone has nothing beside it.
 */

const SETS = ['did-key', 'eddsa-jcs-2022', 'eris', 'jcs', 'wycheproof'];

/** Every file under a folder, as paths relative to `base` with forward slashes. */
function filesUnder(dir: string, base: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => relative(base, f).split(sep).join('/'))
    .sort();
}

function sums(): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of readFileSync(join(vectorsDir, 'SHA256SUMS'), 'utf8').split('\n')) {
    if (line === '') continue;
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    assert.ok(m, `SHA256SUMS line in sha256sum's format: ${line}`);
    map.set(m[2]!, m[1]!);
  }
  return map;
}

test('every copied vector file matches SHA256SUMS, and SHA256SUMS lists every file of every set', () => {
  const listed = sums();
  const present = SETS.flatMap((s) => filesUnder(join(vectorsDir, s), vectorsDir));
  assert.deepEqual(present, [...listed.keys()].sort(), 'the files present are exactly those listed');
  for (const f of present) {
    const hash = createHash('sha256')
      .update(readFileSync(join(vectorsDir, f)))
      .digest('hex');
    assert.equal(hash, listed.get(f), `${f} is unchanged`);
  }
  for (const s of SETS) assert.ok(present.includes(`${s}/SOURCE`), `${s} keeps its SOURCE`);
});
