import { test } from 'node:test';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { actorId, apId, outboxId } from '../src/core/apid.js';
import { AS_CONTEXT } from '../src/core/as2.js';
import { isKithError } from '../src/core/errors.js';
import { parseErisUrn } from '../src/core/eris-urn.js';
import { isJsonObject, type ApId, type JsonObject } from '../src/core/types.js';
import { parseBody } from '../src/store/objects.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { exportBackup, importBackup } from '../src/node/backup.js';
import { whoAnswersFor } from '../src/node/peer-discipline.js';
import { Views } from '../src/api/owner-views.js';
import { InboxIntake } from '../src/node/inbox-intake.js';
import { recipientsOf } from '../src/core/inbox-address.js';
import { refusedWith, rejectsWith, tempDir } from './helpers.js';

/**
 * Likes, boosts, undos, edits and deletes on real stores, with no network:
 * what each node does with the others' activities as they arrive through
 * ingest (as sync hands them over), the rules that refuse what someone may
 * not do to another's post, and what a delete leaves behind.
 */

const PNG_1PX = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

function person(): KithService {
  return new KithService(KithNode.init(tempDir('kith-interact-')).node);
}

/** Every object of `from`'s scope, as a sync would hand them to `to` (all in one batch). */
async function syncOutbox(from: KithService, to: KithService): Promise<void> {
  const bodies = from.node.store.objects.page(outboxId(from.node.did), { limit: 10_000 }).map((o) => o.body);
  await to.node.ingestMany(bodies.reverse(), { scope: outboxId(from.node.did) });
}

/** What a reader of the store sees: every object's digest, the tombstones and the counts. */
function snapshot(s: KithService, post: ApId): unknown {
  const rows = s.node.store.db.prepare('SELECT lower(hex(digest)) AS d FROM objects ORDER BY n').pluck().all();
  const tombs = s.node.store.db.prepare('SELECT id FROM tombstones ORDER BY id').pluck().all();
  return { rows, tombs, counts: s.node.store.interactions.counts(post), post: new Views(s.node).find(post) };
}

function signedBy(s: KithService, doc: JsonObject): JsonObject {
  return s.node.sign({ '@context': [...AS_CONTEXT], published: new Date().toISOString(), ...doc });
}

test('likes and boosts: idempotent, counted once a person, undone only by their author, blocked people not counted', async () => {
  const [a, b, c] = [person(), person(), person()];
  try {
    const posted = await b.publishing.post({ text: 'a post to like' });
    const post = posted.noteId as ApId;
    for (const s of [a, c]) {
      s.node.follow(b.node.did);
      await syncOutbox(b, s);
    }

    const liked = await a.interactions.like(post);
    assert.equal(liked.status, 'stored');
    assert.equal(liked.concerns, b.node.did, 'a like concerns the author of the post');
    const again = await a.interactions.like(posted.id);
    assert.equal(again.status, 'duplicate', 'liking twice (here by the Create id) signs nothing new');
    assert.equal(again.id, liked.id);
    await a.interactions.boost(post);
    await c.interactions.like(post);
    const own = await b.interactions.like(post);
    assert.equal(own.concerns, null, 'liking your own post concerns nobody else');

    let view = new Views(a.node).find(post)!;
    assert.deepEqual([view.likes, view.boosts, view.liked, view.boosted], [1, 1, true, true]);

    // The author's node counts every like that reaches it.
    await syncOutbox(a, b);
    await syncOutbox(c, b);
    view = new Views(b.node).find(post)!;
    assert.deepEqual([view.likes, view.boosts, view.liked, view.boosted], [3, 1, true, false]);

    // An Undo of A's like by C, under C's id: refused, and nothing changes.
    const before = snapshot(b, post);
    const forged = signedBy(c, { id: apId(c.node.did, '/objects/undo-1'), type: 'Undo', actor: actorId(c.node.did), object: liked.id });
    refusedWith(() => b.node.ingest(forged), 'wrong-key', /only its author may undo it/);
    // And one claiming A's id but signed with C's key.
    const posing = signedBy(c, { id: apId(a.node.did, '/objects/undo-2'), type: 'Undo', actor: actorId(a.node.did), object: liked.id });
    refusedWith(() => b.node.ingest(posing), 'wrong-key');
    assert.deepEqual(snapshot(b, post), before, 'a refused Undo changes nothing');

    // A takes the like back: counted nowhere once the Undo arrives; undoing again is a clear error.
    await a.interactions.unlike(post);
    // The Undo names only A's like, and copies B in: B's node takes it in from its inbox though B does not follow A.
    const undo = a.node.store.objects.page(outboxId(a.node.did), { limit: 1 }).map(parseBody)[0]!;
    assert.equal(undo.type, 'Undo');
    assert.equal(new InboxIntake(b.node).receive(undo).status, 'stored');
    await rejectsWith(a.interactions.unlike(post), 'not-found', /you have not liked/);
    await rejectsWith(c.interactions.unboost(post), 'not-found', /you have not boosted/);
    await syncOutbox(a, b);
    assert.equal(b.node.store.interactions.counts(post).likes, 2);

    // Blocked people are not counted; the boost of a post stays a boost of it in the booster's outbox.
    b.people.block(c.node.did);
    assert.deepEqual(b.node.store.interactions.counts(post), { likes: 1, boosts: 1 });
    const boostView = new Views(b.node).posts(b.node.store.objects.outboxPage(outboxId(a.node.did), { limit: 10 }));
    assert.equal(boostView.length, 1, "A's outbox shows the boost (not the like or the undo)");
    assert.equal(boostView[0]!.id, post);
    assert.equal(boostView[0]!.boostedBy?.did, a.node.did);
    // A page of posts reads its counts together: the same as the post shown alone.
    const alone = new Views(b.node).find(post)!;
    const onPage = new Views(b.node).posts(b.reading.timeline({ limit: 20 })).find((p) => p.id === post)!;
    for (const v of [alone, onPage, boostView[0]!]) assert.deepEqual([v.replies, v.likes, v.boosts, v.liked, v.boosted], [0, 1, 1, true, false]);
    await rejectsWith(a.interactions.like('https://example.com/x'), 'malformed');
    await rejectsWith(a.interactions.like(apId(b.node.did, '/objects/never-posted')), 'not-found');
  } finally {
    for (const s of [a, b, c]) s.close();
  }
});

