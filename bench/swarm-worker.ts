/**
 * One process of the swarm bench (bench/swarm.ts): it runs several real Kith
 * nodes — each a KithNode over its own home and SQLite store, a KithService
 * and a Network on 127.0.0.1, wired as `kith start` wires them — and does
 * what the bench asks over IPC: start, stop, follow, post. Every object a
 * node stores (live push or reconciliation alike: the ingestor's stored
 * hook sees both) is reported with the time it was stored, on the machine's
 * one wall clock (performance.timeOrigin + performance.now()), so the bench
 * can time arrivals in every process without polling anybody.
 */
import '../src/cli/polyfills.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { Network } from '../src/node/network.js';
import { hasIdentity } from '../src/node/identity.js';
import { homePaths } from '../src/node/home.js';
import { reasonOf, silentLogger, type Logger } from '../src/core/log.js';
import { createLogger } from '../src/node/logger.js';
import { clock, type Posted, type Started, type WorkerMessage, type WorkerRequest } from './swarm-protocol.js';
import type { ApId } from '../src/core/types.js';

interface Running {
  readonly service: KithService;
  readonly network: Network;
  readonly stopStored: () => void;
}

const running = new Map<number, Running>();
// How late this process's timers ran: ten nodes share one event loop, and a busy loop delays every push they handle.
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
if (process.env.KITH_SWARM_LOG) {
  // With the nodes' logs on, this process's loop delay every five seconds too, to read their timings against.
  const trace = monitorEventLoopDelay({ resolution: 10 });
  trace.enable();
  setInterval(() => {
    process.stderr.write(
      `[worker ${process.pid}] event-loop delay p99 ${Math.round(trace.percentile(99) / 1e6)} ms, max ${Math.round(trace.max / 1e6)} ms; nodes ${[...running.keys()].join(',')}\n`,
    );
    trace.reset();
  }, 5000).unref();
}

function send(m: WorkerMessage): void {
  if (!process.connected) return;
  process.send!(m, undefined, {}, (e: Error | null) => {
    // The bench gone between the check and the write: nobody is left to tell.
    if (e && process.connected) process.stderr.write(`swarm worker: could not report to the bench: ${reasonOf(e)}\n`);
  });
}

function the(node: number): Running {
  const r = running.get(node);
  if (!r) throw new Error(`node ${node} is not running in this worker`);
  return r;
}

/** Nodes are silent unless KITH_SWARM_LOG names a level (debug, info…): fifty nodes' logs would drown the bench's output. */
function logFor(node: number): Logger {
  const level = process.env.KITH_SWARM_LOG;
  if (level === undefined || level === '') return silentLogger;
  return createLogger({ env: { KITH_LOG_LEVEL: level }, write: (line) => void process.stderr.write(`[node ${node}] ${line}`) });
}

async function start(req: Extract<WorkerRequest, { op: 'start' }>): Promise<Started> {
  const log = logFor(req.node);
  const node = hasIdentity(homePaths(req.home)) ? KithNode.open(req.home, { log }) : KithNode.init(req.home, { ingest: { log } }).node;
  const service = new KithService(node, { log });
  // Posts only: the Follow activities and actor versions also stored along the way are not what is timed.
  const stopStored = node.ingestor.onStored((records) => {
    const at = clock();
    for (const r of records) if (r.type === 'Create' && r.owner !== node.did) send({ kind: 'stored', node: req.node, id: r.id, at });
  });
  const network = await Network.start(node, { listenHost: '127.0.0.1', tcpPort: req.port, mdns: req.net.mdns, relayListen: req.net.relay, log });
  service.attach(network);
  network.on('object', (r) => {
    if (r.type === 'Create') send({ kind: 'live', node: req.node, id: r.id });
  });
  running.set(req.node, { service, network, stopStored });
  const address = network.addresses().find((a) => a.includes('/tcp/') && !a.includes('/ws'))!;
  return { did: node.did, address, port: Number(/\/tcp\/(\d+)/.exec(address)![1]) };
}

async function stop(node: number): Promise<void> {
  const r = running.get(node);
  if (!r) return;
  running.delete(node);
  r.stopStored();
  await r.network.stop();
  r.service.close();
}

async function handle(req: WorkerRequest): Promise<unknown> {
  switch (req.op) {
    case 'start':
      return start(req);
    case 'stop':
      return stop(req.node);
    case 'follow': {
      const f = await the(req.node).service.people.follow(req.target);
      return { did: f.did, found: f.found };
    }
    case 'post': {
      const { service } = the(req.node);
      const calledAt = clock();
      const p = await service.publishing.post({ text: req.text });
      const posted: Posted = { id: p.id, calledAt, returnedAt: clock(), pushedTo: p.pushedTo };
      return posted;
    }
    case 'holds': {
      const { store } = the(req.node).service.node;
      return req.ids.filter((id) => store.objects.byId(id as ApId) !== undefined);
    }
    case 'peers':
      return the(req.node).network.peers().length;
    case 'lag': {
      const lag = { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
      delay.reset();
      return lag;
    }
  }
}

process.on('message', (m: { seq: number; req: WorkerRequest }) => {
  handle(m.req).then(
    (value) => send({ kind: 'reply', seq: m.seq, ok: true, value: value ?? null }),
    (e: unknown) => send({ kind: 'reply', seq: m.seq, ok: false, error: reasonOf(e) }),
  );
});

// The bench gone (finished, or killed): close every node so its store is left whole, then go.
process.on('disconnect', () => {
  void Promise.allSettled([...running.keys()].map((n) => stop(n))).then(() => process.exit(0));
});
