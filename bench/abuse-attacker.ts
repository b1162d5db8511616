/**
 * The hostile peers of the abuse benchmark (bench/abuse.ts), on a worker
 * thread of their own so their work does not delay the requests being timed:
 *  - one fresh key after another, as fast as libp2p lets one address connect,
 *    garbage frames on every Kith protocol and garbage gossip;
 *  - one peer that asks, once a second, for posts to be served, so each is
 *    re-checked on the way out.
 * Runs until the parent says 'stop', then reports what it did.
 */
import '../src/cli/polyfills.js';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { multiaddr } from '@multiformats/multiaddr';
import { encode as encodeVarint, decode as decodeVarint, encodingLength } from 'uint8-varint';
import { reasonOf } from '../src/core/log.js';
import { topicOf } from '../src/node/live-push.js';
import { ACTOR_PROTOCOL } from '../src/node/discovery.js';
import { SYNC_PROTOCOL } from '../src/net/sync.js';
import { BLOCKS_PROTOCOL } from '../src/net/block-wire.js';
import { frameStream } from '../src/net/frames.js';
import type { KithHost } from '../src/net/host.js';
import { loopbackHost } from '../test/net-helpers.js';

export interface AttackerData {
  /** The victim's loopback multiaddr. */
  readonly target: string;
  /** The scope whose posts are asked for. */
  readonly scope: string;
  /** Hex digests of posts to ask for. */
  readonly want: readonly string[];
}

export interface AttackerReport {
  readonly kind: 'report';
  readonly flood: { peers: number; streams: number; cutOff: number };
  readonly serving: { syncs: number; served: number };
  readonly errors: string[];
}

/** 'ready' once each attacker has done its work once; the report after 'stop'. */
export type AttackerMessage = { readonly kind: 'ready' } | AttackerReport;

/** libp2p takes at most 5 new connections a second from one address; an attacker on one address is held to it too. */
const NEW_PEER_EVERY_MS = 250;
const ASK_EVERY_MS = 1000;
// Frame types of /kith/sync/1.0.0 (src/net/sync.ts).
const HELLO = 1;
const WANT = 3;
const OBJECTS = 4;
const END = 5;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function garbageFlood(data: AttackerData, stop: AbortSignal, stats: AttackerReport['flood'], once: () => void): Promise<void> {
  const addr = multiaddr(data.target);
  const topic = topicOf(data.scope);
  while (!stop.aborted) {
    const started = Date.now();
    let h: KithHost | undefined;
    try {
      h = await loopbackHost();
      await h.dial(addr, { signal: AbortSignal.timeout(5_000) });
      stats.peers++;
      for (const protocol of [SYNC_PROTOCOL, BLOCKS_PROTOCOL, ACTOR_PROTOCOL]) {
        const fs = frameStream(await h.dialProtocol(addr, protocol, { signal: AbortSignal.timeout(5_000) }));
        // A well-framed frame of noise, then a length prefix far past any limit.
        await fs.writeFrame(randomBytes(512));
        fs.stream.send(encodeVarint(512 * 1024 * 1024));
        fs.stream.send(randomBytes(4096));
        stats.streams++;
      }
      await h.services.pubsub.publish(topic, randomBytes(2048));
    } catch {
      // Cut off or refused, as a peer sending garbage should be: the next one comes with a fresh key.
      stats.cutOff++;
    } finally {
      await h?.stop();
    }
    once();
    await sleep(Math.max(0, NEW_PEER_EVERY_MS - (Date.now() - started)));
  }
}

async function askToServe(data: AttackerData, stop: AbortSignal, stats: AttackerReport['serving'], once: () => void): Promise<void> {
  const addr = multiaddr(data.target);
  const h = await loopbackHost();
  const want = Buffer.concat(data.want.map((d) => Buffer.from(d, 'hex')));
  try {
    while (!stop.aborted) {
      const started = Date.now();
      const fs = frameStream(await h.dialProtocol(addr, SYNC_PROTOCOL, { signal: AbortSignal.timeout(10_000) }));
      await fs.writeFrame(Uint8Array.from([HELLO, ...Buffer.from(JSON.stringify({ v: 1, scope: data.scope }))]));
      await fs.readFrame(4096, 30_000);
      await fs.writeFrame(Uint8Array.from([WANT, ...want]));
      for (;;) {
        const f = await fs.readFrame(1024 * 1024, 30_000);
        if (f === null || f[0] === END) break;
        if (f[0] === OBJECTS) stats.served += countObjects(f);
      }
      await fs.writeFrame(Uint8Array.of(END));
      await fs.close();
      stats.syncs++;
      once();
      await sleep(Math.max(0, ASK_EVERY_MS - (Date.now() - started)));
    }
  } finally {
    await h.stop();
  }
}

/** Objects in an OBJECTS frame: each a varint length and that many bytes. */
function countObjects(frame: Uint8Array): number {
  let n = 0;
  for (let at = 1; at < frame.length; n++) {
    const len = decodeVarint(frame, at);
    at += encodingLength(len) + len;
  }
  return n;
}

if (isMainThread || parentPort === null) {
  console.error('bench/abuse-attacker runs inside the abuse benchmark: npm run bench -- abuse');
  process.exitCode = 2;
} else {
  const port = parentPort;
  const data = workerData as AttackerData;
  const stop = new AbortController();
  const report: AttackerReport = { kind: 'report', flood: { peers: 0, streams: 0, cutOff: 0 }, serving: { syncs: 0, served: 0 }, errors: [] };
  let started = 0;
  const onceEach = () => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (++started === 2) port.postMessage({ kind: 'ready' } satisfies AttackerMessage);
    };
  };
  const [flooded, asked] = [onceEach(), onceEach()];
  // An attacker that stops early counts as started, and says why in the report.
  const stopped = (started: () => void) => (e: unknown) => {
    report.errors.push(reasonOf(e));
    started();
  };
  const attackers = [
    garbageFlood(data, stop.signal, report.flood, flooded).catch(stopped(flooded)),
    askToServe(data, stop.signal, report.serving, asked).catch(stopped(asked)),
  ];
  port.once('message', () => {
    stop.abort();
    void Promise.all(attackers).then(() => port.postMessage(report));
  });
}
