import '../src/cli/polyfills.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, waitFor } from './helpers.js';
import { kith, kithJson, startNode, type NodeProcess } from './node-process.js';
import { probe } from './store-probe.js';
import { outboxId } from '../src/core/apid.js';
import { buildForumAct, buildForumPost } from '../src/core/forum.js';
import { signDocument } from '../src/core/proof.js';
import { readKeyFile } from '../src/store/keyfile.js';
import type { Did, JsonObject } from '../src/core/types.js';
import { KithError } from '../src/core/errors.js';
import { KithNode } from '../src/node/kith-node.js';
import { multiaddr } from '@multiformats/multiaddr';
import { actorId } from '../src/core/apid.js';
import { issueCertificate } from '../src/core/certificate.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { generateKeyPair, type Ed25519KeyPair } from '../src/core/ed25519.js';
import { FORUM_POST } from '../src/core/forum.js';
import { digestOf } from '../src/core/proof.js';
import type { KithHost } from '../src/net/host.js';
import { ForumKeys } from '../src/node/forum-keys.js';
import { homePaths } from '../src/node/home.js';
import { topicOf } from '../src/node/live-push.js';
import { rawCertificate } from './forum-fixtures.js';
import { loopbackHost } from './net-helpers.js';

/**
 * A forum across real node processes on 127.0.0.1: F owned by O, hosted by
 * H (another person's node), moderated by M, with members X and Y. Posts
 * reach every node; M bans X, and from then on every node refuses what X's
 * key signs, Y too, which was offline during the ban and learns it when it
 * reconciles. H's admin can act in no one's name. The log lists every act,
 * and `kith verify` accepts each.
 *
 * Then O removes M, and a rogue peer (a libp2p host built from the
 * project's own net code, in this process, no node of the forum) pushes on
 * the forum's live topic three certificates that grant nothing and a post
 * relying on each: a link X forges under M's certificate, a certificate of
 * the forum's root that has expired, and one M issues after its removal.
 * Every node keeps the certificates (signed statements, inert) and refuses
 * each post with its code (`forged`, `expired`, `revoked`), counted in
 * `kith status` and stored nowhere; only the forged one is held against the
 * rogue, and no node holds anything against another that relayed. The
 * same refusals in one process, with the sync path: test/forums.test.ts.
 */

/** What `kith verify` says of a document on a node's store: the command itself. */
async function verified(home: string, doc: JsonObject): Promise<{ valid: boolean; code?: string }> {
  const file = join(tempDir('kith-forum-doc-'), 'doc.json');
  writeFileSync(file, JSON.stringify(doc));
  const r = await kith(home, ['verify', file, '--json']);
  return JSON.parse(r.stdout) as { valid: boolean; code?: string };
}

/**
 * The same check `kith verify` runs (KithNode.check: proof, shape, and the
 * chain and bans as that node's store knows them), here in the test's
 * process over the running node's store, for the many documents checked on
 * every node (a process each would cost seconds).
 */
function verdict(home: string, doc: JsonObject): { valid: boolean; code?: string } {
  const node = KithNode.open(home);
  try {
    node.check(doc);
    return { valid: true };
  } catch (e) {
    if (!(e instanceof KithError)) throw e;
    return { valid: false, code: e.code };
  } finally {
    node.close();
  }
}

const POSTS_IN = `SELECT COUNT(*) FROM objects o JOIN scopes s ON s.n = o.scope WHERE s.name = ? AND o.type = 'Create' AND o.id LIKE '%/actor/posts/%'`;
const CERTIFIED = 'SELECT COUNT(DISTINCT subject) FROM certificates WHERE root = ? AND subject IN (SELECT value FROM json_each(?))';
const BANS = "SELECT COUNT(*) FROM forum_acts WHERE forum = ? AND kind = 'ban' AND about = ?";
const REVOKED_BY_ROOT =
  'SELECT COUNT(*) FROM revocations r JOIN certificates c ON c.digest = r.certificate WHERE r.issuer = ? AND c.issuer = r.issuer AND c.subject = ?';
const HELD = 'SELECT COUNT(*) FROM objects WHERE lower(hex(digest)) IN (SELECT value FROM json_each(?))';
const REFUSALS = 'SELECT COALESCE((SELECT count FROM refusals WHERE code = ?), 0)';
const DAY = 24 * 3600_000;

