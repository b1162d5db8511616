import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tempDir } from './helpers.js';
import { kithJson, startNode, eventually, type NodeProcess } from './node-process.js';

/**
 * The heart of it, with three real node processes on 127.0.0.1:
 * A posts; B follows A and gets the posts; A stops; C follows A by DID alone
 * and gets A's posts from B; A comes back, posts again, and B and C get it live.
 */
test('three nodes: follow, replicate, serve while the author is away, and push live', { timeout: 240_000 }, async () => {
  const homes = { a: tempDir('kith-a-'), b: tempDir('kith-b-'), c: tempDir('kith-c-') };
  const running: NodeProcess[] = [];
  const feedOf = (home: string) => kithJson(home, ['feed', '--limit', '100']);
  const texts = (feed: { items: { object: { object: { source: { content: string } } } }[] }) => feed.items.map((i) => i.object.object.source.content);
  try {
    const a = await kithJson(homes.a, ['init', '--name', 'Alice']);
    await kithJson(homes.b, ['init']);
    await kithJson(homes.c, ['init']);
    for (const text of ['one', 'two', 'three']) await kithJson(homes.a, ['post', `A says ${text}`]);

    // A is up; B starts knowing only A's address, and follows A by that address.
    let nodeA = await startNode(homes.a);
    running.push(nodeA);
    assert.equal(nodeA.info.did, a.did);
    const nodeB = await startNode(homes.b, ['--bootstrap', nodeA.info.addresses[0]!]);
    running.push(nodeB);
    const followed = await kithJson(homes.b, ['follow', nodeA.info.addresses[0]!]);
    assert.equal(followed.did, a.did);
    const feedB = await eventually(
      'B to have A\u2019s posts',
      () => feedOf(homes.b),
      (f) => f.items.length === 3,
    );
    assert.deepEqual(texts(feedB), ['A says three', 'A says two', 'A says one']);

    // A goes away. C knows only B, and follows A by DID: the DHT says B keeps A's scope.
    assert.equal(await nodeA.stop(), 0);
    running.splice(running.indexOf(nodeA), 1);
    const nodeC = await startNode(homes.c, ['--bootstrap', nodeB.info.addresses[0]!]);
    running.push(nodeC);
    const followedByC = await kithJson(homes.c, ['follow', a.did]);
    assert.equal(followedByC.did, a.did);
    assert.ok(
      followedByC.synced.some((s: { peer: string; ok: boolean }) => s.ok && s.peer === nodeB.info.peerId),
      'C synced from B',
    );
    const feedC = await eventually(
      'C to have A\u2019s posts from B',
      () => feedOf(homes.c),
      (f) => f.items.length === 3,
    );
    assert.deepEqual(texts(feedC), texts(feedB));
    // Every object C holds of A's is byte for byte what B serves: signed by A, verified by C.
    assert.deepEqual(
      feedC.items.map((i: { digest: string }) => i.digest),
      feedB.items.map((i: { digest: string }) => i.digest),
    );
    await nodeC.waitForLog(new RegExp(`DHT: \\d+ peer\\(s\\) keep .* ${nodeB.info.peerId}`));

    // A comes back (new port, same identity and peer id) and posts: B and C get it by live push.
    nodeA = await startNode(homes.a, ['--bootstrap', nodeB.info.addresses[0]!]);
    running.push(nodeA);
    assert.equal(nodeA.info.did, a.did);
    await nodeB.waitForLog(new RegExp(`connected to ${nodeA.info.peerId}`));
    // A can push once it knows B listens to its posts (B says so when their gossip stream opens); C hears through B.
    await nodeA.waitForLog(new RegExp(`live: ${nodeB.info.peerId} listens to our posts`));
    const live = await kithJson(homes.a, ['post', 'A is back']);
    assert.ok(live.pushedTo >= 1, `pushed to ${live.pushedTo} peers`);
    for (const [name, node, home] of [
      ['B', nodeB, homes.b],
      ['C', nodeC, homes.c],
    ] as const) {
      await node.waitForLog(new RegExp(`live: Create ${live.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 30_000);
      const feed = await eventually(
        `${name} to show the live post`,
        () => feedOf(home),
        (f) => f.items.length === 4,
      );
      assert.equal(texts(feed)[0], 'A is back');
    }
  } finally {
    await Promise.all(running.map((n) => n.stop()));
    for (const h of Object.values(homes)) rmSync(h, { recursive: true, force: true });
  }
});
