import '../src/cli/polyfills.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PeerId } from '@libp2p/interface';
import type { SingleKadDHT } from '@libp2p/kad-dht';
import { type HostOptions, type KithHost } from '../src/net/host.js';
import { frameStream, type Frames } from '../src/net/frames.js';
import { disconnectPeer } from '../src/net/peers.js';
import { BLOCKS_PROTOCOL, encodeWant } from '../src/net/block-wire.js';
import { blocksOpener, handleBlocks, serveBlocks } from '../src/net/block-server.js';
import { BlockFetcher, type TreeProgress } from '../src/net/block-fetcher.js';
import { findRootProviders, provideRoot } from '../src/net/block-dht.js';
import { Store } from '../src/store/store.js';
import { decodeErisToBytes, encodeEris, initEris, type ErisBlockSize, type ReadCapability } from '../src/core/eris.js';
import { KithError, type ErrorCode } from '../src/core/errors.js';
import { linesLogger, loopbackHost } from './net-helpers.js';
import { refusedWith, rejectsWith, tempDir, waitFor } from './helpers.js';

/**
 * The blocks protocol (src/net/block-*.ts) between real libp2p hosts on
 * 127.0.0.1, each with its own SQLite store, fetching real ERIS trees.
 */

await initEris();

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Encoded {
  readonly content: Uint8Array;
  readonly cap: ReadCapability;
  /** Distinct blocks in the order the encoder made them (leaves first, root last). */
  readonly blocks: { ref: Uint8Array; block: Uint8Array }[];
}

async function encode(size: number, blockSize: ErisBlockSize): Promise<Encoded> {
  const content = randomBytes(size);
  const seen = new Set<string>();
  const blocks: { ref: Uint8Array; block: Uint8Array }[] = [];
  const cap = await encodeEris(
    content,
    (ref, block) => {
      if (seen.has(hex(ref))) return;
      seen.add(hex(ref));
      blocks.push({ ref: ref.slice(), block: block.slice() });
    },
    { blockSize },
  );
  return { content, cap, blocks };
}

class Fixture {
  readonly hosts: KithHost[] = [];
  readonly stores: Store[] = [];
  readonly dirs: string[] = [];

  store(): Store {
    const dir = tempDir('kith-bx-');
    this.dirs.push(dir);
    const store = Store.open(join(dir, 'kith.db'));
    this.stores.push(store);
    return store;
  }

  async host(extra: Partial<HostOptions> = {}): Promise<KithHost> {
    const host = await loopbackHost(extra);
    this.hosts.push(host);
    return host;
  }

  async close(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.stop()));
    for (const s of this.stores) s.close();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

function tcpAddr(host: KithHost): string {
  const a = host.getMultiaddrs().find((m) => !m.toString().includes('/ws'));
  assert.ok(a, 'host has a TCP address');
  return a.toString();
}

