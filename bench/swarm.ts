/**
 * npm run bench -- swarm [--nodes N] [--posts K] [--restart R] [--seed S] [--per-worker W] [--follows-at-once F]
 *                         [--mdns] [--no-relay] [--json]
 *
 * A swarm of N (default 50) real Kith nodes on 127.0.0.1 — each a KithNode
 * with its own home and SQLite store, a KithService and a Network, wired as
 * `kith start` wires them — and how fast a post reaches its followers.
 *
 * The nodes run W to a process (default 10: five processes for fifty nodes),
 * in bench/swarm-worker.ts. Fifty `kith start` processes would each carry
 * their own V8 heap, owner API and control server (about 80 MB and a share of
 * two cores apiece) and measure the machine's scheduler as much as Kith; ten
 * libp2p hosts to a process still talk only over TCP on loopback, with their
 * own keys, stores and event handling.
 *
 * Network options: the relay search is on, as people run it. mDNS is off
 * unless --mdns is given, and that is the one departure from the defaults:
 * on one host every node hears every other's mDNS answers and dials it (up
 * to half its connection limit), so fifty nodes become a full mesh of 1,225
 * connections — a LAN party, not a swarm of homes — and every follow then
 * syncs with all forty-nine peers, which on two cores measures the set-up,
 * not the push. mDNS also reaches any other Kith node on the machine (other
 * benchmarks, tests) and would pull it into the swarm. With it off, the
 * graph is the one follows make: each follower dials the author it follows,
 * as `kith follow <multiaddr>` does, and gossip runs over those
 * connections. The output says which ran.
 *
 * The follow graph (seeded; the seed is printed, --seed repeats it): a few
 * popular authors everybody follows, and each node following a random
 * handful of the others. Follows go by the author's address, as
 * `kith follow /ip4/…/p2p/…` does.
 *
 * Measured, from the call to `post` on the author's node (it signs, stores
 * and pushes before it returns, so a follower can hold the post before the
 * call returns; the call's own time is reported too) to the post being
 * stored on 50%, 90% and 100% of its followers' nodes. Arrival is what each
 * node's ingestor reports as stored — live push or reconciliation alike —
 * sent over IPC with its time on the machine's one wall clock; nobody is
 * polled. Posts go one at a time; each waits for all its followers (or a
 * time limit) before the next.
 *
 * Then a third of the nodes (none of the popular authors) stop, with their
 * homes and ports kept; the others post; the stopped nodes start again while
 * more posts go out, and recovery is the time from the restart until every
 * restarted node holds everything it follows that was posted while it was
 * down and since.
 *
 * Bounds measured in the same run: the one-hop time (one follower of one
 * author, connected directly, post to stored) and the time a node takes to
 * start (store opened, network listening). The aim from issue 15: 90% of
 * followers within one second.
 */
import '../src/cli/polyfills.js';
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NODE_FLAGS } from '../test/node-process.js';
import { argValue, progressLine } from './bounds.js';
import { closeChartBrowser, machineLine, markdownTable, writeResults, type Results } from './results.js';
import { clock, type Posted, type Started, type WorkerMessage, type WorkerNet, type WorkerRequest } from './swarm-protocol.js';

const WORKER = fileURLToPath(new URL('./swarm-worker.js', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));
/** The aim of issue 15: 90% of followers within a second. */
const AIM_MS = 1000;
/** How long a post may take to reach all its followers before it counts as missing somewhere. */
const POST_LIMIT_MS = 60_000;
/** How long the restarted nodes may take to catch up. */
const RECOVERY_LIMIT_MS = 120_000;
/**
 * Follows in flight at once, by default: each syncs with every connected peer, and on a busy
 * machine a popular author's process then runs seconds late, and a dial's Noise handshake outlasts its ten seconds.
 */
