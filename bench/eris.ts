/**
 * npm run bench -- eris [--mb N] [--json] [--keep-buffers]
 *
 * ERIS encode and decode throughput (src/core/eris.ts) over the same N MiB of
 * content (default 256), for 1 KiB and for 32 KiB blocks, each next to the raw
 * speed of the primitives ERIS is made of, measured in the same run on blocks
 * of the same size and called exactly as eris-crypto calls them:
 *  - BLAKE2b-256 (hash-wasm, init/update/digest on the shared hasher), unkeyed
 *    and keyed with the all-zero convergence secret;
 *  - ChaCha20 (Node's OpenSSL, one cipher object per block, as each block has
 *    its own key).
 * The bound for one block of content is the raw time of what ERIS must do to
 * it: to encode, keyed hash of the plaintext (the key) + cipher + hash of the
 * ciphertext (the reference); to decode, hash (verify the reference) + cipher.
 * Each ERIS figure is printed with its percentage of that bound; the aim is
 * 60% or more. Internal tree nodes are not in the bound: they are part of what
 * ERIS costs over the raw primitives (1/15 more blocks with 1 KiB blocks, 1/511
 * with 32 KiB).
 *
 * Blocks are kept in an in-memory Map (keyed by reference) for this bench, so
 * what is measured is ERIS and its primitives, not the speed of a block store
 * (see MemoryBlocks for how the blocks themselves are held, and --keep-buffers).
 * The content is made in 1 MiB chunks from one fixed random MiB with the chunk
 * number stamped into every KiB, so every block is distinct (nothing is
 * de-duplicated) and making it costs next to nothing.
 *
 * Each block size runs in its own child process (this file, with --block-size),
 * and each raw primitive is timed before and after the ERIS runs, the faster
 * counting: state left by one phase (the C allocator's, the garbage collector's)
 * otherwise skewed the next; after the 1 KiB phase, every 32 KiB cipher output
 * page-faulted and raw ChaCha20 ran at 40% of its speed in a fresh process.
 *
 * The default run takes about 20 s on a 2-core machine.
 *
 * MiB = 2^20 bytes (content size); MB/s = 10^6 bytes per second (throughput,
 * counted in content bytes).
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver } from 'node:perf_hooks';
import { initEris, encodeEris, decodeEris, type ErisBlockSize, type ReadCapability } from '../src/core/eris.js';
import { blake2b256, chacha20, keyedBlake2b256 } from '../src/core/eris-crypto.js';
import { progressLine, argValue } from './bounds.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const keepBuffers = args.includes('--keep-buffers');
const MIB = 1 << 20;
const mb = Math.floor(argValue(args, '--mb', 256));
const contentBytes = mb * MIB;
const BLOCK_SIZES: ErisBlockSize[] = [1024, 32768];
/** Internal: measure only this block size and print its result as JSON (the parent runs one child per size). */
const childBlockSize = argValue(args, '--block-size', 0);
/** How long each raw primitive is timed, per block size. */
const RAW_MS = 1000;
/** Random blocks the raw primitives run over: bigger than the caches close to the core, like the content. */
const RAW_POOL_BYTES = 4 * MIB;

const progress = progressLine(json);

// ---------------------------------------------------------------------------
// Raw primitives

let sink = 0; // results feed this, so no call can be optimised away

/** Nanoseconds per call of `fn` over the pool, repeated for at least `ms` milliseconds. */
function nsPerBlock(blocks: Uint8Array[], ms: number, fn: (block: Uint8Array, i: number) => Uint8Array): number {
  let calls = 0;
  const t0 = performance.now();
  let elapsed: number;
  do {
    for (let i = 0; i < blocks.length; i++) sink ^= fn(blocks[i]!, i)[0]!;
    calls += blocks.length;
    elapsed = performance.now() - t0;
  } while (elapsed < ms);
  return (elapsed * 1e6) / calls;
}

interface Raw {
  /** Nanoseconds per block. */
  hashNs: number;
  keyedHashNs: number;
  cipherNs: number;
}

