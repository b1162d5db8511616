import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { outboxId } from '../src/core/apid.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import type { Did } from '../src/core/types.js';
import { homePaths } from '../src/node/home.js';
import { runningNode } from '../src/cli/control-client.js';
import { tempDir } from './helpers.js';
import { eventually, kithJson, startNode, type NodeProcess } from './node-process.js';
import { api, DeviceClient, pairRequest } from './device-client.js';

/**
 * Interactions across real node processes: A follows B, C follows both.
 * A likes and boosts B's post, and C (A's follower) counts them and shows
 * the boost. Then C goes offline; B edits the post (A shows the edit) and
 * deletes it (A removes it); C comes back and reconciles to the same state
 * as A and B: the same objects of B's scope, the tombstone, no content.
 * The owner API and the control endpoint (as the `kith` command reaches it)
 * do most of it, so few commands start a process; `kith like`, `kith edit`
 * and `kith delete` run as people run them.
 */

interface PostView {
  id: string;
  text: string;
  likes: number;
  boosts: number;
  liked: boolean;
  boosted: boolean;
  edited: string | null;
  boostedBy: { did: string } | null;
}

/** The control endpoint of a running node, as the `kith` command finds and calls it. */
async function control(home: string) {
  const client = await runningNode(homePaths(home));
  if (!client) throw new Error(`no node answers in ${home}`);
  return client;
}

/** A device paired with a running node through its control endpoint (as `kith pair` does). */
async function device(node: NodeProcess): Promise<DeviceClient> {
  const offer = await (await control(node.home)).call('POST /pair');
  const key = generateKeyPair();
  const r = await api(node.info.api, 'POST', '/api/pair', pairRequest(key, offer.code));
  if (r.status !== 201) throw new Error(`pairing failed: ${r.status} ${JSON.stringify(r.body)}`);
  return new DeviceClient(node.info.api, key, r.body.token, r.body.device.id);
}

async function timeline(d: DeviceClient): Promise<PostView[]> {
  const r = await d.call('GET', '/api/timeline?limit=50');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
}

const own = (items: PostView[], id: string) => items.find((p) => p.id === id && p.boostedBy === null);

/** What a node holds of a scope, its tombstones, and how many of its objects still carry a text: read from its store while it runs. */
function storeState(home: string, owner: Did, text: string): { digests: string[]; tombstones: string[]; withText: number } {
  const db = new Database(homePaths(home).database, { readonly: true, fileMustExist: true });
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

test(
  'likes and boosts reach a follower of the liker; an edit and a delete reach every holder, and a node that was away reconciles',
  { timeout: 120_000 },
  async () => {
    const homes = { a: tempDir('kith-ia-'), b: tempDir('kith-ib-'), c: tempDir('kith-ic-') };
    const running = new Set<NodeProcess>();
    try {
      const [, b] = await Promise.all([kithJson(homes.a, ['init', '--name', 'Ada']), kithJson(homes.b, ['init', '--name', 'Bo']), kithJson(homes.c, ['init'])]);
      const nodeB = await startNode(homes.b);
      running.add(nodeB);
      const at = ['--bootstrap', nodeB.info.addresses[0]!];
      const [nodeA, firstC] = await Promise.all([startNode(homes.a, at), startNode(homes.c, at)]);
      let nodeC = firstC;
      for (const n of [nodeA, nodeC]) running.add(n);
      const [devA, devB] = await Promise.all([device(nodeA), device(nodeB)]);
      let devC = await device(nodeC);
      const post: string = (await devB.call('POST', '/api/posts', { text: 'the first words of B' })).body.post.id;
      await (await control(homes.a)).call('POST /follow', { target: nodeB.info.addresses[0]! });
      const controlC = await control(homes.c);
      await controlC.call('POST /follow', { target: nodeB.info.addresses[0]! });
      await controlC.call('POST /follow', { target: nodeA.info.addresses[0]! });
      await eventually(
        'A and C to hold B\u2019s post',
        async () => [own(await timeline(devA), post), own(await timeline(devC), post)],
        (v) => v.every(Boolean),
      );

      // A likes (with the command) and boosts (from a device) once C listens to A's posts: they reach C live, and C counts them.
      await nodeA.waitForLog(new RegExp(`live: ${nodeC.info.peerId} listens to our posts`));
      const liked = await kithJson(homes.a, ['like', post]);
      assert.equal(liked.concerns, b.did, 'the like concerns the author of the post');
      const again = await devA.call('POST', '/api/likes', { id: post });
      assert.equal(again.body.activity.status, 'duplicate', 'liking twice signs nothing new');
      assert.deepEqual([again.body.post.likes, again.body.post.liked], [1, true]);
      assert.equal((await devA.call('POST', '/api/boosts', { id: post })).status, 200);
      const seenByC = await eventually(
        'C to count A\u2019s like and boost, and show the boost',
        () => timeline(devC),
        (items) => own(items, post)?.likes === 1 && own(items, post)?.boosts === 1 && items.some((p) => p.boostedBy !== null),
      );
      const boost = seenByC.find((p) => p.boostedBy !== null)!;
      assert.deepEqual(
        [boost.id, boost.boostedBy?.did, boost.text],
        [post, nodeA.info.did, 'the first words of B'],
        'C shows the boost as B\u2019s post, boosted by A',
      );
      assert.deepEqual([own(seenByC, post)?.liked, own(seenByC, post)?.boosted], [false, false], 'C did neither itself');

      // C goes away. B edits (A shows the edit), then deletes (A removes the content).
      assert.equal(await nodeC.stop(), 0);
      running.delete(nodeC);
      await nodeB.waitForLog(new RegExp(`live: ${nodeA.info.peerId} listens to our posts`));
      const edited = await kithJson(homes.b, ['edit', post, 'the better words of B']);
      assert.equal(edited.post, post);
      const shown = await eventually(
        'A to show the edit',
        () => timeline(devA),
        (items) => own(items, post)?.text === 'the better words of B',
      );
      assert.equal(own(shown, post)?.edited, edited.updated);
      assert.equal(shown.find((p) => p.boostedBy !== null)?.text, 'the better words of B', 'the boost shows the newest version too');
      await kithJson(homes.b, ['delete', post]);
      await eventually(
        'A to remove the post',
        async () => storeState(homes.a, b.did, 'words of B'),
        (s) => s.withText === 0 && s.tombstones.includes(post),
      );
      assert.equal(
        (await timeline(devA)).find((p) => p.id === post),
        undefined,
        'neither the post nor the boost of it shows at A',
      );

      // C comes back and reconciles to the state of A and B.
      nodeC = await startNode(homes.c, at);
      running.add(nodeC);
      devC = new DeviceClient(nodeC.info.api, devC.key, devC.token, devC.id);
      const reference = storeState(homes.b, b.did, 'words of B');
      assert.equal(reference.withText, 0);
      assert.deepEqual(storeState(homes.a, b.did, 'words of B'), reference, 'A and B hold the same of B\u2019s scope');
      await eventually(
        'C to reconcile to the same state',
        async () => storeState(homes.c, b.did, 'words of B'),
        (s) => JSON.stringify(s) === JSON.stringify(reference),
      );
      assert.equal(
        (await timeline(devC)).find((p) => p.id === post),
        undefined,
        'C shows neither the post nor the boost of it',
      );
      for (const n of running) assert.doesNotMatch(n.log(), /penalized/, 'nobody was punished for holding or passing on the old post');
    } finally {
      await Promise.all([...running].map((n) => n.stop()));
      for (const h of Object.values(homes)) rmSync(h, { recursive: true, force: true });
    }
  },
);
