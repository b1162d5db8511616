import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildForumAct, buildForumPost } from '../src/core/forum.js';
import type { Ed25519KeyPair } from '../src/core/ed25519.js';
import { signDocument } from '../src/core/proof.js';
import type { Did, JsonObject } from '../src/core/types.js';
import { KithService } from '../src/node/service.js';
import { ForumKeys } from '../src/node/forum-keys.js';
import { hostAccount } from './hosted-account-pairing.js';
import { forumPerson, replicate } from './forum-helpers.js';
import { refusedWith } from './helpers.js';

/**
 * A forum's node-root blocks and its list of admitted roots (issue 13 item
 * 5), on real stores with no network: what one node stores of a scope is
 * handed to another's ingest, as a sync would hand it. Refusals carry their
 * code and change nothing stored.
 */

const person = (): KithService => forumPerson('kith-forum-roots-');

const objects = (s: KithService): number => s.node.store.db.prepare('SELECT COUNT(*) FROM objects').pluck().get() as number;
const texts = (s: KithService, forum: Did): string[] =>
  s.forums
    .read(forum)
    .map((p) => p.text)
    .sort();

test('a forum blocks a node root: every account it vouches for is refused there on every node, self-rooted members are not; and it may admit only listed roots', async () => {
  const [o, n, s, m] = [person(), person(), person(), person()];
  const F = o.forums.create('Allotments', 'approval').forum;
  // N hosts P and Q; their actors (carrying N's account certificates) reach O and S as a sync of their scopes would.
  const p = await hostAccount(n, 'Grandma');
  const q = await hostAccount(n, 'Kid');
  for (const reader of [o, s]) for (const a of [p, q]) replicate(n, reader, a.did);
  assert.equal(o.node.store.accountVouches.rootOf(p.did), n.node.did);
  assert.equal(o.node.store.accountVouches.rootOf(s.node.did), undefined, 'S is self-rooted');
  for (const did of [p.did, q.did, s.node.did]) o.moderation.approve(F, did);
  o.moderation.moderatorAdd(F, p.did);
  replicate(o, s, F);

  // P's and Q's posts are signed on their devices, with their own keys, under their membership.
  const post = (key: Ed25519KeyPair, text: string): JsonObject => signDocument(buildForumPost(F, text), key);
  const fromS = (text: string): void => {
    s.forums.post(F, text);
    replicate(s, o, F);
  };
  o.node.ingest(post(p.key, 'P before'));
  o.node.ingest(post(q.key, 'Q before'));
  fromS('S before');
  replicate(o, s, F);
  assert.deepEqual(texts(s, F), ['P before', 'Q before', 'S before']);

  // F blocks N's root. On the owner's node and on S's, P's and Q's new posts are refused; S's are not.
  const blocked = o.moderation.blockRoot(F, n.node.did);
  assert.equal(blocked.kind, 'root-block');
  replicate(o, s, F);
  for (const node of [o, s]) {
    const before = objects(node);
    refusedWith(() => node.node.ingest(post(p.key, 'P after')), 'blocked', /node root/, "P's post after the block");
    refusedWith(() => node.node.ingest(post(q.key, 'Q after')), 'blocked', /node root/, "Q's post after the block");
    const ban = signDocument(buildForumAct(F, 'ban', s.node.did), p.key);
    refusedWith(() => node.node.ingest(ban), 'blocked', /node root/, 'an act of P, a moderator, after the block');
    assert.equal(objects(node), before, 'nothing refused is stored');
    // Their earlier posts are left out at read time while the block stands, as a person's mute does.
    assert.deepEqual(texts(node, F), ['S before']);
  }
  fromS('S during');
  assert.deepEqual(texts(o, F), ['S before', 'S during'], 'a self-rooted member is unaffected');
  assert.deepEqual(o.moderation.roots(F), { forum: F, only: null, blocked: [n.node.did] });
  // Only a key holding the ban capability may block a root: a member's attempt is refused.
  refusedWith(() => o.node.ingest(s.node.sign(buildForumAct(F, 'root-unblock', n.node.did))), 'unauthorized', /forum:ban/, "a member's unblock");

  // Unblocking restores them: new posts are taken, earlier ones are read again.
  o.moderation.unblockRoot(F, n.node.did);
  replicate(o, s, F);
  o.node.ingest(post(p.key, 'P back'));
  replicate(o, s, F);
  assert.deepEqual(texts(s, F), ['P back', 'P before', 'Q before', 'S before', 'S during']);

  // Only accounts under M's root: N's accounts are refused, S (self-rooted) still posts; listing N's root admits them again.
  const listed = o.moderation.roots(F, { only: [m.node.did] });
  assert.deepEqual([listed.only, listed.act?.about], [[m.node.did], m.node.did]);
  replicate(o, s, F);
  for (const node of [o, s])
    refusedWith(() => node.node.ingest(post(q.key, 'Q outside')), 'wrong-root', /admits only accounts under/, "Q's post under an unlisted root");
  fromS('S listed');
  assert.ok(texts(o, F).includes('S listed'));
  await assert.rejects(async () => s.moderation.roots(F, { only: [] }), /only the forum.s owner/);
  o.moderation.roots(F, { only: [m.node.did, n.node.did] });
  replicate(o, s, F);
  s.node.ingest(post(q.key, 'Q listed'));
  assert.equal(o.moderation.roots(F, { only: [] }).only, null, 'an empty list admits any root again');
  // A list that names no did:keys is refused, even signed by the forum's root.
  const bad = { ...buildForumAct(F, 'roots', '', { roots: [] }), kithRoots: ['not a root'] };
  refusedWith(() => o.node.ingest(signDocument(bad, new ForumKeys(o.node.home).key(F))), 'malformed', undefined, 'a roots act naming no did:key');

  // The log holds each act, each a signed object kith verify's check accepts.
  const log = o.moderation.log(F);
  assert.deepEqual(
    log.map((a) => a.kind).filter((k) => k !== 'admit' && k !== 'moderator-add'),
    ['root-block', 'root-unblock', 'roots', 'roots', 'roots'],
  );
  for (const a of log) assert.equal(o.node.check(a.document).id, a.id);
});
