import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { KithNode } from '../src/node/kith-node.js';
import { attachBytes } from '../src/node/media.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { outboxId } from '../src/core/apid.js';
import { isKithError } from '../src/core/errors.js';
import type { Digest } from '../src/core/types.js';
import { rejectsWith, tempDir } from './helpers.js';
import { kith, kithJson, startNode, type NodeProcess } from './node-process.js';
import { StoreView, integrity } from './fault-helpers.js';

/**
 * A full disk: every write that does not fit is refused with 'storage-full'
 * and a sentence saying what to do, changes nothing, and everything written
 * before stays. First with SQLite's max_page_count on a store (every kind of
 * write, quickly); then a real node whose home is a small tmpfs that fills up.
 */

const FULL = /disk holding .* is full, so nothing was written; free some space/;

test('a store that is full refuses every write with storage-full, changes nothing and keeps what was written before', async () => {
  const home = tempDir('kith-full-');
  const { node } = KithNode.init(home);
  try {
    const author = generateKeyPair();
    const did = didFromPublicKey(author.publicKey);
    node.follow(did);
    const since = Date.now() - 86_400_000;
    const batch = Array.from({ length: 300 }, (_, i) =>
      JSON.stringify(signDocument(buildCreate(did, buildNote(did, { text: `theirs ${i}` }, since + i)), author)),
    );
    const before = Array.from({ length: 20 }, (_, i) => node.post({ text: `mine ${i}` }).digest);

    const pages = node.store.db.pragma('page_count', { simple: true }) as number;
    node.store.db.pragma(`max_page_count = ${pages + 2}`);
    // Posts fill what room is left in the pages there are; then one does not fit.
    const fitted: Digest[] = [];
    let refusal: unknown;
    for (let i = 0; i < 1000 && refusal === undefined; i++) {
      try {
        fitted.push(node.post({ text: `mine, late ${i}: ${'x'.repeat(2000)}` }).digest);
      } catch (e) {
        refusal = e;
      }
    }
    assert.ok(isKithError(refusal, 'storage-full'), `a post that does not fit is refused with storage-full, not ${String(refusal)}`);
    assert.match(refusal.message, FULL);
    const count = node.store.objects.count();
    await rejectsWith(node.ingestMany(batch, { scope: outboxId(did) }), 'storage-full', FULL, 'a sync batch');
    await rejectsWith(attachBytes(node.store, new Uint8Array(1024 * 1024).fill(7), 'video/mp4'), 'storage-full', FULL, 'an attachment');
    assert.equal(node.store.objects.count(), count, 'the refused writes changed nothing');
    assert.equal(node.store.objects.count(outboxId(did)), 0, 'none of the batch was stored');

    for (const d of [...before, ...fitted]) assert.ok(node.store.objects.byDigest(d), `post ${d} written before is still there`);
    assert.equal((node.store.db.pragma('integrity_check') as { integrity_check: string }[])[0]!.integrity_check, 'ok');

    // Room again: the same writes go through.
    node.store.db.pragma('max_page_count = 1073741823');
    node.post({ text: 'room again' });
    await node.ingestMany(batch, { scope: outboxId(did) });
    assert.equal(node.store.objects.count(outboxId(did)), batch.length);
  } finally {
    node.close();
    rmSync(home, { recursive: true, force: true });
  }
});

test('a running node whose disk fills says so, keeps running and loses nothing written before', { timeout: 120_000 }, async (t) => {
  const mount = tempDir('kith-tmpfs-');
  const files = tempDir('kith-full-files-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', mount], { stdio: 'pipe' });
  } catch (e) {
    const why = `no tmpfs could be mounted here (${String((e as Error).message).split('\n')[0]}): a full disk is tested with SQLite's max_page_count only (the test above)`;
    console.log(why);
    t.diagnostic(why);
    rmSync(mount, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
    return;
  }
  const home = join(mount, 'home');
  let node: NodeProcess | undefined;
  try {
    await kithJson(home, ['init']);
    node = await startNode(home);
    await kithJson(home, ['post', 'before the disk filled']);
    const snapshot = new StoreView(home);
    const before = snapshot.allDigests();
    snapshot.close();

    // Fill the disk to the last byte.
    const filler = join(mount, 'filler');
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024, 1);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
    }
    for (let size = 32 * 1024; size >= 1; size >>= 1) {
      try {
        writeSync(fd, chunk.subarray(0, size));
      } catch {
        // Down to the last few bytes, one size at a time.
      }
    }
    closeSync(fd);

    // Through the running node (its own store connection), and through the command line's (an attachment is stored by `kith post`).
    const viaNode = await kith(home, ['post', 'this does not fit', '--json']);
    assert.equal(viaNode.code, 1);
    assert.deepEqual(JSON.parse(viaNode.stdout).error.code, 'storage-full', viaNode.stdout);
    assert.match(JSON.parse(viaNode.stdout).error.message, FULL);
    const film = join(files, 'film.mp4');
    writeFileSync(film, Buffer.alloc(1024 * 1024, 3));
    const viaCli = await kith(home, ['post', 'with a film', '--attach', film, '--json']);
    assert.equal(viaCli.code, 1);
    assert.equal(JSON.parse(viaCli.stdout).error.code, 'storage-full', viaCli.stdout);
    assert.match(JSON.parse(viaCli.stdout).error.message, FULL);

    // Everything from before is there, and the store is sound.
    const view = new StoreView(home);
    try {
      assert.deepEqual(
        before.filter((d) => !view.has(d)),
        [],
        'every object stored before the disk filled is there',
      );
      assert.equal(view.integrity(), 'ok');
    } finally {
      view.close();
    }

    // Room again: the node, still running, takes the next post.
    rmSync(filler);
    const after = await kithJson(home, ['post', 'room again']);
    await node.stop();
    node = undefined;
    assert.equal(integrity(home), 'ok');
    const reopened = new StoreView(home);
    try {
      assert.deepEqual(
        [...before, after.digest as string].filter((d) => !reopened.has(d)),
        [],
      );
    } finally {
      reopened.close();
    }
  } finally {
    await node?.stop();
    try {
      execFileSync('umount', [mount], { stdio: 'pipe' });
    } catch (e) {
      console.log(`umount ${mount} failed (${String(e)}); detaching it lazily`);
      execFileSync('umount', ['-l', mount], { stdio: 'pipe' });
    }
    rmSync(mount, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  }
});
