import '../src/cli/polyfills.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KithNode } from '../src/node/kith-node.js';
import { Network } from '../src/node/network.js';
import { outboxId } from '../src/core/apid.js';
import { repoRoot, tempDir } from './helpers.js';
import { eventually, startNode, type NodeProcess } from './node-process.js';
import { StoreView } from './fault-helpers.js';

/**
 * Two groups of nodes cut off from each other keep posting, and converge
 * once the partition heals, by themselves (each redials the nodes of the
 * people it follows, see node/redial.ts, and reconciles on contact).
 *
 * The partition is real where Linux network namespaces can be made (the test
 * runs as root): each group's nodes run in a namespace of their own, joined
 * by a veth pair. They listen on private 10.77.0.x addresses on that pair,
 * which exist only inside the two namespaces and never leave this machine,
 * so the rule that tests send traffic to the machine itself still holds.
 * Where namespaces cannot be made, the test says so and partitions in-process
 * nodes with libp2p's connection gater instead (KITH_TEST_PARTITION=gater
 * chooses that way on a machine that has namespaces, to check it too).
 */

interface Member {
  readonly name: string;
  readonly home: string;
  readonly did: string;
  readonly address: string;
  post(text: string): Promise<string>;
  follow(address: string): Promise<void>;
}

interface Cluster {
  readonly how: string;
  readonly a: readonly [Member, Member];
  readonly b: readonly [Member, Member];
  partition(): Promise<void>;
  heal(): Promise<void>;
  close(): Promise<void>;
}

const SUBNET = '10.77.0';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** Two namespaces joined by a veth pair, or the reason they could not be made (with whatever was made removed). */
function makeNamespaces(): { ns: [string, string]; links: [string, string] } | string {
  // Unique per run, so parallel runs on one machine never share a namespace.
  const ns: [string, string] = [`kith-a-${process.pid}`, `kith-b-${process.pid}`];
  const links: [string, string] = [`kfa${process.pid}`, `kfb${process.pid}`];
  try {
    ip('netns', 'add', ns[0]);
    ip('netns', 'add', ns[1]);
    ip('link', 'add', links[0], 'netns', ns[0], 'type', 'veth', 'peer', 'name', links[1], 'netns', ns[1]);
    for (const i of [0, 1] as const) {
      ip('-n', ns[i], 'addr', 'add', `${SUBNET}.${i + 1}/24`, 'dev', links[i]);
      ip('-n', ns[i], 'link', 'set', 'lo', 'up');
      ip('-n', ns[i], 'link', 'set', links[i], 'up');
    }
    return { ns, links };
  } catch (e) {
    removeNamespaces(ns);
    return String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim();
  }
}

function removeNamespaces(ns: readonly string[]): void {
  for (const n of ns) {
    try {
      ip('netns', 'del', n); // the veth end inside goes with it, and its peer with it
    } catch {
      // Not made, or already gone: nothing to remove.
    }
  }
}

/** Control calls to the nodes in a namespace, through one process inside it (test/control-relay.ts). */
function controlRelay(ns: string): { call(home: string, route: string, body: unknown): Promise<any>; close(): void } {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, join(repoRoot, 'dist', 'test', 'control-relay.js')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const answer = JSON.parse(line) as { id: number; result?: unknown; error?: { code: string; message: string } };
    const p = pending.get(answer.id);
    pending.delete(answer.id);
    if (answer.error) p?.reject(new Error(`${answer.error.code}: ${answer.error.message}`));
    else p?.resolve(answer.result);
  });
  return {
    call: (home, route, body) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        child.stdin.write(JSON.stringify({ id, home, route, body }) + '\n');
      }),
    close: () => child.kill(),
  };
}

async function netnsCluster(names: { ns: [string, string]; links: [string, string] }): Promise<Cluster> {
  const { ns, links } = names;
  const running: NodeProcess[] = [];
  const homes: string[] = [];
  const relays = [controlRelay(ns[0]), controlRelay(ns[1])] as const;
  const member = async (name: string, group: 0 | 1): Promise<Member> => {
    const home = tempDir(`kith-fp${name}-`);
    homes.push(home);
    KithNode.init(home).node.close();
    const node = await startNode(home, ['--host', `${SUBNET}.${group + 1}`], { netns: ns[group] });
    running.push(node);
    return {
      name,
      home,
      did: node.info.did,
      address: node.info.addresses[0]!,
      post: async (text) => (await relays[group].call(home, 'POST /post', { text })).digest as string,
      follow: async (address) => {
        await relays[group].call(home, 'POST /follow', { target: address });
      },
    };
  };
  const [a1, a2, b1, b2] = await Promise.all([member('a1', 0), member('a2', 0), member('b1', 1), member('b2', 1)]);
  return {
    how: `Linux network namespaces ${ns.join(' and ')}, joined by a veth pair`,
    a: [a1, a2],
    b: [b1, b2],
    partition: async () => {
      for (const i of [0, 1] as const) ip('-n', ns[i], 'link', 'set', links[i], 'down');
      // Connections across outlive a cable pulled for seconds (TCP retries for minutes); a partition long
      // enough for them to time out is what is tested, so their sockets are torn down as that timeout would.
      for (const i of [0, 1] as const) execFileSync('ip', ['netns', 'exec', ns[i], 'ss', '-K', 'dst', `${SUBNET}.${2 - i}`], { stdio: 'pipe' });
    },
    heal: async () => {
      for (const i of [0, 1] as const) ip('-n', ns[i], 'link', 'set', links[i], 'up');
    },
    close: async () => {
      for (const r of relays) r.close();
      await Promise.all(running.map((n) => n.stop()));
      removeNamespaces(ns);
      for (const h of homes) rmSync(h, { recursive: true, force: true });
    },
  };
}