/** What `kith status --json` counts as refused, by code. */
function refusedOf(status: { refused: { code: string; count: number }[] }): Record<string, number> {
  return Object.fromEntries(status.refused.map((r) => [r.code, r.count]));
}

/** The node's loopback TCP address (startNode listens on 127.0.0.1 only). */
function loopbackAddr(n: NodeProcess): string {
  const a = n.info.addresses.find((x) => x.startsWith('/ip4/127.0.0.1/tcp/') && !x.includes('/ws'));
  assert.ok(a, `the node listens on loopback: ${n.info.addresses.join(' ')}`);
  return a;
}

test(
  'a forum across five nodes: posts reach everyone, a ban holds everywhere, the host acts for no one, what grants nothing is refused',
  { timeout: 600_000 },
  async () => {
    const names = ['o', 'h', 'm', 'x', 'y'] as const;
    const homes = Object.fromEntries(names.map((n) => [n, tempDir(`kith-forum-${n}-`)])) as Record<(typeof names)[number], string>;
    const running: NodeProcess[] = [];
    let rogue: KithHost | undefined;
    try {
      const did = {} as Record<(typeof names)[number], Did>;
      const inits = await Promise.all(names.map((n) => kithJson(homes[n], ['init'])));
      names.forEach((n, i) => (did[n] = inits[i].did as Did));
      const nodeO = await startNode(homes.o);
      running.push(nodeO);
      const via = nodeO.info.addresses[0]!;
      const created = await kithJson(homes.o, ['forum', 'create', 'Town square']);
      const F = created.forum as string;
      const nodes = { o: nodeO } as Record<(typeof names)[number], NodeProcess>;
      const others = ['h', 'm', 'x', 'y'] as const;
      const started = await Promise.all(others.map((n) => startNode(homes[n], ['--bootstrap', via])));
      others.forEach((n, i) => (nodes[n] = started[i]!));
      running.push(...started);

      // H keeps and serves the forum; M, X and Y ask to join (an open forum: O's node certifies each on arrival).
      assert.equal((await kithJson(homes.h, ['forum', 'host', F, '--via', via])).role, 'host');
      await Promise.all((['m', 'x', 'y'] as const).map((n) => kithJson(homes[n], ['forum', 'join', F, '--via', via])));
      await kithJson(homes.o, ['forum', 'moderator', 'add', F, did.m]);
      await waitFor('O to certify M, X and Y', () => probe(homes.o, CERTIFIED, F, JSON.stringify([did.m, did.x, did.y])) === 3, 60_000);
      const roles = await kithJson(homes.o, ['forum', 'members', F]);
      const role = (d: Did) => (roles.members as { did: string; role: string }[]).find((m) => m.did === d)?.role;
      assert.deepEqual([role(did.o), role(did.m), role(did.x), role(did.y)], ['owner', 'moderator', 'member', 'member']);
      for (const n of ['m', 'x', 'y'] as const) {
        await waitFor(`${n} to hold its membership`, () => probe(homes[n], CERTIFIED, F, JSON.stringify([did[n]])) === 1, 60_000);
      }
      const lists = await Promise.all((['m', 'x', 'y'] as const).map((n) => kithJson(homes[n], ['forum', 'list'])));
      assert.deepEqual(
        lists.map((l) => l.forums.map((f: { role: string }) => f.role)),
        [['member'], ['member'], ['member']],
      );

      // Posts reach everyone, by live push or by the next reconciliation.
      await Promise.all((['x', 'm', 'y'] as const).map((n) => kithJson(homes[n], ['forum', 'post', F, `hello from ${n}`])));
      for (const n of names) await waitFor(`${n} to hold every post`, () => probe(homes[n], POSTS_IN, outboxId(F as Did)) === 3, 60_000);
      const reads = await Promise.all(names.map((n) => kithJson(homes[n], ['forum', 'read', F])));
      for (const r of reads) assert.deepEqual(r.posts.map((p: { text: string }) => p.text).sort(), ['hello from m', 'hello from x', 'hello from y']);

      // H's admin cannot post, admit or ban: refused on H itself and by every other node.
      const hostKey = readKeyFile(join(homes.h, 'identity.key'));
      const asHost = [signDocument(buildForumPost(F as Did, 'the host speaks'), hostKey), signDocument(buildForumAct(F as Did, 'ban', did.x), hostKey)];
      for (const doc of asHost) for (const n of names) assert.equal(verdict(homes[n], doc).code, 'wrong-key', `${n} refuses what the host admin signs`);
      const tries = await Promise.all(
        [
          ['ban', F, did.x],
          ['approve', F, did.y],
          ['post', F, 'as the host'],
        ].map((args) => kith(homes.h, ['forum', ...args, '--json'])),
      );
      assert.deepEqual(
        tries.map((r) => JSON.parse(r.stdout).error.code),
        ['wrong-key', 'unauthorized', 'wrong-key'],
      );

      // Y goes offline; M bans X. Every running node learns the ban; X's own node refuses to post.
      await nodes.y.stop();
      running.splice(running.indexOf(nodes.y), 1);
      const xKey = readKeyFile(join(homes.x, 'identity.key'));
      const beforeBan = signDocument(buildForumPost(F as Did, 'signed before the ban reached anyone'), xKey);
      assert.equal(verdict(homes.y, beforeBan).valid, true, 'Y, offline, still takes X');
      await kithJson(homes.m, ['forum', 'ban', F, did.x]);
      for (const n of ['o', 'h', 'm', 'x'] as const) await waitFor(`${n} to know the ban`, () => probe(homes[n], BANS, F, did.x) === 1, 60_000);
      const listed = await kithJson(homes.o, ['forum', 'members', F]);
      assert.ok(
        listed.members.some((m: { did: string; banned: boolean }) => m.did === did.x && m.banned),
        'O lists X as banned',
      );
      const refused = await kith(homes.x, ['forum', 'post', F, 'am I still here?', '--json']);
      assert.equal(refused.code, 1);
      assert.equal(JSON.parse(refused.stdout).error.code, 'revoked');
      const afterBan = signDocument(buildForumPost(F as Did, 'after the ban'), xKey);
      for (const n of ['o', 'h', 'm', 'x'] as const) assert.equal(verdict(homes[n], afterBan).code, 'revoked', `${n} refuses X's new post`);

      // Y comes back, reconciles, and refuses X's new posts too.
      nodes.y = await startNode(homes.y, ['--bootstrap', via]);
      running.push(nodes.y);
      await waitFor('Y to learn the ban', () => probe(homes.y, BANS, F, did.x) === 1, 60_000);
      assert.equal(verdict(homes.y, afterBan).code, 'revoked');

      // The log: every act, each a signed object that kith verify accepts on the owner's node and on the host.
      const log = await kithJson(homes.o, ['forum', 'log', F]);
      assert.deepEqual(log.acts.map((a: { kind: string }) => a.kind).sort(), ['admit', 'admit', 'admit', 'ban', 'moderator-add']);
      const onOwner = await Promise.all((log.acts as { document: JsonObject }[]).map((a) => verified(homes.o, a.document)));
      assert.deepEqual(
        onOwner.map((v) => v.valid),
        [true, true, true, true, true],
        'kith verify on the owner\u2019s node',
      );
      for (const a of log.acts as { document: JsonObject }[]) assert.equal(verdict(homes.h, a.document).valid, true, 'and on the host');

      // The owner removes M; every node learns it.
      const mCerts = probe(homes.o, 'SELECT COUNT(*) FROM certificates WHERE issuer = ? AND subject = ?', F, did.m);
      await kithJson(homes.o, ['forum', 'moderator', 'remove', F, did.m]);
      for (const n of names) await waitFor(`${n} to know M is removed`, () => probe(homes[n], REVOKED_BY_ROOT, F, did.m) === mCerts, 60_000);

      // A rogue peer (a libp2p host of the project's own, no node of the forum) pushes on the forum's topic three
      // certificates that grant nothing, each with a post relying on it, as anyone who can reach the nodes may.
      const modCert = probe(homes.o, 'SELECT digest FROM certificates WHERE issuer = ? AND subject = ? ORDER BY expires DESC LIMIT 1', F, did.m);
      const [forgedKey, expiredKey, lateKey] = [generateKeyPair(), generateKeyPair(), generateKeyPair()];
      const rogueDid = (k: Ed25519KeyPair): Did => didFromPublicKey(k.publicKey);
      const bad = [
        // X passes on a grant it does not hold, naming M's certificate as its parent.
        { code: 'forged', key: forgedKey, cert: rawCertificate(xKey, { subject: rogueDid(forgedKey), resource: actorId(F as Did), parent: String(modCert) }) },
        // The forum's root certified this key once, for a window that has passed.
        {
          code: 'expired',
          key: expiredKey,
          cert: issueCertificate(
            new ForumKeys(homePaths(homes.o)).key(F as Did),
            { subject: rogueDid(expiredKey), capability: [FORUM_POST], resource: actorId(F as Did), expires: Date.now() - DAY },
            { now: Date.now() - 10 * DAY },
          ).doc as JsonObject,
        },
        // M, removed, still admits someone.
        {
          code: 'revoked',
          key: lateKey,
          cert: rawCertificate(readKeyFile(join(homes.m, 'identity.key')), {
            subject: rogueDid(lateKey),
            resource: actorId(F as Did),
            parent: String(modCert),
          }),
        },
      ].map((b) => ({ ...b, post: signDocument(buildForumPost(F as Did, `relying on a certificate that is ${b.code}`), b.key) }));
      const topic = topicOf(outboxId(F as Did));
      rogue = await loopbackHost();
      for (const n of names) await rogue.dial(multiaddr(loopbackAddr(nodes[n])), { signal: AbortSignal.timeout(10_000) });
      await waitFor(
        'every node to listen on the forum’s topic',
        () => names.every((n) => rogue!.services.pubsub.getSubscribers(topic).map(String).includes(nodes[n].info.peerId)),
        60_000,
      );
      const before = Object.fromEntries(await Promise.all(names.map(async (n) => [n, refusedOf(await kithJson(homes[n], ['status']))] as const)));
      for (const b of bad) assert.equal((await rogue.services.pubsub.publish(topic, Buffer.from(JSON.stringify(b.cert)))).recipients.length, names.length);
      // Each certificate is kept by every node as the signed statement it is; it grants nothing.
      const certDigests = JSON.stringify(bad.map((b) => digestOf(b.cert)));
      for (const n of names) await waitFor(`${n} to hold the certificates`, () => probe(homes[n], HELD, certDigests) === bad.length, 60_000);
      for (const b of bad) assert.equal((await rogue.services.pubsub.publish(topic, Buffer.from(JSON.stringify(b.post)))).recipients.length, names.length);
      const codes = bad.map((b) => b.code);
      for (const n of names) {
        await waitFor(`${n} to refuse the three posts`, () => codes.every((c) => probe(homes[n], REFUSALS, c) === (before[n]![c] ?? 0) + 1), 60_000);
      }
      // What each node says of it: refused once each with its code, none stored, none read.
      for (const n of names) {
        const after = refusedOf(await kithJson(homes[n], ['status']));
        assert.deepEqual(
          codes.map((c) => after[c]! - (before[n]![c] ?? 0)),
          [1, 1, 1],
          `${n} counts one refusal of each code`,
        );
        assert.equal(probe(homes[n], HELD, JSON.stringify(bad.map((b) => digestOf(b.post)))), 0, `${n} stores none of the posts`);
        assert.equal(probe(homes[n], POSTS_IN, outboxId(F as Did)), 3, `${n} holds the forum's three posts only`);
      }
      assert.deepEqual((await kithJson(homes.h, ['forum', 'read', F])).posts.map((p: { text: string }) => p.text).sort(), [
        'hello from m',
        'hello from x',
        'hello from y',
      ]);
      // The post under a forged link is the rogue's doing; expired and revoked are not (an honest peer may hold those
      // in good faith). No node holds anything against another node of the forum, which passed the certificates on.
      const forumPeers = names.map((n) => nodes[n].info.peerId);
      for (const n of names) {
        const lines = nodes[n].log().split('\n');
        assert.equal(lines.filter((l) => l.includes(`rejected gossip on ${topic} from ${rogue!.peerId.toString()}`)).length, 1, `${n} strikes the rogue once`);
        const against = lines.filter((l) => /rejected gossip|penalized/.test(l) && forumPeers.some((p) => l.includes(p)));
        assert.deepEqual(against, [], `${n} holds nothing against the forum's nodes`);
      }
    } finally {
      await rogue?.stop();
      await Promise.all(running.map((n) => n.stop()));
    }
  },
);
