import '../src/cli/polyfills.js';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCompare } from '../bench/compare.js';
import { runNegentropy } from '../bench/negentropy.js';
import { closeChartBrowser } from '../bench/results.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repoRoot, tempDir } from './helpers.js';

/**
 * The side-by-side benchmarks (issue 15) at small sizes, through their real
 * code: real processes for Kith (`kith start` and a following node) and for
 * Hypercore (writer and reader), both reconciliations in full, and the
 * results written as tables and charts (one Chromium for both charts).
 */
const results = tempDir('kith-bench-results-');
const cache = tempDir('kith-bench-cache-');
after(async () => {
  await closeChartBrowser();
  for (const d of [results, cache]) rmSync(d, { recursive: true, force: true });
});

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
function assertWritten(files: { markdown: string; png?: string }, heading: RegExp, rows: RegExp[]): void {
  const md = readFileSync(files.markdown, 'utf8');
  assert.match(md, heading);
  assert.match(md, /^Machine: .+ cores?, Node v\d+/m);
  for (const row of rows) assert.match(md, row);
  assert.ok(files.png, 'a chart is drawn');
  const png = readFileSync(files.png);
  assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE, 'the chart is a PNG');
  assert.ok(png.length > 5000, `the chart has something drawn on it (${png.length} bytes)`);
}

test('compare: 1,000 posts reach a Kith follower and a Hypercore reader, and the table is written', { timeout: 240_000 }, async () => {
  const { rows, files } = await runCompare({ entries: [1000], resultsDir: results, cacheDir: cache, log: (l) => console.log(l) });
  assert.equal(rows.length, 1);
  const [r] = rows as [(typeof rows)[0]];
  assert.equal(r.kith.held, 1000, 'the Kith follower holds every post');
  assert.equal(r.hypercore.held, 1000, 'the Hypercore reader holds every block');
  // Every entry crossed the wire in each system: at least the data itself, counted on the reader's sockets.
  for (const side of [r.kith, r.hypercore]) {
    assert.ok(side.wireBytes >= 1000 * r.entryBytes, `${side.wireBytes} bytes on the wire for ${1000 * r.entryBytes} bytes of entries`);
    assert.ok(side.ms > 0 && side.readerPeakRss > 0);
  }
  assert.equal(files.markdown, join(results, 'compare.md'));
  assertWritten(files, /^## Replication between two processes: Kith beside Hypercore/m, [/^\| 1k \| [\d.]+ \| [\d.]+ \|/m]);
});

test('negentropy: 10^4 items with 1 and 100 differences, both find exactly the difference, and the table is written', { timeout: 120_000 }, async () => {
  const { rows, files } = await runNegentropy({ items: [10_000], diffs: [1, 100], resultsDir: results, log: (l) => console.log(l) });
  assert.equal(rows.length, 2);
  for (const r of rows) {
    // The differences alternate between the sides: one only on the initiator's, or fifty each way.
    assert.equal(r.expected.have.length, Math.ceil(r.diffs / 2));
    assert.equal(r.expected.need.length, Math.floor(r.diffs / 2));
    for (const [name, side] of [
      ['Kith', r.kith],
      ['Negentropy', r.negentropy],
    ] as const) {
      assert.deepEqual(side.need, r.expected.need, `${name} finds what the initiator lacks (${r.diffs} differences)`);
      assert.deepEqual(side.have, r.expected.have, `${name} finds what the other side lacks (${r.diffs} differences)`);
      assert.ok(side.bytes < r.naiveBytes, `${name} sends less than every id (${side.bytes} vs ${r.naiveBytes})`);
    }
  }
  assertWritten(files, /^## Set reconciliation: Kith beside Negentropy/m, [/^\| 10k \| 1 \|/m, /^\| 10k \| 100 \|/m]);
});

test('forums bench at a small size: forum posts under 3-link chains, plain posts and raw verifies, in one run', { timeout: 120_000 }, async () => {
  const args = ['scripts/bench.mjs', 'forums', '--posts', '500', '--members', '20', '--revocations', '500', '--json'];
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: repoRoot });
  const r = JSON.parse(stdout) as Record<string, number>;
  assert.equal(r.posts, 500);
  assert.equal(r.chainLinks, 3);
  assert.equal(r.revocationsOnRecord, 500);
  for (const k of ['forumPostsPerSecond', 'plainPostsPerSecond', 'rawVerifiesPerSecond']) assert.ok(r[k]! > 0, `${k} is measured`);
});
