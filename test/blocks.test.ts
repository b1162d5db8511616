import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../src/store/store.js';
import { BlockTable } from '../src/store/blocks.js';
import { schemaVersion } from '../src/store/database.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { decodeErisToBytes, encodeEris, erisReference, initEris, type ErisBlockSize, type ReadCapability } from '../src/core/eris.js';
import { tempDir, refusedWith } from './helpers.js';

/** The block store (src/store/blocks.ts) on a real SQLite file, with real ERIS encodings. */

await initEris();

const KiB = 1024;
/** Far enough in the future that every block is past the grace period. */
const LATER = Date.now() + 365 * 24 * 3600_000;

function openStore(): { store: Store; path: string } {
  const path = join(tempDir('kith-blocks-'), 'kith.db');
  return { store: Store.open(path), path };
}

interface Encoded {
  readonly cap: ReadCapability;
  /** Distinct blocks, in the order the encoder made them (leaves before their parents). */
  readonly blocks: { ref: Uint8Array; block: Uint8Array }[];
}

async function encode(content: Uint8Array, blockSize: ErisBlockSize): Promise<Encoded> {
  const seen = new Set<string>();
  const blocks: { ref: Uint8Array; block: Uint8Array }[] = [];
  const cap = await encodeEris(
    content,
    (ref, block) => {
      const k = Buffer.from(ref).toString('hex');
      if (seen.has(k)) return;
      seen.add(k);
      blocks.push({ ref: ref.slice(), block: block.slice() });
    },
    { blockSize },
  );
  return { cap, blocks };
}

function putAll(blocks: BlockTable, e: Encoded, now?: number): void {
  for (const b of e.blocks) blocks.put(b.ref, b.block, now);
}

function decode(blocks: BlockTable, cap: ReadCapability): Promise<Uint8Array> {
  return decodeErisToBytes(cap, (ref) => blocks.get(ref));
}

/** Every row of the block tables: "nothing changed" means this is equal. */
function snapshot(store: Store): string {
  const tables = ['blocks', 'block_usage', 'pin_roots', 'pins', 'pin_blocks', 'pin_pending'];
  return JSON.stringify(tables.map((t) => store.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()));
}

function sizes(e: Encoded): number {
  return e.blocks.reduce((n, b) => n + b.block.length, 0);
}

test('migration 3 is applied and the block tables exist', () => {
  const { store } = openStore();
  assert.equal(schemaVersion(store.db), MIGRATIONS.at(-1)!.version);
  assert.ok(MIGRATIONS.some((m) => m.version === 3 && /blocks/.test(m.name)));
  assert.deepEqual(store.blocks.usage(), { blocks: 0, bytes: 0, pinnedBytes: 0, quotaBytes: 1024 ** 3 });
  store.close();
});

test('a whole encoded file goes in block by block and decodes back from the store', async () => {
  const { store } = openStore();
  for (const [size, blockSize] of [
    [200 * KiB + 17, 32768],
    [5 * KiB + 3, 1024],
    [0, 1024],
  ] as const) {
    const content = randomBytes(size);
    const e = await encode(content, blockSize);
    const before = store.blocks.usage();
    for (const b of e.blocks) assert.equal(store.blocks.put(b.ref, b.block), true);
    for (const b of e.blocks) assert.deepEqual(new Uint8Array(store.blocks.get(b.ref)!), b.block);
    assert.deepEqual(Buffer.from(await decode(store.blocks, e.cap)), content);
    const after = store.blocks.usage();
    assert.equal(after.blocks - before.blocks, e.blocks.length);
    assert.equal(after.bytes - before.bytes, sizes(e));
    if (size > 0) assert.ok(e.cap.level >= 1, 'the test file must have internal nodes');
  }
  assert.equal(store.blocks.get(randomBytes(32)), undefined);
  store.close();
});