test('a ~3 MB tree comes from two peers at once, one holding only half of it, and decodes exactly', { timeout: 60_000 }, async (t) => {
  const fx = new Fixture();
  try {
    const file = await encode(3 * 1024 * 1024 + 12_345, 32768);
    const storeA = fx.store();
    const storeB = fx.store();
    const storeC = fx.store();
    for (const { ref, block } of file.blocks) storeA.blocks.put(ref, block);
    storeA.blocks.pin(file.cap, 'own');
    assert.equal(storeA.blocks.pinStatus(file.cap)?.complete, true);
    // B holds every other block of the encoding, so it answers NONE about half the time.
    const half = file.blocks.filter((_, i) => i % 2 === 0);
    for (const { ref, block } of half) storeB.blocks.put(ref, block);

    const a = await fx.host();
    const b = await fx.host();
    const c = await fx.host({ bootstrap: [tcpAddr(a), tcpAddr(b)] });
    const served = new Map<string, number>([
      ['A', 0],
      ['B', 0],
    ]);
    const answered = new Map<string, number>([
      ['A', 0],
      ['B', 0],
    ]);
    for (const [name, host, store] of [
      ['A', a, storeA],
      ['B', b, storeB],
    ] as const) {
      await handleBlocks(host, store, {
        onAnswer: (_ref, bytes) => {
          answered.set(name, answered.get(name)! + 1);
          if (bytes > 0) served.set(name, served.get(name)! + 1);
        },
      });
    }

    storeC.blocks.pin(file.cap, 'follow:did:key:z6MkTest');
    const progress: TreeProgress[] = [];
    const misbehaved: string[] = [];
    const fetcher = new BlockFetcher<PeerId>({
      store: storeC,
      open: blocksOpener(c),
      onMisbehaviour: (peer, reason) => misbehaved.push(`${peer.toString()}: ${reason}`),
      limits: { wantRefs: 8 },
    });
    const started = Date.now();
    const r = await fetcher.fetchTree(file.cap, [a.peerId, b.peerId], { onProgress: (p) => progress.push(p) });
    const ms = Date.now() - started;
    t.diagnostic(`${file.blocks.length} blocks in ${r.rounds} rounds, ${ms} ms; per peer ${JSON.stringify([...r.perPeer])}`);

    assert.deepEqual(misbehaved, []);
    assert.equal(r.fetched, file.blocks.length, 'every block fetched once');
    assert.equal(r.blocks, file.blocks.length);
    assert.ok(r.rounds >= 2, 'top-down: the root first, then the leaves it names');
    assert.equal(storeC.blocks.pinStatus(file.cap)?.complete, true);
    // Both peers served blocks, and together exactly the tree.
    const fromA = r.perPeer.get(a.peerId.toString())?.blocks ?? 0;
    const fromB = r.perPeer.get(b.peerId.toString())?.blocks ?? 0;
    assert.ok(fromA > 0 && fromB > 0, `both served: A ${fromA}, B ${fromB}`);
    assert.equal(fromA + fromB, file.blocks.length);
    assert.ok(fromB <= half.length);
    // B was asked for blocks it lacks and said NONE; those came from A.
    assert.ok((r.perPeer.get(b.peerId.toString())?.none ?? 0) > 0, 'B answered NONE for some');
    await waitFor('the servers to count their answers', () => served.get('A')! + served.get('B')! === file.blocks.length);
    assert.ok(served.get('A')! > 0 && served.get('B')! > 0, `servers' own counts: ${JSON.stringify([...served])}`);
    // Progress: fetched only grows, ends at the whole tree, and what is known grew as the root arrived.
    const last = progress.at(-1)!;
    assert.deepEqual(last, { fetched: file.blocks.length, present: file.blocks.length, known: file.blocks.length });
    assert.equal(progress[0]!.known, 1, 'at first only the root is known');
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.fetched >= progress[i - 1]!.fetched);

    const decoded = await decodeErisToBytes(file.cap, (ref) => storeC.blocks.get(ref));
    assert.equal(decoded.length, file.content.length);
    assert.ok(Buffer.from(decoded).equals(file.content), 'decoded to exactly the original bytes');

    // Fetching again costs nothing: the tree is complete.
    const again = await fetcher.fetchTree(file.cap, [a.peerId, b.peerId]);
    assert.equal(again.fetched, 0);
    assert.equal(again.rounds, 0);
  } finally {
    await fx.close();
  }
});