test('edits: the newest version everywhere; an Update of someone else’s post is refused and changes nothing', async () => {
  const [a, b, c] = [person(), person(), person()];
  try {
    const parent = await b.publishing.post({ text: 'the parent' });
    const posted = await b.publishing.post({ text: 'first words', inReplyTo: parent.noteId });
    const post = posted.noteId as ApId;
    a.node.follow(b.node.did);
    await syncOutbox(b, a);

    const edited = await b.interactions.edit(post, 'better words');
    await b.interactions.edit(post, 'best words');
    await rejectsWith(a.interactions.edit(post, 'mine now'), 'unauthorized', /only your own posts/);
    await rejectsWith(b.interactions.edit(post, 'x'.repeat(5001)), 'malformed');
    assert.match(edited.updated, /^\d{4}-/);
    await syncOutbox(b, a);

    const view = new Views(a.node).find(post)!;
    assert.equal(view.text, 'best words');
    assert.ok(view.edited);
    assert.equal(view.inReplyTo, parent.noteId, 'an edit keeps what the post answers');
    const thread = a.reading.thread(post);
    assert.equal(new Views(a.node).post(thread.post)!.text, 'best words', 'the thread shows the newest version');
    const onPage = new Views(a.node).posts(a.reading.timeline({ limit: 20 })).find((p) => p.id === post)!;
    assert.deepEqual([onPage.text, onPage.edited], ['best words', view.edited], 'a page of the timeline shows the newest version');
    const unedited = new Views(a.node).posts(a.reading.timeline({ limit: 20 })).find((p) => p.id === parent.noteId)!;
    assert.deepEqual([unedited.text, unedited.edited, unedited.replies], ['the parent', null, 1], 'a post never edited shows its only version');
    assert.equal(a.node.store.links.replyCount(parent.noteId as ApId), 1, 'an edited reply is still one reply');
    // Search finds the post by its newest words only, on the author's node and on the follower's.
    for (const n of [a, b]) {
      assert.deepEqual(
        n.search.search('best').posts.map((p) => new Views(n.node).post(p)?.id),
        [post],
      );
      assert.deepEqual(n.search.search('first').posts, [], 'the words it was edited away from find nothing');
    }
    const timeline = new Views(a.node).posts(a.reading.timeline({ limit: 20 }));
    assert.deepEqual(
      timeline.map((p) => p.text),
      ['best words', 'the parent'],
      'the timeline shows each post once, newest version',
    );

    // C signs an Update carrying B's post with new text: under C's id, or posing as B.
    const note = parseBody(a.node.store.objects.byDigest(posted.digest)!).object as JsonObject;
    const before = snapshot(a, post);
    const changed = { ...note, content: '<p>hijacked</p>', source: { content: 'hijacked', mediaType: 'text/plain' }, updated: new Date().toISOString() };
    const underC = signedBy(c, { id: apId(c.node.did, '/objects/u1'), type: 'Update', actor: actorId(c.node.did), object: changed });
    refusedWith(() => a.node.ingest(underC), 'wrong-key', /belongs to another identity/);
    const posing = signedBy(c, { id: apId(b.node.did, '/objects/u2'), type: 'Update', actor: actorId(b.node.did), object: changed });
    refusedWith(() => a.node.ingest(posing), 'wrong-key');
    assert.deepEqual(snapshot(a, post), before, 'a refused Update changes nothing');

    // An edit is parsed as a new post is: its new hashtag and mention are tagged, linked and addressed.
    const tagged = await b.interactions.edit(post, `best words #fresh @${c.node.did}`);
    const update = parseBody(b.node.store.objects.byDigest(tagged.digest)!);
    const shown = new Views(b.node).find(post)!;
    assert.deepEqual([shown.hashtags, shown.mentions.map((m) => m.did)], [['fresh'], [c.node.did]]);
    assert.match(String((update.object as JsonObject).content), /<a [^>]*class="mention hashtag"[^>]*>#<span>fresh<\/span><\/a>/);
    assert.deepEqual(recipientsOf(update), [c.node.did], 'the person the edit mentions hears of it');
  } finally {
    for (const s of [a, b, c]) s.close();
  }
});

test('deletes: content, versions, links and media pins go, a tombstone stays; the old version cannot return, blaming nobody', async () => {
  const [a, b, c, d] = [person(), person(), person(), person()];
  try {
    const image = await b.media.upload({ bytes: PNG_1PX, mediaType: 'image/png', name: 'dot.png' });
    const parent = await a.publishing.post({ text: 'a post by A' });
    const posted = await b.publishing.post({ text: 'soon gone', inReplyTo: parent.noteId, attachment: [image] });
    const post = posted.noteId as ApId;
    await b.interactions.edit(post, 'soon gone, edited');
    a.node.follow(b.node.did);
    await syncOutbox(b, a);
    const oldBodies = b.node.store.objects.page(outboxId(b.node.did), { limit: 100 }).map((o) => o.body);
    const versions = oldBodies.filter((x) => x.includes(post));
    assert.equal(versions.length, 2, 'a Create and an Update');
    const update = JSON.parse(versions.find((v) => v.includes('"type":"Update"'))!) as JsonObject;
    assert.deepEqual(recipientsOf(update), [a.node.did], 'an edit of a reply still addresses the author replied to');
    assert.equal(a.node.store.links.replyCount(parent.noteId as ApId), 1);

    // A Delete of B's post by C (under C's id, or posing as B) is refused and changes nothing.
    const before = snapshot(a, post);
    const underC = signedBy(c, { id: apId(c.node.did, '/objects/d1'), type: 'Delete', actor: actorId(c.node.did), object: post });
    refusedWith(() => a.node.ingest(underC), 'wrong-key', /only its author may delete it/);
    const posing = signedBy(c, { id: apId(b.node.did, '/objects/d2'), type: 'Delete', actor: actorId(b.node.did), object: post });
    refusedWith(() => a.node.ingest(posing), 'wrong-key');
    assert.deepEqual(snapshot(a, post), before, 'a refused Delete changes nothing');
    await rejectsWith(a.interactions.delete(post), 'unauthorized', /only your own posts/);

    const backup = join(tempDir('kith-interact-backup-'), 'b.kith');
    exportBackup(b.node, backup, { media: false, force: false });
    const root = parseErisUrn(String(image.url));
    assert.ok(b.node.store.blocks.pinStatus(root)?.reasons.some((r) => r.reason === 'own'));
    const deleted = await b.interactions.delete(post);
    await rejectsWith(b.interactions.delete(post), 'not-found', /already deleted/);
    await rejectsWith(b.interactions.edit(post, 'back?'), 'deleted');
    assert.equal(b.node.store.blocks.pinStatus(root), undefined, 'the image only the post used is no longer pinned');
    await syncOutbox(b, a);
    // A backup made before the delete restores everything else; the tombstone keeps the post out.
    const restored = await importBackup(b.node, backup);
    assert.equal(restored.deleted, 2, 'its Create and its Update are left out');

    for (const s of [a, b]) {
      const store = s.node.store;
      const left = store.db.prepare('SELECT type FROM objects WHERE instr(body, ?) > 0').pluck().all(post);
      assert.deepEqual(left, ['Delete'], 'only the Delete still names the post');
      assert.equal(store.db.prepare("SELECT COUNT(*) FROM objects WHERE instr(body, 'soon gone') > 0").pluck().get(), 0, 'no version of its text is left');
      assert.equal(store.tombstones.get(post)?.digest, deleted.digest);
      assert.equal(new Views(s.node).find(post), undefined);
      assert.equal(store.links.replyCount(parent.noteId as ApId), 0, 'its links went with it');
      await rejectsWith(async () => s.reading.thread(post), 'deleted', /deleted this post/);
    }

    // An old peer hands the old versions back: refused quietly (nobody punished), nothing stored.
    const count = a.node.store.objects.count();
    const results = await a.node.ingestMany(versions, { scope: outboxId(b.node.did) });
    for (const r of results) {
      assert.ok(isKithError(r, 'deleted'), `refused as deleted: ${String(r)}`);
      assert.equal(whoAnswersFor(r, versions[0]!, { limits: a.node.ingestor.limits, stillValid: () => true }).who, 'nobody');
    }
    assert.equal(a.node.store.objects.count(), count);

    // A node that gets the Delete before the post keeps the tombstone, and the post never lands.
    const deleteBody = b.node.store.objects.byDigest(deleted.digest)!.body;
    d.node.follow(b.node.did);
    d.node.ingest(deleteBody);
    assert.ok(d.node.store.tombstones.get(post));
    refusedWith(() => d.node.ingest(versions[0]!), 'deleted');
    // And one that gets the post and its Delete in one batch ends with the post deleted.
    c.node.follow(b.node.did);
    const actorBody = b.node.store.objects.byId(actorId(b.node.did))!.body;
    await c.node.ingestMany([actorBody, ...versions, deleteBody], { scope: outboxId(b.node.did) });
    assert.equal(new Views(c.node).find(post), undefined);
    assert.equal(c.node.store.db.prepare('SELECT COUNT(*) FROM objects WHERE instr(body, ?) > 0').pluck().get(post), 1);
    const items = (s: KithService): string[] => {
      const index = s.node.store.scopeIndexes.index(outboxId(b.node.did));
      return Array.from({ length: index.size }, (_, i) => Buffer.from(index.digestAt(i)).toString('hex'));
    };
    assert.deepEqual(items(c), items(a), 'both hold the same scope, as reconciliation sees it');
    assert.deepEqual(items(a), items(b));
    assert.ok(isJsonObject(parseBody(b.node.store.objects.byDigest(deleted.digest)!)), 'the Delete stays in the outbox');
  } finally {
    for (const s of [a, b, c, d]) s.close();
  }
});

test('notifications: likes and boosts of the owner\u2019s posts, until undone; unread counts them; the owner\u2019s own like does not', async () => {
  const [a, b, c] = [person(), person(), person()];
  try {
    const post = (await b.publishing.post({ text: 'tell me who likes this' })).noteId as ApId;
    for (const s of [a, c]) {
      s.node.follow(b.node.did);
      await syncOutbox(b, s);
    }
    await a.interactions.like(post);
    await c.interactions.boost(post);
    await b.interactions.like(post);
    // A Like of a post B never made, and one of someone else's post: neither is B's to hear of.
    c.node.ingest(
      signedBy(c, { id: apId(c.node.did, '/objects/like-nothing'), type: 'Like', actor: actorId(c.node.did), object: apId(b.node.did, '/objects/none') }),
    );
    c.node.ingest(signedBy(c, { id: apId(c.node.did, '/objects/like-own'), type: 'Like', actor: actorId(c.node.did), object: apId(c.node.did, '/objects/x') }));
    await syncOutbox(a, b);
    await syncOutbox(c, b);

    const listed = (opts?: { filtered?: boolean }) => b.reading.notifications({ limit: 10 }, opts);
    const rows = (n: ReturnType<typeof listed>) => n.items.map((i) => [i.kind, i.by.did, i.target]);
    const first = listed();
    assert.deepEqual(
      rows(first).sort(),
      [
        ['boost', c.node.did, post],
        ['like', a.node.did, post],
      ].sort(),
    );
    assert.equal(first.unread, 2, 'likes and boosts count as unread');
    // Paged like the rest: newest first, a page of one and then the next.
    const top = b.reading.notifications({ limit: 1 }).items[0]!;
    const next = b.reading.notifications({ limit: 1, before: { created: top.object.created, digest: top.object.digest } }).items;
    assert.deepEqual(
      [top, ...next].map((i) => i.object.digest),
      first.items.map((i) => i.object.digest),
    );
    const view = new Views(b.node).notification(first.items.find((i) => i.kind === 'like')!)!;
    assert.deepEqual([view.kind, view.by.did, view.post, view.quote?.id, view.quote?.text], ['like', a.node.did, null, post, 'tell me who likes this']);

    // A takes the like back: it is no longer a notification, nor unread.
    await a.interactions.unlike(post);
    await syncOutbox(a, b);
    assert.deepEqual(rows(listed()), [['boost', c.node.did, post]]);
    assert.equal(listed().unread, 1);
    assert.equal(b.reading.markNotificationsRead().unread, 0);

    // Strangers' boosts are kept apart like their replies while B filters them.
    b.updateSettings({ filterStrangers: true });
    assert.deepEqual(rows(listed()), []);
    assert.deepEqual(rows(listed({ filtered: true })), [['boost', c.node.did, post]]);
  } finally {
    for (const s of [a, b, c]) s.close();
  }
});
