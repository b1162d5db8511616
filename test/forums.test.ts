import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actorId } from '../src/core/apid.js';
import { issueCertificate } from '../src/core/certificate.js';
import { readKeyFile } from '../src/store/keyfile.js';
import { ForumKeys } from '../src/node/forum-keys.js';
import { ForumActing } from '../src/node/forum-acting.js';
import { ForumModeration } from '../src/node/forum-moderation.js';
import { NetworkLink } from '../src/node/network-link.js';
import { silentLogger } from '../src/core/log.js';
import { buildForumAct, buildForumPost, FORUM_POST } from '../src/core/forum.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import type { Did, JsonObject } from '../src/core/types.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { InboxIntake } from '../src/node/inbox-intake.js';
import { forumPerson, rawCertificate, replicate } from './forum-fixtures.js';
import { refusedWith, tempDir, waitFor } from './helpers.js';

/**
 * The forum's acceptance rules on real stores with no network: what one
 * node stores of the forum's scope is handed to another's ingest as a sync
 * would hand it. Each refusal carries its code and changes nothing stored.
 */

const DAY = 24 * 3600_000;

const person = (): KithService => forumPerson('kith-forum-');

function objects(s: KithService): number {
  return s.node.store.db.prepare('SELECT COUNT(*) FROM objects').pluck().get() as number;
}

/** The owner node's renewal pass as it would run at `at`. */
function renewalsAt(s: KithService, at: number): number {
  return new ForumModeration(new ForumActing(s.node, new NetworkLink(), new ForumKeys(s.node.home), silentLogger, () => at)).renew();
}

/** A forum post signed with `s`'s person key, as its node would sign it. */
function postBy(s: KithService, forum: Did, text: string): JsonObject {
  return s.node.sign(buildForumPost(forum, text));
}