test('a hostile peer serving corrupted blocks is caught, dropped and penalized; the honest peer fills in', { timeout: 60_000 }, async () => {
  const fx = new Fixture();
  try {
    // 1 KiB blocks make a deeper tree (level 2): three rounds, top-down.
    const file = await encode(200 * 1024, 1024);
    assert.ok(file.cap.level >= 2);
    const storeA = fx.store();
    const storeH = fx.store();
    const storeC = fx.store();
    for (const { ref, block } of file.blocks) {
      storeA.blocks.put(ref, block);
      storeH.blocks.put(ref, block);
    }
    const a = await fx.host();
    const h = await fx.host();
    const c = await fx.host({ bootstrap: [tcpAddr(a), tcpAddr(h)] });
    await handleBlocks(a, storeA);
    // H speaks the protocol correctly but flips a bit in every block but the root.
    const rootHex = hex(file.cap.rootReference);
    const corrupted = new Set<string>();
    await handleBlocks(h, {
      blocks: {
        get: (ref) => {
          const block = storeH.blocks.get(ref);
          if (block === undefined || hex(ref) === rootHex) return block;
          corrupted.add(hex(ref));
          const bad = Uint8Array.from(block);
          bad[17]! ^= 0x01;
          return bad;
        },
      },
    });

    storeC.blocks.pin(file.cap, 'own');
    const reports: Array<{ peer: string; reason: string }> = [];
    const stored: Array<{ ref: string; peer: string }> = [];
    const fetcher = new BlockFetcher<PeerId>({
      store: storeC,
      open: blocksOpener(c),
      onMisbehaviour: (peer, reason) => {
        reports.push({ peer: peer.toString(), reason });
        disconnectPeer(c, peer, reason);
      },
      onBlock: (ref, peer) => stored.push({ ref: hex(ref), peer: peer.toString() }),
      limits: { wantRefs: 4 },
    });
    const r = await fetcher.fetchTree(file.cap, [h.peerId, a.peerId]);

    assert.ok(corrupted.size > 0, 'H did send corrupted blocks');
    assert.equal(reports.length, 1, `one report for H: ${JSON.stringify(reports)}`);
    assert.equal(reports[0]!.peer, h.peerId.toString());
    assert.match(reports[0]!.reason, /bad block .* does not hash to that reference/);
    assert.ok(r.misbehaved.has(h.peerId.toString()));
    assert.ok(fetcher.excluded.has(h.peerId.toString()), 'H is not asked again by this fetcher');
    // C banned H and hung up on it.
    assert.equal(c.services.penalties.isDenied(h.peerId), true);
    await waitFor('C to drop H', () => c.getConnections(h.peerId).length === 0);
    // Nothing H corrupted was stored from H: every stored block came from A, except possibly the (intact) root.
    for (const s of stored) if (s.peer === h.peerId.toString()) assert.equal(s.ref, rootHex);
    for (const ref of corrupted) {
      const got = storeC.blocks.get(Buffer.from(ref, 'hex'));
      assert.ok(got !== undefined, 'the reference H corrupted was fetched from A instead');
      assert.ok(Buffer.from(got).equals(Buffer.from(storeA.blocks.get(Buffer.from(ref, 'hex'))!)));
    }
    assert.equal(r.fetched, file.blocks.length);
    const decoded = await decodeErisToBytes(file.cap, (ref) => storeC.blocks.get(ref));
    assert.ok(Buffer.from(decoded).equals(file.content), 'the content still decodes');
  } finally {
    await fx.close();
  }
});

test('a block nobody has is reported as not found, after everything else is fetched', { timeout: 30_000 }, async () => {
  const fx = new Fixture();
  try {
    const file = await encode(40 * 1024, 1024);
    const storeA = fx.store();
    const storeB = fx.store();
    const storeC = fx.store();
    for (const { ref, block } of file.blocks) storeA.blocks.put(ref, block);
    const a = await fx.host();
    const b = await fx.host();
    const c = await fx.host({ bootstrap: [tcpAddr(a), tcpAddr(b)] });
    await handleBlocks(a, storeA);
    await handleBlocks(b, storeB); // holds nothing
    const fetcher = new BlockFetcher<PeerId>({ store: storeC, open: blocksOpener(c) });
    const fetcher2 = (store: Store) => new BlockFetcher<PeerId>({ store, open: blocksOpener(c) });

    const nobody = [randomBytes(32), randomBytes(32)].map((x) => new Uint8Array(x));
    const some = file.blocks.slice(0, 5).map((x) => x.ref);
    await rejectsWith(
      fetcher.fetch([...some, ...nobody], [a.peerId, b.peerId]),
      'not-found',
      /^2 of 7 block\(s\) could not be found on any of 2 peer\(s\) \(first: [A-Z2-7]{52}\); 5 were fetched$/,
    );
    for (const ref of some) assert.ok(storeC.blocks.has(ref), 'what could be found was stored');

    // No peers at all: everything is not found at once.
    await rejectsWith(fetcher.fetch(nobody, []), 'not-found', /2 of 2 block\(s\) could not be found on any of 0 peer/);
    // An unreachable peer is not a misbehaving one, and its share goes to the others.
    const gone = await fx.host();
    const goneId = gone.peerId;
    await gone.stop();
    const failed: string[] = [];
    const f2 = new BlockFetcher<PeerId>({ store: fx.store(), open: blocksOpener(c, 3_000), onPeerFailed: (p) => failed.push(p.toString()) });
    const ok = await f2.fetch(some, [goneId, a.peerId]);
    assert.equal(ok.fetched, some.length);
    assert.deepEqual(failed, [goneId.toString()]);
    assert.equal(f2.excluded.size, 0);

    // A stream asks at most maxRefsPerStream references (the server's cap); then the fetcher opens another.
    let opened = 0;
    const open = blocksOpener(c);
    const f3 = new BlockFetcher<PeerId>({
      store: fx.store(),
      open: (p) => (opened++, open(p)),
      limits: { wantRefs: 4, inFlight: 2, maxRefsPerStream: 8 },
    });
    const all = await f3.fetch(
      file.blocks.map((x) => x.ref),
      [a.peerId],
    );
    assert.equal(all.fetched, file.blocks.length);
    assert.ok(opened >= Math.ceil(file.blocks.length / 8), `${opened} streams for ${file.blocks.length} blocks`);

    // A cancelled fetch stops with 'timeout' and asks nobody.
    await rejectsWith(fetcher.fetch(nobody, [a.peerId], { signal: AbortSignal.abort() }), 'timeout');

    // A tree only partly available: fetchTree says how far it got, and what it fetched stays.
    const partial = fx.store();
    partial.blocks.pin(file.cap, 'own');
    await rejectsWith(
      fetcher2(partial).fetchTree(file.cap, [b.peerId]),
      'not-found',
      /^the tree under \w+ is incomplete \(0 of at least 1 blocks here\): 1 of 1 block\(s\) could not be found on any of 1 peer/,
    );

    // A tree that is not pinned cannot be fetched top-down.
    await rejectsWith(fetcher.fetchTree(file.cap, [a.peerId]), 'not-found', /pin it before/);
  } finally {
    await fx.close();
  }
});