test('encodeEris can write straight into the store, and duplicates are no-ops', async () => {
  const { store } = openStore();
  // Twelve identical KiB: equal leaves converge, so the encoder hands the same block over more than once.
  const content = Buffer.concat(Array.from({ length: 12 }, () => Buffer.alloc(KiB, 7)));
  let fresh = 0;
  let dup = 0;
  const cap = await encodeEris(content, (ref, block) => void (store.blocks.put(ref, block) ? fresh++ : dup++), { blockSize: 1024 });
  assert.ok(dup > 0, 'the content must produce duplicate blocks');
  assert.equal(store.blocks.usage().blocks, fresh);
  assert.deepEqual(Buffer.from(await decode(store.blocks, cap)), content);
  const e = await encode(content, 1024);
  const before = snapshot(store);
  for (const b of e.blocks) assert.equal(store.blocks.put(b.ref, b.block), false);
  assert.equal(snapshot(store), before);
  store.close();
});

test('a tampered or misshapen block, or a bad reference, is refused and nothing is stored', async () => {
  const { store } = openStore();
  const e = await encode(randomBytes(40 * KiB), 1024);
  putAll(store.blocks, { cap: e.cap, blocks: e.blocks.slice(0, 3) });
  const before = snapshot(store);
  const victim = e.blocks[5]!;
  const tampered = victim.block.slice();
  tampered[100]! ^= 1;
  refusedWith(() => store.blocks.put(victim.ref, tampered), 'bad-encoding', /does not hash to that reference/);
  // Someone else's valid block under this reference: as wrong as a tampered one.
  refusedWith(() => store.blocks.put(victim.ref, e.blocks[6]!.block), 'bad-encoding');
  // Even under a reference already stored, a wrong block is refused (and the right one stays).
  refusedWith(() => store.blocks.put(e.blocks[0]!.ref, tampered), 'bad-encoding');
  refusedWith(() => store.blocks.put(victim.ref, victim.block.subarray(0, 1000)), 'malformed', /1024 or 32768/);
  refusedWith(() => store.blocks.put(victim.ref, new Uint8Array(2048)), 'malformed', /1024 or 32768/);
  refusedWith(() => store.blocks.put(victim.ref, new Uint8Array(65536)), 'malformed');
  refusedWith(() => store.blocks.put(victim.ref.subarray(0, 31), victim.block), 'malformed', /32 bytes/);
  refusedWith(() => store.blocks.put(new Uint8Array(33), victim.block), 'malformed', /32 bytes/);
  refusedWith(() => store.blocks.put('abc' as never, victim.block), 'malformed');
  refusedWith(() => store.blocks.put(victim.ref, 'x'.repeat(1024) as never), 'malformed');
  refusedWith(() => store.blocks.get(new Uint8Array(16)), 'malformed', /32 bytes/);
  refusedWith(() => store.blocks.has(null as never), 'malformed');
  assert.equal(snapshot(store), before);
  assert.equal(store.blocks.has(victim.ref), false);
  assert.equal(store.blocks.get(victim.ref), undefined);
  assert.deepEqual(new Uint8Array(store.blocks.get(e.blocks[0]!.ref)!), e.blocks[0]!.block);
  // The genuine block is still welcome.
  assert.equal(store.blocks.put(victim.ref, victim.block), true);
  store.close();
});

