import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KithNode } from '../src/node/kith-node.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { digestOf, signDocument } from '../src/core/proof.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { outboxId } from '../src/core/apid.js';
import { repoRoot, tempDir } from './helpers.js';
import { seededRandom } from './seeded-random.js';
import { StoreView, below, integrity, jitter, uniform } from './fault-helpers.js';

/**
 * A store killed with SIGKILL ten times while it takes in a stream of 4,000
 * signed posts (the real ingest: verify pool, one transaction a batch, the
 * owner posting between batches), each time at a random moment: after a
 * random number of batches has committed, a random part of a batch's time
 * later. After every kill: PRAGMA integrity_check is clean, every batch and
 * every post the process said it committed is there, and nothing is there
 * that was not sent. Each restart goes on from the last batch it reported,
 * as a sync resumes; the last one runs to the end, and the store then holds
 * exactly the author's set.
 */

// Room for ten kills of one to three batches each even when this process, busy, reacts a few batches late.
const POSTS = 8000;
const BATCH = 100;
const KILLS = 10;
/** Batches a kill waits for after the restart's first, at most. */
const MAX_EXTRA_BATCHES = 2;
const CHILD = join(repoRoot, 'dist', 'test', 'fault-ingest-child.js');

interface Run {
  /** Resolves when the child has committed `n` batches in this run. */
  committed(n: number): Promise<void>;
  /** Objects of the stream committed so far, the owner's posts the child reported, and how long its last batch took. */
  readonly progress: { upTo: number; own: string[]; lastBatchMs: number };
  readonly exited: Promise<number | null>;
  kill(): Promise<void>;
}

function run(home: string, file: string, from: number): Run {
  const child = spawn(process.execPath, [CHILD, home, file, String(from), String(BATCH)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const progress = { upTo: from, own: [] as string[], lastBatchMs: 0 };
  let batches = 0;
  let last = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const now = performance.now();
    if (line === 'ready') last = now;
    const m = /^committed (\d+) ([0-9a-f]{64})$/.exec(line);
    if (m === null) return;
    progress.lastBatchMs = now - last;
    last = now;
    progress.upTo = Number(m[1]);
    progress.own.push(m[2]!);
    batches++;
    for (const w of waiters.splice(0)) {
      if (batches >= w.n) w.resolve();
      else waiters.push(w);
    }
  });
  return {
    progress,
    exited,
    committed: (n) =>
      new Promise<void>((resolve, reject) => {
        if (batches >= n) return resolve();
        waiters.push({ n, resolve });
        void exited.then((code) => reject(new Error(`the ingesting process exited ${code} after ${batches} batch(es)\n${stderr}`)));
      }),
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

test(
  'ingest: a store killed ten times mid-ingest restarts clean, loses nothing committed and ends with exactly the set sent',
  { timeout: 180_000 },
  async (t) => {
    const rnd = seededRandom('fault-kill-ingest');
    const home = tempDir('kith-fki-');
    try {
      const author = generateKeyPair();
      const did = didFromPublicKey(author.publicKey);
      const scope = outboxId(did);
      const since = Date.now() - 30 * 86_400_000;
      const docs = Array.from({ length: POSTS }, (_, i) => signDocument(buildCreate(did, buildNote(did, { text: `post ${i}` }, since + i * 1000)), author));
      const digests = docs.map((d) => digestOf(d));
      const sent = new Set<string>(digests);
      const file = join(home, 'stream.jsonl');
      writeFileSync(file, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
      const { node } = KithNode.init(home);
      node.follow(did);
      node.close();

      let upTo = 0;
      const own: string[] = [];
      for (let k = 0; k < KILLS; k++) {
        const r = run(home, file, upTo);
        await r.committed(1 + below(rnd, MAX_EXTRA_BATCHES + 1));
        // Anywhere in the next batch: a random part of the time the last one took.
        await jitter(uniform(rnd) * r.progress.lastBatchMs);
        await r.kill();
        upTo = r.progress.upTo;
        own.push(...r.progress.own);

        assert.equal(integrity(home), 'ok', `integrity after kill ${k + 1}`);
        const view = new StoreView(home);
        const held = view.digests(scope);
        const lost = [...digests.slice(0, upTo), ...own].filter((d) => !view.has(d));
        view.close();
        assert.ok(upTo < POSTS, `kill ${k + 1} landed during the stream (${upTo} of ${POSTS} committed)`);
        assert.deepEqual(lost, [], `kill ${k + 1}: everything reported committed is there`);
        assert.deepEqual(
          held.filter((d) => !sent.has(d)),
          [],
          'nothing is held that was not sent',
        );
        t.diagnostic(`kill ${k + 1}: ${held.length} of ${POSTS} held, ${upTo} reported committed`);
      }

      const last = run(home, file, upTo);
      assert.equal(await last.exited, 0, 'the last run ends cleanly');
      own.push(...last.progress.own);
      assert.equal(integrity(home), 'ok');
      const view = new StoreView(home);
      try {
        assert.deepEqual(view.digests(scope), [...sent].sort(), 'the store holds exactly the set sent');
        assert.deepEqual(
          own.filter((d) => !view.has(d)),
          [],
          "every one of the owner's posts is there",
        );
      } finally {
        view.close();
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  },
);
