/**
 * npm run bench -- sync [--posts N] [--items M] [--diff D] [--initial-only] [--compare] [--json]
 *
 * Two real nodes (libp2p on 127.0.0.1, each with its own SQLite store; the
 * source runs as its own `kith start` process, the follower in this one so
 * its sync can be timed from the inside):
 *  1. initial sync of N posts (default 100,000) from their author's node to a
 *     new follower, with the author's signed checkpoint (signed by the author's
 *     node when the follower asks), next to the raw Ed25519 verify rate of one
 *     thread measured in the same run, and the ratio;
 *  2. reconciliation of two M-item sets (default 1,000,000) that differ by D
 *     (default 100): rounds, bytes and time. The M - D shared items are
 *     written straight into both stores (signing a million posts would take
 *     this bench minutes and prove nothing about reconciliation); the D that
 *     differ are real signed posts, fetched and verified like any other.
 */
import '../src/cli/polyfills.js';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KithNode } from '../src/node/kith-node.js';
import { Network, type SyncSummary } from '../src/node/network.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { outboxId } from '../src/core/apid.js';
import { KithError } from '../src/core/errors.js';
import type { ApId, Did, Digest, JsonObject } from '../src/core/types.js';
import { NODE_FLAGS } from '../test/node-process.js';
import { examineCovered } from '../src/core/examine.js';
import { sha256Hex } from '../src/core/bytes.js';
import { cpuMsOf } from './footprint-peers.js';
import { samples, rawVerifyRate, rawVerifyRateOnThreads, progressLine, argValue } from './bounds.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const POSTS = argValue(args, '--posts', 100_000);
const ITEMS = argValue(args, '--items', 1_000_000);
const DIFF = argValue(args, '--diff', 100);
/** Only the initial sync (for profiling it). */
const INITIAL_ONLY = args.includes('--initial-only');
/** Also the initial sync without a checkpoint, as before checkpoints. */
const COMPARE = args.includes('--compare');
const progress = progressLine(json);
const say = (line: string) => {
  if (!json) {
    progress('');
    console.log(line);
  }
};

const KITH = fileURLToPath(new URL('../../bin/kith.js', import.meta.url));
// The network options people run with (mDNS and relay on); only the listening address is pinned to loopback.
const NET = { listenHost: '127.0.0.1' } as const;
const dirs: string[] = [];
function home(): string {
  const d = mkdtempSync(join(tmpdir(), 'kith-bench-sync-'));
  dirs.push(d);
  return d;
}

function signedPosts(sign: (doc: JsonObject) => JsonObject, did: Did, n: number, startMs: number, label: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = startMs + i * 1000;
    const text = `${label} ${i}: ${randomBytes(18).toString('base64')} and a few more words, as a post has.`;
    out.push(JSON.stringify(sign(buildCreate(did, buildNote(did, { text }, t), t))));
    if (i % 2000 === 0) progress(`signing ${label}: ${i}/${n}`);
  }
  return out;
}