/** An in-memory Frames: hands serveBlocks the given frames and records its answers. */
function scriptedFrames(input: Uint8Array[]): Frames & { written: Uint8Array[]; closed: boolean } {
  const queue = [...input];
  const out = {
    written: [] as Uint8Array[],
    closed: false,
    bytesRead: 0,
    bytesWritten: 0,
    async readFrame(maxBytes: number): Promise<Uint8Array | null> {
      const f = queue.shift();
      if (f === undefined) return null;
      if (f.length > maxBytes) throw new KithError('too-large', `frame of ${f.length} bytes; the limit is ${maxBytes}`);
      return f;
    },
    async writeFrame(bytes: Uint8Array): Promise<void> {
      out.written.push(bytes.slice());
    },
    async close(): Promise<void> {
      out.closed = true;
    },
    reset(): void {},
  };
  return out;
}

test('serveBlocks answers in order and refuses malformed WANT frames', { timeout: 30_000 }, async () => {
  const fx = new Fixture();
  try {
    const file = await encode(10 * 1024, 1024);
    const store = fx.store();
    for (const { ref, block } of file.blocks) store.blocks.put(ref, block);
    const [r0, r1] = [file.blocks[0]!, file.blocks[1]!];
    const absent = new Uint8Array(32).fill(7);

    // Well-formed: one answer per reference, in order; then the end.
    const good = scriptedFrames([encodeWant([r0.ref, absent, r1.ref]), encodeWant([r1.ref])]);
    const result = await serveBlocks(good, store);
    assert.deepEqual(result, { wants: 2, refs: 4, served: 3, bytes: 3 * 1024, none: 1 });
    assert.deepEqual(
      good.written.map((f) => [f[0], f.length]),
      [
        [2, 1025],
        [3, 1],
        [2, 1025],
        [2, 1025],
      ],
    );
    assert.ok(Buffer.from(good.written[0]!.subarray(1)).equals(Buffer.from(r0.block)));
    assert.ok(good.closed);

    const refs = (n: number) => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(i % 256));
    const bad: Array<[string, Uint8Array[], ErrorCode, RegExp]> = [
      ['empty frame', [new Uint8Array(0)], 'malformed', /empty frame/],
      ['wrong type', [Uint8Array.of(2, ...new Uint8Array(32))], 'malformed', /expected a WANT frame \(type 1\), got type 2/],
      ['no references', [Uint8Array.of(1)], 'malformed', /at least one reference/],
      ['partial reference', [Uint8Array.of(1, ...new Uint8Array(33))], 'malformed', /whole 32-byte references; this one has 33 bytes/],
      ['257 references', [Uint8Array.of(1, ...new Uint8Array(257 * 32))], 'too-large', /frame of 8225 bytes; the limit is 8193/],
      ['a good WANT, then junk', [encodeWant([r0.ref]), Uint8Array.of(9)], 'malformed', /got type 9/],
    ];
    for (const [what, frames, code, message] of bad) {
      await rejectsWith(serveBlocks(scriptedFrames(frames), store), code, message, what);
    }
    // The per-stream cap: 256 + 256 references on a stream allowed 300.
    const capped = scriptedFrames([encodeWant(refs(256)), encodeWant(refs(256))]);
    await rejectsWith(
      serveBlocks(capped, store, { maxRefsPerStream: 300 }),
      'too-large',
      /more than 300 blocks asked for on one stream \(256 already, 256 more\)/,
    );
    assert.equal(capped.written.length, 256, 'the first WANT was answered before the second was refused');
    refusedWith(() => encodeWant([]), 'malformed', /1 to 256/);

    // Over a real stream: an oversized WANT gets the sender banned and cut off by handleBlocks,
    // and a client that goes quiet hits the read deadline without being banned.
    const a = await fx.host();
    const m = await fx.host({ bootstrap: [tcpAddr(a)] });
    const logs: string[] = [];
    // The deadline also runs while the first WANT is on its way: short, but not so short that a busy machine misses it.
    const readTimeoutMs = 1_000;
    await handleBlocks(a, store, { readTimeoutMs, log: linesLogger(logs) });
    const quiet = frameStream(await m.dialProtocol(a.peerId, BLOCKS_PROTOCOL));
    await quiet.writeFrame(encodeWant([r0.ref]));
    const answer = await quiet.readFrame(2000, 5_000);
    assert.equal(answer?.[0], 2);
    await waitFor('the quiet stream to time out', () => logs.some((l) => l.includes(`no complete frame within ${readTimeoutMs} ms`)));
    assert.equal(a.services.penalties.isDenied(m.peerId), false, 'slowness is not an offence');
    const big = frameStream(await m.dialProtocol(a.peerId, BLOCKS_PROTOCOL));
    await big.writeFrame(Uint8Array.of(1, ...new Uint8Array(300 * 32)));
    await waitFor('A to ban M', () => a.services.penalties.isDenied(m.peerId));
    await waitFor('A to hang up on M', () => a.getConnections(m.peerId).length === 0);
    assert.match(a.services.penalties.penaltyOf(m.peerId)!.reason, /blocks protocol: frame of 9601 bytes/);
  } finally {
    await fx.close();
  }
});