test('the quota: refused when everything is pinned, room made from unpinned blocks otherwise (least recently used first)', async () => {
  const { store } = openStore();
  const blocks = store.blocks;
  // 4 leaves + 1 root: 5 KiB. (Content of a whole number of KiB would end in a leaf of pure padding, the same in every file.)
  const a = await encode(randomBytes(4 * KiB - 1), 1024);
  const b = await encode(randomBytes(4 * KiB - 1), 1024);
  const c = await encode(randomBytes(4 * KiB - 1), 1024);
  assert.equal(a.blocks.length, 5);
  blocks.quotaBytes = 10 * KiB;
  putAll(blocks, a, 1000);
  putAll(blocks, b, 2000);
  assert.equal(blocks.usage().bytes, 10 * KiB);

  // Everything pinned: no room can be made, the put is refused and nothing changes.
  blocks.pin(a.cap, 'own');
  blocks.pin(b.cap, 'own');
  let before = snapshot(store);
  refusedWith(() => blocks.put(c.blocks[0]!.ref, c.blocks[0]!.block, LATER), 'too-large', /full/);
  assert.equal(snapshot(store), before);

  // b unpinned: its blocks may go, least recently used first. Reading two of them makes them recent.
  blocks.unpin(b.cap, 'own');
  const [b0, b1, b2, b3, b4] = b.blocks;
  blocks.get(b2!.ref, 200_000);
  blocks.get(b0!.ref, 300_000);
  assert.equal(blocks.put(c.blocks[0]!.ref, c.blocks[0]!.block, LATER), true);
  // One KiB was needed: one block went, the least recently used of b (b1, stored at 2000, never read since).
  assert.equal(blocks.has(b1!.ref), false);
  for (const x of [b0, b2, b3, b4]) assert.equal(blocks.has(x!.ref), true);
  for (const x of a.blocks) assert.equal(blocks.has(x.ref), true);
  assert.equal(blocks.usage().bytes, 10 * KiB);
  // The next ones take b3 and b4 (stored at 2000), then b2 (read at 200 000), then b0 (read at 300 000).
  blocks.put(c.blocks[1]!.ref, c.blocks[1]!.block, LATER);
  blocks.put(c.blocks[2]!.ref, c.blocks[2]!.block, LATER);
  assert.deepEqual(
    [b0, b2, b3, b4].map((x) => blocks.has(x!.ref)),
    [true, true, false, false],
  );
  blocks.put(c.blocks[3]!.ref, c.blocks[3]!.block, LATER);
  assert.deepEqual(
    [b0, b2].map((x) => blocks.has(x!.ref)),
    [true, false],
  );
  blocks.put(c.blocks[4]!.ref, c.blocks[4]!.block, LATER);
  assert.equal(blocks.has(b0!.ref), false);
  assert.deepEqual(blocks.usage(), { blocks: 10, bytes: 10 * KiB, pinnedBytes: 5 * KiB, quotaBytes: 10 * KiB });

  // Unpinned blocks inside the grace period are not taken: c was stored at LATER.
  blocks.pin(a.cap, 'own'); // still pinned: a no-op
  const d = await encode(randomBytes(100), 1024);
  before = snapshot(store);
  refusedWith(() => blocks.put(d.blocks[0]!.ref, d.blocks[0]!.block, LATER + 1000), 'too-large');
  assert.equal(snapshot(store), before);
  assert.equal(blocks.put(d.blocks[0]!.ref, d.blocks[0]!.block, LATER + blocks.graceMs + 1), true);

  // A block bigger than the whole quota can never fit; nothing is collected in trying.
  const big = await encode(randomBytes(40 * KiB), 32768);
  before = snapshot(store);
  refusedWith(() => blocks.put(big.blocks[0]!.ref, big.blocks[0]!.block, LATER * 2), 'too-large');
  assert.equal(snapshot(store), before);
  refusedWith(() => (blocks.quotaBytes = -1), 'malformed');
  refusedWith(() => (blocks.quotaBytes = 1.5), 'malformed');
  refusedWith(() => (blocks.graceMs = Number.NaN), 'malformed');
  assert.equal(blocks.quotaBytes, 10 * KiB);
  store.close();
});

