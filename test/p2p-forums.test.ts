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

/**
 * A forum across real node processes on 127.0.0.1: F owned by O, hosted by
 * H (another person's node), moderated by M, with members X and Y. Posts
 * reach every node; M bans X, and from then on every node refuses what X's
 * key signs, Y too, which was offline during the ban and learns it when it
 * reconciles. H's admin can act in no one's name. The log lists every act,
 * and `kith verify` accepts each.
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

test('a forum across five nodes: posts reach everyone, a ban holds everywhere, the host acts for no one', { timeout: 240_000 }, async () => {
  const names = ['o', 'h', 'm', 'x', 'y'] as const;
  const homes = Object.fromEntries(names.map((n) => [n, tempDir(`kith-forum-${n}-`)])) as Record<(typeof names)[number], string>;
  const running: NodeProcess[] = [];
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
  } finally {
    await Promise.all(running.map((n) => n.stop()));
  }
});
