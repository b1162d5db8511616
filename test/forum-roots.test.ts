import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildForumAct, buildForumPost } from '../src/core/forum.js';
import type { Ed25519KeyPair } from '../src/core/ed25519.js';
import { signDocument } from '../src/core/proof.js';
import type { Did, JsonObject } from '../src/core/types.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { ForumKeys } from '../src/node/forum-keys.js';
import { delegateKeyOf, hostAccount, type Hosted } from './hosted-account-pairing.js';
import { issueRevocation } from '../src/core/revocation.js';
import { refusedWith, rejectsWith, tempDir } from './helpers.js';
import { forumPerson, replicate } from './forum-fixtures.js';

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

/** A forum post as its node signs it for a hosted account, made outside the node's own checks: what a rogue node, or a leaked key, would send. */
const rogue = (forum: Did, key: Ed25519KeyPair, text: string, at = Date.now()): JsonObject =>
  signDocument(buildForumPost(forum, text, undefined, at), key, { created: new Date(at).toISOString() });

test('a forum blocks a node root: every account it vouches for is refused there on every node, self-rooted members are not; and it may admit only listed roots', async () => {
  const [o, n, s, m] = [person(), person(), person(), person()];
  const F = o.forums.create('Allotments', 'approval').forum;
  // N hosts P and Q. Neither O nor S follows them: what they learn of them comes with the forum.
  const p = await hostAccount(n, 'Grandma');
  const q = await hostAccount(n, 'Kid');
  const [kp, kq] = [delegateKeyOf(n, p), delegateKeyOf(n, q)];
  for (const did of [p.did, q.did, s.node.did]) o.moderation.approve(F, did);
  o.moderation.moderatorAdd(F, p.did);
  replicate(o, n, F);
  replicate(o, s, F);
  assert.equal(o.node.store.accountVouches.rootOf(p.did), undefined, 'O has seen nothing of P yet');

  // P's and Q's posts go through their node, signed with its key for them, as their devices ask it to.
  const viaN = async (a: Hosted, text: string): Promise<void> => {
    await n.accountForums.post(a.account(), F, text);
    replicate(n, o, F);
  };
  const fromS = (text: string): void => {
    s.forums.post(F, text);
    replicate(s, o, F);
  };
  await viaN(p, 'P before');
  await viaN(q, 'Q before');
  fromS('S before');
  replicate(o, s, F);
  assert.deepEqual(texts(s, F), ['P before', 'Q before', 'S before']);
  // The papers N put in the forum told O and S who vouches for P, and that N's key posts for P.
  for (const reader of [o, s]) {
    assert.equal(reader.node.store.accountVouches.rootOf(p.did), n.node.did);
    const authors = reader.forums.read(F).map((x) => `${x.text}: ${x.author}`);
    assert.ok(authors.includes(`P before: ${p.did}`) && authors.includes(`Q before: ${q.did}`), 'a post is its account\u2019s, not its node key\u2019s');
  }

  // F blocks N's root. On N, on the owner's node and on S's, P's and Q's new posts are refused; S's are not.
  const blocked = o.moderation.blockRoot(F, n.node.did);
  assert.equal(blocked.kind, 'root-block');
  replicate(o, s, F);
  replicate(o, n, F);
  await rejectsWith(n.accountForums.post(p.account(), F, 'P after'), 'blocked', /node root/, "N's post for P after the block");
  for (const node of [o, s]) {
    const before = objects(node);
    refusedWith(() => node.node.ingest(rogue(F, kp, 'P after')), 'blocked', /node root/, "P's post after the block");
    refusedWith(() => node.node.ingest(rogue(F, kq, 'Q after')), 'blocked', /node root/, "Q's post after the block");
    const ban = signDocument(buildForumAct(F, 'ban', s.node.did), kp);
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
  replicate(o, n, F);
  replicate(o, s, F);
  await viaN(p, 'P back');
  replicate(o, s, F);
  assert.deepEqual(texts(s, F), ['P back', 'P before', 'Q before', 'S before', 'S during']);

  // Only accounts under M's root: N's accounts are refused, S (self-rooted) still posts; listing N's root admits them again.
  const listed = o.moderation.roots(F, { only: [m.node.did] });
  assert.deepEqual([listed.only, listed.act?.about], [[m.node.did], m.node.did]);
  replicate(o, s, F);
  replicate(o, n, F);
  await rejectsWith(n.accountForums.post(q.account(), F, 'Q outside'), 'wrong-root', /admits only accounts under/, "N's post for Q under an unlisted root");
  for (const node of [o, s])
    refusedWith(() => node.node.ingest(rogue(F, kq, 'Q outside')), 'wrong-root', /admits only accounts under/, "Q's post under an unlisted root");
  fromS('S listed');
  assert.ok(texts(o, F).includes('S listed'));
  await assert.rejects(async () => s.moderation.roots(F, { only: [] }), /only the forum.s owner/);
  o.moderation.roots(F, { only: [m.node.did, n.node.did] });
  replicate(o, n, F);
  replicate(o, s, F);
  await viaN(q, 'Q listed');
  replicate(o, s, F);
  assert.ok(texts(s, F).includes('Q listed'));
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

test("a hosted account's publish certificate revoked or run out: its node's posts for it are refused on every node that keeps the forum", async () => {
  const DAY = 24 * 3600_000;
  const [o, n, s] = [person(), person(), person()];
  // X keeps the forum on a clock two days ahead, where R's short publish certificate has run out.
  const x = new KithService(KithNode.init(tempDir('kith-forum-roots-'), { ingest: { now: () => Date.now() + 2 * DAY } }).node);
  const F = o.forums.create('Choir', 'approval').forum;
  const p = await hostAccount(n, 'Grandma');
  const r = await hostAccount(n, 'Lodger', undefined, Date.now() + DAY);
  const [kp, kr] = [delegateKeyOf(n, p), delegateKeyOf(n, r)];
  for (const did of [p.did, r.did, s.node.did]) o.moderation.approve(F, did);
  replicate(o, n, F);
  await n.accountForums.post(p.account(), F, 'P first');
  await n.accountForums.post(r.account(), F, 'R first');
  for (const [from, to] of [
    [n, o],
    [o, s],
    [o, x],
  ] as const)
    replicate(from, to, F);
  for (const reader of [o, s, x]) assert.deepEqual(texts(reader, F), ['P first', 'R first']);

  // P's device revokes the certificate letting N's key post for it. N refuses to post for P, and the papers it puts in the forum carry the revocation.
  // Its cut-off is the next second (a cut-off is whole seconds): what P posted just now, in this one, stays.
  const revocation = issueRevocation(p.key, { certificate: p.publishDigest }, { from: Date.now() + 1000 });
  await n.accounts.revoke(p.account(), revocation.doc);
  await rejectsWith(n.accountForums.post(p.account(), F, 'P after'), 'revoked', undefined, "N's post for P after the revocation");
  for (const [from, to] of [
    [n, o],
    [o, s],
  ] as const)
    replicate(from, to, F);
  for (const node of [o, s]) {
    const before = objects(node);
    refusedWith(() => node.node.ingest(rogue(F, kp, 'P after')), 'revoked', /revoked it/, "N's key posting for P after the revocation");
    assert.equal(objects(node), before, 'nothing refused is stored');
    assert.deepEqual(texts(node, F), ['P first', 'R first'], 'what P posted before the revocation stands');
  }

  // R's certificate ran out a day from now: on X's clock a post claiming a time after it is refused, one before it still read.
  const late = Date.now() + DAY + 3600_000;
  refusedWith(() => x.node.ingest(rogue(F, kr, 'R late', late)), 'expired', /expired at/, "N's key posting for R after its certificate ran out");
  assert.deepEqual(texts(x, F), ['P first', 'R first']);

  // A self-rooted member is unaffected throughout.
  s.forums.post(F, 'S still here');
  replicate(s, o, F);
  assert.ok(texts(o, F).includes('S still here'));
});