test('a file pinned for two reasons survives one unpin and gc, and goes after both', async () => {
  const { store } = openStore();
  const blocks = store.blocks;
  const content = randomBytes(50 * KiB);
  const e = await encode(content, 1024); // level 2: 51 leaves, 4 + 1 internal nodes
  assert.equal(e.cap.level, 2);
  putAll(blocks, e);
  assert.equal(blocks.pin(e.cap, 'own', 'did:key:z6MkAlice'), true);
  assert.equal(blocks.pin(e.cap, 'follow:did:key:z6MkBob', 'did:key:z6MkAlice'), true);
  assert.equal(blocks.pin(e.cap, 'own'), false);
  const status = blocks.pinStatus(e.cap)!;
  assert.deepEqual(status.reasons.map((r) => r.reason).sort(), ['follow:did:key:z6MkBob', 'own']);
  assert.equal(status.coveredBlocks, e.blocks.length);
  assert.equal(status.presentBlocks, e.blocks.length);
  assert.equal(status.complete, true);

  assert.equal(blocks.unpin(e.cap, 'own'), true);
  assert.equal(blocks.unpin(e.cap, 'own'), false);
  assert.deepEqual(blocks.gc(undefined, LATER), { blocks: 0, bytes: 0, freeBytes: blocks.quotaBytes - sizes(e) });
  for (const b of e.blocks) assert.equal(blocks.has(b.ref), true);
  assert.deepEqual(Buffer.from(await decode(blocks, e.cap)), content);

  // unpin also takes the bare root reference.
  assert.equal(blocks.unpin(e.cap.rootReference, 'follow:did:key:z6MkBob'), true);
  assert.equal(blocks.pinStatus(e.cap), undefined);
  assert.equal(store.db.prepare('SELECT COUNT(*) FROM pin_blocks').pluck().get(), 0);
  const freed = blocks.gc(undefined, LATER);
  assert.deepEqual(freed, { blocks: e.blocks.length, bytes: sizes(e), freeBytes: blocks.quotaBytes });
  for (const b of e.blocks) assert.equal(blocks.has(b.ref), false);
  assert.deepEqual(blocks.usage(), { blocks: 0, bytes: 0, pinnedBytes: 0, quotaBytes: blocks.quotaBytes });
  store.close();
});

test('gc never removes pinned blocks, removes unpinned ones, oldest used first down to a target', async () => {
  const { store } = openStore();
  const blocks = store.blocks;
  const kept = await encode(randomBytes(20 * KiB - 5), 1024);
  const loose = await encode(randomBytes(7 * KiB - 1), 1024); // 7 leaves + root
  // A block shared by both trees (equal plaintext leaves converge): pinned through one, it stays.
  const shared = Buffer.alloc(KiB, 0x5a);
  const k2 = await encode(Buffer.concat([shared, randomBytes(2 * KiB - 1)]), 1024);
  const l2 = await encode(Buffer.concat([shared, randomBytes(2 * KiB - 1)]), 1024);
  assert.deepEqual(k2.blocks[0]!.ref, l2.blocks[0]!.ref);
  putAll(blocks, kept, 1000);
  putAll(blocks, k2, 1000);
  putAll(blocks, loose, 2000);
  putAll(blocks, l2, 2000);
  blocks.pin(kept.cap, 'own');
  blocks.pin(k2.cap, 'sealed');

  // Within the grace period (by default), nothing goes.
  assert.equal(blocks.gc(undefined, 2000 + 60_000).blocks, 0);

  // A target: only as much as needed, least recently used first (loose was stored before l2, same time: row order).
  blocks.quotaBytes = blocks.usage().bytes;
  const partial = blocks.gc(3 * KiB, LATER);
  assert.equal(partial.bytes, 3 * KiB);
  assert.equal(partial.freeBytes, 3 * KiB);
  assert.deepEqual(
    loose.blocks.map((b) => blocks.has(b.ref)),
    [false, false, false, true, true, true, true, true],
  );
  assert.equal(blocks.gc(2 * KiB, LATER).blocks, 0, 'enough is free already');

  const rest = blocks.gc(undefined, LATER);
  assert.equal(rest.blocks, loose.blocks.length - 3 + l2.blocks.length - 1);
  for (const b of [...kept.blocks, ...k2.blocks]) assert.equal(blocks.has(b.ref), true);
  for (const b of [...loose.blocks, ...l2.blocks.slice(1)]) assert.equal(blocks.has(b.ref), false);
  assert.equal((await decode(blocks, kept.cap)).length, 20 * KiB - 5);
  refusedWith(() => blocks.gc(-1), 'malformed');
  store.close();
});

