import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Did } from '../src/core/types.js';
import { homePaths } from '../src/node/home.js';
import { KithService } from '../src/node/service.js';
import { runningNode } from '../src/cli/control-client.js';
import { tempDir } from './helpers.js';
import { eventually, kith, kithJson, startNode, type NodeProcess } from './node-process.js';

/**
 * Follow requests across real node processes: A locks the account; B and D
 * ask to follow A. A approves B (with the command, as people run it) and
 * rejects D: B's follow is accepted, D's ends as rejected, and A's
 * followers are B alone. Then B unfollows, and A's followers are empty.
 * Every answer travels as a signed activity through the inbox.
 */

interface Row {
  did: string;
  state: string;
}

/** What a node's store says of its follows and followers, read beside the running node (as `kith following` does). */
function sides(home: string): { following: Row[]; followers: string[]; pending: string[] } {
  const s = KithService.open(home);
  try {
    return {
      following: s.people.followingStatus().map((f) => ({ did: f.did, state: f.state })),
      followers: s.follows.followers().map((f) => f.did),
      pending: s.follows.pending().map((f) => f.did),
    };
  } finally {
    s.close();
  }
}

async function control(home: string) {
  const client = await runningNode(homePaths(home));
  if (!client) throw new Error(`no node answers in ${home}`);
  return client;
}

test('a locked account approves one request and rejects another; both sides agree; an unfollow reaches the followee', { timeout: 120_000 }, async () => {
  const homes = { a: tempDir('kith-fa-'), b: tempDir('kith-fb-'), d: tempDir('kith-fd-') };
  const running: NodeProcess[] = [];
  try {
    const startA = async (): Promise<NodeProcess> => {
      await kithJson(homes.a, ['init']);
      // Locked before anyone asks, with the command as the owner types it (the node is not running yet).
      const locked = await kithJson(homes.a, ['settings', 'set', 'locked', 'true']);
      assert.equal(locked.locked, true);
      const node = await startNode(homes.a);
      running.push(node);
      return node;
    };
    const [nodeA] = await Promise.all([startA(), kithJson(homes.b, ['init']), kithJson(homes.d, ['init'])]);
    const at = ['--bootstrap', nodeA.info.addresses[0]!];
    const [nodeB, nodeD] = await Promise.all([startNode(homes.b, at), startNode(homes.d, at)]);
    running.push(nodeB, nodeD);
    const a = nodeA.info.did as Did;
    const [b, d] = [nodeB.info.did as Did, nodeD.info.did as Did];

    await Promise.all([homes.b, homes.d].map(async (h) => (await control(h)).call('POST /follow', { target: nodeA.info.addresses[0]! })));
    await eventually(
      'both requests to wait on A',
      async () => sides(homes.a).pending,
      (p) => p.length === 2,
    );
    const requests = await kithJson(homes.a, ['follow-requests']);
    assert.deepEqual(requests.requests.map((r: Row) => r.did).sort(), [b, d].sort());
    assert.equal(requests.locked, true);
    assert.deepEqual(sides(homes.b).following, [{ did: a, state: 'requested' }], 'B has asked and waits');

    const approved = await kith(homes.a, ['approve', b]);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, new RegExp(`^Approved ${b}\\n  Accept ap://${a}/objects/`));
    const rejected = await (await control(homes.a)).call('POST /reject', { did: d });
    assert.equal(rejected.state, 'rejected');

    await eventually(
      'B to learn its follow is accepted, and D that its follow was rejected',
      async () => [sides(homes.b).following, sides(homes.d).following],
      (v) => v[0]?.[0]?.state === 'accepted' && v[1]?.[0]?.state === 'rejected',
    );
    assert.deepEqual(sides(homes.b).following, [{ did: a, state: 'accepted' }]);
    assert.deepEqual(sides(homes.d).following, [{ did: a, state: 'rejected' }], 'D sees the rejection');
    const dStatus = await (await control(homes.d)).call('GET /status');
    assert.ok(!dStatus.scopes.some((s) => s.scope.includes(a)), 'D no longer keeps A\u2019s scope');
    const aSide = sides(homes.a);
    assert.deepEqual([aSide.followers, aSide.pending], [[b], []], 'A is followed by B alone; nothing waits');
    assert.deepEqual(
      (await kithJson(homes.a, ['followers'])).followers.map((f: Row) => f.did),
      [b],
    );

    await (await control(homes.b)).call('POST /unfollow', { did: a });
    await eventually(
      'A to hear of B\u2019s unfollow',
      async () => sides(homes.a).followers,
      (f) => f.length === 0,
    );
    assert.deepEqual(sides(homes.b).following, []);
  } finally {
    await Promise.all(running.map((n) => n.stop()));
  }
});