/** Times the three primitives on a pool of random blocks of one size. */
async function rawTimer(blockSize: ErisBlockSize): Promise<() => Raw> {
  const count = RAW_POOL_BYTES / blockSize;
  const blocks = Array.from({ length: count }, () => new Uint8Array(randomBytes(blockSize)));
  const keys = Array.from({ length: count }, () => new Uint8Array(randomBytes(32)));
  const keyed = await keyedBlake2b256(new Uint8Array(32)); // the convergent (default) secret, as encodeEris uses it
  const hash = (b: Uint8Array) => blake2b256(b);
  const cipher = (b: Uint8Array, i: number) => chacha20(keys[i]!, 0, b);
  const label = `${blockSize / 1024} KiB blocks: raw`;
  return () => {
    // Warm up (JIT, WebAssembly tier-up) before anything is timed.
    for (const fn of [hash, keyed, cipher]) nsPerBlock(blocks, 100, fn);
    progress(`${label} BLAKE2b-256`);
    const hashNs = nsPerBlock(blocks, RAW_MS, hash);
    progress(`${label} BLAKE2b-256 keyed`);
    const keyedHashNs = nsPerBlock(blocks, RAW_MS, keyed);
    progress(`${label} ChaCha20`);
    const cipherNs = nsPerBlock(blocks, RAW_MS, cipher);
    return { hashNs, keyedHashNs, cipherNs };
  };
}

// ---------------------------------------------------------------------------
// ERIS

/** N MiB of content in 1 MiB chunks; every KiB carries the chunk number, so no two blocks are equal. */
function* content(mib: number, onChunk?: (done: number) => void): Generator<Uint8Array> {
  const chunk = new Uint8Array(randomBytes(MIB));
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  for (let c = 0; c < mib; c++) {
    for (let at = 0; at < MIB; at += 1024) view.setUint32(at, c);
    yield chunk; // the encoder copies what it is given before asking for more
    onChunk?.(c + 1);
  }
}

/** Map key of a reference: its bytes as a latin1 string, the cheapest exact string form. */
function keyOf(reference: Uint8Array): string {
  return Buffer.from(reference.buffer, reference.byteOffset, reference.byteLength).toString('latin1');
}

/**
 * The bench's block store: a Map from reference to the block. By default the
 * blocks are copied into large preallocated segments and the Map holds their
 * offsets: keeping the encoder's own buffers alive instead (--keep-buffers)
 * leaves hundreds of thousands of small ArrayBuffers for the garbage collector
 * to trace on every collection, a cost of this in-memory store that a real
 * store (which writes blocks out and drops them) does not have.
 */
class MemoryBlocks {
  private static readonly SEGMENT = 64 * MIB; // a multiple of both block sizes: no block straddles two segments
  private readonly segments: Uint8Array[] = [];
  private readonly offsets = new Map<string, number>();
  private readonly buffers = new Map<string, Uint8Array>();
  private top = 0;

  /** Segments for `capacity` bytes are allocated and written once here, so no page is first touched while timing. */
  constructor(
    private readonly blockSize: ErisBlockSize,
    private readonly keepBuffers: boolean,
    capacity: number,
  ) {
    if (keepBuffers) return;
    for (let n = 0; n < capacity; n += MemoryBlocks.SEGMENT) this.segments.push(new Uint8Array(MemoryBlocks.SEGMENT).fill(1));
  }

  get size(): number {
    return this.keepBuffers ? this.buffers.size : this.offsets.size;
  }

  readonly put = (reference: Uint8Array, block: Uint8Array): void => {
    const key = keyOf(reference);
    if (this.keepBuffers) {
      this.buffers.set(key, block);
      return;
    }
    if (this.offsets.has(key)) return; // the same block again (equal plaintext)
    const at = this.top % MemoryBlocks.SEGMENT;
    const segment = Math.floor(this.top / MemoryBlocks.SEGMENT);
    if (segment === this.segments.length) this.segments.push(new Uint8Array(MemoryBlocks.SEGMENT)); // only if the capacity was short
    this.segments[segment]!.set(block, at);
    this.offsets.set(key, this.top);
    this.top += block.length;
  };