test('pinned before the blocks arrive: covered as they come, in either order, and gc keeps them', async () => {
  for (const order of ['top-down', 'encoder order (leaves first)'] as const) {
    const { store } = openStore();
    const blocks = store.blocks;
    const content = randomBytes(70 * KiB);
    const e = await encode(content, 1024); // level 2
    assert.equal(e.cap.level, 2);
    const unrelated = await encode(randomBytes(2 * KiB - 1), 1024);
    putAll(blocks, unrelated, 1000);
    assert.equal(blocks.pin(e.cap, 'follow:did:key:z6MkBob'), true);
    let status = blocks.pinStatus(e.cap)!;
    assert.equal(status.coveredBlocks, 1);
    assert.equal(status.pendingNodes, 1);
    assert.equal(status.complete, false);
    assert.deepEqual(blocks.missing(e.cap), [e.cap.rootReference]);

    const arrivals = order === 'top-down' ? [...e.blocks].reverse() : e.blocks;
    if (order === 'top-down') {
      // The root arrives: its children's references are now known and covered, though absent.
      blocks.put(arrivals[0]!.ref, arrivals[0]!.block, 1000);
      status = blocks.pinStatus(e.cap)!;
      assert.equal(status.presentBlocks, 1);
      assert.ok(status.coveredBlocks > 1);
      assert.equal(blocks.missing(e.cap).length, status.coveredBlocks - 1);
    }
    putAll(blocks, { cap: e.cap, blocks: arrivals }, 1000);
    status = blocks.pinStatus(e.cap)!;
    assert.equal(status.coveredBlocks, e.blocks.length);
    assert.equal(status.presentBlocks, e.blocks.length);
    assert.equal(status.pendingNodes, 0);
    assert.equal(status.complete, true);
    assert.deepEqual(blocks.missing(e.cap), []);
    assert.equal(store.db.prepare('SELECT COUNT(*) FROM pin_pending').pluck().get(), 0, 'no key is left once the tree is complete');

    const freed = blocks.gc(undefined, LATER);
    assert.equal(freed.blocks, unrelated.blocks.length);
    for (const b of e.blocks) assert.equal(blocks.has(b.ref), true, order);
    assert.deepEqual(Buffer.from(await decode(blocks, e.cap)), content);
    store.close();
  }
});

test('references covered by hand keep blocks that arrived before their parent', async () => {
  const { store } = openStore();
  const blocks = store.blocks;
  const e = await encode(randomBytes(40 * KiB), 1024);
  const root = e.blocks.at(-1)!;
  const leaves = e.blocks.slice(0, 3);
  refusedWith(
    () =>
      blocks.coverReferences(
        e.cap,
        leaves.map((b) => b.ref),
      ),
    'not-found',
  );
  blocks.pin(e.cap, 'own');
  for (const b of leaves) blocks.put(b.ref, b.block, 1000);
  // Without their parents, the leaves are not known to be in the tree: gc takes one when asked.
  blocks.coverReferences(
    e.cap,
    leaves.slice(0, 2).map((b) => b.ref),
  );
  assert.equal(blocks.coverReferences(e.cap.rootReference, [leaves[0]!.ref]), 0);
  const before = snapshot(store);
  refusedWith(() => blocks.coverReferences(e.cap, [leaves[2]!.ref, new Uint8Array(3)]), 'malformed');
  assert.equal(snapshot(store), before);
  assert.equal(blocks.gc(undefined, LATER).blocks, 1);
  assert.deepEqual(
    leaves.map((b) => blocks.has(b.ref)),
    [true, true, false],
  );
  blocks.put(root.ref, root.block);
  assert.equal(blocks.has(root.ref), true);
  store.close();
});