test('forum acceptance: chains from the root, bans, revoked moderators, and what a host admin cannot do', async () => {
  const o = person();
  const m = person();
  const x = person();
  const h = person();
  const view = o.forums.create('Gardening', 'open');
  const F = view.forum;
  assert.equal(view.role, 'owner');

  // X joins: the Join goes through the inbox to the forum's owner node, which certifies at once (open forum).
  replicate(o, x, F);
  const joined = await x.forums.join(F);
  assert.equal(joined.status, 'requested');
  const row = x.node.store.outgoing.list().find((r) => r.recipient === F);
  assert.ok(row, 'the Join waits for delivery to the forum');
  new InboxIntake(o.node).receive(row.body);
  await waitFor('the owner node admits X', () => o.forums.members(F).some((mem) => mem.did === x.node.did));
  replicate(o, x, F);
  assert.equal(x.forums.view(F).role, 'member');

  // M becomes a moderator; everyone's posts reach the others.
  o.moderation.moderatorAdd(F, m.node.did);
  replicate(o, m, F);
  x.forums.post(F, 'hello from X');
  m.forums.post(F, 'hello from M');
  o.forums.post(F, 'hello from O');
  for (const s of [x, m]) replicate(s, o, F);
  replicate(o, h, F);
  for (const s of [o, h])
    assert.deepEqual(
      s.forums
        .read(F)
        .map((p) => p.text)
        .sort(),
      ['hello from M', 'hello from O', 'hello from X'],
    );
  const roles = Object.fromEntries(o.forums.members(F).map((mem) => [mem.did, mem.role]));
  assert.deepEqual(roles, { [o.node.did]: 'owner', [m.node.did]: 'moderator', [x.node.did]: 'member' });

  // H's admin holds nothing of the forum: posting as it, admitting, banning, certifying are each refused.
  const before = objects(o);
  refusedWith(() => o.node.ingest(postBy(h, F, 'I am the forum now')), 'wrong-key', undefined, 'a post by the host admin');
  refusedWith(() => o.node.ingest(h.node.sign(buildForumAct(F, 'admit', h.node.did))), 'wrong-key', undefined, 'an admit by the host admin');
  refusedWith(() => o.node.ingest(h.node.sign(buildForumAct(F, 'ban', x.node.did))), 'wrong-key', undefined, 'a ban by the host admin');
  const hostCert = rawCertificate(readKeyFile(h.node.home.identityKey), { subject: x.node.did, resource: actorId(F) });
  refusedWith(() => o.node.ingest(hostCert), 'widened', undefined, 'a certificate the host admin signs over the forum');
  await assert.rejects(async () => h.moderation.approve(F, x.node.did), /holds no certificate/);
  assert.equal(objects(o), before, 'nothing the host admin tried is stored');

  // M bans X. X's new posts are refused wherever the ban is known, with nothing stored.
  const earlier = x.forums.read(F).find((p) => p.text === 'hello from X')!;
  m.moderation.ban(F, x.node.did);
  replicate(m, o, F);
  // On the owner's node the ban becomes the root's revocations of every certificate X holds in the forum.
  await waitFor('the root to revoke X', () =>
    o.node.store.forums.certificatesUnder(F, x.node.did).every((c) => o.node.store.forums.revokedByRoot(F, c.digest)),
  );
  replicate(o, h, F);
  const afterBan = postBy(x, F, 'still here?');
  for (const s of [o, h, m]) {
    const n = objects(s);
    refusedWith(() => s.node.ingest(afterBan), 'revoked', /banned|revoked it/, 'a post by X after the ban');
    assert.equal(objects(s), n);
  }
  assert.ok(o.forums.members(F).find((mem) => mem.did === x.node.did)?.banned);
  // Six days on, the owner's node renews memberships about to run out, but not a banned member's.
  const certsOfX = () => o.node.store.forums.certificatesOf(F, F, x.node.did).length;
  const held = certsOfX();
  renewalsAt(o, Date.now() + 6 * DAY);
  assert.equal(certsOfX(), held, 'no renewal for a banned member');
  // The owner hides X's earlier post; readers leave it out.
  o.moderation.hide(F, earlier.id);
  assert.ok(!o.forums.read(F).some((p) => p.id === earlier.id));

  // A forged chain: X passes on a membership it may not pass on, naming M's certificate as its parent.
  const y = generateKeyPair();
  const yDid = didFromPublicKey(y.publicKey);
  const modCert = o.node.store.authority.chains(m.node.did, F, 8)[0]!.at(-1)!;
  o.node.ingest(rawCertificate(readKeyFile(x.node.home.identityKey), { subject: yDid, resource: actorId(F), parent: modCert.digest }));
  refusedWith(() => o.node.ingest(signDocument(buildForumPost(F, 'forged'), y)), 'forged', undefined, 'a post under a forged link');

  // An expired membership.
  const z = generateKeyPair();
  const zDid = didFromPublicKey(z.publicKey);
  const old = issueCertificate(
    new ForumKeys(o.node.home).key(F),
    { subject: zDid, capability: [FORUM_POST], resource: actorId(F), expires: Date.now() - DAY },
    { now: Date.now() - 10 * DAY },
  );
  o.node.ingest(old.doc as JsonObject);
  refusedWith(() => o.node.ingest(signDocument(buildForumPost(F, 'too late'), z)), 'expired', undefined, 'a post under an expired certificate');

  // The owner removes M; M then admits W: W's posts and M's later acts are refused; M's ban stands.
  // A revocation's cut-off is a whole second (rounded down): M's acts above were made in an earlier one.
  const next = Math.floor(Date.now() / 1000) * 1000 + 1000;
  await waitFor('the next whole second', () => Date.now() >= next);
  o.moderation.moderatorRemove(F, m.node.did);
  const w = generateKeyPair();
  const wDid = didFromPublicKey(w.publicKey);
  const late = m.node.certifyUnder({ subject: wDid, capability: [FORUM_POST], resource: actorId(F), expires: Date.now() + DAY, parent: modCert });
  o.node.ingest(late.doc as JsonObject);
  refusedWith(
    () => o.node.ingest(signDocument(buildForumPost(F, 'let in late'), w)),
    'revoked',
    undefined,
    'a post under a certificate a revoked moderator issued',
  );
  refusedWith(() => o.node.ingest(m.node.sign(buildForumAct(F, 'unban', x.node.did))), 'revoked', undefined, 'an act of a revoked moderator');
  assert.ok(o.node.store.forums.banned(F, x.node.did), 'the ban M made before its removal stands');

  // The log: every act, each a signed object that kith verify's check accepts.
  const log = o.moderation.log(F);
  assert.deepEqual(
    log.map((a) => a.kind),
    ['admit', 'moderator-add', 'ban', 'hide', 'moderator-remove'],
  );
  for (const a of log) assert.equal(o.node.check(a.document).id, a.id);

  // The owner unbans X: X is certified again and may post.
  o.moderation.unban(F, x.node.did);
  replicate(o, x, F);
  o.node.ingest(postBy(x, F, 'back again'));
  const reinstated = certsOfX();
  renewalsAt(o, Date.now() + 6 * DAY);
  assert.equal(certsOfX(), reinstated + 1, 'a member in good standing is renewed before the certificate runs out');
  assert.ok(o.forums.read(F).some((p) => p.text === 'back again'));
  for (const s of [o, m, x, h]) s.close();
});