  readonly get = (reference: Uint8Array): Uint8Array | undefined => {
    const key = keyOf(reference);
    if (this.keepBuffers) return this.buffers.get(key);
    const offset = this.offsets.get(key);
    if (offset === undefined) return undefined;
    const at = offset % MemoryBlocks.SEGMENT;
    return this.segments[Math.floor(offset / MemoryBlocks.SEGMENT)]!.subarray(at, at + this.blockSize);
  };
}

/** Milliseconds of garbage-collection pauses, as Node reports them. */
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });
/** Lets pending GC entries reach the observer, then returns and resets the total. */
async function takeGcMs(): Promise<number> {
  await new Promise((r) => setTimeout(r, 0));
  const ms = gcMs;
  gcMs = 0;
  return ms;
}

/** Bytes of all the blocks ERIS makes of `length` bytes: leaves (with padding) and internal nodes. */
function treeBytes(blockSize: ErisBlockSize, length: number): number {
  const arity = blockSize / 64;
  let blocks = Math.floor(length / blockSize) + 1;
  let total = blocks;
  while (blocks > 1) {
    blocks = Math.ceil(blocks / arity);
    total += blocks;
  }
  return total * blockSize;
}

interface ErisRun {
  encodeMs: number;
  decodeMs: number;
  encodeGcMs: number;
  decodeGcMs: number;
  /** Distinct blocks stored: leaves (with the padding block) and internal nodes. */
  blocks: number;
}

async function runEris(blockSize: ErisBlockSize, mib: number, label?: string): Promise<ErisRun> {
  const store = new MemoryBlocks(blockSize, keepBuffers, treeBytes(blockSize, mib * MIB));
  const every = Math.max(1, Math.floor(mib / 32));

  await takeGcMs();
  let t0 = performance.now();
  const cap: ReadCapability = await encodeEris(
    content(mib, (done) => {
      if (label && done % every === 0) progress(`${label}: encoding ${done}/${mib} MiB`);
    }),
    store.put,
    { blockSize },
  );
  const encodeMs = performance.now() - t0;
  const encodeGcMs = await takeGcMs();

  let bytes = 0;
  let shown = 0;
  t0 = performance.now();
  for await (const chunk of decodeEris(cap, store.get)) {
    bytes += chunk.length;
    if (label && bytes - shown >= every * MIB) {
      shown = bytes;
      progress(`${label}: decoding ${Math.floor(bytes / MIB)}/${mib} MiB`);
    }
  }
  const decodeMs = performance.now() - t0;
  const decodeGcMs = await takeGcMs();
  // The decoder checked every block against its reference; the length is what is left to check.
  if (bytes !== mib * MIB) throw new Error(`ERIS decoded ${bytes} bytes, expected ${mib * MIB}`);
  return { encodeMs, decodeMs, encodeGcMs, decodeGcMs, blocks: store.size };
}

// ---------------------------------------------------------------------------

const mbps = (bytes: number, ms: number) => bytes / ms / 1000;
const perBlockMbps = (blockSize: number, ns: number) => (blockSize / ns) * 1000;