test('a capability that does not open its tree: refused when the root is here, marked broken when it arrives later', async () => {
  const { store } = openStore();
  const blocks = store.blocks;
  const e = await encode(randomBytes(20 * KiB), 1024);
  const wrongKey = { ...e.cap, rootKey: randomBytes(32) };
  const wrongLevel = { ...e.cap, level: e.cap.level + 1 };

  putAll(blocks, e);
  const before = snapshot(store);
  refusedWith(() => blocks.pin(wrongKey, 'own'), 'malformed', /does not open/);
  refusedWith(() => blocks.pin(wrongLevel, 'own'), 'malformed', /does not open/);
  refusedWith(() => blocks.pin({ ...e.cap, blockSize: 32768 }, 'own'), 'malformed');
  refusedWith(() => blocks.pin(e.cap, ''), 'malformed');
  refusedWith(() => blocks.pin(e.cap, 'x'.repeat(257)), 'malformed');
  refusedWith(() => blocks.pin({ ...e.cap, rootReference: new Uint8Array(5) }, 'own'), 'malformed');
  refusedWith(() => blocks.unpin(new Uint8Array(5), 'own'), 'malformed');
  assert.equal(snapshot(store), before);
  blocks.pin(e.cap, 'own');
  refusedWith(() => blocks.pin(wrongLevel, 'sealed'), 'conflict');

  const other = openStore().store;
  other.blocks.pin(wrongKey, 'own');
  putAll(other.blocks, e);
  const status = other.blocks.pinStatus(wrongKey)!;
  assert.match(status.broken ?? '', /does not open/);
  assert.equal(status.complete, false);
  assert.equal(status.coveredBlocks, 1, 'only the root is covered');
  assert.equal(other.blocks.has(e.cap.rootReference), true, 'the block itself was valid and is stored');
  other.close();
  store.close();
});

test('usage adds up, survives a reopen, and counts a block in two pinned files once', async () => {
  const path = join(tempDir('kith-blocks-'), 'kith.db');
  let store = Store.open(path);
  const shared = Buffer.alloc(KiB, 0x33);
  const f1 = await encode(Buffer.concat([shared, randomBytes(1000)]), 1024); // 2 leaves + root
  const f2 = await encode(Buffer.concat([shared, randomBytes(1000)]), 1024);
  const f3 = await encode(randomBytes(40 * KiB), 32768); // 2 leaves + root
  assert.deepEqual(f1.blocks[0]!.ref, f2.blocks[0]!.ref);
  putAll(store.blocks, f1);
  putAll(store.blocks, f2);
  putAll(store.blocks, f3);
  const distinct = new Set([...f1.blocks, ...f2.blocks, ...f3.blocks].map((b) => Buffer.from(b.ref).toString('hex')));
  const bytes = sizes(f1) + sizes(f2) - KiB + sizes(f3);
  assert.equal(f1.blocks.length, 3);
  assert.equal(f3.blocks.length, 3);
  assert.deepEqual(store.blocks.usage(), { blocks: distinct.size, bytes, pinnedBytes: 0, quotaBytes: 1024 ** 3 });
  store.blocks.pin(f1.cap, 'own');
  store.blocks.pin(f2.cap, 'own');
  assert.equal(store.blocks.usage().pinnedBytes, sizes(f1) + sizes(f2) - KiB);
  store.blocks.pin(f3.cap, 'sealed');
  assert.equal(store.blocks.usage().pinnedBytes, bytes);
  store.blocks.unpin(f1.cap, 'own');
  assert.equal(store.blocks.usage().pinnedBytes, sizes(f2) + sizes(f3), 'the shared block is still pinned through f2');
  store.close();

  store = Store.open(path);
  assert.deepEqual(store.blocks.usage(), { blocks: distinct.size, bytes, pinnedBytes: sizes(f2) + sizes(f3), quotaBytes: 1024 ** 3 });
  assert.deepEqual(
    store.blocks.pinStatus(f3.cap)?.reasons.map((r) => r.reason),
    ['sealed'],
  );
  // The totals the triggers keep agree with the table.
  const real = store.db.prepare('SELECT COUNT(*) AS blocks, COALESCE(SUM(length(data)), 0) AS bytes FROM blocks').get();
  assert.deepEqual(real, { blocks: distinct.size, bytes });
  const freed = store.blocks.gc(undefined, LATER);
  assert.equal(freed.bytes, sizes(f1) - KiB);
  assert.equal(store.blocks.usage().bytes, bytes - freed.bytes);
  assert.equal(store.blocks.usage().pinnedBytes, store.blocks.usage().bytes);
  store.close();
});

