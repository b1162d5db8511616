/**
 * npm run bench -- compare [--entries 10000,100000,1000000] [--fresh] [--json]
 *
 * Kith beside Hypercore (11.37.0, the Holepunch package): the same N entries
 * replicated from one process to another over loopback TCP.
 *  - Kith: the author's node runs as its own `kith start` process with its
 *    network defaults; a new node in another process follows the author and
 *    syncs, as a person's node does (bench/compare-peers.ts kith-follower).
 *  - Hypercore: a writer process serves a core over a TCP server; a reader
 *    process opens the core by its key and downloads every block over one
 *    connection (core.replicate piped to the socket).
 * Every entry is one signed Kith post (text of 300 to 500 characters, about
 * 2.2 KB of signed JSON); Hypercore carries exactly the same bytes as blocks.
 *
 * Prepared, not measured: signing the posts (in parallel processes), loading
 * them into the author's store, appending them to the Hypercore. These are
 * cached per N in the temp dir (kith-bench-compare/) for the next run; --fresh
 * prepares again. Measured: the reader's time from connecting to holding
 * every entry, the bytes on the wire (TCP payload in and out of the reader's
 * process, counted on its sockets the same way for both systems, after each
 * one's encryption and framing), and the peak resident memory of each side's
 * process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KithNode } from '../src/node/kith-node.js';
import { keyPairFromSeed } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { outboxId } from '../src/core/apid.js';
import { KithError } from '../src/core/errors.js';
import type { Did } from '../src/core/types.js';
import { NODE_FLAGS } from '../test/node-process.js';
import { listArg, progressLine } from './bounds.js';
import { closeChartBrowser, machineLine, writeResults } from './results.js';

const KITH = fileURLToPath(new URL('../../bin/kith.js', import.meta.url));
const PEERS = fileURLToPath(new URL('./compare-peers.js', import.meta.url));
/** Bumped when what is prepared changes, so an old cache is not reused (2: posts carry time-ordered ids, as Kith makes them now). */
const CACHE_VERSION = 2;
/** Posts signed per process (and file) while preparing, and loaded into the author's store per ingest call. */
const SIGN_CHUNK = 20_000;
/** How long one side may take to start (open its store, listen). */
const START_TIMEOUT_MS = 300_000;

export interface SideFigures {
  readonly ms: number;
  readonly wireBytes: number;
  readonly readerPeakRss: number;
  readonly writerPeakRss: number | null;
  /** Entries the reader holds at the end. */
  readonly held: number;
}

export interface CompareRow {
  readonly entries: number;
  readonly entryBytes: number;
  readonly kith: SideFigures & { readonly frameBytes: number; readonly rounds: number; readonly searchableMs: number };
  readonly hypercore: SideFigures;
  readonly prepared: { readonly cached: boolean; readonly ms: number };
}

interface Prepared {
  readonly dir: string;
  readonly did: Did;
  readonly kithHome: string;
  /** Objects in the author's outbox besides the posts: its own actor document. */
  readonly own: number;
  readonly hypercoreDir: string;
  readonly hypercoreKey: string;
  readonly entryBytes: number;
}

