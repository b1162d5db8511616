/**
 * The idle cost of a node with peers, as people run it (mDNS and the relay
 * search on): used by `npm run bench -- footprint`. A hub node is started
 * with N peer nodes that bootstrap to it; the hub follows each of them, so
 * the periodic resync, gossip, pings and DHT upkeep all run as they would at
 * home. Not a bench of its own: footprint.ts runs it.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kith, kithJson, startNode, type NodeProcess } from '../test/node-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Set-up steps (a node starting, a follow) may take minutes on a machine busy with other work; they are not what is measured. */
const FOLLOW_TIMEOUT_MS = 300_000;

/** CPU time (user + system, every thread) a process has used so far, in ms, from /proc (Linux). */
export function cpuMsOf(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second on Linux); the name field may hold spaces.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resident memory of a process in KB, from /proc (Linux). */
export function rssKbOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
}

export interface Cluster {
  readonly hub: NodeProcess;
  readonly peers: readonly NodeProcess[];
  /** Peers the hub holds a connection to when the cluster was ready. */
  readonly connected: number;
  stop(): Promise<void>;
}

/** A hub and `n` peers, each its own `kith start` with the network's defaults, all connected and followed by the hub. */
export async function startCluster(n: number, dirs: string[], progress: (msg: string) => void): Promise<Cluster> {
  const home = (name: string): string => {
    const d = mkdtempSync(join(tmpdir(), `kith-bench-idle-${name}-`));
    dirs.push(d);
    return d;
  };
  const started: NodeProcess[] = [];
  const stop = async () => {
    await Promise.all(started.map((p) => p.stop()));
  };
  try {
    const hub = await startNode(home('hub'), [], { networkDefaults: true, startTimeoutMs: FOLLOW_TIMEOUT_MS });
    started.push(hub);
    const hubAddr = hub.info.addresses.find((a) => a.includes('/tcp/') && !a.includes('/ws'))!;
    const peers: NodeProcess[] = [];
    for (let i = 0; i < n; i++) {
      progress(`starting peer ${i + 1}/${n}`);
      const p = await startNode(home(`peer${i}`), ['--bootstrap', hubAddr], { networkDefaults: true, startTimeoutMs: FOLLOW_TIMEOUT_MS });
      started.push(p);
      peers.push(p);
    }
    for (const [i, p] of peers.entries()) {
      progress(`the hub follows peer ${i + 1}/${n}`);
      const r = await kith(hub.home, ['follow', p.info.addresses[0]!], FOLLOW_TIMEOUT_MS);
      if (r.code !== 0) throw new Error(`the hub could not follow peer ${i}: ${r.stderr}`);
    }
    const ids = new Set(peers.map((p) => p.info.peerId));
    let connected = 0;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = await kithJson(hub.home, ['peers']);
      const list: Array<{ peerId: string }> = status.peers ?? [];
      connected = new Set(list.map((c) => c.peerId).filter((id) => ids.has(id))).size;
      if (connected >= n || Date.now() > deadline) break;
      await sleep(500);
    }
    return { hub, peers, connected, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export interface IdleCpu {
  readonly peers: number;
  readonly connected: number;
  readonly windowMs: number;
  /** CPU time of the hub over the window, as a share of one core (0.01 is 1%). */
  readonly hubCore: number;
  /** The mean over the peers, likewise. */
  readonly peerCore: number;
  /** A bare Node process doing nothing, over the same window: the bound. */
  readonly bareCore: number;
  readonly hubRssKb: number;
}

/** A bare `node` process idling on a one-second timer, as a yardstick measured beside the node. */
function bareNode(): { pid: number; stop: () => void } {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e3)'], { stdio: 'ignore' });
  return { pid: child.pid!, stop: () => child.kill('SIGKILL') };
}

/** Starts a cluster, lets it settle, and measures the CPU each process uses while nothing happens. */
export async function idleCpu(
  n: number,
  settleS: number,
  windowS: number,
  dirs: string[],
  progress: (msg: string) => void,
  keep = false,
): Promise<IdleCpu & { cluster?: Cluster }> {
  const cluster = await startCluster(n, dirs, progress);
  const bare = bareNode();
  try {
    for (let s = 0; s < settleS; s++) {
      progress(`${n} peer(s): settling ${s}/${settleS} s`);
      await sleep(1000);
    }
    const all = [cluster.hub, ...cluster.peers].map((p) => p.child.pid!);
    const before = all.map(cpuMsOf);
    const bareBefore = cpuMsOf(bare.pid);
    const t0 = performance.now();
    for (let s = 0; s < windowS; s++) {
      progress(`${n} peer(s): measuring idle CPU ${s}/${windowS} s`);
      await sleep(1000);
    }
    const windowMs = performance.now() - t0;
    const used = all.map((pid, i) => cpuMsOf(pid) - before[i]!);
    const peerUsed = used.slice(1);
    return {
      peers: n,
      connected: cluster.connected,
      windowMs,
      hubCore: used[0]! / windowMs,
      peerCore: peerUsed.length === 0 ? 0 : peerUsed.reduce((a, b) => a + b, 0) / peerUsed.length / windowMs,
      bareCore: (cpuMsOf(bare.pid) - bareBefore) / windowMs,
      hubRssKb: rssKbOf(cluster.hub.child.pid!),
      ...(keep ? { cluster } : {}),
    };
  } finally {
    bare.stop();
    if (!keep) await cluster.stop();
  }
}

export interface Soak {
  readonly minutes: number;
  /** RSS of the hub at the end of each minute, KB. */
  readonly hubRssKb: readonly number[];
  /** Mean RSS of the peers at the end of each minute, KB. */
  readonly peerRssKb: readonly number[];
  /** A bare Node process's RSS at the end of each minute, KB: the bound. */
  readonly bareRssKb: readonly number[];
  readonly hubCore: number;
}

/** Leaves a running cluster alone for `minutes`, sampling memory each minute. */
export async function soak(cluster: Cluster, minutes: number, progress: (msg: string) => void): Promise<Soak> {
  const bare = bareNode();
  const hubRssKb: number[] = [];
  const peerRssKb: number[] = [];
  const bareRssKb: number[] = [];
  const cpu0 = cpuMsOf(cluster.hub.child.pid!);
  const t0 = performance.now();
  try {
    for (let m = 1; m <= minutes; m++) {
      for (let s = 0; s < 60; s++) {
        progress(`soak with ${cluster.peers.length} peers: minute ${m}/${minutes}, hub ${(rssKbOf(cluster.hub.child.pid!) / 1024).toFixed(1)} MB`);
        await sleep(1000);
      }
      hubRssKb.push(rssKbOf(cluster.hub.child.pid!));
      const peers = cluster.peers.map((p) => rssKbOf(p.child.pid!));
      peerRssKb.push(peers.reduce((a, b) => a + b, 0) / Math.max(1, peers.length));
      bareRssKb.push(rssKbOf(bare.pid));
    }
    return { minutes, hubRssKb, peerRssKb, bareRssKb, hubCore: (cpuMsOf(cluster.hub.child.pid!) - cpu0) / (performance.now() - t0) };
  } finally {
    bare.stop();
  }
}
