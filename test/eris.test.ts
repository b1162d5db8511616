import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { base32nopad } from '@scure/base';
import { vectorsDir, readVectorJson, refusedWith, rejectsWith } from './helpers.js';
import {
  decodeEris,
  decodeErisToBytes,
  encodeEris,
  erisReference,
  formatErisReference,
  initEris,
  maxErisLevel,
  readCapabilityFromBytes,
  readCapabilityToBytes,
  type ErisBlockSize,
  type ErisReference,
  type GetBlock,
  type ReadCapability,
} from '../src/core/eris.js';
import { formatErisUrn, parseErisUrn } from '../src/core/eris-urn.js';
import { blake2b256, chacha20 } from '../src/core/eris-crypto.js';
import type { ErrorCode } from '../src/core/errors.js';

/** ERIS 1.0.0 vectors (ehmry/eris-nim, CC0), read as published, plus round trips and abuse. */

await initEris();

interface VectorCapability {
  'block-size': number;
  level: number;
  'root-reference': string;
  'root-key': string;
}
interface ErisVector {
  id: number;
  'spec-version': string;
  type: 'positive' | 'negative';
  name: string;
  description: string;
  content?: string;
  'convergence-secret'?: string;
  'block-size'?: number;
  'read-capability': VectorCapability;
  urn: string;
  blocks: Record<string, string>;
}

const b32 = (s: string): Uint8Array => base32nopad.decode(s);
const erisFiles = readdirSync(join(vectorsDir, 'eris'))
  .filter((f) => f.endsWith('.json'))
  .sort();
const vectors = erisFiles.map((f) => ({ file: f, v: readVectorJson<ErisVector>(`eris/${f}`) }));

/** A block store keyed by base32 reference, as the vectors name blocks. */
class MemoryStore {
  readonly blocks = new Map<string, Uint8Array>();
  puts = 0;
  readonly put = (reference: ErisReference, block: Uint8Array): void => {
    assert.deepEqual(erisReference(block), reference, 'every block is put under its BLAKE2b-256');
    this.blocks.set(formatErisReference(reference), block);
    this.puts++;
  };
  readonly get: GetBlock = (reference) => this.blocks.get(formatErisReference(reference));
}

function storeFromVector(v: ErisVector): MemoryStore {
  const store = new MemoryStore();
  for (const [ref, block] of Object.entries(v.blocks)) store.blocks.set(ref, b32(block));
  return store;
}

function assertCapability(cap: ReadCapability, expected: VectorCapability): void {
  assert.equal(cap.blockSize, expected['block-size']);
  assert.equal(cap.level, expected.level);
  assert.equal(formatErisReference(cap.rootReference), expected['root-reference']);
  assert.equal(formatErisReference(cap.rootKey), expected['root-key']);
}