const FOLLOWS_AT_ONCE = 2;
/** Tries of one follow before the bench gives up: on a busy machine a dial can outlast its ten seconds. */
const FOLLOW_ATTEMPTS = 6;
/** The wait before the second try of a follow, doubled for each try after. */
const FOLLOW_RETRY_MS = 1000;
/** Posts the one-hop bound is the median of. */
const ONE_HOP_POSTS = 5;

export interface SwarmOptions {
  readonly nodes: number;
  readonly posts: number;
  /** How many nodes stop and start again (default a third). */
  readonly restart?: number;
  readonly seed: string;
  readonly perWorker: number;
  readonly net: WorkerNet;
  /** Follows in flight at once (default 2). */
  readonly followsAtOnce?: number;
  /** Where the table goes (bench/results by default). */
  readonly resultsDir?: string;
  readonly progress?: (msg: string) => void;
  /** A line as each part of the run ends, so a long run that is cut short still says what it measured. */
  readonly phaseLine?: (line: string) => void;
}

export interface PostFigures {
  readonly author: number;
  readonly popular: boolean;
  readonly followers: number;
  readonly reached: number;
  /** ms from the call to post until stored on 50%, 90%, 100% of followers; null when that share was not reached in time. */
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p100: number | null;
  /** Arrivals by live push (the rest came by reconciliation). */
  readonly live: number;
  readonly postCallMs: number;
}

export interface SwarmResult {
  readonly seed: string;
  readonly nodes: number;
  readonly workers: number;
  readonly net: WorkerNet;
  readonly popular: number[];
  readonly follows: number;
  /** Follows that failed once and were tried again, with why. */
  readonly followRetries: string[];
  /** ms each part of the run took. */
  readonly phases: Record<string, number>;
  /** The busiest process's event-loop delay in each part (p99 and max, ms). */
  readonly lags: Record<string, { p99: number; max: number }>;
  readonly oneHopMs: number;
  readonly startMs: number;
  readonly posts: PostFigures[];
  readonly restarted: number[];
  /** Posts while down and after the restart, and what they reached. */
  readonly recoveryPosts: PostFigures[];
  /** ms from the restart until each restarted node held all it follows; null for a node that did not catch up in time. */
  readonly recoveryMs: (number | null)[];
  /** Followers (node, post) that never got a post they follow. */
  readonly missing: number;
  readonly table: string;
}

/** A seeded generator (SHA-256 of the seed and a counter), so a graph can be had again from its printed seed. */
function seeded(seed: string): () => number {
  let counter = 0;
  return () => createHash('sha256').update(seed).update(String(counter++)).digest().readUInt32BE(0) / 2 ** 32;
}

function pick<T>(rand: () => number, from: readonly T[], n: number): T[] {
  const pool = [...from];
  const out: T[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(rand() * pool.length), 1)[0]!);
  return out;
}