/** Runs a role of bench/compare-peers.ts and resolves with the JSON line it prints. */
function runPeer(args: string[]): { child: ChildProcess; result: Promise<unknown> } {
  const child = spawn(process.execPath, [PEERS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const result = new Promise<unknown>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        resolve(JSON.parse(out.slice(0, nl)) as unknown);
      }
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code} before it reported: ${err.slice(-2000)}`)));
  });
  return { child, result };
}

/** Peak resident memory of a live process (Linux: VmHWM), or null where /proc is not there. */
function peakRssOf(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    // not Linux: the figure is left out of the table, which says so
    return null;
  }
}

function cacheRoot(dir?: string): string {
  return join(dir ?? process.env.KITH_COMPARE_CACHE ?? join(tmpdir(), 'kith-bench-compare'), `v${CACHE_VERSION}`);
}

/** Signs N posts in parallel processes, loads them into an author's Kith store, appends them to a Hypercore; cached per N. */
async function prepare(
  entries: number,
  fresh: boolean,
  cache: string | undefined,
  progress: (m: string) => void,
): Promise<Prepared & { cached: boolean; ms: number }> {
  const dir = join(cacheRoot(cache), String(entries));
  const ready = join(dir, 'ready.json');
  const t0 = performance.now();
  const kithHome = join(dir, 'kith-author');
  const hypercoreDir = join(dir, 'hypercore-writer');
  // Paths are made afresh, so a cache that was moved still serves.
  if (!fresh && existsSync(ready)) return { ...(JSON.parse(readFileSync(ready, 'utf8')) as Prepared), dir, kithHome, hypercoreDir, cached: true, ms: 0 };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const seed = randomBytes(32);
  const did = didFromPublicKey(keyPairFromSeed(seed).publicKey);
  const postsDir = join(dir, 'posts');
  mkdirSync(postsDir);
  const start = Date.now() - entries * 1000;
  // Chunks of at most SIGN_CHUNK posts, one file each (a million posts would not fit in one string), signed on every core.
  const cores = Math.max(1, availableParallelism());
  const chunk = Math.min(SIGN_CHUNK, Math.ceil(entries / cores));
  const chunks = Array.from({ length: Math.ceil(entries / chunk) }, (_, c) => ({
    from: c * chunk,
    to: Math.min(entries, (c + 1) * chunk),
    file: join(postsDir, `${String(c).padStart(6, '0')}.jsonl`),
  }));
  let signed = 0;
  const queue = [...chunks];
  await Promise.all(
    Array.from({ length: cores }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        await runPeer(['sign', seed.toString('hex'), String(c.from), String(c.to), String(start), c.file]).result;
        signed += c.to - c.from;
        progress(`preparing ${entries}: signed ${signed}/${entries}`);
      }
    }),
  );
  // The author's own node, from the key that signed the posts: it holds its outbox as any author's node does.
  const author = KithNode.init(kithHome, { seed }).node;
  const scope = outboxId(did);
  // The outbox already holds what a new node publishes about itself (its actor); followers sync that too.
  const own = author.store.objects.count(scope);
  let loaded = 0;
  let bytes = 0;
  for (const c of chunks) {
    const posts = readFileSync(c.file, 'utf8').split('\n').filter(Boolean);
    bytes += posts.reduce((sum, post) => sum + Buffer.byteLength(post), 0);
    const stored = await author.ingestMany(posts, { scope });
    const bad = stored.find((r) => r instanceof KithError);
    if (bad) throw new Error(`the author's node refused a prepared post: ${bad.message}`);
    loaded += posts.length;
    progress(`preparing ${entries}: loaded the author's node ${loaded}/${entries}`);
  }
  const entryBytes = Math.round(bytes / entries);
  const count = author.store.objects.count(scope);
  indexForSearch(author, (n) => progress(`preparing ${entries}: indexing the author's posts for search (${n} left)`));
  if (count !== own + entries) throw new Error(`the author's outbox holds ${count} objects, not ${own} + ${entries}`);
  progress(`preparing ${entries}: appending to the Hypercore`);
  const hc = (await runPeer(['hypercore-prepare', hypercoreDir, ...chunks.map((c) => c.file)]).result) as { key: string; length: number };
  if (hc.length !== entries) throw new Error(`the Hypercore holds ${hc.length} blocks, not ${entries}`);
  rmSync(postsDir, { recursive: true });
  const prepared: Prepared = { dir, did, kithHome, own, hypercoreDir, hypercoreKey: hc.key, entryBytes };
  writeFileSync(ready, JSON.stringify(prepared));
  return { ...prepared, cached: false, ms: performance.now() - t0 };
}

/** Indexes every post a node holds queued for search, then closes it. */
function indexForSearch(node: KithNode, progress: (left: number) => void): void {
  for (let left = node.store.search.pendingCount(); left > 0; left = node.store.search.pendingCount()) {
    progress(left);
    node.store.search.indexPending(20_000);
  }
  node.close();
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}

/** Starts the author's node as people start it (`kith start`, network defaults) on a copy of the prepared home. */
async function startAuthor(home: string): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [...NODE_FLAGS, KITH, 'start', '--json', '--host', '127.0.0.1', '--port', '0', '--api-port', '0'], {
    env: { ...process.env, KITH_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the author's node did not start in ${START_TIMEOUT_MS} ms: ${err.slice(-2000)}`)), START_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      try {
        const info = JSON.parse(out) as { addresses: string[] };
        clearTimeout(timer);
        resolve(info.addresses.find((a) => a.includes('/tcp/') && !a.includes('/ws')) ?? info.addresses[0]!);
      } catch {
        // not all of the JSON yet
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the author's node exited with ${code}: ${err.slice(-2000)}`));
    });
  });
  return { child, address };
}

