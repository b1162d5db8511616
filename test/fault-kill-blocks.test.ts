import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KithNode } from '../src/node/kith-node.js';
import { attachFile, readContent } from '../src/node/media.js';
import { parseErisUrn } from '../src/core/eris-urn.js';
import { tempDir } from './helpers.js';
import { kith, startNode, type NodeProcess } from './node-process.js';
import { seededRandom } from './seeded-random.js';
import { StoreView, below, integrity, jitter, reach } from './fault-helpers.js';

/**
 * A follower killed with SIGKILL ten times while it fetches the blocks of a
 * followed person's 16 MB attachment, each time at a random moment (after a
 * random number of further blocks, and a random few milliseconds). After
 * every kill its store passes PRAGMA integrity_check and holds only blocks
 * of that tree; restarted with no bootstrap, it goes back to the fetch by
 * itself, and ends with exactly the author's blocks, which decode to the file.
 */

const CONTENT_BYTES = 16 * 1024 * 1024;
const KILLS = 10;
/** Blocks (32 KiB each, stored one per transaction) a kill lets land at most, beyond the first. */
const MAX_STEP = 16;
const MAX_JITTER_MS = 10;

test('blocks: a follower killed ten times mid-transfer restarts clean, resumes by itself and holds exactly the tree', { timeout: 300_000 }, async (t) => {
  const rnd = seededRandom('fault-kill-blocks');
  const homes = { author: tempDir('kith-fba-'), follower: tempDir('kith-fbf-') };
  const files = tempDir('kith-fbfiles-');
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
    // Content that never repeats (ERIS would store a repeated block once), drawn from the seed.
    const key = createHash('sha256').update(rnd.bytes(32)).digest().subarray(0, 16);
    const content = createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(CONTENT_BYTES));
    const original = join(files, 'film.mp4');
    writeFileSync(original, content);

    const { node: writer } = KithNode.init(homes.author);
    const attachment = await attachFile(writer.store, original);
    writer.post({ text: 'a film', attachment: [attachment] });
    const urn = attachment.url as string;
    const root = parseErisUrn(urn).rootReference;
    writer.close();

    const author = await start(homes.author);
    const authorView = new StoreView(homes.author);
    const authorTree = authorView.tree(root);
    authorView.close();
    const total = authorTree.refs.length;
    assert.equal(authorTree.present, total, 'the author holds its whole tree');
    const inTree = new Set(authorTree.refs);

    KithNode.init(homes.follower).node.close();
    let follower = await start(homes.follower);
    // The follow syncs the post, whose attachment the follower pins and fetches; the first kill cuts that short.
    const following = kith(homes.follower, ['follow', author.info.addresses[0]!]);
    let have = 0;
    for (let k = 0; k < KILLS; k++) {
      if (k > 0) follower = await start(homes.follower); // no --bootstrap, no mDNS
      const view = new StoreView(homes.follower);
      try {
        await reach(`the follower's blocks (kill ${k + 1})`, () => view.blocks(), have + 1 + below(rnd, MAX_STEP));
      } finally {
        view.close();
      }
      await jitter(below(rnd, MAX_JITTER_MS));
      await kill(follower);

      assert.equal(integrity(homes.follower), 'ok', `integrity after kill ${k + 1}`);
      const after = new StoreView(homes.follower);
      const blocks = after.blocks();
      const tree = after.tree(root);
      after.close();
      assert.ok(blocks >= have, `kill ${k + 1}: ${blocks} blocks held, ${have} before: nothing committed is lost`);
      assert.ok(tree.present < total, `kill ${k + 1} landed during the transfer (${tree.present} of ${total} blocks)`);
      assert.deepEqual(
        tree.refs.filter((r) => !inTree.has(r)),
        [],
        'the pin covers only blocks of the tree',
      );
      assert.equal(tree.present, blocks, 'every block held is one of the tree');
      t.diagnostic(`kill ${k + 1}: ${tree.present}/${total} blocks held`);
      have = blocks;
    }
    await following;

    follower = await start(homes.follower);
    const view = new StoreView(homes.follower);
    try {
      await reach('the follower to hold the whole tree', () => view.tree(root).present, total);
      assert.deepEqual(view.tree(root).refs, authorTree.refs, "the follower holds exactly the author's blocks");
    } finally {
      view.close();
    }
    assert.match(follower.log(), /found the way back to/, 'the follower dialled the author itself');
    await follower.stop();
    running.delete(follower);
    assert.equal(integrity(homes.follower), 'ok');

    const copy = KithNode.open(homes.follower);
    try {
      const parts: Uint8Array[] = [];
      for await (const part of readContent(copy.store, urn)) parts.push(part);
      assert.ok(Buffer.concat(parts).equals(content), 'the blocks decode to the file');
    } finally {
      copy.close();
    }
  } finally {
    await Promise.all([...running].map((n) => n.stop()));
    for (const h of [...Object.values(homes), files]) rmSync(h, { recursive: true, force: true });
  }
});
