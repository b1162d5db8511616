import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readKeyFile } from '../src/store/keyfile.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { postOf } from '../src/node/reading.js';
import { newestVersion } from '../src/node/post-versions.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { actorId, followersId } from '../src/core/apid.js';
import { tempDir } from './helpers.js';
import { pairDevice } from './device-client.js';
import { kithJson, startNode, eventually, type NodeProcess } from './node-process.js';

/**
 * Inbox delivery between three real node processes on 127.0.0.1. A posts; B
 * follows A (so keeps A's scope); C follows A, and A does not follow C. C
 * replies to A, mentions A and likes A's post: A is notified of all three. Then A stops, C
 * replies again: B holds it, sealed to A; A starts, gets it from B, and
 * nothing in B's home ever holds the reply's text.
 */

/** Every file under a folder, with its bytes. */
function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [{ path, bytes: readFileSync(path) }];
  });
}

function assertNowhere(dir: string, text: string): void {
  for (const f of filesUnder(dir)) assert.equal(f.bytes.indexOf(text), -1, `the plain text is in ${f.path}`);
}

test(
  'three nodes: replies, mentions, likes (and follows) reach a stranger\u2019s node, and wait sealed with a follower while away',
  { timeout: 180_000 },
  async () => {
    const homes = { a: tempDir('kith-ia-'), b: tempDir('kith-ib-'), c: tempDir('kith-ic-') };
    const running: NodeProcess[] = [];
    // Polled in this process, as `kith notifications` reads them (the store of a running node, beside it); the command itself once at the end.
    // The text is the post's: the reply or mention itself, or for a like the owner's post it is about.
    const notificationsOf = async (home: string): Promise<{ kind: string; from: string; name: string | null; text: string | null }[]> => {
      const service = KithService.open(home);
      try {
        return service.reading.notifications({ limit: 50 }).items.map((i) => {
          const note = i.target === null ? postOf(i.object) : newestVersion(service.node.store, i.target)?.note;
          const source = note?.source as { content?: string } | undefined;
          return { kind: i.kind, from: i.by.did, name: i.by.name, text: source?.content ?? null };
        });
      } finally {
        service.close();
      }
    };
    try {
      // Made here rather than by `kith init` and `kith post`: the same code, without a process each on a busy machine.
      // C names itself; A, which does not follow C, learns the name from C's actor document, carried with each delivery.
      const made = [homes.a, homes.b, homes.c].map((h) => KithNode.init(h, h === homes.c ? { profile: { name: 'Cee' } } : {}).node);
      const [a, b, c] = [made[0]!, made[1]!, made[2]!];
      const question = a.post({ text: 'A asks: who is there?' });
      for (const n of made) n.close();

      let nodeA = await startNode(homes.a);
      running.push(nodeA);
      const nodeB = await startNode(homes.b, ['--bootstrap', nodeA.info.addresses[0]!]);
      running.push(nodeB);
      await kithJson(homes.b, ['follow', nodeA.info.addresses[0]!]);
      const nodeC = await startNode(homes.c, ['--bootstrap', nodeB.info.addresses[0]!]);
      running.push(nodeC);
      const followed = await kithJson(homes.c, ['follow', nodeA.info.addresses[0]!]);
      assert.ok(
        followed.synced.some((s: { peer: string; ok: boolean }) => s.ok && s.peer === nodeB.info.peerId),
        'C learned that B keeps A\u2019s scope',
      );

      // C replies (through `kith post`) and mentions A (an activity signed with C's key, taken by C's owner API).
      await kithJson(homes.c, ['post', '--reply-to', question.noteId, 'C answers: me!']);
      const device = await pairDevice(homes.c, nodeC.info.api);
      const key = readKeyFile(join(homes.c, 'identity.key'));
      assert.equal(didFromPublicKey(key.publicKey), c.did);
      const mention = signDocument(
        buildCreate(
          c.did,
          buildNote(c.did, { text: 'C mentions A', tag: [{ type: 'Mention', href: actorId(a.did) }], cc: [followersId(c.did), actorId(a.did)] }),
        ),
        key,
      );
      const accepted = await device.call('POST', '/api/outbox', mention);
      assert.equal(accepted.status, 201, JSON.stringify(accepted.body));

      // And likes A's post, though A does not follow C: A hears of it all the same.
      const liked = await kithJson(homes.c, ['like', question.noteId]);
      assert.equal(liked.concerns, a.did);

      const got = await eventually(
        'A to be notified of C\u2019s reply, mention and like, and of B\u2019s and C\u2019s follows',
        () => notificationsOf(homes.a),
        (n) => n.length >= 5,
        30_000,
      );
      // Newest first: exactly these, in the order they were done, the last first (B and C followed A before C spoke).
      const who = (did: string): string => (did === c.did ? 'C' : did === b.did ? 'B' : did);
      assert.deepEqual(
        got.map((i) => [i.kind, who(i.from)]),
        [
          ['like', 'C'],
          ['mention', 'C'],
          ['reply', 'C'],
          ['follow', 'C'],
          ['follow', 'B'],
        ],
      );
      assert.deepEqual(
        got.map((i) => i.text),
        ['A asks: who is there?', 'C mentions A', 'C answers: me!', null, null],
      );
      assert.ok(
        got.filter((i) => i.from === c.did).every((i) => i.name === 'Cee'),
        'each says who it is from by the name C gave itself',
      );

      // A goes away; C replies again. B, which keeps A's scope, holds it sealed to A.
      assert.equal(await nodeA.stop(), 0);
      running.splice(running.indexOf(nodeA), 1);
      const marker = 'C-WHILE-A-WAS-AWAY: the plain text a holder must never see';
      await kithJson(homes.c, ['post', '--reply-to', question.noteId, marker]);
      await nodeB.waitForLog(/inbox: holding a sealed delivery/, 30_000);
      await nodeC.waitForLog(/inbox: delivery to \S+ held by 1 peer/, 30_000);
      assertNowhere(homes.b, marker);

      // A comes back, meets B, and takes in what B held.
      nodeA = await startNode(homes.a, ['--bootstrap', nodeB.info.addresses[0]!]);
      running.push(nodeA);
      const after = await eventually(
        'A to get the held reply from B',
        () => notificationsOf(homes.a),
        (n) => n.some((i) => i.text === marker),
        30_000,
      );
      assert.equal(after.find((i) => i.text === marker)?.kind, 'reply');
      await nodeB.waitForLog(/inbox: handed 1 held delivery/, 30_000);
      assertNowhere(homes.b, marker);

      // `kith notifications --json`, newest first: who, what, when.
      const listed = await kithJson(homes.a, ['notifications']);
      assert.deepEqual(
        listed.items.map((i: { kind: string; from: string; text: string }) => [i.kind, i.from, i.text]),
        [['reply', c.did, marker], ...got.map((i) => [i.kind, i.from, i.text])],
      );
      assert.ok(listed.items.every((i: { at: string }) => !Number.isNaN(Date.parse(i.at))));
    } catch (e) {
      for (const n of running)
        console.error(
          `---- ${n.home}\n${n
            .log()
            .split('\n')
            .filter((l) => /inbox|connected|identif/.test(l))
            .join('\n')}`,
        );
      throw e;
    } finally {
      await Promise.all(running.map((n) => n.stop()));
      for (const h of Object.values(homes)) rmSync(h, { recursive: true, force: true });
    }
  },
);