test('forum joins by approval and by one-time invitation', async () => {
  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (line: string) => void warnings.push(line) };
  const o = new KithService(KithNode.init(tempDir('kith-forum-')).node, { log });
  const x = person();
  const y = person();
  const m = person();
  /** Hands the Join that `s` queued for `recipient` to `to`'s inbox intake, as the network would. */
  const deliverJoin = (s: KithService, recipient: Did, to: KithService = o): void => {
    const row = s.node.store.outgoing.list().find((r) => r.recipient === recipient);
    assert.ok(row, `a Join waits for delivery to ${recipient}`);
    new InboxIntake(to.node).receive(row.body);
    s.node.store.db.prepare('DELETE FROM outgoing_deliveries WHERE recipient = ?').run(recipient);
  };

  // By approval: the request reaches the owner's node and the moderators', and waits until one answers.
  const A = o.forums.create('Quiet room', 'approval').forum;
  o.moderation.moderatorAdd(A, m.node.did);
  replicate(o, x, A);
  replicate(o, m, A);
  await x.forums.join(A);
  deliverJoin(x, A);
  deliverJoin(x, m.node.did, m);
  await waitFor('the request to be queued on both', () => o.moderation.requests(A).length === 1 && m.moderation.requests(A).length === 1);
  assert.equal(m.moderation.requests(A)[0]!.did, x.node.did);
  assert.ok(!o.forums.members(A).some((mem) => mem.did === x.node.did), 'not a member before the answer');
  // The moderator answers: a certificate it passes on under its own, and the act; the owner's queue empties when they arrive.
  m.moderation.approve(A, x.node.did);
  assert.deepEqual(m.moderation.requests(A), []);
  replicate(m, o, A);
  assert.deepEqual(o.moderation.requests(A), []);
  replicate(o, x, A);
  assert.equal(x.forums.view(A).role, 'member');

  // By invitation: a request without a token is refused at once; a token admits once.
  const I = o.forums.create('Back room', 'invitation').forum;
  replicate(o, x, I);
  replicate(o, y, I);
  await assert.rejects(
    () => x.forums.join(I),
    (e: unknown) => e instanceof Error && /invitation only/.test(e.message),
  );
  const { token } = o.forums.invite(I);
  await x.forums.join(I, { token });
  deliverJoin(x, I);
  await waitFor('X admitted by the invitation', () => o.forums.members(I).some((m) => m.did === x.node.did));
  // The same token again, by someone else: used already, so Y is not admitted.
  await y.forums.join(I, { token });
  deliverJoin(y, I);
  await waitFor('the second use to be turned down', () => warnings.some((w) => w.includes(y.node.did) && /used already/.test(w)));
  assert.ok(!o.forums.members(I).some((m) => m.did === y.node.did));
  assert.deepEqual(o.moderation.requests(I), []);
  // The owner's node moves: its forums' Group actors list the new address, where join requests go.
  const moved = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWGzh3M6mHC2HvsfYp9E5LGrBVS2Jm1D6o8yNmqtR2Pf6S';
  o.node.publishEndpoints([moved]);
  assert.equal(o.forums.refreshEndpoints(), 2);
  assert.equal(o.forums.refreshEndpoints(), 0, 'no new version when nothing changed');
  const group = o.node.show(actorId(I))!;
  assert.deepEqual((group.endpoints as JsonObject).kithPeers, [moved]);
  for (const s of [o, x, y, m]) s.close();
});
