/**
 * The bounds benchmarks print their figures next to: raw Ed25519 verifies
 * per second, on one thread and on every thread, measured in the same run.
 */
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { generateKeyPair, sign, verify } from '../src/core/ed25519.js';

interface Sample {
  pub: Uint8Array;
  msg: Uint8Array;
  sig: Uint8Array;
}

/** n signatures by `keys` distinct keys over 64-byte messages, the size eddsa-jcs-2022 signs. */
export function samples(n: number, keys = 50): Sample[] {
  const pairs = Array.from({ length: keys }, () => generateKeyPair());
  return Array.from({ length: n }, (_, i) => {
    const key = pairs[i % keys]!;
    const msg = new Uint8Array(randomBytes(64));
    return { pub: key.publicKey, msg, sig: sign(key, msg) };
  });
}

/** Verifies per second on this thread. */
export function rawVerifyRate(s: Sample[]): number {
  const t0 = performance.now();
  for (const r of s) if (!verify(r.pub, r.msg, r.sig)) throw new Error('raw verify failed');
  return (s.length / (performance.now() - t0)) * 1000;
}

/** Verifies per second with the samples split over `threads` worker threads. */
export async function rawVerifyRateOnThreads(s: Sample[], threads = availableParallelism()): Promise<number> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { createPublicKey, verify } = require('node:crypto');
    const prefix = Buffer.from('302a300506032b6570032100', 'hex');
    const keys = new Map();
    parentPort.once('message', () => {
      for (const r of workerData) {
        let k = keys.get(r.pub);
        if (!k) keys.set(r.pub, (k = createPublicKey({ key: Buffer.concat([prefix, Buffer.from(r.pub, 'hex')]), format: 'der', type: 'spki' })));
        if (!verify(null, Buffer.from(r.msg, 'hex'), k, Buffer.from(r.sig, 'hex'))) throw new Error('raw verify failed');
      }
      parentPort.postMessage('done');
    });`;
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const share = (i: number) => s.filter((_, j) => j % threads === i).map((r) => ({ pub: hex(r.pub), msg: hex(r.msg), sig: hex(r.sig) }));
  const workers = Array.from({ length: threads }, (_, i) => new Worker(code, { eval: true, workerData: share(i) }));
  await new Promise((r) => setTimeout(r, 200));
  const t0 = performance.now();
  await Promise.all(
    workers.map(
      (w) =>
        new Promise((res) => {
          w.once('message', res);
          w.postMessage('go');
        }),
    ),
  );
  const ms = performance.now() - t0;
  await Promise.all(workers.map((w) => w.terminate()));
  return (s.length / ms) * 1000;
}

/** Into a log, a progress line at most this often. */
const PROGRESS_LOG_EVERY_MS = 5000;

/** A progress line for a person at a terminal, an occasional line when output goes to a file, nothing with --json. */
export function progressLine(json: boolean): (msg: string) => void {
  if (json) return () => undefined;
  if (process.stderr.isTTY) return (msg) => process.stderr.write(`\r${msg.padEnd(70)}${msg === '' ? '\r' : ''}`);
  // Into a log file: a line now and then, so a long run shows where it is without flooding the log.
  let last = 0;
  return (msg) => {
    const now = Date.now();
    if (msg === '' || now - last < PROGRESS_LOG_EVERY_MS) return;
    last = now;
    process.stderr.write(`${msg}\n`);
  };
}

export function argValue(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** A comma-separated list of positive counts after `name` (`--entries 10000,100000`), or the fallback. */
export function listArg(args: string[], name: string, fallback: number[]): number[] {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const list = (args[i + 1] ?? '').split(',').map(Number);
  if (list.length === 0 || list.some((n) => !Number.isSafeInteger(n) || n < 1))
    throw new Error(`${name} takes a comma-separated list of counts, like 10000,100000`);
  return list;
}