async function measureKith(p: Prepared, entries: number, progress: (m: string) => void): Promise<CompareRow['kith']> {
  const work = mkdtempSync(join(tmpdir(), 'kith-bench-compare-run-'));
  try {
    progress(`Kith ${entries}: copying the author's store`);
    const home = join(work, 'author');
    cpSync(p.kithHome, home, { recursive: true });
    // An author's posts were indexed for search long before anyone follows them: not while it serves this sync.
    // (A cache prepared before the preparation did this holds them queued.)
    indexForSearch(KithNode.open(home), (n) => progress(`Kith ${entries}: indexing the author's posts for search (${n} left)`));
    progress(`Kith ${entries}: starting the author's node`);
    const author = await startAuthor(home);
    try {
      progress(`Kith ${entries}: the follower is syncing`);
      const r = (await runPeer(['kith-follower', join(work, 'follower'), p.did, author.address]).result) as {
        ms: number;
        ok: boolean;
        error?: string;
        posts: number;
        rounds: number;
        frameBytes: number;
        wireBytes: number;
        peakRss: number;
        searchableMs: number;
      };
      if (!r.ok) throw new Error(`Kith's sync failed: ${r.error}`);
      // The sync's frames ride inside the TCP connection; fewer bytes on the sockets than in the frames would mean they were not all counted.
      if (r.wireBytes < r.frameBytes) throw new Error(`the follower's sockets carried ${r.wireBytes} bytes but its sync ${r.frameBytes}`);
      return {
        ms: r.ms,
        wireBytes: r.wireBytes,
        frameBytes: r.frameBytes,
        rounds: r.rounds,
        searchableMs: r.searchableMs,
        readerPeakRss: r.peakRss,
        writerPeakRss: peakRssOf(author.child.pid!),
        held: r.posts,
      };
    } finally {
      await stopChild(author.child);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function measureHypercore(p: Prepared, entries: number, progress: (m: string) => void): Promise<SideFigures> {
  const work = mkdtempSync(join(tmpdir(), 'kith-bench-compare-run-'));
  progress(`Hypercore ${entries}: starting the writer`);
  const writer = runPeer(['hypercore-writer', p.hypercoreDir]);
  try {
    const { port } = (await writer.result) as { port: number };
    progress(`Hypercore ${entries}: the reader is downloading`);
    const r = (await runPeer(['hypercore-reader', join(work, 'reader'), p.hypercoreKey, String(port), String(entries)]).result) as {
      ms: number;
      contiguousLength: number;
      wireBytes: number;
      peakRss: number;
    };
    return { ms: r.ms, wireBytes: r.wireBytes, readerPeakRss: r.peakRss, writerPeakRss: peakRssOf(writer.child.pid!), held: r.contiguousLength };
  } finally {
    await stopChild(writer.child);
    rmSync(work, { recursive: true, force: true });
  }
}

const count = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
const mb = (n: number | null) => (n === null ? 'n/a' : (n / 1e6).toFixed(1));
const secs = (ms: number) => (ms / 1000).toFixed(2);

export async function runCompare(opts: {
  entries: number[];
  fresh?: boolean;
  json?: boolean;
  resultsDir?: string;
  /** Where prepared data is kept between runs; default KITH_COMPARE_CACHE, else kith-bench-compare in the temp dir. */
  cacheDir?: string;
  log?: (line: string) => void;
}): Promise<{ rows: CompareRow[]; files: { markdown: string; png?: string } }> {
  const progress = progressLine(opts.json ?? false);
  const say = (line: string) => {
    progress('');
    if (!opts.json) (opts.log ?? console.log)(line);
  };
  say('replication between two processes on 127.0.0.1: Kith (kith start + a following node) beside Hypercore 11.37.0 (writer + reader)');
  say('prepared and cached (not timed): signing the posts, loading the author, appending to the Hypercore; timed: connect until the reader holds every entry');
  const rows: CompareRow[] = [];
  const loads: string[] = [];
  for (const entries of opts.entries) {
    const p = await prepare(entries, opts.fresh ?? false, opts.cacheDir, progress);
    say(
      `${count(entries)} entries of ${p.entryBytes} bytes on average: ` +
        (p.cached ? `prepared earlier (${p.dir})` : `prepared in ${secs(p.ms)} s (signed, loaded, appended; cached in ${p.dir})`),
    );
    const loadBefore = loadavg()[0]!;
    const kith = await measureKith(p, entries, progress);
    const hypercore = await measureHypercore(p, entries, progress);
    // Other work on the machine slows the system that needs more CPU the most: the load says how quiet it was.
    say(`  (load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after, on ${cpus().length} cores)`);
    loads.push(`${count(entries)}: ${loadBefore.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`);
    if (kith.held !== entries || hypercore.held !== entries)
      throw new Error(`readers hold ${kith.held} (Kith) and ${hypercore.held} (Hypercore), not ${entries}`);
    rows.push({ entries, entryBytes: p.entryBytes, kith, hypercore, prepared: { cached: p.cached, ms: p.ms } });
    const line = (what: string, k: string, h: string, note = '') => say(`  ${what.padEnd(24)} Kith ${k.padStart(9)}   Hypercore ${h.padStart(9)}${note}`);
    line('time (s)', secs(kith.ms), secs(hypercore.ms), `   Kith/Hypercore ${(kith.ms / hypercore.ms).toFixed(2)}`);
    say(
      `  Kith's follower had every post indexed for search ${secs(kith.searchableMs - kith.ms)} s after its sync ended (${secs(kith.searchableMs)} s from dialling)`,
    );
    line('entries/s', Math.round((entries / kith.ms) * 1000).toString(), Math.round((entries / hypercore.ms) * 1000).toString());
    line(
      'bytes on the wire (MB)',
      mb(kith.wireBytes),
      mb(hypercore.wireBytes),
      `   data ${mb(entries * p.entryBytes)} MB; Kith's sync frames ${mb(kith.frameBytes)} MB`,
    );
    line('reader peak RSS (MB)', mb(kith.readerPeakRss), mb(hypercore.readerPeakRss));
    line('writer peak RSS (MB)', mb(kith.writerPeakRss), mb(hypercore.writerPeakRss));
  }
  const files = await writeResults(
    'compare',
    {
      title: 'Replication between two processes: Kith beside Hypercore',
      machine: machineLine(),
      columns: [
        'entries',
        'Kith s',
        'Hypercore s',
        'Kith s until searchable',
        'Kith entries/s',
        'Hypercore entries/s',
        'Kith wire MB',
        'Hypercore wire MB',
        'Kith reader / writer peak RSS MB',
        'Hypercore reader / writer peak RSS MB',
      ],
      rows: rows.map((r) => [
        count(r.entries),
        secs(r.kith.ms),
        secs(r.hypercore.ms),
        secs(r.kith.searchableMs),
        Math.round((r.entries / r.kith.ms) * 1000),
        Math.round((r.entries / r.hypercore.ms) * 1000),
        mb(r.kith.wireBytes),
        mb(r.hypercore.wireBytes),
        `${mb(r.kith.readerPeakRss)} / ${mb(r.kith.writerPeakRss)}`,
        `${mb(r.hypercore.readerPeakRss)} / ${mb(r.hypercore.writerPeakRss)}`,
      ]),
      notes: [
        `Each entry is one signed Kith post (text of 300 to 500 characters; ${rows[0]?.entryBytes ?? '?'} bytes of signed JSON on average); Hypercore replicates the same bytes as its blocks.`,
        'Kith: the author\'s node as `kith start` with its network defaults (mDNS, relay search), a new node in another process following it; time from dialling until its sync of the outbox reports done. A large sync stores first and indexes for search after: every post is in the follower\'s timeline when the sync ends, and findable by search at the time in the column "Kith s until searchable".',
        'Hypercore 11.37.0: a writer process serving the core over TCP, a reader process downloading every block over one connection (core.replicate piped to the socket); time from connecting until the download is done.',
        "Wire bytes: TCP payload in and out of the reader's process, counted on its sockets the same way for both (after each one's encryption and framing). Peak RSS: each process's high-water mark (the writer's includes opening its store).",
        'Not timed: signing the posts, loading the author, appending to the Hypercore (prepared once and cached).',
        `Load average (1 min) before and after each size, on ${cpus().length} cores: ${loads.join('; ')}.`,
      ],
      chart: {
        type: 'bar',
        labels: rows.map((r) => `${count(r.entries)} entries`),
        datasets: [
          { label: 'Kith', data: rows.map((r) => r.kith.ms / 1000) },
          { label: 'Hypercore', data: rows.map((r) => r.hypercore.ms / 1000) },
        ],
        xTitle: 'entries replicated',
        yTitle: 'seconds until the reader holds every entry (log scale)',
        logY: true,
      },
    },
    opts.resultsDir !== undefined ? { dir: opts.resultsDir } : {},
  );
  say(`results: ${files.markdown}${files.png ? ` and ${files.png}` : ''}`);
  return { rows, files };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  try {
    const { rows } = await runCompare({ entries: listArg(args, '--entries', [10_000, 100_000, 1_000_000]), fresh: args.includes('--fresh'), json });
    if (json) console.log(JSON.stringify({ rows }));
  } finally {
    await closeChartBrowser();
  }
}
