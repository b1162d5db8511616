import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actorId, apId, outboxId } from '../src/core/apid.js';
import { buildFollow, buildFollowAnswer, buildUndoFollow } from '../src/core/activities.js';
import { newObjectId } from '../src/core/as2.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { recipientsOf } from '../src/core/inbox-address.js';
import type { ApId, Did, Digest, JsonObject } from '../src/core/types.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { InboxIntake } from '../src/node/inbox-intake.js';
import { carriedFor } from '../src/node/inbox-carried.js';
import { knowsPerson } from '../src/node/reading.js';
import { Views } from '../src/api/owner-views.js';
import { refusedWith, tempDir } from './helpers.js';
import { join } from 'node:path';
import { sha256 } from '../src/core/bytes.js';
import { exportBackup, importBackup } from '../src/node/backup.js';

/**
 * Follow requests on real stores with no network: each delivery is handed
 * from the sender's outgoing queue to the recipient's inbox intake, as the
 * inbox protocol would. The followee's answers move the follow; answers that
 * break the rule are refused with their code and change nothing stored.
 */

function person(): KithService {
  return new KithService(KithNode.init(tempDir('kith-follow-')).node);
}

/** Hands every delivery queued from `from` to `to` over to `to`'s intake with what it carries, as the network would, and clears them from the queue. */
function deliver(from: KithService, to: KithService): string[] {
  const rows = from.node.store.outgoing.list().filter((r) => r.recipient === to.node.did);
  const intake = new InboxIntake(to.node);
  const types = rows.map((r) => {
    intake.receive(r.body, { carried: carriedFor(from.node, r.digest as Digest) });
    return (JSON.parse(r.body) as JsonObject).type as string;
  });
  from.node.store.db.prepare('DELETE FROM outgoing_deliveries WHERE recipient = ?').run(to.node.did);
  return types;
}

/** What the follow rules could change on a node: every stored object, the follows, the followers, the rejections. */
function snapshot(s: KithService): unknown {
  const all = (sql: string): unknown[] => s.node.store.db.prepare(sql).all();
  return {
    objects: all('SELECT lower(hex(digest)) AS d FROM objects ORDER BY n'),
    follows: all('SELECT * FROM follows ORDER BY did'),
    followers: all('SELECT * FROM followers ORDER BY did'),
    rejected: all('SELECT * FROM follows_rejected ORDER BY did'),
  };
}

function stateOf(s: KithService, did: Did): string | undefined {
  return s.people.followingStatus().find((f) => f.did === did)?.state;
}

test('answers of a Follow address the follower; Follow and its Undo address the followee', () => {
  const [a, b] = [person(), person()];
  try {
    const follow = apId(b.node.did, '/objects/f1');
    const answer = buildFollowAnswer(a.node.did, apId(a.node.did, '/objects/x'), 'Reject', follow, b.node.did);
    assert.deepEqual(recipientsOf(answer), [b.node.did]);
    // Without `to`, acting on the Follow (an id in the follower's namespace) still addresses them.
    assert.deepEqual(recipientsOf({ ...answer, to: [] }), [b.node.did]);
  } finally {
    a.close();
    b.close();
  }
});

