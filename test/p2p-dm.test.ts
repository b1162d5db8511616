import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { KithNode } from '../src/node/kith-node.js';
import { homePaths } from '../src/node/home.js';
import { runningNode } from '../src/cli/control-client.js';
import { filesUnder, tempDir } from './helpers.js';
import { eventually, kithJson, startNode, type NodeProcess } from './node-process.js';

/**
 * Direct messages between three real node processes on 127.0.0.1, with the
 * commands people type. A writes to B and D, who do not follow A: the key and
 * the message reach their nodes through the inbox. B answers, threaded; A and
 * D read it. A removes D and writes again: B reads it, and nothing of it is
 * sent to D, whose node still holds only the first generation's key.
 */

interface Read {
  conversation: { generation: number; member: boolean; participants: string[] };
  messages: { id: string; author: string; content: string; inReplyTo: string | null }[];
}

test(
  'three nodes: a DM reaches people who do not follow its author, replies thread, a removed participant gets nothing new',
  { timeout: 180_000 },
  async () => {
    const homes = { a: tempDir('kith-dma-'), b: tempDir('kith-dmb-'), d: tempDir('kith-dmd-') };
    const running: NodeProcess[] = [];
    const read = (home: string, conversation: string): Promise<Read> => kithJson(home, ['dm', 'read', conversation]);
    try {
      const made = [homes.a, homes.b, homes.d].map((h) => KithNode.init(h).node);
      const [a, b, d] = made.map((n) => n.did);
      for (const n of made) n.close();
      const nodeA = await startNode(homes.a);
      running.push(nodeA);
      const at = ['--bootstrap', nodeA.info.addresses[0]!];
      const [nodeB, nodeD] = await Promise.all([startNode(homes.b, at), startNode(homes.d, at)]);
      running.push(nodeB, nodeD);
      // A follows B and D (so knows where their nodes are); B follows D. Neither B nor D follows A.
      const clientA = (await runningNode(homePaths(homes.a)))!;
      await clientA.call('POST /follow', { target: nodeB.info.addresses[0]! });
      await clientA.call('POST /follow', { target: nodeD.info.addresses[0]! });
      await (await runningNode(homePaths(homes.b)))!.call('POST /follow', { target: nodeD.info.addresses[0]! });

      const hello = 'DM-P2P: the key is under the mat';
      const sent = await kithJson(homes.a, ['dm', b!, d!, hello]);
      const conv: string = sent.message.conversation;
      for (const [name, home] of [
        ['B', homes.b],
        ['D', homes.d],
      ] as const) {
        const got = await eventually(
          `${name} to read A's message`,
          () => read(home, conv).catch(() => undefined),
          (r) => r?.messages.length === 1,
        );
        assert.deepEqual(
          got!.messages.map((m) => [m.author, m.content]),
          [[a, hello]],
        );
      }

      // B answers it; A and D read the answer, threaded under A's message.
      const reply = await kithJson(homes.b, ['dm', '--reply-to', sent.message.id, 'DM-P2P: found it, thanks']);
      assert.equal(reply.message.inReplyTo, sent.message.id);
      for (const home of [homes.a, homes.d]) {
        const got = await eventually(
          'the reply to arrive',
          () => read(home, conv),
          (r) => r.messages.length === 2,
        );
        assert.deepEqual(got.messages[1], { ...got.messages[1], author: b, content: 'DM-P2P: found it, thanks', inReplyTo: sent.message.id });
      }
      const listed = await kithJson(homes.d, ['dms']);
      assert.equal(listed.conversations.length, 1);

      // A removes D: generation 2 for B only. What A writes after reaches B, and is not even sent to D.
      const removed = await kithJson(homes.a, ['dm', 'remove', conv, d!]);
      assert.equal(removed.generation, 2);
      const after = 'DM-P2P-AFTER: moved the key';
      const later = await kithJson(homes.a, ['dm', '--to', conv, after]);
      assert.deepEqual(
        later.deliveries.map((x: { recipient: string }) => x.recipient),
        [b],
      );
      const bRead = await eventually(
        'B to read what A wrote after removing D',
        () => read(homes.b, conv),
        (r) => r.messages.some((m) => m.content === after),
      );
      assert.equal(bRead.conversation.generation, 2);
      const dRead = await read(homes.d, conv);
      assert.equal(dRead.conversation.generation, 1, 'D holds no key of generation 2');
      assert.ok(!dRead.messages.some((m) => m.content === after));
      for (const f of filesUnder(homes.d)) assert.equal(readFileSync(f).indexOf(after), -1, `D's ${f} holds what was written after`);
    } catch (e) {
      for (const n of running)
        console.error(
          `---- ${n.home}\n${n
            .log()
            .split('\n')
            .filter((l) => /inbox|direct/.test(l))
            .join('\n')}`,
        );
      throw e;
    } finally {
      await Promise.all(running.map((n) => n.stop()));
      for (const h of Object.values(homes)) rmSync(h, { recursive: true, force: true });
    }
  },
);
