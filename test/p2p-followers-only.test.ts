import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Did, JsonObject } from '../src/core/types.js';
import { homePaths } from '../src/node/home.js';
import { KithService } from '../src/node/service.js';
import { runningNode } from '../src/cli/control-client.js';
import { tempDir } from './helpers.js';
import { eventually, kith, kithJson, startNode, type NodeProcess } from './node-process.js';

/**
 * Followers-only posts across real node processes: B follows A; A posts
 * for followers only with the command people type; B's running node takes
 * the key object and the envelope in with A's scope (sync and live push),
 * opens its epoch key, opens the post and shows it in its timeline. B goes offline, A posts again,
 * and B reads that one once it is back and has caught up.
 */

/** The followers-only posts B's home timeline shows: those its running node opened as they arrived. */
async function readable(home: string): Promise<string[]> {
  const s = KithService.open(home);
  try {
    return s.reading
      .timeline({ limit: 10 })
      .map((o) => ((JSON.parse(o.body) as JsonObject).object as JsonObject).source as JsonObject)
      .map((src) => src.content as string);
  } finally {
    s.close();
  }
}

test('a follower reads followers-only posts over the network, and catches up on one made while it was away', { timeout: 120_000 }, async () => {
  const homes = { a: tempDir('kith-foa-'), b: tempDir('kith-fob-') };
  const running: NodeProcess[] = [];
  try {
    await Promise.all([kithJson(homes.a, ['init']), kithJson(homes.b, ['init'])]);
    const nodeA = await startNode(homes.a);
    running.push(nodeA);
    const at = ['--bootstrap', nodeA.info.addresses[0]!];
    let nodeB = await startNode(homes.b, at);
    running.push(nodeB);
    const b = nodeB.info.did as Did;

    const client = await runningNode(homePaths(homes.b));
    await client!.call('POST /follow', { target: nodeA.info.addresses[0]! });
    await eventually(
      'A to accept B',
      async () => (await kithJson(homes.a, ['followers'])).followers.map((f: { did: string }) => f.did),
      (f) => f.includes(b),
    );

    const image = join(homes.a, 'garden.png');
    writeFileSync(image, Buffer.from('IMAGE-BYTES '.repeat(200)));
    const posted = await kith(homes.a, ['post', 'FOLLOWERS-ONLY: the garden party is on Sunday', '--followers', '--attach', image]);
    assert.equal(posted.code, 0, posted.stderr);
    assert.match(posted.stdout, /\(followers only\)/);
    await eventually(
      'B to read the followers-only post',
      () => readable(homes.b),
      (t) => t.length === 1,
    );
    assert.deepEqual(await readable(homes.b), ['FOLLOWERS-ONLY: the garden party is on Sunday']);

    await nodeB.stop();
    running.splice(running.indexOf(nodeB), 1);
    const later = await kith(homes.a, ['post', '--followers', 'FOLLOWERS-ONLY: posted while B was away']);
    assert.equal(later.code, 0, later.stderr);
    nodeB = await startNode(homes.b, at);
    running.push(nodeB);
    await eventually(
      'B to catch up and read the new post',
      () => readable(homes.b),
      (t) => t.length === 2,
    );
    assert.deepEqual(await readable(homes.b), ['FOLLOWERS-ONLY: posted while B was away', 'FOLLOWERS-ONLY: the garden party is on Sunday']);
  } finally {
    await Promise.all(running.map((n) => n.stop()));
  }
});