/** Runs the source node as its own process, as a peer's node would be, and returns its first address. */
async function startSourceProcess(homeDir: string): Promise<{ address: string; pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [...NODE_FLAGS, KITH, 'start', '--json', '--host', '127.0.0.1', '--api-port', '0'], {
    env: { ...process.env, KITH_HOME: homeDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      try {
        resolve((JSON.parse(out) as { addresses: string[] }).addresses[0]!);
      } catch {
        // not all of it yet
      }
    });
    void exited.then(() => reject(new Error(`the source node exited: ${err}`)));
  });
  return {
    address,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Starts the source node (its own process) and the follower, connects them, and waits for the follower's sync of `scope`. */
async function syncPair(
  sourceHome: string,
  follower: KithNode,
  scope: string,
): Promise<{ summary: SyncSummary; ms: number; cpuMs: number; sourceCpuMs: number }> {
  const source = await startSourceProcess(sourceHome);
  const b = await Network.start(follower, NET);
  try {
    const done = new Promise<SyncSummary>((resolve) => b.on('synced', (s: SyncSummary) => s.scope === scope && resolve(s)));
    b.on('sync-progress', (p: { received: number; needed: number }) => progress(`syncing ${p.received}/${p.needed}`));
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const sourceCpu0 = cpuMsOf(source.pid);
    await b.dial(source.address);
    const summary = await done;
    const cpu = process.cpuUsage(cpu0);
    // The follower's CPU time (every thread of this process), and the source's: on a shared machine, steadier than the time it took.
    return { summary, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, sourceCpuMs: cpuMsOf(source.pid) - sourceCpu0 };
  } finally {
    await b.stop();
    await source.stop();
  }
}

async function initialSync(withCheckpoint: boolean) {
  // With a checkpoint, the posts are the source node's own: its node signs the checkpoint of their scope.
  // Without, they are another person's, which the source keeps as a follower that holds no checkpoint of them.
  const sourceHome = home();
  const source = KithNode.init(sourceHome).node;
  const key = generateKeyPair();
  const did = withCheckpoint ? source.did : didFromPublicKey(key.publicKey);
  const scope = outboxId(did);
  if (!withCheckpoint) source.follow(did);
  const sign = withCheckpoint ? (doc: JsonObject) => source.sign(doc) : (doc: JsonObject) => signDocument(doc, key);
  const posts = signedPosts(sign, did, POSTS, Date.now() - POSTS * 1000, 'post');
  const stored = await source.ingestMany(posts, { scope, onProgress: (d, t) => progress(`loading the source node: ${d}/${t}`) });
  if (stored.some((r) => r instanceof KithError)) throw new Error('the source refused a prepared post');
  // An author's posts were indexed for search long before anyone follows them: not while its node serves this sync.
  while (source.store.search.indexPending(20_000) > 0) progress('indexing the source node for search');
  source.close();
  const follower = KithNode.init(home()).node;
  follower.follow(did);
  const { summary, ms, cpuMs, sourceCpuMs } = await syncPair(sourceHome, follower, scope);
  const r = summary.result;
  // The author's actor (and its new version with the source's addresses, signed on start) come too.
  if (!summary.ok || !r || r.stored < POSTS) throw new Error(`initial sync failed: ${summary.error ?? JSON.stringify(r)}`);
  // Posts are indexed for search after they are stored: how many were still queued, and how long until search finds every one.
  const queued = follower.store.search.pendingCount();
  const t0 = performance.now();
  while (follower.store.search.pendingCount() > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  const indexedAfterMs = performance.now() - t0;
  follower.close();
  return {
    posts: POSTS,
    ms,
    cpuMs,
    sourceCpuMs,
    stored: withCheckpoint ? storeBound(posts, did, scope) : undefined,
    queued,
    indexedAfterMs,
    perSec: (POSTS / ms) * 1000,
    bytes: r.bytesIn + r.bytesOut,
    reconcileBytes: r.reconcileBytes,
    rounds: r.rounds,
    fetchMs: r.fetchMs,
    waitedForIngestMs: r.waitedForIngestMs,
    objects: r.stored,
    checkpointCount: r.checkpointCount ?? 0,
    proofsChecked: r.proofsChecked,
  };
}

/**
 * The bound storing sets: the same posts, already examined (their digests
 * taken, no proofs checked, as a checkpoint lets a sync do), written into a
 * new store on one thread in slices of 256 and then indexed for search, with
 * no network, no parsing on the clock and nothing else running. A sync can
 * at best overlap the rest with this.
 */
function storeBound(posts: readonly string[], did: Did, scope: string): { perSec: number; writeMs: number; searchMs: number } {
  const node = KithNode.init(home()).node;
  node.follow(did);
  const examined = posts.map((p) => examineCovered(p, sha256Hex(p), node.ingestor.limits));
  progress('storing the same posts with nothing else running');
  const t0 = performance.now();
  for (let i = 0; i < examined.length; i += 256) node.ingestor.ingestExamined(examined.slice(i, i + 256), { scope });
  const t1 = performance.now();
  while (node.store.search.indexPending(256) > 0);
  const t2 = performance.now();
  if (node.store.objects.count(scope) < posts.length) throw new Error('storing the prepared posts left some out');
  node.close();
  return { perSec: (posts.length / (t2 - t0)) * 1000, writeMs: t1 - t0, searchMs: t2 - t1 };
}

async function reconcileLarge() {
  const key = generateKeyPair();
  const did = didFromPublicKey(key.publicKey);
  const scope = outboxId(did);
  const shared = ITEMS - DIFF / 2;
  const homeA = home();
  const a = KithNode.init(homeA).node;
  a.follow(did);
  // The shared items: rows written straight into the store, spread over a year, as in a long-lived scope.
  const start = Date.now() - 365 * 86_400_000;
  const step = Math.floor((365 * 86_400_000) / shared);
  const writeShared = a.store.db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const digest = randomBytes(32).toString('hex') as Digest;
      a.store.objects.insert(
        {
          digest,
          id: `ap://${did}/objects/bench-${i}` as ApId,
          owner: did,
          signer: did,
          type: 'Create',
          scope,
          created: start + i * step,
          body: '{}',
          embedded: [],
          links: [],
        },
        Date.now(),
      );
    }
  });
  for (let i = 0; i < shared; i += 50_000) {
    writeShared(i, Math.min(i + 50_000, shared));
    progress(`writing ${Math.min(i + 50_000, shared)}/${shared} shared items`);
  }
  while (a.store.search.indexPending(20_000) > 0) progress('indexing the shared items for search');
  a.close();
  // The follower starts as a copy of the same store, with its own identity and network key.
  const homeB = home();
  copyFileSync(join(homeA, 'kith.db'), join(homeB, 'kith.db'));
  const b = KithNode.init(homeB, {}).node;
  const reopenedA = KithNode.open(homeA);
  // Each side then gets D/2 real posts the other lacks, scattered through the year.
  for (const [node, label] of [
    [reopenedA, 'only-a'],
    [b, 'only-b'],
  ] as const) {
    node.follow(did);
    const extra = Array.from({ length: DIFF / 2 }, (_, i) => {
      const t = start + Math.floor(Math.random() * shared) * step;
      return JSON.stringify(signDocument(buildCreate(did, buildNote(did, { text: `${label} ${i}` }, t), t), key));
    });
    const r = await node.ingestMany(extra, { scope });
    if (r.some((x) => x instanceof KithError)) throw new Error('a prepared post was refused');
  }
  reopenedA.close();
  progress('building the scope index');
  const t0 = performance.now();
  b.store.scopeIndexes.index(scope);
  const indexMs = performance.now() - t0;
  const { summary, ms } = await syncPair(homeA, b, scope);
  const r = summary.result;
  if (!summary.ok || !r) throw new Error(`reconciliation failed: ${summary.error}`);
  if (r.stored !== DIFF / 2 || r.theyLack !== DIFF / 2) throw new Error(`expected ${DIFF / 2} each way, got ${r.stored} and ${r.theyLack}`);
  b.close();
  return { items: ITEMS, diff: DIFF, rounds: r.rounds, reconcileBytes: r.reconcileBytes, totalBytes: r.bytesIn + r.bytesOut, ms, indexMs };
}