test('reads update last-used times in batches, not with a write per read', async () => {
  const { store } = openStore();
  const blocks = new BlockTable(store.db, { touchMs: 60_000, graceMs: 0 });
  const e = await encode(randomBytes(8 * KiB), 1024);
  putAll(blocks, e, 1000);
  const used = (): number[] => e.blocks.map((b) => store.db.prepare('SELECT used FROM blocks WHERE ref = ?').pluck().get(Buffer.from(b.ref)) as number);
  blocks.get(e.blocks[0]!.ref, 30_000); // within touchMs of its time: nothing recorded
  blocks.get(e.blocks[1]!.ref, 100_000);
  assert.deepEqual(
    used(),
    e.blocks.map(() => 1000),
    'not written yet',
  );
  blocks.flush();
  assert.deepEqual(
    used(),
    e.blocks.map((_, i) => (i === 1 ? 100_000 : 1000)),
  );
  // gc writes pending touches first, so a block just read is the last to go.
  blocks.get(e.blocks[2]!.ref, 200_000);
  blocks.quotaBytes = sizes(e);
  blocks.gc(sizes(e) - KiB, 300_000);
  assert.deepEqual(
    e.blocks.map((b) => blocks.has(b.ref)),
    e.blocks.map((_, i) => i === 2),
  );
  store.close();
});

test('the plaintext of a stored file is nowhere in the database files', async () => {
  const { store, path } = openStore();
  const marker = Buffer.from('KITH-PLAINTEXT-MARKER:' + 'the quick brown fox jumps over the lazy dog; '.repeat(3) + randomBytes(16).toString('hex'));
  assert.ok(marker.length >= 100);
  const small = Buffer.concat([randomBytes(300), marker, randomBytes(300)]);
  const large = Buffer.concat([randomBytes(40 * KiB), marker, randomBytes(5 * KiB)]);
  const e1 = await encode(small, 1024);
  const e2 = await encode(large, 32768);
  putAll(store.blocks, e1);
  putAll(store.blocks, e2);
  store.blocks.pin(e1.cap, 'own');
  store.blocks.pin(e2.cap, 'own');
  assert.deepEqual(Buffer.from(await decode(store.blocks, e2.cap)), large);

  const files = (): Buffer => Buffer.concat([path, `${path}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
  let bytes = files();
  // The search can succeed: the ciphertext of a stored block is there, byte for byte.
  assert.ok(bytes.includes(Buffer.from(e1.blocks[0]!.block)), 'the stored ciphertext must be found in the files');
  assert.ok(bytes.includes(Buffer.from(e2.blocks[0]!.block.subarray(0, 256))));
  assert.equal(bytes.includes(marker), false, 'the plaintext must not be stored');
  assert.equal(bytes.includes(marker.subarray(0, 64)), false);
  // And after a checkpoint moves everything into the main file.
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  bytes = files();
  assert.ok(bytes.includes(Buffer.from(e1.blocks[0]!.block)));
  assert.equal(bytes.includes(marker), false);
  store.close();
});

test('the reference check is the real one: erisReference of the stored bytes', async () => {
  const { store } = openStore();
  const block = randomBytes(1024);
  const ref = erisReference(block);
  assert.equal(store.blocks.put(ref, block), true);
  assert.deepEqual(new Uint8Array(store.blocks.get(ref)!), new Uint8Array(block));
  const ref32 = erisReference(randomBytes(32768));
  refusedWith(() => store.blocks.put(ref32, randomBytes(32768)), 'bad-encoding');
  store.close();
});
