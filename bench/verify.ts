/**
 * npm run bench -- verify [--count N] [--json]
 *
 * Objects verified and stored per second through the real ingest path,
 * next to raw Ed25519 verifies per second measured in the same run.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { generateKeyPair, sign, verify, type Ed25519KeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { Store } from '../src/store/store.js';
import { Ingestor } from '../src/store/ingest.js';
import { KithError } from '../src/core/errors.js';
import { randomBytes } from 'node:crypto';

const args = process.argv.slice(2);
const count = Number(args[args.indexOf('--count') + 1] ?? 0) || 20_000;
const json = args.includes('--json');
const BATCH = 1000;
const AUTHORS = 50;

function progress(msg: string): void {
  if (!json && process.stderr.isTTY) process.stderr.write(`\r${msg.padEnd(60)}`);
}

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

// Raw bound: one Ed25519 verify per object, same keys, 64-byte messages (the size eddsa-jcs-2022 signs).
const raw = Array.from({ length: count }, (_, i) => {
  const key = authors[i % AUTHORS]!;
  const msg = new Uint8Array(randomBytes(64));
  return { pub: key.publicKey, msg, sig: sign(key, msg) };
});
progress('measuring raw Ed25519 verify');
let t0 = performance.now();
for (const r of raw) if (!verify(r.pub, r.msg, r.sig)) throw new Error('raw verify failed');
const rawMs = performance.now() - t0;

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
if (!json && process.stderr.isTTY) process.stderr.write("\r");

const result = {
  objects: count,
  rawVerifyPerSec: rate(count, rawMs),
  ingestBatchedPerSec: rate(count, batchMs),
  ingestSinglePerSec: rate(count, singleMs),
};
const pct = (x: number) => `${((x / result.rawVerifyPerSec) * 100).toFixed(0)}%`;
if (json) console.log(JSON.stringify({ ...result, batchedOfRaw: result.ingestBatchedPerSec / result.rawVerifyPerSec, singleOfRaw: result.ingestSinglePerSec / result.rawVerifyPerSec }));
else {
  console.log(`verify benchmark: ${count} signed posts from ${AUTHORS} authors`);
  console.log(`  raw Ed25519 verify          ${String(result.rawVerifyPerSec).padStart(7)} /s   (the bound)`);
  console.log(`  ingest, batches of ${BATCH}     ${String(result.ingestBatchedPerSec).padStart(7)} /s   ${pct(result.ingestBatchedPerSec)} of raw`);
  console.log(`  ingest, one per transaction ${String(result.ingestSinglePerSec).padStart(7)} /s   ${pct(result.ingestSinglePerSec)} of raw`);
}