try {
  progress('measuring raw Ed25519 verify');
  const s = samples(20_000);
  const raw1 = rawVerifyRate(s);
  const rawAll = await rawVerifyRateOnThreads(s);
  say(`sync benchmark: two nodes on 127.0.0.1`);
  say(`  raw Ed25519 verify            ${Math.round(raw1).toString().padStart(8)} /s on 1 thread, ${Math.round(rawAll)} /s on every thread`);
  const init = await initialSync(true);
  say(
    `  initial sync of ${init.posts} posts  ${Math.round(init.perSec).toString().padStart(8)} /s   ` +
      `${(init.perSec / raw1).toFixed(2)}x the raw 1-thread verify rate (${Math.round(raw1)} /s), ${((init.perSec / rawAll) * 100).toFixed(0)}% of raw all-thread; ` +
      `${(init.ms / 1000).toFixed(1)} s, ${(init.bytes / 1e6).toFixed(1)} MB, reconciled in ${init.rounds} round(s) and ${(init.reconcileBytes / 1000).toFixed(1)} KB`,
  );
  say(
    `    with a checkpoint of ${init.checkpointCount} item(s): ${init.proofsChecked} proof(s) checked one by one for ${init.objects} object(s); ` +
      `fetching ${(init.fetchMs / 1000).toFixed(1)} s, of which ${(init.waitedForIngestMs / 1000).toFixed(1)} s waiting for storing; ` +
      `the follower used ${(init.cpuMs / 1000).toFixed(1)} s of CPU (${Math.round((POSTS / init.cpuMs) * 1000)} posts per CPU-second); ` +
      `${init.queued} post(s) still queued for search at the end, all indexed ${(init.indexedAfterMs / 1000).toFixed(1)} s later`,
  );
  const bound = init.stored!;
  say(
    `  storing the same posts alone  ${Math.round(bound.perSec).toString().padStart(8)} /s   on one thread, examined already, no network: ` +
      `${(bound.writeMs / 1000).toFixed(1)} s of writes, ${(bound.searchMs / 1000).toFixed(1)} s indexing for search; the sync ran at ${((init.perSec / bound.perSec) * 100).toFixed(0)}% of it, ` +
      `the source node used ${(init.sourceCpuMs / 1000).toFixed(1)} s of CPU serving it`,
  );
  const plain = COMPARE ? await initialSync(false) : undefined;
  if (plain) {
    say(
      `  the same without a checkpoint   ${Math.round(plain.perSec).toString().padStart(8)} /s   ${(plain.perSec / raw1).toFixed(2)}x the raw 1-thread verify rate; ` +
        `${plain.proofsChecked} proofs checked; the checkpoint made it ${(init.perSec / plain.perSec).toFixed(2)}x as fast`,
    );
  }
  const big = INITIAL_ONLY ? undefined : await reconcileLarge();
  if (big)
    say(
      `  reconcile ${big.items} items, ${big.diff} differ: ${big.rounds} round trip(s), ${(big.reconcileBytes / 1000).toFixed(1)} KB to reconcile ` +
        `(${(big.totalBytes / 1000).toFixed(1)} KB with the ${big.diff / 2} objects fetched), ${(big.ms / 1000).toFixed(2)} s; ` +
        `index of the scope built in ${(big.indexMs / 1000).toFixed(2)} s`,
    );
  if (json) {
    const initialSync = { ...init, timesRawVerify: Number((init.perSec / raw1).toFixed(2)) };
    const withoutCheckpoint = plain && { ...plain, timesRawVerify: Number((plain.perSec / raw1).toFixed(2)) };
    console.log(
      JSON.stringify({ rawVerifyPerSec: Math.round(raw1), rawVerifyAllThreadsPerSec: Math.round(rawAll), initialSync, withoutCheckpoint, reconcile: big }),
    );
  }
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