/** The time by which `share` of `n` arrivals had come, or null. */
function shareTime(sorted: readonly number[], n: number, share: number): number | null {
  const need = Math.max(1, Math.ceil(share * n));
  return sorted.length >= need ? sorted[need - 1]! : null;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The processes, their nodes, and the arrivals they report. */
class Swarm {
  private readonly workers: ChildProcess[] = [];
  private seq = 0;
  private readonly replies = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Post id → node → when it was stored there. */
  readonly arrivals = new Map<string, Map<number, number>>();
  /** Post id → nodes it reached by live push. */
  readonly live = new Map<string, Set<number>>();
  private readonly watchers = new Set<() => void>();
  private exited: string | undefined;

  constructor(count: number) {
    for (let i = 0; i < count; i++) {
      const w = fork(WORKER, [], {
        execArgv: [...NODE_FLAGS, ...(process.env.KITH_SWARM_NODE_FLAGS ?? '').split(' ').filter(Boolean)],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      w.on('message', (m: WorkerMessage) => this.onMessage(m));
      w.once('exit', (code, signal) => {
        this.exited ??= `a swarm process exited (${signal ?? code})`;
        for (const r of this.replies.values()) r.reject(new Error(this.exited));
        this.replies.clear();
      });
      this.workers.push(w);
    }
  }

  private onMessage(m: WorkerMessage): void {
    if (m.kind === 'reply') {
      const r = this.replies.get(m.seq);
      this.replies.delete(m.seq);
      if (m.ok) r?.resolve(m.value);
      else r?.reject(new Error(m.error));
      return;
    }
    if (m.kind === 'stored') {
      let at = this.arrivals.get(m.id);
      if (!at) this.arrivals.set(m.id, (at = new Map()));
      if (!at.has(m.node)) at.set(m.node, m.at);
    } else {
      let s = this.live.get(m.id);
      if (!s) this.live.set(m.id, (s = new Set()));
      s.add(m.node);
    }
    for (const w of this.watchers) w();
  }

  workerOf(node: number): ChildProcess {
    return this.workers[node % this.workers.length]!;
  }

  ask<T>(node: number, req: WorkerRequest): Promise<T> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.replies.set(seq, { resolve: resolve as (v: unknown) => void, reject });
      this.workerOf(node).send({ seq, req });
    });
  }

  /** Resolves once every node in `nodes` stored `id` (true), or when the limit passes (false). */
  until(ready: () => boolean, limitMs: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!ready()) return;
        done(true);
      };
      const timer = setTimeout(() => done(false), limitMs);
      const done = (v: boolean) => {
        clearTimeout(timer);
        this.watchers.delete(check);
        resolve(v);
      };
      this.watchers.add(check);
    });
  }

  holds(node: number, id: string): boolean {
    return this.arrivals.get(id)?.has(node) ?? false;
  }

  /** Ends every process: a worker closes its nodes when the channel closes, and is killed if it lingers. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.exitCode !== null || w.signalCode !== null) return resolve();
            const timer = setTimeout(() => w.kill('SIGKILL'), 10_000);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (w.connected) w.disconnect();
            else w.kill('SIGKILL');
          }),
      ),
    );
  }
}

/** Runs `jobs` with at most `n` under way. */
async function inBatches<T>(jobs: readonly (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = new Array<T>(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

export async function runSwarm(o: SwarmOptions): Promise<SwarmResult> {
  const progress = o.progress ?? (() => undefined);
  const rand = seeded(o.seed);
  const n = o.nodes;
  const popular = Array.from({ length: n >= 20 ? 3 : 2 }, (_, i) => i);
  const ordinary = Array.from({ length: n - popular.length }, (_, i) => i + popular.length);
  // A handful of ordinary follows each: four in a big swarm, two in a small one (where four would be nearly everybody).
  const handful = Math.min(n >= 20 ? 4 : 2, ordinary.length - 1);
  // followees[i]: whom node i follows; followers[a]: who follows a.
  const followees = Array.from({ length: n }, (_, i) => [
    ...popular.filter((p) => p !== i),
    ...pick(
      rand,
      ordinary.filter((x) => x !== i),
      handful,
    ),
  ]);
  const followers = Array.from({ length: n }, (_, a) => followees.flatMap((f, i) => (f.includes(a) ? [i] : [])));
  // The one-hop pair: two more nodes outside the graph, in different processes.
  const probeAuthor = n;
  const probeFollower = n + 1;
  const total = n + 2;
  const workers = Math.max(2, Math.ceil(total / o.perWorker));
  const root = mkdtempSync(join(tmpdir(), 'kith-bench-swarm-'));
  const swarm = new Swarm(workers);
  // Stopped from outside (Ctrl-C, a time limit): the processes and the temp dir go as they do on any other end.
  const onSignal = (signal: NodeJS.Signals) => {
    void swarm.close().finally(() => {
      rmSync(root, { recursive: true, force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const info: Started[] = [];
  const startOne = async (i: number, port: number): Promise<number> => {
    const t0 = clock();
    info[i] = await swarm.ask<Started>(i, { op: 'start', node: i, home: join(root, `node-${i}`), port, net: o.net });
    return clock() - t0;
  };
  // How long each part of the run took, for reading the figures (a slow set-up says the machine was busy).
  const phases: Record<string, number> = {};
  let phaseFrom = clock();
  // And how late the busiest process's event loop ran in each part (p99 and max ms): a late loop delays every push it handles.
  const lags: Record<string, { p99: number; max: number }> = {};
  const phaseDone = async (name: string, figures = '') => {
    phases[name] = Math.round(clock() - phaseFrom);
    const each = await Promise.all(Array.from({ length: workers }, (_, w) => swarm.ask<{ p99: number; max: number }>(w, { op: 'lag', node: w })));
    lags[name] = { p99: Math.round(Math.max(...each.map((l) => l.p99))), max: Math.round(Math.max(...each.map((l) => l.max))) };
    o.phaseLine?.(`  ${name}: done in ${ms(phases[name])} (event loop p99 ${lags[name].p99} ms)${figures ? `; ${figures}` : ''}`);
    phaseFrom = clock();
  };
  try {
    // Start: as many nodes at once as there are processes.
    let started = 0;
    await inBatches(
      Array.from({ length: total }, (_, i) => async () => {
        await startOne(i, 0);
        progress(`starting nodes: ${++started}/${total}`);
      }),
      workers,
    );

    await phaseDone('start');
    const jobs = followees.flatMap((fs, i) => fs.map((a) => ({ i, a })));
    let followed = 0;
    const retried: string[] = [];
    await inBatches(
      jobs.map(({ i, a }) => async () => {
        // A follow that fails is tried again (and counted, and its reason printed): the swarm needs its graph whole to time anything.
        for (let attempt = 1; ; attempt++) {
          try {
            await swarm.ask(i, { op: 'follow', node: i, target: info[a]!.address });
            break;
          } catch (e) {
            const why = `node ${i} following node ${a}: ${e instanceof Error ? e.message : String(e)}`;
            if (attempt === FOLLOW_ATTEMPTS) throw new Error(why, { cause: e });
            retried.push(why);
            // Kith takes a limited number of connection attempts a second from one address, and here every node is 127.0.0.1: wait before the next.
            await new Promise((r) => setTimeout(r, FOLLOW_RETRY_MS * 2 ** (attempt - 1)));
          }
        }
        progress(`following: ${++followed}/${jobs.length}`);
      }),
      o.followsAtOnce ?? FOLLOWS_AT_ONCE,
    );

    await phaseDone('follows');
    // The bound: one follower of one author, directly connected, on the swarm's machine at the swarm's load.
    await swarm.ask(probeFollower, { op: 'follow', node: probeFollower, target: info[probeAuthor]!.address });
    const hops: number[] = [];
    for (let k = 0; k < ONE_HOP_POSTS; k++) {
      progress(`one-hop bound: post ${k + 1}/${ONE_HOP_POSTS}`);
      const p = await swarm.ask<Posted>(probeAuthor, { op: 'post', node: probeAuthor, text: `one-hop probe ${k}` });
      if (!(await swarm.until(() => swarm.holds(probeFollower, p.id), POST_LIMIT_MS))) throw new Error('the one-hop probe post never arrived');
      hops.push(swarm.arrivals.get(p.id)!.get(probeFollower)! - p.calledAt);
    }
    const oneHopMs = median(hops);
    await phaseDone('one-hop bound', `median ${ms(oneHopMs)}`);

    interface Sent {
      readonly posted: Posted;
      readonly author: number;
      readonly figures: () => PostFigures;
    }
    const postAndWait = async (author: number, down: ReadonlySet<number>, label: string, wait: boolean): Promise<Sent> => {
      const posted = await swarm.ask<Posted>(author, { op: 'post', node: author, text: `${label}: a post by node ${author}` });
      const audience = followers[author]!.filter((f) => !down.has(f));
      if (wait) await swarm.until(() => audience.every((f) => swarm.holds(f, posted.id)), POST_LIMIT_MS);
      const figures = (): PostFigures => {
        const at = swarm.arrivals.get(posted.id) ?? new Map<number, number>();
        const times = audience
          .filter((f) => at.has(f))
          .map((f) => at.get(f)! - posted.calledAt)
          .sort((a, b) => a - b);
        return {
          author,
          popular: popular.includes(author),
          followers: audience.length,
          reached: times.length,
          p50: shareTime(times, audience.length, 0.5),
          p90: shareTime(times, audience.length, 0.9),
          p100: shareTime(times, audience.length, 1),
          live: [...(swarm.live.get(posted.id) ?? [])].filter((f) => audience.includes(f)).length,
          postCallMs: posted.returnedAt - posted.calledAt,
        };
      };
      return { posted, author, figures };
    };

    const authorFor = (k: number, excluded: ReadonlySet<number>): number => {
      if (k % 2 === 0) return popular[(k / 2) % popular.length]!;
      const pool = ordinary.filter((x) => !excluded.has(x) && followers[x]!.length > 0);
      return pool[Math.floor(rand() * pool.length)]!;
    };

    const none = new Set<number>();
    const posts: PostFigures[] = [];
    for (let k = 0; k < o.posts; k++) {
      progress(`posting: ${k + 1}/${o.posts}`);
      posts.push((await postAndWait(authorFor(k, none), none, `post ${k}`, true)).figures());
    }

    await phaseDone('posts', reachLine(posts));
    // Restart a third: stop them (homes and ports kept), post, start them while more posts go out.
    const restarted = pick(rand, ordinary, Math.min(o.restart ?? Math.floor(n / 3), ordinary.length - 1)).sort((a, b) => a - b);
    const down = new Set(restarted);
    const ports = restarted.map((r) => info[r]!.port);
    progress(`stopping ${restarted.length} nodes`);
    await Promise.all(restarted.map((r) => swarm.ask(r, { op: 'stop', node: r })));
    const phase = Math.max(1, Math.round(o.posts / 4));
    const whileDown: Sent[] = [];
    for (let k = 0; k < phase; k++) {
      progress(`posting while ${restarted.length} nodes are down: ${k + 1}/${phase}`);
      whileDown.push(await postAndWait(authorFor(k, down), down, `while down ${k}`, true));
    }
    progress(`starting ${restarted.length} nodes again`);
    const restartAt = clock();
    const startTimes = Promise.all(restarted.map((r, j) => startOne(r, ports[j]!)));
    const afterRestart: Sent[] = [];
    for (let k = 0; k < phase; k++) afterRestart.push(await postAndWait(authorFor(k + 1, down), none, `on return ${k}`, false));
    const startMs = median(await startTimes);
    // What a restarted node must hold: every post since it stopped by someone it follows.
    const owed = (r: number) => [...whileDown, ...afterRestart].filter((p) => followers[p.author]!.includes(r)).map((p) => p.posted.id);
    progress('waiting for the restarted nodes to catch up');
    await swarm.until(() => restarted.every((r) => owed(r).every((id) => swarm.holds(r, id))), RECOVERY_LIMIT_MS);
    await swarm.until(() => afterRestart.every((p) => p.figures().reached === p.figures().followers), POST_LIMIT_MS);
    const recoveryMs = restarted.map((r) => {
      const ids = owed(r);
      if (!ids.every((id) => swarm.holds(r, id))) return null;
      return Math.max(0, ...ids.map((id) => swarm.arrivals.get(id)!.get(r)! - restartAt));
    });
    const recoveryPosts = [...whileDown, ...afterRestart].map((p) => p.figures());
    await phaseDone('restart and recovery', `${reachLine(recoveryPosts)}; slowest catch-up ${ms(Math.max(...recoveryMs.map((v) => v ?? NaN)))}`);
    const downOwed = whileDown.reduce((s, p) => s + restarted.filter((r) => followers[p.author]!.includes(r)).length, 0);
    const missing =
      [...posts, ...recoveryPosts].reduce((s, p) => s + (p.followers - p.reached), 0) +
      restarted.reduce((s, r) => s + owed(r).filter((id) => !swarm.holds(r, id) && whileDown.some((p) => p.posted.id === id)).length, 0);
    progress('');

    const result = {
      seed: o.seed,
      nodes: n,
      workers,
      net: o.net,
      popular,
      follows: jobs.length,
      followRetries: retried,
      phases,
      lags,
      oneHopMs,
      startMs,
      posts,
      restarted,
      recoveryPosts,
      recoveryMs,
      missing,
    };
    const table = await writeTable(result, downOwed, o.resultsDir);
    return { ...result, table };
  } finally {
    progress('');
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await swarm.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Median time to 50% and 90% of followers, and how many posts reached all of theirs. */
function reachLine(ps: readonly PostFigures[]): string {
  const med = (k: 'p50' | 'p90') => (ps.some((p) => p[k] === null) ? null : median(ps.map((p) => p[k]!)));
  const whole = ps.filter((p) => p.reached === p.followers).length;
  return `median to 50% ${ms(med('p50'))}, to 90% ${ms(med('p90'))}, ${whole}/${ps.length} posts reached every follower`;
}

const ms = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? 'not reached' : `${Math.round(v)} ms`);

function rowsFor(label: string, ps: readonly PostFigures[], oneHopMs: number): (string | number)[] {
  const med = (k: 'p50' | 'p90' | 'p100') => (ps.some((p) => p[k] === null) ? null : median(ps.map((p) => p[k]!)));
  const worst = (k: 'p50' | 'p90' | 'p100') => (ps.some((p) => p[k] === null) ? null : Math.max(...ps.map((p) => p[k]!)));
  const within = ps.filter((p) => p.p90 !== null && p.p90 <= AIM_MS).length;
  const arrivals = ps.reduce((s, p) => s + p.reached, 0);
  const live = ps.reduce((s, p) => s + p.live, 0);
  return [
    label,
    ps.length,
    Math.round(median(ps.map((p) => p.followers))),
    `${ms(med('p50'))} (worst ${ms(worst('p50'))})`,
    `${ms(med('p90'))} (worst ${ms(worst('p90'))})`,
    `${ms(med('p100'))} (worst ${ms(worst('p100'))})`,
    `${within}/${ps.length}`,
    `${arrivals === 0 ? 0 : Math.round((live / arrivals) * 100)}%`,
    `${Math.round(oneHopMs)} ms`,
  ];
}

async function writeTable(r: Omit<SwarmResult, 'table'>, downOwed: number, dir: string | undefined): Promise<string> {
  const popular = r.posts.filter((p) => p.popular);
  const ordinary = r.posts.filter((p) => !p.popular);
  const done = r.recoveryMs.filter((v): v is number => v !== null);
  const columns = ['posts by', 'posts', 'followers', 'to 50%', 'to 90%', 'to 100%', '90% within 1 s', 'by live push', 'one-hop bound'];
  const rows: (string | number)[][] = [
    rowsFor('popular authors', popular, r.oneHopMs),
    rowsFor('ordinary authors', ordinary, r.oneHopMs),
    rowsFor('around the restart', r.recoveryPosts, r.oneHopMs),
    [
      `recovery of ${r.restarted.length} restarted nodes`,
      r.recoveryPosts.length,
      `${downOwed} owed from while down`,
      '',
      '',
      `${ms(done.length === r.recoveryMs.length ? Math.max(...done) : null)} (median ${ms(median(done))})`,
      '',
      '',
      `node start ${Math.round(r.startMs)} ms`,
    ],
  ];
  const figure = (xs: readonly PostFigures[], key: 'p50' | 'p90' | 'p100'): number | null => {
    const v = median(xs.map((p) => p[key] ?? NaN));
    return Number.isNaN(v) ? null : v;
  };
  const results: Results = {
    title: `Swarm: ${r.nodes} nodes on 127.0.0.1 in ${r.workers} processes (mDNS ${r.net.mdns ? 'on' : 'off'}, relay search ${r.net.relay ? 'on' : 'off'}), seed ${r.seed}; aim: 90% of followers within ${AIM_MS} ms`,
    machine: machineLine(),
    columns,
    rows,
    chart: {
      type: 'bar',
      labels: ['to 50%', 'to 90%', 'to 100%'],
      datasets: [
        { label: 'popular authors (median ms)', data: (['p50', 'p90', 'p100'] as const).map((k) => figure(popular, k)) },
        { label: 'ordinary authors (median ms)', data: (['p50', 'p90', 'p100'] as const).map((k) => figure(ordinary, k)) },
        { label: 'one-hop bound (ms)', data: [r.oneHopMs, r.oneHopMs, r.oneHopMs] },
      ],
      xTitle: `share of followers holding the post, ${r.nodes} nodes (aim: 90% within ${AIM_MS} ms)`,
      yTitle: 'ms',
    },
  };
  await writeResults('swarm', results, dir === undefined ? {} : { dir });
  return markdownTable(results);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const given = args.indexOf('--seed');
  const seed = given >= 0 && args[given + 1] ? args[given + 1]! : createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 16);
  const progress = progressLine(json);
  const nodes = argValue(args, '--nodes', 50);
  const opts: SwarmOptions = {
    nodes,
    posts: argValue(args, '--posts', 20),
    restart: argValue(args, '--restart', Math.floor(nodes / 3)),
    seed,
    perWorker: argValue(args, '--per-worker', 10),
    followsAtOnce: argValue(args, '--follows-at-once', FOLLOWS_AT_ONCE),
    net: { mdns: args.includes('--mdns'), relay: !args.includes('--no-relay') },
    progress,
    phaseLine: json
      ? undefined
      : (line) => {
          progress('');
          console.log(line);
        },
  };
  if (!json) console.log(`swarm: ${nodes} nodes, ${opts.posts} posts, seed ${seed} (again with --seed ${seed})`);
  const loadBefore = loadavg()[0]!;
  const r = await runSwarm(opts);
  if (json) {
    const { table: _t, ...rest } = r;
    console.log(JSON.stringify(rest));
    return;
  }
  console.log(
    `  ${r.nodes} nodes in ${r.workers} processes, mDNS ${r.net.mdns ? 'on' : 'off'}, relay search ${r.net.relay ? 'on' : 'off'}; ` +
      `${r.follows} follows; popular authors: nodes ${r.popular.join(', ')}`,
  );
  if (!r.net.mdns)
    console.log(
      '  mDNS off: on one host it makes every node dial every other and reaches other Kith nodes on the machine (see bench/swarm.ts); --mdns turns it on',
    );
  for (const why of r.followRetries) console.log(`  a follow failed and was tried again: ${why}`);
  console.log(`  bounds: one hop ${ms(r.oneHopMs)}, a node starts in ${ms(r.startMs)}; aim: 90% of followers within ${AIM_MS} ms`);
  console.log(r.table);
  if (r.missing > 0) console.log(`  ${r.missing} (follower, post) pair(s) never arrived within the limits`);
  console.log(
    `  time taken: ${Object.entries(r.phases)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
      .join(', ')}`,
  );
  console.log(
    `  event-loop delay of the busiest process (p99/max): ${Object.entries(r.lags)
      .map(([k, v]) => `${k} ${v.p99}/${v.max} ms`)
      .join(', ')}`,
  );
  console.log(`  load average (1 min): ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end, on ${cpus().length} cores`);
  console.log(`  table and chart written to ${join(RESULTS_DIR, 'swarm.md')} and swarm.png`);
  await closeChartBrowser();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
  });
}
