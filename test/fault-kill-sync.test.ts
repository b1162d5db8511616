import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { KithNode } from '../src/node/kith-node.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { outboxId } from '../src/core/apid.js';
import { KithError } from '../src/core/errors.js';
import { tempDir } from './helpers.js';
import { kith, startNode, type NodeProcess } from './node-process.js';
import { seededRandom } from './seeded-random.js';
import { StoreView, below, integrity, jitter, reach } from './fault-helpers.js';

/**
 * A follower killed with SIGKILL ten times while it pulls a large outbox,
 * each time at a random moment: once the restarted sync has committed its
 * first batch, a random few milliseconds later. After every kill its
 * store passes PRAGMA integrity_check, holds nothing the author does not
 * have, and has lost nothing it had committed. Every restart is without
 * --bootstrap and without mDNS, and the author's node is given no command
 * at all (it cannot even know the follower's new port): the follower must
 * find its way back by itself (issue 11, item 8), and in the end holds
 * exactly the author's set.
 */

/**
 * Objects land in transactions of one WANT batch (512); each kill lets one
 * land, or two when its random delay outlasts a batch: 17 batches leave room
 * for ten kills and seven such overruns.
 */
const POSTS = 9000;
const KILLS = 10;
const MAX_JITTER_MS = 60;

test(
  'sync: a follower killed ten times mid-sync restarts clean and, with no bootstrap and no mDNS, finds the author by itself and completes',
  { timeout: 300_000 },
  async (t) => {
    const rnd = seededRandom('fault-kill-sync');
    const homes = { author: tempDir('kith-fka-'), follower: tempDir('kith-fkf-') };
    const running = new Set<NodeProcess>();
    const start = async (home: string): Promise<NodeProcess> => {
      const n = await startNode(home);
      running.add(n);
      return n;
    };
    const kill = async (n: NodeProcess): Promise<void> => {
      await n.kill9();
      running.delete(n);
    };
    try {
      // The author's outbox, written before its node starts.
      const { node: writer } = KithNode.init(homes.author);
      const scope = outboxId(writer.did);
      const since = Date.now() - 30 * 86_400_000;
      const posts = Array.from({ length: POSTS }, (_, i) =>
        JSON.stringify(writer.sign(buildCreate(writer.did, buildNote(writer.did, { text: `post ${i}` }, since + i * 1000)))),
      );
      const written = await writer.ingestMany(posts);
      assert.ok(
        written.every((r) => !(r instanceof KithError)),
        'every post is stored',
      );
      writer.close();

      const author = await start(homes.author);
      const authorView = new StoreView(homes.author);
      // Read once the node runs: it signs a new actor version listing its addresses at start.
      // The follower's Follow goes out before its first sync, so the author's Accept of it adds
      // one object to this set at some moment during the kills; nothing else changes it.
      const authorSet = authorView.digests(scope);
      const total = authorSet.length;

      KithNode.init(homes.follower).node.close();
      let follower = await start(homes.follower);
      // The only address the follower is ever given; the follow syncs at once, and the first kill cuts it short.
      const following = kith(homes.follower, ['follow', author.info.addresses[0]!]);
      let have = 0;
      for (let k = 0; k < KILLS; k++) {
        if (k > 0) follower = await start(homes.follower); // no --bootstrap, no mDNS
        const view = new StoreView(homes.follower);
        try {
          // The first time, past the author's actor (which `follow` stores as it asks whose node that is, before the
          // follow is recorded): a post means the follow and its queued Follow are in the store, and the sync is on.
          await reach(`the follower's copy (kill ${k + 1})`, () => view.count(scope), have + (k === 0 ? 2 : 1));
        } finally {
          view.close();
        }
        await jitter(below(rnd, MAX_JITTER_MS));
        await kill(follower);

        assert.equal(integrity(homes.follower), 'ok', `integrity after kill ${k + 1}`);
        const after = new StoreView(homes.follower);
        const held = after.digests(scope);
        after.close();
        assert.ok(held.length >= have, `kill ${k + 1}: ${held.length} objects held, ${have} before: nothing committed is lost`);
        assert.ok(held.length < total, `kill ${k + 1} landed during the sync (${held.length} of ${total} held)`);
        const authorHas = new Set(authorView.digests(scope));
        assert.deepEqual(
          held.filter((d) => !authorHas.has(d)),
          [],
          'the follower holds nothing the author does not',
        );
        t.diagnostic(`kill ${k + 1}: ${held.length}/${total} objects held`);
        have = held.length;
      }
      await following; // the follow's own call ended with the kill; its outcome is beside the point

      // Restarted once more, told nothing: it finds the author from what its store remembers and completes.
      follower = await start(homes.follower);
      const view = new StoreView(homes.follower);
      try {
        // The Follow, queued before the first sync, survived the kills: the author accepts it, and gives the
        // follower the key of its follower epoch (issue 14).
        await reach("the author's Accept of the follow and the follower's epoch key", () => authorView.count(scope), total + 2);
        await reach('the follower to hold the whole outbox', () => view.count(scope), total + 2);
        const finalSet = authorView.digests(scope);
        assert.deepEqual(view.digests(scope), finalSet, "the follower holds exactly the author's set");
        assert.deepEqual(
          authorView.typesOf(finalSet.filter((d) => !authorSet.includes(d))),
          ['Accept', 'KithEpochKey'],
          "the author's set changed only by its Accept and the epoch key",
        );
        assert.ok(
          authorSet.every((d) => finalSet.includes(d)),
          'the author lost nothing',
        );
      } finally {
        view.close();
      }
      assert.match(follower.log(), /found the way back to/, 'the follower dialled the author itself');
      assert.doesNotMatch(author.log(), /found the way back to/, 'the author dialled nobody');
      authorView.close();
      await follower.stop();
      running.delete(follower);
      assert.equal(integrity(homes.follower), 'ok');
    } finally {
      await Promise.all([...running].map((n) => n.stop()));
      for (const h of Object.values(homes)) rmSync(h, { recursive: true, force: true });
    }
  },
);