/** In-process nodes on loopback; the partition is group A's connection gater refusing group B, both ways, and its connections cut. */
async function gaterCluster(why: string): Promise<Cluster> {
  const nets: Network[] = [];
  const homes: string[] = [];
  const member = async (name: string): Promise<Member & { net: Network }> => {
    const home = tempDir(`kith-fp${name}-`);
    homes.push(home);
    const { node } = KithNode.init(home);
    const net = await Network.start(node, { listenHost: '127.0.0.1', mdns: false, relayListen: false });
    nets.push(net);
    return {
      name,
      home,
      net,
      did: node.did,
      address: net.addresses()[0]!,
      post: async (text) => {
        const r = node.post({ text });
        await net.push(r.digest);
        return r.digest;
      },
      follow: async (address) => {
        await net.follow(address);
      },
    };
  };
  const [a1, a2, b1, b2] = await Promise.all([member('a1'), member('a2'), member('b1'), member('b2')]);
  const pairs = [a1, a2].flatMap((a) => [b1, b2].map((b) => [a.net, b.net] as const));
  return {
    how: `a libp2p connection gater (no network namespaces here: ${why})`,
    a: [a1, a2],
    b: [b1, b2],
    partition: async () => {
      for (const [a, b] of pairs) {
        a.host.services.penalties.penalize(b.host.peerId, 'partitioned by the test', 3_600_000);
        for (const conn of a.host.getConnections(b.host.peerId)) conn.abort(new Error('partitioned by the test'));
      }
    },
    heal: async () => {
      for (const [a, b] of pairs) a.host.services.penalties.forgive(b.host.peerId);
    },
    close: async () => {
      await Promise.all(nets.map((n) => n.stop()));
      for (const n of nets) n.node.close();
      for (const h of homes) rmSync(h, { recursive: true, force: true });
    },
  };
}

function digests(home: string, did: string): string[] {
  const view = new StoreView(home);
  try {
    return view.digests(outboxId(did as never));
  } finally {
    view.close();
  }
}

test('partition: two groups keep posting while cut off, then heal and converge by themselves', { timeout: 180_000 }, async (t) => {
  const t0 = Date.now();
  const phase = (what: string): void => t.diagnostic(`${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const names = process.env.KITH_TEST_PARTITION === 'gater' ? 'KITH_TEST_PARTITION=gater asked for the gater' : makeNamespaces();
  const cluster = typeof names === 'string' ? await gaterCluster(names) : await netnsCluster(names);
  console.log(`partition: ${cluster.how}`);
  phase(`started; partitioned by ${cluster.how}`);
  try {
    const [a1, a2] = cluster.a;
    const [b1, b2] = cluster.b;
    const everyone = [a1, a2, b1, b2];
    // a1 and b1 post; each follows the other, and the second node of each group follows both.
    await Promise.all([
      a1.follow(b1.address),
      b1.follow(a1.address),
      a2.follow(a1.address),
      a2.follow(b1.address),
      b2.follow(a1.address),
      b2.follow(b1.address),
    ]);
    phase('followed');
    await a1.post('A before the partition');
    await b1.post('B before the partition');
    const converged = (): boolean =>
      [a1, b1].every((author) => {
        const set = JSON.stringify(digests(author.home, author.did));
        return everyone.every((m) => JSON.stringify(digests(m.home, author.did)) === set);
      });
    await eventually(
      'everyone to hold the same posts of a1 and b1',
      async () => converged(),
      (ok) => ok,
    );

    phase('converged before the partition');
    await cluster.partition();
    const fromA = [await a1.post('A cut off, 1'), await a1.post('A cut off, 2')];
    phase('A posted');
    const fromB = [await b1.post('B cut off, 1'), await b1.post('B cut off, 2')];
    phase('B posted');
    const holds = (m: Member, ds: string[]): boolean => {
      const view = new StoreView(m.home);
      try {
        return ds.every((d) => view.has(d));
      } finally {
        view.close();
      }
    };
    // Each side goes on among itself...
    await eventually(
      'a2 to get what a1 posted cut off, and b2 what b1 did',
      async () => holds(a2, fromA) && holds(b2, fromB),
      (ok) => ok,
    );
    // ...and nothing crosses.
    for (const m of [a1, a2]) assert.ok(!fromB.some((d) => holds(m, [d])), `${m.name} got nothing of B's while cut off`);
    for (const m of [b1, b2]) assert.ok(!fromA.some((d) => holds(m, [d])), `${m.name} got nothing of A's while cut off`);

    phase('each side went on, nothing crossed');
    await cluster.heal();
    await eventually(
      'everyone to hold everything a1 and b1 posted, on both sides',
      async () => converged() && everyone.every((m) => holds(m, [...fromA, ...fromB])),
      (ok) => ok,
    );
    phase('converged after healing');
  } finally {
    await cluster.close();
  }
});
