import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { buildCreate, buildNote, newObjectId } from '../src/core/as2.js';
import { buildDelete } from '../src/core/activities.js';
import { outboxId } from '../src/core/apid.js';
import { isJsonObject, type ApId } from '../src/core/types.js';
import { KithNode } from '../src/node/kith-node.js';
import { searchQuery } from '../src/core/searchable.js';
import { tempDir, waitFor } from './helpers.js';

/**
 * Posts are indexed for search after their write commits (migration 13): a
 * follower storing a sync queues them and the node drains the queue in large
 * slices. Nothing stored is ever missing from a search, a stop leaves the
 * queue to the next start, and a deleted post is never found, queued or not.
 */

const POSTS = 300;
const key = generateKeyPair();
const author = didFromPublicKey(key.publicKey);
const scope = outboxId(author);
const start = Date.now() - POSTS * 1000;
const signed = Array.from({ length: POSTS }, (_, i) => {
  const t = start + i * 1000;
  const text = `${i === 7 ? 'marmalade' : 'toast'} number ${i} of the queue ${randomBytes(6).toString('hex')} #breakfast`;
  const tag = [{ type: 'Hashtag', name: '#breakfast' }];
  return signDocument(buildCreate(author, buildNote(author, { text, tag }, t), t), key);
});
const bodies = signed.map((d) => JSON.stringify(d));
const noteId = (i: number) => {
  const note = signed[i]!.object;
  return (isJsonObject(note) ? note.id : undefined) as ApId;
};

function follower(): KithNode {
  const { node } = KithNode.init(tempDir('kith-search-queue-'));
  node.follow(author);
  return node;
}

/** Posts found for these words (the store's search, which the node's Search caps at 100 a page). */
const found = (node: KithNode, words: string) => node.store.search.posts(searchQuery(words).posts, 500).length;

test('a sync stored in slices is indexed for search after it commits, without a search asking', async () => {
  const node = follower();
  try {
    // The parallel path a sync takes: workers examine, this thread writes slices and the queue drains between them.
    const r = await node.ingestMany(bodies, { scope });
    assert.equal(r.filter((x) => 'status' in x && x.status === 'stored').length, POSTS);
    await waitFor('the search queue to drain', () => node.store.search.pendingCount() === 0);
    assert.equal(found(node, 'toast'), POSTS - 1);
    assert.equal(found(node, 'marmalade'), 1);
    assert.equal(found(node, '#breakfast'), POSTS);
  } finally {
    node.close();
  }
});

test('a search finds what is still queued; a stop leaves the queue to the next start; a queued post deleted is never found', async () => {
  let node = follower();
  const home = node.home.root;
  try {
    // Written in one turn of the event loop: nothing has drained yet.
    node.ingestor.ingestMany(bodies.slice(0, 100), scope);
    assert.equal(node.store.search.pendingCount(), 100);
    assert.equal(found(node, 'marmalade'), 1, 'a search indexes what is queued first');
    assert.equal(node.store.search.pendingCount(), 0);

    node.ingestor.ingestMany(bodies.slice(100), scope);
    const deleted = node.ingestor.ingestMany([signDocument(buildDelete(author, newObjectId(author), noteId(150)), key)], scope);
    assert.equal((deleted[0] as { status?: string }).status, 'stored');
    assert.equal(node.store.search.pendingCount(), POSTS - 100 - 1, 'the deleted post left the queue with its row');
    node.close();

    node = KithNode.open(home);
    await waitFor('the queue left by the stop to drain', () => node.store.search.pendingCount() === 0);
    assert.equal(found(node, 'toast'), POSTS - 2);
    assert.equal(found(node, '#breakfast'), POSTS - 1);
  } finally {
    node.close();
  }
});
