/**
 * npm run bench -- footprint [--objects N] [--follows F] [--starts K] [--idle-s S] [--requests R]
 *                             [--settle-s S] [--cpu-s W] [--soak-min M] [--no-peers] [--json]
 *
 * What a running node costs the machine, each `kith start` its own process on 127.0.0.1:
 *  0. idle with peers, the network as people run it (mDNS, relay search):
 *     a hub with 0, 1 and 10 peer nodes (all connected, all followed by the
 *     hub), left alone S seconds (default 30) and then measured for W seconds
 *     (default 60): CPU time as a share of one core, beside a bare `node`
 *     process measured over the same window; then, with 10 peers, memory
 *     each minute for M minutes (default 30), minute 1 against minute M
 *     (--no-peers leaves this stage out, to compare stages 1 to 3 with older runs);
 *  1. idle: a fresh home (identity created on first run), left alone for S
 *     seconds (default 5): resident memory (VmRSS) and its high-water mark (VmHWM);
 *  2. loaded: a home holding N objects (default 100,000) by F authors (default
 *     1,000), all followed, written before the node starts; a paired device's
 *     two clients page the timeline (one from the top, one from halfway down)
 *     for R requests (default 300) while RSS is sampled every 100 ms;
 *  3. cold start: the loaded node started K more times (default 3): time from
 *     spawn to the first 200 of GET /api/timeline with a saved session, and to
 *     the node's start report (network up).
 * The bounds, measured in the same run: the RSS and CPU of a bare `node` process, and
 * the spawn-to-first-answer time of a bare `node` HTTP server polled the same way.
 * Stages 1 to 3 run without mDNS or the relay search, so their figures
 * compare with earlier runs; stage 0 is the node as it runs at home.
 * The issue's aims are printed beside the figures, as information only.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { KithNode } from '../src/node/kith-node.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { buildActor, buildCreate, buildNote } from '../src/core/as2.js';
import { KithError } from '../src/core/errors.js';
import { startNode, KITH, NODE_FLAGS } from '../test/node-process.js';
import { repoRoot } from '../test/helpers.js';
import { pairDevice } from '../test/device-client.js';
import { progressLine, argValue } from './bounds.js';
import { cpuMsOf, idleCpu, soak, type IdleCpu, type Soak } from './footprint-peers.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const OBJECTS = argValue(args, '--objects', 100_000);
const FOLLOWS = argValue(args, '--follows', 1_000);
const STARTS = argValue(args, '--starts', 3);
const IDLE_S = argValue(args, '--idle-s', 5);
const REQUESTS = argValue(args, '--requests', 300);
const CLIENTS = 2;
const PAGE = 20;
const SETTLE_S = argValue(args, '--settle-s', 30);
const CPU_S = argValue(args, '--cpu-s', 60);
const SOAK_MIN = argValue(args, '--soak-min', 30);
const PEER_COUNTS = args.includes('--no-peers') ? [] : [0, 1, 10];
const AIMS = { idleMB: 120, loadedMB: 250, startS: 2, idleCore: 0.01, soakGrowth: 0.1 };

const progress = progressLine(json);
const say = (line: string) => {
  if (!json) {
    progress('');
    console.log(line);
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (kb: number) => kb / 1024;
const fmtMB = (kb: number) => `${mb(kb).toFixed(1).padStart(6)} MB`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const dirs: string[] = [];
function home(): string {
  const d = mkdtempSync(join(tmpdir(), 'kith-bench-footprint-'));
  dirs.push(d);
  return d;
}

// ---- measuring a process ----

interface Memory {
  rssKb: number;
  hwmKb: number;
}

/** VmRSS and VmHWM of a process, from /proc (Linux). */
function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/** Samples a process's RSS every `everyMs` until stopped; returns the samples. */
function sampleRss(pid: number, everyMs = 100): { stop: () => number[] } {
  const samples: number[] = [memoryOf(pid).rssKb];
  const timer = setInterval(() => {
    try {
      samples.push(memoryOf(pid).rssKb);
    } catch {
      // the process is gone
    }
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      samples.push(memoryOf(pid).rssKb);
      return samples;
    },
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

/** Polls a URL until it answers 200; resolves with the time it did (performance.now()). `gone` says why to give up. */
async function firstAnswer(url: string, headers: Record<string, string>, gone: () => unknown, timeoutMs = 60_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const why = gone();
    if (why) throw why instanceof Error ? why : new Error(`${String(why)} before ${url} answered`);
    let status: number | undefined;
    try {
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      status = res.status;
    } catch {
      // not listening yet
    }
    if (status === 200) return performance.now();
    if (status !== undefined) throw new Error(`${url} answered ${status}`);
    if (performance.now() > deadline) throw new Error(`${url} did not answer in ${timeoutMs} ms`);
    await sleep(5);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

// ---- the bounds ----

/** RSS of a bare Node.js process doing nothing, after `settleMs`. */
async function bareNodeRss(settleMs: number): Promise<Memory> {
  const child = spawn(process.execPath, ['-e', 'console.log("ready"); setInterval(() => {}, 1e3)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    await sleep(settleMs);
    return memoryOf(child.pid!);
  } finally {
    await stopChild(child);
  }
}

interface StartTime {
  /** Spawn to the first 200. */
  ms: number;
  /** CPU time the process had used by then: less sensitive than `ms` to other work on the machine. */
  cpuMs: number;
}

/** Spawn to first 200 of a bare Node.js HTTP server on a known port, polled as the node is. */
async function bareHttpStart(): Promise<StartTime> {
  const port = await freePort();
  const code = `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`;
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  try {
    const ms = (await firstAnswer(`http://127.0.0.1:${port}/`, {}, () => child.exitCode !== null && `the bare server exited ${child.exitCode}`)) - t0;
    return { ms, cpuMs: cpuMsOf(child.pid!) };
  } finally {
    await stopChild(child);
  }
}

// ---- the stages ----

async function idle(): Promise<{ rssKb: number; hwmKb: number; firstRunStartMs: number }> {
  const t0 = performance.now();
  const node = await startNode(home());
  const firstRunStartMs = performance.now() - t0;
  try {
    for (let s = 0; s < IDLE_S; s++) {
      progress(`idle node: ${s}/${IDLE_S} s`);
      await sleep(1000);
    }
    return { ...memoryOf(node.child.pid!), firstRunStartMs };
  } finally {
    await node.stop();
  }
}

/** A home holding OBJECTS posts by FOLLOWS authors, each with a named actor, all followed. Returns it and the post times. */
async function seed(): Promise<{ dir: string; oldest: number; newest: number; stored: number }> {
  const dir = home();
  const node = KithNode.init(dir).node;
  const perAuthor = Math.ceil(OBJECTS / FOLLOWS);
  const step = 60_000;
  const newest = Date.now() - 60_000;
  const oldest = newest - (perAuthor * FOLLOWS - 1) * step;
  const authors = Array.from({ length: FOLLOWS }, () => generateKeyPair());
  let done = 0;
  const AUTHORS_PER_BATCH = Math.max(1, Math.floor(5000 / perAuthor));
  try {
    for (let a0 = 0; a0 < FOLLOWS; a0 += AUTHORS_PER_BATCH) {
      const batch: string[] = [];
      for (let a = a0; a < Math.min(a0 + AUTHORS_PER_BATCH, FOLLOWS); a++) {
        const key = authors[a]!;
        const did = didFromPublicKey(key.publicKey);
        node.follow(did);
        batch.push(JSON.stringify(signDocument(buildActor(did, { name: `Author ${a}` }, oldest - step), key)));
        for (let j = 0; j < perAuthor && done < OBJECTS; j++, done++) {
          // Authors interleave in time, so every page of the timeline shows many of them.
          const t = oldest + (j * FOLLOWS + a) * step;
          const text = `Post ${j} of author ${a}: ${randomBytes(18).toString('base64')} and a few more words, as a post has.`;
          batch.push(JSON.stringify(signDocument(buildCreate(did, buildNote(did, { text }, t), t), key)));
        }
      }
      const results = await node.ingestMany(batch);
      const refused = results.find((r) => r instanceof KithError);
      if (refused) throw refused;
      progress(`seeding: ${done}/${OBJECTS} posts, ${Math.min(a0 + AUTHORS_PER_BATCH, FOLLOWS)}/${FOLLOWS} authors followed`);
    }
    return { dir, oldest, newest, stored: node.store.objects.count() };
  } finally {
    node.close();
  }
}

interface Loaded {
  objects: number;
  follows: number;
  restRssKb: number;
  peakRssKb: number;
  afterRssKb: number;
  hwmKb: number;
  requests: number;
  items: number;
  perSec: number;
  msPerPage: number;
  token: string;
}

async function loaded(dir: string, oldest: number, newest: number): Promise<Loaded> {
  const node = await startNode(dir);
  try {
    const device = await pairDevice(dir, node.info.api, 'footprint bench');
    const follows = (await device.call('GET', '/api/follows')).body;
    for (let s = 0; s < IDLE_S; s++) {
      progress(`loaded node at rest: ${s}/${IDLE_S} s`);
      await sleep(1000);
    }
    const rest = memoryOf(node.child.pid!);
    const sampler = sampleRss(node.child.pid!);
    const half = Math.floor((oldest + newest) / 2);
    const perClient = Math.ceil(REQUESTS / CLIENTS);
    let requests = 0;
    let items = 0;
    const pageMs: number[] = [];
    const client = async (start: string | undefined) => {
      let before = start;
      for (let i = 0; i < perClient; i++) {
        const t = performance.now();
        const r = await device.call('GET', `/api/timeline?limit=${PAGE}${before ? `&before=${before}` : ''}`);
        pageMs.push(performance.now() - t);
        if (r.status !== 200) throw new Error(`timeline answered ${r.status}: ${JSON.stringify(r.body)}`);
        requests++;
        if (r.body.items.length === 0) throw new Error('the timeline came back empty');
        items += r.body.items.length;
        if (requests % 20 === 0) progress(`serving the timeline: ${requests}/${perClient * CLIENTS} pages`);
        before = r.body.next ?? start; // at the end, start over
      }
    };
    const t0 = performance.now();
    // One client reads from the top, one from halfway down the timeline.
    await Promise.all([client(undefined), client(`${half}.${'f'.repeat(64)}`)]);
    const ms = performance.now() - t0;
    const samples = sampler.stop();
    await sleep(1000);
    const after = memoryOf(node.child.pid!);
    return {
      objects: node.info.objects,
      follows: follows.following.length,
      restRssKb: rest.rssKb,
      peakRssKb: Math.max(...samples),
      afterRssKb: after.rssKb,
      hwmKb: after.hwmKb,
      requests,
      items,
      perSec: (requests / ms) * 1000,
      msPerPage: median(pageMs),
      token: device.token!,
    };
  } finally {
    await node.stop();
  }
}

/**
 * Spawn to the first 200 of GET /api/timeline with a saved session, and to the node's start report (its
 * network up). Spawned here, as startNode does it, to have the process from the start and read its CPU time.
 */
async function coldStart(dir: string, token: string): Promise<StartTime & { reportMs: number; rssKb: number }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KITH_')));
  const argv = [...NODE_FLAGS, KITH, 'start', '--json', '--host', '127.0.0.1', '--port', '0', '--api-port', String(port), '--no-mdns', '--no-relay'];
  const t0 = performance.now();
  const child = spawn(process.execPath, argv, { cwd: repoRoot, env: { ...env, KITH_HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let reportMs = NaN;
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    try {
      JSON.parse(stdout);
      reportMs = performance.now() - t0;
    } catch {
      // not all of it yet
    }
  });
  try {
    const url = `http://127.0.0.1:${port}/api/timeline?limit=${PAGE}`;
    const ms =
      (await firstAnswer(url, { authorization: `Bearer ${token}` }, () => child.exitCode !== null && `the node exited ${child.exitCode}: ${stderr}`)) - t0;
    const cpuMs = cpuMsOf(child.pid!);
    while (Number.isNaN(reportMs)) {
      if (child.exitCode !== null) throw new Error(`the node exited ${child.exitCode}: ${stderr}`);
      await sleep(5);
    }
    return { ms, cpuMs, reportMs, rssKb: memoryOf(child.pid!).rssKb };
  } finally {
    await stopChild(child);
  }
}

const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

try {
  progress('measuring a bare node');
  await fetch('http://127.0.0.1:1/').catch(() => {}); // load fetch before anything is timed
  const bare = await bareNodeRss(1000);
  say(`footprint benchmark: kith start on 127.0.0.1, Node ${process.version}`);
  say(`  bare node, idle              RSS ${fmtMB(bare.rssKb)}                              (the memory bound)`);

  if (PEER_COUNTS.length > 0) say(`  idle with peers (mDNS and relay search on, as people run it; ${SETTLE_S} s to settle, then ${CPU_S} s measured):`);
  const pct = (core: number) => `${(core * 100).toFixed(2).padStart(5)}% of a core`;
  const idles: IdleCpu[] = [];
  let soaked: Soak | undefined;
  for (const n of PEER_COUNTS) {
    const last = n === PEER_COUNTS[PEER_COUNTS.length - 1];
    const r = await idleCpu(n, SETTLE_S, CPU_S, dirs, progress, last);
    idles.push(r);
    say(
      `    ${String(n).padStart(2)} peer(s) (${r.connected} connected)   hub ${pct(r.hubCore)}, peers ${n === 0 ? '   -  ' : pct(r.peerCore)}; ` +
        `bare node ${pct(r.bareCore)} (the bound); hub RSS ${fmtMB(r.hubRssKb)}`,
    );
    if (r.cluster) {
      try {
        soaked = await soak(r.cluster, SOAK_MIN, progress);
      } finally {
        await r.cluster.stop();
      }
    }
  }
  if (soaked) {
    const first = soaked.hubRssKb[0]!;
    const lastKb = soaked.hubRssKb[soaked.hubRssKb.length - 1]!;
    const every = soaked.hubRssKb.map((k) => mb(k).toFixed(0)).join(' ');
    say(
      `  memory over ${soaked.minutes} min with ${PEER_COUNTS[PEER_COUNTS.length - 1]} peers: hub ${fmtMB(first)} at minute 1, ${fmtMB(lastKb)} at minute ${soaked.minutes} (${(((lastKb - first) / first) * 100).toFixed(1)}%)`,
    );
    say(
      `                               peers (mean) ${fmtMB(soaked.peerRssKb[0]!)} -> ${fmtMB(soaked.peerRssKb[soaked.peerRssKb.length - 1]!)}; bare node ${fmtMB(soaked.bareRssKb[0]!)} -> ${fmtMB(soaked.bareRssKb[soaked.bareRssKb.length - 1]!)} (the bound)`,
    );
    say(`                               hub MB each minute: ${every}; hub CPU over the soak ${pct(soaked.hubCore)}`);
  }
  say(`  the stages below run with --no-mdns --no-relay, as earlier runs did:`);

  progress('idle node');
  const idleNode = await idle();
  say(
    `  idle node, fresh home        RSS ${fmtMB(idleNode.rssKb)}  (VmHWM ${fmtMB(idleNode.hwmKb)})   ${(idleNode.rssKb / bare.rssKb).toFixed(1)}x bare node; ` +
      `first run (identity made) up in ${idleNode.firstRunStartMs.toFixed(0)} ms`,
  );

  const seedT0 = performance.now();
  const seeded = await seed();
  const seedS = (performance.now() - seedT0) / 1000;
  say(`  seeded ${seeded.stored} objects (${OBJECTS} posts, ${FOLLOWS} actors, own actor) from ${FOLLOWS} followed authors in ${seedS.toFixed(1)} s`);

  const load = await loaded(seeded.dir, seeded.oldest, seeded.newest);
  say(
    `  loaded node at rest          RSS ${fmtMB(load.restRssKb)}                              ${load.objects} objects, ${load.follows} follows, a device paired`,
  );
  say(
    `  loaded, serving timeline     RSS ${fmtMB(load.peakRssKb)} peak, ${fmtMB(load.afterRssKb)} after (VmHWM ${fmtMB(load.hwmKb)})   ${(load.peakRssKb / bare.rssKb).toFixed(1)}x bare node`,
  );
  say(
    `                               ${load.requests} pages of ${PAGE} by ${CLIENTS} clients (top, and from halfway down): ${load.perSec.toFixed(1)} pages/s, median ${load.msPerPage.toFixed(1)} ms a page`,
  );

  // Each node start right after a bare one, so both see the same load on the machine.
  const bareStarts: StartTime[] = [];
  const starts: (StartTime & { reportMs: number; rssKb: number })[] = [];
  for (let i = 0; i < STARTS; i++) {
    progress(`cold start ${i + 1}/${STARTS}`);
    bareStarts.push(await bareHttpStart());
    starts.push(await coldStart(seeded.dir, load.token));
  }
  const each = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
  const bareStart = median(bareStarts.map((s) => s.ms));
  const bareCpu = median(bareStarts.map((s) => s.cpuMs));
  const startApi = median(starts.map((s) => s.ms));
  const startCpu = median(starts.map((s) => s.cpuMs));
  const startReport = median(starts.map((s) => s.reportMs));
  say(
    `  bare node HTTP server        spawn to first answer ${bareStart.toFixed(0).padStart(5)} ms median (each: ${each(bareStarts.map((s) => s.ms))}), ${bareCpu.toFixed(0)} ms CPU   (the start bound)`,
  );
  say(
    `  cold start, loaded home      spawn to first timeline ${startApi.toFixed(0).padStart(5)} ms median (each: ${each(starts.map((s) => s.ms))}), ${startCpu.toFixed(0)} ms CPU   ` +
      `${(startApi / bareStart).toFixed(1)}x bare HTTP server`,
  );
  say(`                               spawn to start report (network up) ${startReport.toFixed(0)} ms median (each: ${each(starts.map((s) => s.reportMs))})`);

  say(`  aims (information, not a pass/fail):`);
  for (const r of idles) {
    if (r.peers === 0) continue;
    say(
      `    idle CPU under 1%, ${String(r.peers).padStart(2)} peer(s)  ${(r.hubCore * 100).toFixed(2).padStart(6)} %      ${verdict(r.hubCore < AIMS.idleCore)}  (hub)`,
    );
  }
  const growth = soaked ? (soaked.hubRssKb[soaked.hubRssKb.length - 1]! - soaked.hubRssKb[0]!) / soaked.hubRssKb[0]! : NaN;
  if (soaked)
    say(
      `    memory flat within 10%     ${(growth * 100).toFixed(1).padStart(6)} %      ${verdict(Math.abs(growth) <= AIMS.soakGrowth)}  (hub, minute 1 to ${soaked.minutes})`,
    );
  say(`    idle under ${AIMS.idleMB} MB           ${mb(idleNode.rssKb).toFixed(1).padStart(6)} MB     ${verdict(mb(idleNode.rssKb) < AIMS.idleMB)}`);
  say(
    `    loaded under ${AIMS.loadedMB} MB         ${mb(load.peakRssKb).toFixed(1).padStart(6)} MB     ${verdict(mb(load.peakRssKb) < AIMS.loadedMB)}  (peak while serving)`,
  );
  say(
    `    start under ${AIMS.startS} s             ${(startApi / 1000).toFixed(2).padStart(6)} s      ${verdict(startApi < AIMS.startS * 1000)}  (median, to the first timeline answer)`,
  );

  if (json) {
    const { token: _token, ...loadFigures } = load;
    console.log(
      JSON.stringify({
        node: process.version,
        bareNodeRssKb: bare.rssKb,
        idleWithPeers: idles.map(({ cluster: _c, ...r }: IdleCpu & { cluster?: unknown }) => r),
        soak: soaked ?? null,
        idle: idleNode,
        seeded: { objects: seeded.stored, posts: OBJECTS, follows: FOLLOWS, seconds: seedS },
        loaded: loadFigures,
        bareHttpStart: bareStarts,
        coldStart: starts,
        aims: {
          idle: { aimMB: AIMS.idleMB, mb: mb(idleNode.rssKb), met: mb(idleNode.rssKb) < AIMS.idleMB },
          loaded: { aimMB: AIMS.loadedMB, mb: mb(load.peakRssKb), met: mb(load.peakRssKb) < AIMS.loadedMB },
          start: { aimS: AIMS.startS, s: startApi / 1000, met: startApi < AIMS.startS * 1000 },
          idleCpu: idles.filter((r) => r.peers > 0).map((r) => ({ peers: r.peers, core: r.hubCore, met: r.hubCore < AIMS.idleCore })),
          soak: soaked ? { growth, met: Math.abs(growth) <= AIMS.soakGrowth } : null,
        },
      }),
    );
  }
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