test('follow, accept at once, locked approval, removal, unfollow; bad answers refused and nothing changes', async () => {
  const [a, b, x] = [person(), person(), person()];
  try {
    // B follows A (unlocked): the Follow is queued for A, and A accepts at once.
    await b.people.follow(a.node.did);
    const follow = b.node.store.follows.get(a.node.did)!;
    assert.equal(follow.state, 'requested');
    assert.ok(follow.followId, 'the Follow is recorded with the follow');
    assert.deepEqual(deliver(b, a), ['Follow']);
    assert.deepEqual(
      a.follows.followers().map((f) => f.did),
      [b.node.did],
    );
    assert.ok(knowsPerson(a.node, b.node.did), 'an accepted follower is someone the owner knows');
    assert.deepEqual(deliver(a, b), ['Accept']);
    assert.equal(stateOf(b, a.node.did), 'accepted');
    // A reply from B, whom A does not follow: from someone A knows, since A accepted B's follow.
    const spoken = await a.publishing.post({ text: 'A speaks' });
    await b.publishing.post({ text: 'B answers', inReplyTo: spoken.noteId });
    assert.deepEqual(deliver(b, a), ['Create']);
    const notified = (filter: 'known' | 'strangers'): string[] => a.node.store.notifications.page(a.node.did, { limit: 10 }, filter).map((n) => n.kind);
    assert.deepEqual([notified('known'), notified('strangers')], [['reply', 'follow'], []]);

    // An Accept of B's Follow signed by X, not by A: refused, nothing changes.
    const before = snapshot(b);
    const forged = x.node.sign(buildFollowAnswer(x.node.did, apId(x.node.did, '/objects/forged-accept'), 'Accept', follow.followId!, b.node.did));
    refusedWith(() => new InboxIntake(b.node).receive(forged), 'wrong-key', /must come from them/);
    // A Reject by A naming someone else's Follow (X's), addressed to B: refused, nothing changes.
    const othersFollow = apId(x.node.did, '/objects/x-follow') as ApId;
    const misnamed = a.node.sign({
      ...buildFollowAnswer(a.node.did, apId(a.node.did, '/objects/r1'), 'Reject', othersFollow, x.node.did),
      to: [actorId(b.node.did)],
    });
    refusedWith(() => new InboxIntake(b.node).receive(misnamed), 'not-addressed', /not by/);
    // A Reject by A naming a Follow of B's that B never signed: refused, nothing changes.
    const unknown = a.node.sign(buildFollowAnswer(a.node.did, apId(a.node.did, '/objects/r2'), 'Reject', apId(b.node.did, '/objects/never'), b.node.did));
    refusedWith(() => new InboxIntake(b.node).receive(unknown), 'not-found', /not a Follow of yours/);
    assert.deepEqual(snapshot(b), before, 'refused answers change nothing stored');
    // The forged Accept arriving by sync (it is in X's scope) is stored there but moves no follow.
    b.node.follow(x.node.did);
    await b.node.ingestMany([JSON.stringify(forged)], { scope: outboxId(x.node.did) });
    assert.equal(stateOf(b, a.node.did), 'accepted');

    // A locks the account: X's request waits; A approves; X's follow is accepted.
    a.updateSettings({ locked: true });
    await x.people.follow(a.node.did);
    deliver(x, a);
    assert.deepEqual(
      a.follows.pending().map((f) => f.did),
      [x.node.did],
    );
    assert.ok(!knowsPerson(a.node, x.node.did), 'a pending follower is not someone the owner knows yet');
    // The request is told of in the main list though X is a stranger: it waits for A's answer.
    assert.deepEqual([notified('known'), notified('strangers')], [['follow-request', 'reply', 'follow'], []]);
    const shown = a.reading.notifications({ limit: 1 }).items.map((i) => new Views(a.node).notification(i));
    assert.deepEqual(
      shown.map((v) => v && [v.kind, v.by.did, v.post, v.quote]),
      [['follow-request', x.node.did, null, null]],
    );
    const approved = await a.follows.approve(x.node.did);
    assert.equal(approved.state, 'accepted');
    assert.deepEqual(notified('known'), ['follow', 'reply', 'follow'], 'an approved request is told of as a follow');
    deliver(a, x);
    assert.equal(stateOf(x, a.node.did), 'accepted');
    await assert.rejects(a.follows.approve(x.node.did), (e: Error & { code?: string }) => e.code === 'conflict');

    // A removes X: a Reject, and X's follow ends (their scope no longer kept), the rejection visible.
    await a.follows.remove(x.node.did);
    deliver(a, x);
    assert.equal(x.node.store.follows.get(a.node.did), undefined);
    assert.equal(stateOf(x, a.node.did), 'rejected');
    assert.ok(!x.node.scopes().includes(outboxId(a.node.did)));
    assert.deepEqual(
      a.follows.followers().map((f) => f.did),
      [b.node.did],
    );

    // B unfollows: the Undo reaches A, and B is no longer among A's followers.
    b.people.unfollow(a.node.did);
    assert.deepEqual(deliver(b, a), ['Undo']);
    assert.deepEqual(a.follows.followers(), []);
    assert.ok(!knowsPerson(a.node, b.node.did));
    assert.deepEqual([notified('known'), notified('strangers')], [[], ['reply']], 'B is a stranger to A again, and no follow is left to tell of');
  } finally {
    a.close();
    b.close();
    x.close();
  }
});

test('a Follow and its Undo signed on a paired device start and end the follow, and the followee’s answer finds it', async () => {
  const [a, b] = [person(), person()];
  try {
    const device = generateKeyPair();
    b.node.certifyDevice(didFromPublicKey(device.publicKey), Date.now() + 3_600_000);
    const follow = signDocument(buildFollow(b.node.did, newObjectId(b.node.did), a.node.did), device);
    await b.publishing.acceptSigned(follow);
    assert.deepEqual([b.node.store.follows.get(a.node.did)?.followId, stateOf(b, a.node.did)], [follow.id, 'requested']);
    assert.ok(b.node.scopes().includes(outboxId(a.node.did)), 'the followee\u2019s scope is kept, as `kith follow` does');
    assert.deepEqual(deliver(b, a), ['Follow']);
    assert.deepEqual(deliver(a, b), ['Accept']);
    assert.equal(stateOf(b, a.node.did), 'accepted', 'the Accept found the Follow the device signed');

    const undo = signDocument(buildUndoFollow(b.node.did, newObjectId(b.node.did), follow.id as ApId, a.node.did), device);
    await b.publishing.acceptSigned(undo);
    assert.equal(b.node.store.follows.get(a.node.did), undefined);
    assert.deepEqual(deliver(b, a), ['Undo']);
    assert.deepEqual(a.follows.followers(), []);
  } finally {
    a.close();
    b.close();
  }
});

test('a backup brings the owner’s followers back: the newest answer to each person stands', async () => {
  const seed = sha256('followers in a backup');
  const a = new KithService(KithNode.init(tempDir('kith-follow-'), { seed }).node);
  const [b, x] = [person(), person()];
  const file = join(tempDir('kith-follow-backup-'), 'a.kith');
  try {
    await b.people.follow(a.node.did);
    deliver(b, a);
    await x.people.follow(a.node.did);
    deliver(x, a);
    await a.follows.remove(x.node.did);
    assert.deepEqual(
      a.follows.followers().map((f) => f.did),
      [b.node.did],
    );
    exportBackup(a.node, file);
  } finally {
    a.close();
    b.close();
    x.close();
  }
  // The same person on a new node, from their recovery phrase: no followers until the backup comes in.
  const restored = new KithService(KithNode.init(tempDir('kith-follow-'), { seed }).node);
  try {
    assert.deepEqual(restored.follows.followers(), []);
    const r = await importBackup(restored.node, file);
    assert.equal(r.followersRestored, 2);
    assert.deepEqual(
      restored.follows.followers().map((f) => f.did),
      [b.node.did],
    );
    assert.equal(restored.node.store.followers.get(x.node.did)?.state, 'rejected', 'a removed follower stays removed');
    // Importing again changes nothing: the rows are as new as the answers.
    const before = snapshot(restored);
    await importBackup(restored.node, file);
    assert.deepEqual(snapshot(restored), before);
  } finally {
    restored.close();
  }
});
