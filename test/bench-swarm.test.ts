import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.js';
import { seededRandom } from './seeded-random.js';
import { runSwarm } from '../bench/swarm.js';
import { closeChartBrowser } from '../bench/results.js';

/**
 * The swarm benchmark (bench/swarm.ts) at a small size: six real nodes in
 * two processes on 127.0.0.1, two popular authors, three posts, two nodes
 * restarted. Every follower must get every post, the restarted nodes must
 * catch up on what was posted while they were down and since, and the
 * table must be written. The relay search runs as people run it; mDNS stays
 * off, as in every test (it would reach other nodes on the machine).
 */
test('swarm bench: every follower gets every post, restarted nodes catch up, the table is written', { timeout: 180_000 }, async () => {
  const out = tempDir('kith-bench-swarm-results-');
  const seed = seededRandom('swarm bench follow graph').seed;
  try {
    const r = await runSwarm({ nodes: 6, posts: 3, restart: 2, seed, perWorker: 4, followsAtOnce: 6, net: { mdns: false, relay: true }, resultsDir: out });
    console.log(`swarm phases (ms): ${JSON.stringify(r.phases)}; follow retries: ${r.followRetries.length}`);
    assert.equal(r.posts.length, 3);
    for (const p of [...r.posts, ...r.recoveryPosts]) {
      assert.ok(p.followers > 0, `node ${p.author}'s post has followers`);
      assert.equal(p.reached, p.followers, `node ${p.author}'s post reached all ${p.followers} followers`);
      assert.ok(p.p100 !== null && p.p100 >= 0);
    }
    assert.equal(r.restarted.length, 2);
    assert.ok(
      r.recoveryMs.every((v) => v !== null),
      `every restarted node caught up: ${JSON.stringify(r.recoveryMs)}`,
    );
    assert.equal(r.missing, 0);
    assert.ok(r.oneHopMs > 0);
    const table = readFileSync(join(out, 'swarm.md'), 'utf8');
    assert.match(table, /\| posts by \| posts \| followers \| to 50% \| to 90% \| to 100% \|/);
    assert.match(table, /popular authors/);
    assert.match(table, /recovery of 2 restarted nodes/);
    await closeChartBrowser();
    // A PNG file's signature.
    assert.deepEqual([...readFileSync(join(out, 'swarm.png')).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