test('DHT: A provides a root, C finds A through B and fetches the tree from it', { timeout: 60_000 }, async () => {
  const fx = new Fixture();
  try {
    const file = await encode(100 * 1024, 32768);
    const storeA = fx.store();
    const storeC = fx.store();
    for (const { ref, block } of file.blocks) storeA.blocks.put(ref, block);
    storeA.blocks.pin(file.cap, 'own');
    const b = await fx.host();
    const a = await fx.host({ bootstrap: [tcpAddr(b)] });
    const c = await fx.host({ bootstrap: [tcpAddr(b)] });
    await handleBlocks(a, storeA);
    const tableSize = (h: KithHost): number => (h.services.dht as SingleKadDHT).routingTable.size;
    await waitFor('routing tables', () => tableSize(a) > 0 && tableSize(b) >= 2 && tableSize(c) > 0);
    assert.equal(c.getConnections(a.peerId).length, 0, 'C does not know A yet');

    await provideRoot(a, file.cap.rootReference, { signal: AbortSignal.timeout(10_000) });
    const providers = await findRootProviders(c, file.cap.rootReference, { signal: AbortSignal.timeout(10_000) });
    assert.ok(
      providers.some((p) => p.id.equals(a.peerId)),
      `C found A among ${JSON.stringify(providers.map((p) => p.id.toString()))}`,
    );
    assert.ok(!providers.some((p) => p.id.equals(c.peerId)), 'never itself');
    // Another root nobody provides: nothing found, no error.
    const none = await findRootProviders(c, new Uint8Array(32).fill(1), { signal: AbortSignal.timeout(3_000) });
    assert.deepEqual(none, []);

    storeC.blocks.pin(file.cap, 'own');
    const fetcher = new BlockFetcher<PeerId>({ store: storeC, open: blocksOpener(c) });
    for (const p of providers) await c.peerStore.merge(p.id, { multiaddrs: p.multiaddrs });
    const r = await fetcher.fetchTree(
      file.cap,
      providers.map((p) => p.id),
    );
    assert.equal(r.fetched, file.blocks.length);
    const decoded = await decodeErisToBytes(file.cap, (ref) => storeC.blocks.get(ref));
    assert.ok(Buffer.from(decoded).equals(file.content));
  } finally {
    await fx.close();
  }
});