/** Cuts bytes into chunks of awkward sizes, to exercise the encoder's block assembly. */
async function* chunked(bytes: Uint8Array, sizes = [1, 7, 1000, 4097, 33000]): AsyncGenerator<Uint8Array> {
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

test('the ERIS vector folder holds positive and negative vectors, each named by its id', () => {
  assert.ok(vectors.some(({ v }) => v.type === 'positive'));
  assert.ok(vectors.some(({ v }) => v.type === 'negative'));
  for (const { file, v } of vectors) {
    assert.equal(v['spec-version'], '1.0.0', file);
    assert.equal(file, `eris-test-vector-${v.type}-${String(v.id).padStart(2, '0')}.json`);
  }
});

for (const { file, v } of vectors.filter((x) => x.v.type === 'positive')) {
  test(`ERIS ${file} (${v.name}): encoding gives exactly the URN, capability and blocks; decoding gives the content`, async () => {
    const content = b32(v.content!);
    const options = { blockSize: v['block-size'] as ErisBlockSize, convergenceSecret: b32(v['convergence-secret']!) };
    const expected = storeFromVector(v);

    const ours = new MemoryStore();
    const cap = await encodeEris(content, ours.put, options);
    assert.equal(formatErisUrn(cap), v.urn);
    assertCapability(cap, v['read-capability']);
    assert.deepEqual([...ours.blocks.keys()].sort(), [...expected.blocks.keys()].sort(), 'the same set of references');
    for (const [ref, block] of expected.blocks) assert.deepEqual(ours.blocks.get(ref), block, `block ${ref}`);

    // Streaming the same content in odd chunks changes nothing.
    const streamed = new MemoryStore();
    assert.equal(formatErisUrn(await encodeEris(chunked(content), streamed.put, options)), v.urn);
    assert.equal(streamed.puts, ours.puts);

    // The URN and its binary form carry the vector's capability.
    const parsed = parseErisUrn(v.urn);
    assertCapability(parsed, v['read-capability']);
    assert.deepEqual(readCapabilityFromBytes(readCapabilityToBytes(parsed)), parsed);

    // Decoding reads only the vector's blocks.
    assert.deepEqual(await decodeErisToBytes(parsed, expected.get), content);
    assert.deepEqual(await decodeErisToBytes(parsed, expected.get, { readAhead: 1 }), content);
  });
}

/** What each negative vector must fail with, by id; the description says why. */
const negativeExpectations: Record<number, { code: ErrorCode; message: RegExp }> = {
  13: { code: 'not-found', message: /block [A-Z2-7]{52} is missing/ }, // no blocks
  14: { code: 'bad-encoding', message: /does not match its reference/ }, // block does not hash to its reference
  15: { code: 'not-found', message: /block [A-Z2-7]{52} is missing/ }, // one of several blocks missing
  16: { code: 'bad-encoding', message: /does not match its reference/ }, // one of several blocks corrupted
  17: { code: 'malformed', message: /internal node at level 1 does not match its key/ }, // level raised: root key check fails
  18: { code: 'malformed', message: /internal node at level 1 does not match its key/ }, // root key changed, level 1
  19: { code: 'malformed', message: /invalid padding/ }, // root key changed, level 0: garbage fails the padding check
  20: { code: 'malformed', message: /is 1024 bytes but the read capability says 32768-byte blocks/ }, // block size raised
  21: { code: 'malformed', message: /is 32768 bytes but the read capability says 1024-byte blocks/ }, // block size lowered
  22: { code: 'malformed', message: /invalid padding/ }, // no padding
  23: { code: 'malformed', message: /invalid padding/ }, // wrong padding
  24: { code: 'malformed', message: /data after its first null reference-key pair/ }, // random data instead of null pairs
};

for (const { file, v } of vectors.filter((x) => x.v.type === 'negative')) {
  test(`ERIS ${file} (${v.name}): decoding fails — ${v.description}`, async () => {
    const expected = negativeExpectations[v.id];
    assert.ok(expected, `an expectation is written down for negative vector ${v.id}`);
    const cap = parseErisUrn(v.urn);
    assertCapability(cap, v['read-capability']);
    const store = storeFromVector(v);
    const output: Uint8Array[] = [];
    const consume = async (): Promise<void> => {
      for await (const chunk of decodeEris(cap, store.get)) output.push(chunk);
    };
    await rejectsWith(consume(), expected.code, expected.message);
    // What came out before the failure are whole leaves; the last, padded leaf never does.
    assert.ok(output.every((chunk) => chunk.length === cap.blockSize));
  });
}

function expectedLevel(contentLength: number, blockSize: number): number {
  let blocks = Math.floor(contentLength / blockSize) + 1; // padding always adds at least a byte
  let level = 0;
  while (blocks > 1) {
    blocks = Math.ceil(blocks / (blockSize / 64));
    level++;
  }
  return level;
}

for (const blockSize of [1024, 32768] as const) {
  for (const size of [0, 1, 1023, 1024, 1025, 32768, 1_050_000]) {
    test(`ERIS round trip: ${size} random bytes in ${blockSize}-byte blocks`, async () => {
      const content = new Uint8Array(randomBytes(size));
      const store = new MemoryStore();
      const cap = await encodeEris(chunked(content), store.put, { blockSize });
      assert.equal(cap.blockSize, blockSize);
      assert.equal(cap.level, expectedLevel(size, blockSize));
      assert.deepEqual(parseErisUrn(formatErisUrn(cap)), cap);
      for (const block of store.blocks.values()) assert.equal(block.length, blockSize);
      assert.deepEqual(await decodeErisToBytes(cap, store.get), content);
      // Encoding is deterministic (convergent): once more, the same URN.
      assert.equal(formatErisUrn(await encodeEris(content, () => undefined, { blockSize })), formatErisUrn(cap));
    });
  }
}

test('ERIS convergence secret: same secret, same URN; other secret, other URN and blocks; default is all zeros', async () => {
  const content = new Uint8Array(randomBytes(5000));
  const secret = new Uint8Array(randomBytes(32));
  const a = new MemoryStore();
  const b = new MemoryStore();
  const capA = await encodeEris(content, a.put, { blockSize: 1024, convergenceSecret: secret });
  const capB = await encodeEris(content, b.put, { blockSize: 1024, convergenceSecret: Uint8Array.from(secret) });
  assert.equal(formatErisUrn(capA), formatErisUrn(capB));
  const capDefault = await encodeEris(content, () => undefined, { blockSize: 1024 });
  const capZero = await encodeEris(content, () => undefined, { blockSize: 1024, convergenceSecret: new Uint8Array(32) });
  assert.equal(formatErisUrn(capDefault), formatErisUrn(capZero));
  assert.notEqual(formatErisUrn(capA), formatErisUrn(capDefault));
  assert.deepEqual(await decodeErisToBytes(capA, a.get), content);
  await rejectsWith(
    encodeEris(content, () => undefined, { blockSize: 1024, convergenceSecret: new Uint8Array(16) }),
    'malformed',
    /convergence secret is 32 bytes/,
  );
  await rejectsWith(
    encodeEris(content, () => undefined, { blockSize: 4096 as ErisBlockSize }),
    'malformed',
    /block size 4096/,
  );
});

test('ERIS URN and binary capability: wrong, truncated or out-of-range input gives a clear error', async () => {
  const { urn } = vectors.find((x) => x.v.type === 'positive')!.v;
  const good = parseErisUrn(urn);
  assert.deepEqual(parseErisUrn('URN:ERIS:' + urn.slice('urn:eris:'.length)), good, 'scheme and namespace are case-insensitive');
  refusedWith(() => parseErisUrn(urn.slice(0, -1)), 'malformed', /106 base32 characters.*has 105/);
  refusedWith(() => parseErisUrn(urn.slice(0, 40)), 'malformed', /truncated/);
  refusedWith(() => parseErisUrn(urn + 'A'), 'malformed', /has 107/);
  refusedWith(() => parseErisUrn('urn:eris:'), 'malformed', /has 0/);
  refusedWith(() => parseErisUrn('urn:magenc:' + urn.slice(9)), 'malformed', /starts with "urn:eris:"/);
  refusedWith(() => parseErisUrn(urn.slice(0, -1) + '1'), 'bad-encoding', /base32/);
  refusedWith(() => parseErisUrn(urn.toLowerCase()), 'bad-encoding', /uppercase base32/);
  refusedWith(() => parseErisUrn(urn.slice(0, -1) + 'N'), 'bad-encoding', /base32/); // non-zero trailing bits
  refusedWith(() => parseErisUrn(42 as unknown as string), 'malformed', /string/);

  const bytes = readCapabilityToBytes(good);
  assert.equal(bytes.length, 66);
  assert.equal(bytes[0], 0x0a);
  const withCode = (i: number, value: number): string => {
    const copy = Uint8Array.from(bytes);
    copy[i] = value;
    return 'urn:eris:' + base32nopad.encode(copy);
  };
  refusedWith(() => parseErisUrn(withCode(0, 0x0b)), 'malformed', /unknown ERIS block size code 0x0b/);
  refusedWith(() => parseErisUrn(withCode(1, 255)), 'malformed', /level 255 is out of range \(0 to 14/);
  assert.equal(parseErisUrn(withCode(1, maxErisLevel(1024))).level, 14);
  assert.equal(maxErisLevel(32768), 6);
  refusedWith(() => readCapabilityFromBytes(bytes.subarray(0, 65)), 'malformed', /66 bytes, not 65/);
  refusedWith(() => formatErisUrn({ ...good, rootKey: new Uint8Array(31) }), 'malformed', /root key must be 32 bytes/);
  refusedWith(() => formatErisUrn({ ...good, level: 1.5 }), 'malformed', /level 1.5/);
});

test('ERIS decoding stops at a corrupted block: the content before it and nothing after', async () => {
  const content = new Uint8Array(randomBytes(10 * 1024));
  const store = new MemoryStore();
  const order: string[] = [];
  const cap = await encodeEris(
    content,
    (r, b) => {
      order.push(formatErisReference(r));
      store.put(r, b);
    },
    { blockSize: 1024 },
  );
  // The first 11 blocks put are the leaves (10 of content, one of padding), then the root node.
  const sixth = order[5]!;
  const bad = Uint8Array.from(store.blocks.get(sixth)!);
  bad[100]! ^= 1;
  store.blocks.set(sixth, bad);
  const output: Uint8Array[] = [];
  await rejectsWith(
    (async () => {
      for await (const chunk of decodeEris(cap, store.get, { readAhead: 8 })) output.push(chunk);
    })(),
    'bad-encoding',
    new RegExp(`${sixth} does not match its reference`),
  );
  assert.equal(output.length, 5);
  assert.deepEqual(Buffer.concat(output), Buffer.from(content.subarray(0, 5 * 1024)));
});

test('ERIS decoding: a size limit gives too-large; leaving the stream early leaves no unhandled rejection', async () => {
  const content = new Uint8Array(randomBytes(40 * 1024));
  const store = new MemoryStore();
  const cap = await encodeEris(content, store.put, { blockSize: 1024 });
  assert.equal(cap.level, 2);
  await rejectsWith(decodeErisToBytes(cap, store.get, { maxBytes: 1024 }), 'too-large', /level 2 is at least 16384 bytes/);
  await rejectsWith(decodeErisToBytes(cap, store.get, { maxBytes: 20_000 }), 'too-large', /longer than the limit of 20000/);
  assert.equal((await decodeErisToBytes(cap, store.get, { maxBytes: content.length })).length, content.length);

  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    let served = 0;
    const requests: Promise<unknown>[] = [];
    const failing: GetBlock = (r) => {
      const request = (async () => {
        if (served++ > 3) throw new Error('store went away');
        return store.get(r);
      })();
      requests.push(request);
      return request;
    };
    for await (const chunk of decodeEris(cap, failing, { readAhead: 16 })) {
      assert.equal(chunk.length, 1024);
      break; // the read-ahead has requests in flight that will fail
    }
    // Wait for every request the decoder made to fail, then for the turn of the
    // event loop after it, by which Node has reported any rejection left unhandled.
    const outcomes = await Promise.allSettled(requests);
    assert.ok(outcomes.filter((o) => o.status === 'rejected').length > 0, 'requests in flight failed after the stream was left');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

/** Builds internal nodes by hand (as the encoder would, but in shapes it never makes). */
async function handMadeNode(store: MemoryStore, level: number, pairs: { reference: Uint8Array; key: Uint8Array }[], blockSize = 1024) {
  const plaintext = new Uint8Array(blockSize);
  pairs.forEach((p, i) => {
    plaintext.set(p.reference, i * 64);
    plaintext.set(p.key, i * 64 + 32);
  });
  const key = blake2b256(plaintext);
  const block = chacha20(key, level, plaintext);
  const reference = blake2b256(block);
  store.put(reference, block);
  return { reference, key };
}

test('ERIS decoding refuses tree shapes the encoder never makes', async () => {
  const store = new MemoryStore();
  // Leaves from a real encoding: one full block of content, then one of padding.
  const leafStore = new MemoryStore();
  const twoLeaves = await encodeEris(new Uint8Array(1024).fill(7), leafStore.put, { blockSize: 1024 });
  for (const [k, b] of leafStore.blocks) store.blocks.set(k, b);
  const root = leafStore.get(twoLeaves.rootReference) as Uint8Array;
  const rootPlain = chacha20(twoLeaves.rootKey, 1, root);
  const first = { reference: rootPlain.slice(0, 32), key: rootPlain.slice(32, 64) };
  const last = { reference: rootPlain.slice(64, 96), key: rootPlain.slice(96, 128) };

  const cap = (level: number, p: { reference: Uint8Array; key: Uint8Array }): ReadCapability => ({
    blockSize: 1024,
    level,
    rootReference: p.reference,
    rootKey: p.key,
  });
  // The real tree decodes.
  assert.deepEqual(await decodeErisToBytes(cap(1, await handMadeNode(store, 1, [first, last])), store.get), new Uint8Array(1024).fill(7));
  // A root with one pair: that pair should have been the root.
  await rejectsWith(decodeErisToBytes(cap(1, await handMadeNode(store, 1, [last])), store.get), 'malformed', /single pair/);
  // A node of null pairs only.
  await rejectsWith(decodeErisToBytes(cap(1, await handMadeNode(store, 1, [])), store.get), 'malformed', /no reference-key pairs/);
  // A node that is not the last of its level but not full.
  const short = await handMadeNode(store, 1, [first]);
  const tail = await handMadeNode(store, 1, [last]);
  await rejectsWith(decodeErisToBytes(cap(2, await handMadeNode(store, 2, [short, tail])), store.get), 'malformed', /not full but is not the last/);
});

/**
 * A full collection. Twice: V8 frees ArrayBuffer backing stores in a sweep that
 * finishes concurrently, so memoryUsage() only drops after the following GC.
 */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

const footprint = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

test('ERIS streams in bounded memory: 64 MiB encoded and 32 MiB decoded hold only a few MiB', async (t) => {
  const gc = gcFunction();
  const MiB = 1024 * 1024;

  /** Content made on the fly, in one reused chunk buffer (the encoder copies what it needs). */
  async function* generated(total: number): AsyncGenerator<Uint8Array> {
    const chunk = new Uint8Array(64 * 1024);
    for (let i = 0; i * chunk.length < total; i++) {
      chunk.fill(i & 0xff);
      new DataView(chunk.buffer).setUint32(0, i);
      yield chunk;
    }
  }

  // Encode 64 MiB keeping only the references, collecting now and then. Live
  // memory is what would grow with the content; garbage between collections is
  // V8's business (it lets up to 64 MiB of dead buffers wait), so the peak
  // without collections is only reported.
  gc();
  let before = footprint();
  let retained = 0;
  const references: ErisReference[] = [];
  const cap = await encodeEris(
    generated(64 * MiB),
    (r) => {
      references.push(r);
      if (references.length % 256 === 0) {
        gc();
        retained = Math.max(retained, footprint() - before);
      }
    },
    { blockSize: 32768 },
  );
  gc();
  retained = Math.max(retained, footprint() - before);
  assert.equal(references.length, 2048 + 1 + 5 + 1); // 2048 content leaves, one of padding, 5 level-1 nodes, the root
  assert.equal(cap.level, 2);
  assert.ok(retained < 4 * MiB, `encoder retains ${(retained / MiB).toFixed(1)} MiB after GC for 64 MiB of content`);

  before = footprint();
  let peak = 0;
  let puts = 0;
  const again = await encodeEris(
    generated(64 * MiB),
    () => {
      if (++puts % 16 === 0) peak = Math.max(peak, footprint() - before);
    },
    { blockSize: 32768 },
  );
  assert.equal(formatErisUrn(again), formatErisUrn(cap));
  t.diagnostic(`encoder: ${(retained / MiB).toFixed(2)} MiB live; ${(peak / MiB).toFixed(1)} MiB peak without forced GC, for 64 MiB of content`);

  // Decode 32 MiB from a store (whose own size is the baseline), not keeping the output.
  const store = new MemoryStore();
  const stored = await encodeEris(generated(32 * MiB), store.put, { blockSize: 32768 });
  gc();
  const base = footprint();
  let decodeRetained = 0;
  let length = 0;
  let chunks = 0;
  for await (const chunk of decodeEris(stored, store.get)) {
    length += chunk.length;
    if (++chunks % 128 === 0) {
      gc();
      decodeRetained = Math.max(decodeRetained, footprint() - base);
    }
  }
  assert.equal(length, 32 * MiB);
  assert.ok(decodeRetained < 4 * MiB, `decoder retains ${(decodeRetained / MiB).toFixed(1)} MiB after GC`);
  t.diagnostic(`decoder: ${(decodeRetained / MiB).toFixed(2)} MiB live beyond the store, for 32 MiB of content`);
});