/** One block size, in this process: raw bound, ERIS encode and decode, raw bound again. */
async function measure(blockSize: ErisBlockSize) {
  await initEris();
  const label = `${blockSize / 1024} KiB blocks`;
  const timeRaw = await rawTimer(blockSize);
  const before = timeRaw();
  progress(`${label}: warming up ERIS`);
  await runEris(blockSize, Math.min(mb, 8));
  const run = await runEris(blockSize, mb, label);
  const after = timeRaw();
  const raw: Raw = {
    hashNs: Math.min(before.hashNs, after.hashNs),
    keyedHashNs: Math.min(before.keyedHashNs, after.keyedHashNs),
    cipherNs: Math.min(before.cipherNs, after.cipherNs),
  };
  const encodeBoundMBps = perBlockMbps(blockSize, raw.keyedHashNs + raw.cipherNs + raw.hashNs);
  const decodeBoundMBps = perBlockMbps(blockSize, raw.hashNs + raw.cipherNs);
  const encodeMBps = mbps(contentBytes, run.encodeMs);
  const decodeMBps = mbps(contentBytes, run.decodeMs);
  return {
    blockSize,
    blocksStored: run.blocks,
    raw: {
      blake2b256MBps: perBlockMbps(blockSize, raw.hashNs),
      blake2b256KeyedMBps: perBlockMbps(blockSize, raw.keyedHashNs),
      chacha20MBps: perBlockMbps(blockSize, raw.cipherNs),
      blake2b256NsPerBlock: raw.hashNs,
      blake2b256KeyedNsPerBlock: raw.keyedHashNs,
      chacha20NsPerBlock: raw.cipherNs,
      /** The two timings each figure is the better of (ns per block). */
      before,
      after,
    },
    encode: { MBps: encodeMBps, boundMBps: encodeBoundMBps, ofBound: encodeMBps / encodeBoundMBps, ms: run.encodeMs, gcMs: run.encodeGcMs },
    decode: { MBps: decodeMBps, boundMBps: decodeBoundMBps, ofBound: decodeMBps / decodeBoundMBps, ms: run.decodeMs, gcMs: run.decodeGcMs },
  };
}
type Result = Awaited<ReturnType<typeof measure>>;

if (childBlockSize) {
  if (childBlockSize !== 1024 && childBlockSize !== 32768) throw new Error('--block-size must be 1024 or 32768');
  const result = await measure(childBlockSize);
  console.log(JSON.stringify({ ...result, sink: sink & 0 }));
  process.exit(0);
}

const results: Result[] = [];
for (const blockSize of BLOCK_SIZES) {
  const childArgs = ['--block-size', String(blockSize), '--mb', String(mb), ...(json ? ['--json'] : []), ...(keepBuffers ? ['--keep-buffers'] : [])];
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...childArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`the ${blockSize}-byte run failed (exit ${String(child.status ?? child.signal)})`);
  const { sink: _, ...result } = JSON.parse(child.stdout) as Result & { sink: number };
  results.push(result);
}
progress('');

if (json) {
  console.log(JSON.stringify({ contentBytes, store: keepBuffers ? 'buffers' : 'segments', aimOfBound: 0.6, blockSizes: results }));
} else {
  const f = (x: number) => `${x.toFixed(0)} MB/s`.padStart(10);
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`.padStart(4);
  const row = (name: string, cells: string[]) => console.log(`  ${name.padEnd(40)}${cells.map((c) => c.padEnd(24)).join('')}`.trimEnd());
  const held = keepBuffers ? "the encoder's buffers" : 'copies in preallocated segments';
  console.log(`eris benchmark: ${mb} MiB of content; blocks in an in-memory Map (${held}), so storage is not measured; MB = 10^6 bytes`);
  row(
    '',
    results.map((r) => `${r.blockSize / 1024} KiB blocks`.padStart(10)),
  );
  row(
    'raw BLAKE2b-256',
    results.map((r) => f(r.raw.blake2b256MBps)),
  );
  row(
    'raw BLAKE2b-256, keyed',
    results.map((r) => f(r.raw.blake2b256KeyedMBps)),
  );
  row(
    'raw ChaCha20',
    results.map((r) => f(r.raw.chacha20MBps)),
  );
  row(
    'encode bound (keyed hash+cipher+hash)',
    results.map((r) => f(r.encode.boundMBps)),
  );
  row(
    'ERIS encode',
    results.map((r) => `${f(r.encode.MBps)}  ${pct(r.encode.ofBound)} of bound`),
  );
  row(
    'decode bound (hash+cipher)',
    results.map((r) => f(r.decode.boundMBps)),
  );
  row(
    'ERIS decode',
    results.map((r) => `${f(r.decode.MBps)}  ${pct(r.decode.ofBound)} of bound`),
  );
  row(
    'GC pauses during encode / decode',
    results.map((r) => `${r.encode.gcMs.toFixed(0)} / ${r.decode.gcMs.toFixed(0)} ms`.padStart(10)),
  );
  console.log(`  (aim: 60% of bound or more; ${results.map((r) => `${r.blocksStored} blocks stored at ${r.blockSize / 1024} KiB`).join(', ')})`);
}
