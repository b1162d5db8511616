import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { outboxId } from '../src/core/apid.js';
import type { Did } from '../src/core/types.js';
import { tempDir } from './helpers.js';
import { eventually, kithJson, startNode, type NodeProcess } from './node-process.js';

/**
 * Interactions across real node processes: A follows B, C follows both.
 * A likes and boosts B's post, and C (A's follower) counts them and shows
 * the boost. Then C goes offline; B edits the post (A shows the edit) and
 * deletes it (A removes it); C comes back and reconciles to the same state
 * as A and B: the same objects of B's scope, the tombstone, no content.
 */

interface FeedItem {
  type: string;
  owner: string;
  id: string;
  digest: string;
  post?: { id: string; text: string; likes: number; boosts: number; liked: boolean; boosted: boolean; edited: string | null; boostedBy: string | null };
}

const feedOf = async (home: string): Promise<FeedItem[]> => (await kithJson(home, ['feed', '--limit', '100'])).items;
const postIn = (items: FeedItem[], id: string): FeedItem | undefined => items.find((i) => i.type === 'Create' && i.post?.id === id);

/** What a node holds of a scope, the tombstones, and how many of its objects still carry a text: read from its store while it runs. */
function storeState(home: string, owner: Did, text: string): { digests: string[]; tombstones: string[]; withText: number } {
  const db = new Database(`${home}/kith.db`, { readonly: true, fileMustExist: true });
  try {
    const digests = db
      .prepare('SELECT lower(hex(o.digest)) FROM objects o JOIN scopes s ON s.n = o.scope WHERE s.name = ? ORDER BY o.created, o.digest')
      .pluck()
      .all(outboxId(owner)) as string[];
    const tombstones = db.prepare('SELECT id FROM tombstones ORDER BY id').pluck().all() as string[];
    const withText = db.prepare('SELECT COUNT(*) FROM objects WHERE instr(body, ?) > 0').pluck().get(text) as number;
    return { digests, tombstones, withText };
  } finally {
    db.close();
  }
}

test('likes and boosts reach a follower of the liker; an edit and a delete reach every holder, and a node that was away reconciles', { timeout: 120_000 }, async () => {
  const homes = { a: tempDir('kith-ia-'), b: tempDir('kith-ib-'), c: tempDir('kith-ic-') };
  const running = new Set<NodeProcess>();
  try {
    await kithJson(homes.a, ['init', '--name', 'Ada']);
    const b = await kithJson(homes.b, ['init', '--name', 'Bo']);
    await kithJson(homes.c, ['init']);
    const posted = await kithJson(homes.b, ['post', 'the first words of B']);
    const post: string = posted.noteId;

    const nodeB = await startNode(homes.b);
    running.add(nodeB);
    const nodeA = await startNode(homes.a, ['--bootstrap', nodeB.info.addresses[0]!]);
    running.add(nodeA);
    await kithJson(homes.a, ['follow', nodeB.info.addresses[0]!]);
    let nodeC = await startNode(homes.c, ['--bootstrap', nodeB.info.addresses[0]!]);
    running.add(nodeC);
    await kithJson(homes.c, ['follow', nodeB.info.addresses[0]!]);
    await kithJson(homes.c, ['follow', nodeA.info.addresses[0]!]);
    await eventually('A and C to hold B\u2019s post', async () => [postIn(await feedOf(homes.a), post), postIn(await feedOf(homes.c), post)], (v) => v.every(Boolean));

    // A likes and boosts once C listens to A's posts: they reach C live, and C counts them.
    await nodeA.waitForLog(new RegExp(`live: ${nodeC.info.peerId} listens to our posts`));
    const liked = await kithJson(homes.a, ['like', post]);
    assert.equal(liked.concerns, b.did, 'the like concerns the author of the post');
    assert.equal((await kithJson(homes.a, ['like', post])).status, 'duplicate', 'liking twice signs nothing new');
    await kithJson(homes.a, ['boost', post]);
    const feedC = await eventually(
      'C to count A\u2019s like and boost',
      () => feedOf(homes.c),
      (items) => postIn(items, post)?.post?.likes === 1 && postIn(items, post)?.post?.boosts === 1 && items.some((i) => i.type === 'Announce'),
    );
    const boost = feedC.find((i) => i.type === 'Announce')!;
    assert.equal(boost.post?.id, post, 'the boost shows in C\u2019s feed as B\u2019s post');
    assert.equal(boost.post?.boostedBy, nodeA.info.did);
    assert.equal(boost.post?.text, 'the first words of B');
    assert.equal(postIn(feedC, post)?.post?.liked, false, 'C did not like it itself');

    // C goes away. B edits (A shows the edit), then deletes (A removes the content).
    assert.equal(await nodeC.stop(), 0);
    running.delete(nodeC);
    await nodeB.waitForLog(new RegExp(`live: ${nodeA.info.peerId} listens to our posts`));
    const edited = await kithJson(homes.b, ['edit', post, 'the better words of B']);
    assert.equal(edited.post, post);
    const shown = await eventually(
      'A to show the edit',
      () => feedOf(homes.a),
      (items) => postIn(items, post)?.post?.text === 'the better words of B',
    );
    assert.ok(postIn(shown, post)?.post?.edited);
    await kithJson(homes.b, ['delete', post]);
    await eventually(
      'A to remove the post',
      async () => storeState(homes.a, b.did, 'words of B'),
      (s) => s.withText === 0 && s.tombstones.includes(post),
    );
    assert.equal(postIn(await feedOf(homes.a), post), undefined, 'the post is gone from A\u2019s feed');

    // C comes back and reconciles to the state of A and B.
    nodeC = await startNode(homes.c, ['--bootstrap', nodeB.info.addresses[0]!]);
    running.add(nodeC);
    const reference = storeState(homes.b, b.did, 'words of B');
    assert.deepEqual(storeState(homes.a, b.did, 'words of B'), reference, 'A and B hold the same of B\u2019s scope');
    assert.equal(reference.withText, 0);
    await eventually(
      'C to reconcile to the same state',
      async () => storeState(homes.c, b.did, 'words of B'),
      (s) => JSON.stringify(s) === JSON.stringify(reference),
    );
    const after = await feedOf(homes.c);
    assert.equal(postIn(after, post), undefined, 'C no longer shows the post');
    assert.ok(after.some((i) => i.type === 'Announce'));
    assert.equal(after.find((i) => i.type === 'Announce')?.post, undefined, 'nor A\u2019s boost of it as a post');
    for (const n of running) assert.doesNotMatch(n.log(), /penalized/, 'nobody was punished for holding or passing on the old post');
  } finally {
    await Promise.all([...running].map((n) => n.stop()));
    for (const h of Object.values(homes)) rmSync(h, { recursive: true, force: true });
  }
});
