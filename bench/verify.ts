/**
 * npm run bench -- verify [--count N] [--json]
 *
 * Objects verified and stored per second through the real ingest path,
 * next to raw Ed25519 verifies per second measured in the same run.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { generateKeyPair, type Ed25519KeyPair } from '../src/core/ed25519.js';
import { samples, rawVerifyRate, rawVerifyRateOnThreads, progressLine, argValue } from './bounds.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { Store } from '../src/store/store.js';
import { Ingestor } from '../src/store/ingest.js';
import { KithError } from '../src/core/errors.js';
import { randomBytes } from 'node:crypto';
import { VerifyPool, ingestParallel } from '../src/node/verify-pool.js';

const args = process.argv.slice(2);
const count = argValue(args, '--count', 20_000);
const json = args.includes('--json');
const BATCH = 1000;
const AUTHORS = 50;

const progress = progressLine(json);

function rate(n: number, ms: number): number {
  return Math.round((n / ms) * 1000);
}

// Inputs: signed posts from many authors, serialised as they would arrive from a peer.
const authors: Ed25519KeyPair[] = Array.from({ length: AUTHORS }, () => generateKeyPair());
const inputs: string[] = [];
const start = Date.now() - count * 10;
for (let i = 0; i < count; i++) {
  const key = authors[i % AUTHORS]!;
  const did = didFromPublicKey(key.publicKey);
  const t = start + i * 10;
  const text = `Post number ${i}: ${randomBytes(24).toString('base64')} — a short note of typical length for a timeline.`;
  inputs.push(JSON.stringify(signDocument(buildCreate(did, buildNote(did, { text }, t), t), key)));
  if (i % 1000 === 0) progress(`preparing ${i}/${count} signed objects`);
}

// Raw bound: one Ed25519 verify per object, as many keys, 64-byte messages.
const raw = samples(count, AUTHORS);
progress('measuring raw Ed25519 verify');
const rawRate = rawVerifyRate(raw);
let t0: number;

function freshStore(): { store: Store; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kith-bench-'));
  return { store: Store.open(join(dir, 'kith.db')), dir };
}

// The ingest path in batches, as import and sync use it.
let { store, dir } = freshStore();
let ingest = new Ingestor(store);
t0 = performance.now();
for (let i = 0; i < count; i += BATCH) {
  for (const r of ingest.ingestMany(inputs.slice(i, i + BATCH))) if (r instanceof KithError) throw r;
  progress(`ingest (batched) ${Math.min(i + BATCH, count)}/${count}`);
}
const batchMs = performance.now() - t0;
if (store.objects.count() !== count) throw new Error('not every object was stored');
store.close();
rmSync(dir, { recursive: true, force: true });

// The same, with signatures checked on every core while this thread writes.
({ store, dir } = freshStore());
ingest = new Ingestor(store);
const pool = new VerifyPool(ingest.limits);
await pool.examine(inputs.slice(0, pool.size * 16)); // start the threads outside the timing
t0 = performance.now();
for (const r of await ingestParallel(ingest, pool, inputs, { onProgress: (done) => progress(`ingest (parallel) ${done}/${count}`) }))
  if (r instanceof KithError) throw r;
const parallelMs = performance.now() - t0;
if (store.objects.count() !== count) throw new Error('not every object was stored');
await pool.close();
store.close();
rmSync(dir, { recursive: true, force: true });

// Raw bound on the same threads: plain verifies spread over the pool size, for an honest comparison.
const rawParallelRate = await rawVerifyRateOnThreads(raw, pool.size);

// One object, one transaction, as a live push delivers them.
({ store, dir } = freshStore());
ingest = new Ingestor(store);
t0 = performance.now();
for (let i = 0; i < count; i++) {
  ingest.ingest(inputs[i]!);
  if (i % 1000 === 0) progress(`ingest (one by one) ${i}/${count}`);
}
const singleMs = performance.now() - t0;
store.close();
rmSync(dir, { recursive: true, force: true });
progress('');

const result = {
  objects: count,
  rawVerifyPerSec: Math.round(rawRate),
  ingestBatchedPerSec: rate(count, batchMs),
  threads: pool.size,
  rawVerifyAllThreadsPerSec: Math.round(rawParallelRate),
  ingestParallelPerSec: rate(count, parallelMs),
  ingestSinglePerSec: rate(count, singleMs),
};
const pct = (x: number, of = result.rawVerifyPerSec) => `${((x / of) * 100).toFixed(0)}%`;
if (json) {
  console.log(
    JSON.stringify({
      ...result,
      parallelOfRaw: result.ingestParallelPerSec / result.rawVerifyPerSec,
      parallelOfRawAllThreads: result.ingestParallelPerSec / result.rawVerifyAllThreadsPerSec,
      batchedOfRaw: result.ingestBatchedPerSec / result.rawVerifyPerSec,
      singleOfRaw: result.ingestSinglePerSec / result.rawVerifyPerSec,
    }),
  );
} else {
  console.log(`verify benchmark: ${count} signed posts from ${AUTHORS} authors`);
  console.log(`  raw Ed25519 verify, 1 thread        ${String(result.rawVerifyPerSec).padStart(7)} /s   (the bound)`);
  console.log(`  raw Ed25519 verify, ${result.threads} threads       ${String(result.rawVerifyAllThreadsPerSec).padStart(7)} /s   (the bound on every core)`);
  console.log(
    `  ingest, ${result.threads} verify threads      ${String(result.ingestParallelPerSec).padStart(7)} /s   ${pct(result.ingestParallelPerSec)} of raw 1-thread, ${pct(result.ingestParallelPerSec, result.rawVerifyAllThreadsPerSec)} of raw ${result.threads}-thread`,
  );
  console.log(
    `  ingest, 1 thread, batches of ${BATCH} ${String(result.ingestBatchedPerSec).padStart(7)} /s   ${pct(result.ingestBatchedPerSec)} of raw 1-thread`,
  );
  console.log(`  ingest, 1 thread, one per commit   ${String(result.ingestSinglePerSec).padStart(7)} /s   ${pct(result.ingestSinglePerSec)} of raw 1-thread`);
}
