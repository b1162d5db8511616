/**
 * The processes the compare bench (bench/compare.ts) runs, one role each, so
 * every side of every system has its own process and its own peak memory:
 *
 *   sign <seed hex> <from> <to> <start ms> <out file>   sign posts [from, to) as JSON lines
 *   hypercore-prepare <dir> <posts files…>               append the posts to a new Hypercore, in file order
 *   hypercore-writer <dir>                               serve that Hypercore over TCP
 *   hypercore-reader <dir> <key hex> <port> <count>      download all of it over one TCP connection
 *   kith-follower <home> <did> <address>                 a new Kith node that follows <did> and syncs
 *
 * Each prints one JSON line on stdout when it is done (the writer: when it listens).
 */
import '../src/cli/polyfills.js';
import { createReadStream, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { subscribe } from 'node:diagnostics_channel';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import Hypercore from 'hypercore';
import { KithNode } from '../src/node/kith-node.js';
import { Network, type SyncSummary } from '../src/node/network.js';
import { keyPairFromSeed } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { outboxId } from '../src/core/apid.js';
import type { Did } from '../src/core/types.js';

/** Post text lengths, in characters: what a short-to-middling post holds. */
const TEXT_MIN = 300;
const TEXT_MAX = 500;
/** Posts appended to the Hypercore per append (preparation only; a reader sees the same tree either way). */
const APPEND_BATCH = 1000;

const done = (result: object) => console.log(JSON.stringify(result));
/** Peak resident memory of this process so far, in bytes. */
const peakRss = () => process.resourceUsage().maxRSS * 1024;

/**
 * Counts the TCP payload this process sends and receives, on every socket it opens or accepts (Node announces each one
 * on these channels), whichever library opened it: the wire bytes of a reader, counted the same way for both systems.
 */
function countTcpBytes(): () => number {
  const sockets = new Set<Socket>();
  const track = (m: unknown) => sockets.add((m as { socket: Socket }).socket);
  subscribe('net.client.socket', track);
  subscribe('net.server.socket', track);
  return () => [...sockets].reduce((sum, s) => sum + s.bytesRead + s.bytesWritten, 0);
}

/** Reads a JSON-lines file one line at a time, so a million posts never sit in memory at once. */
async function* lines(file: string): AsyncGenerator<string> {
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line) yield line;
}

function sign(seedHex: string, from: number, to: number, startMs: number, out: string): void {
  const key = keyPairFromSeed(Buffer.from(seedHex, 'hex'));
  const did = didFromPublicKey(key.publicKey);
  const posts: string[] = [];
  for (let i = from; i < to; i++) {
    const t = startMs + i * 1000;
    const chars = TEXT_MIN + (i % (TEXT_MAX - TEXT_MIN + 1));
    const text = `post ${i}: ${randomBytes(Math.ceil((chars * 3) / 4))
      .toString('base64')
      .slice(0, chars - 10)}`;
    posts.push(JSON.stringify(signDocument(buildCreate(did, buildNote(did, { text }, t), t), key)));
  }
  writeFileSync(out, posts.join('\n') + '\n');
  done({ signed: to - from });
}

async function hypercorePrepare(dir: string, postsFiles: string[]): Promise<void> {
  const core = new Hypercore(dir);
  await core.ready();
  let batch: Buffer[] = [];
  for (const file of postsFiles)
    for await (const line of lines(file)) {
      batch.push(Buffer.from(line));
      if (batch.length === APPEND_BATCH) {
        await core.append(batch);
        batch = [];
      }
    }
  if (batch.length > 0) await core.append(batch);
  done({ key: core.key!.toString('hex'), length: core.length, byteLength: core.byteLength });
  await core.close();
}

async function hypercoreWriter(dir: string): Promise<void> {
  const core = new Hypercore(dir);
  await core.ready();
  const server = createServer((socket) => {
    const stream = core.replicate(false);
    socket.pipe(stream).pipe(socket);
    // A reader that hangs up ends its stream; the error that may carry is the hang-up itself.
    stream.on('error', (e: Error) => console.error(`hypercore writer: replication ended: ${e.message}`));
    socket.on('error', (e: Error) => console.error(`hypercore writer: socket: ${e.message}`));
  });
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    done({ port: typeof addr === 'object' && addr ? addr.port : 0, length: core.length });
  });
  process.once('SIGTERM', () => {
    server.close();
    void core.close().then(() => process.exit(0));
  });
}

async function hypercoreReader(dir: string, keyHex: string, port: number, count: number): Promise<void> {
  const wire = countTcpBytes();
  const core = new Hypercore(dir, Buffer.from(keyHex, 'hex'));
  await core.ready();
  const t0 = performance.now();
  const found = core.findingPeers();
  const socket = connect(port, '127.0.0.1');
  const stream = core.replicate(true);
  socket.pipe(stream).pipe(socket);
  stream.on('error', (e: Error) => console.error(`hypercore reader: replication ended: ${e.message}`));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  found();
  await core.update({ wait: true });
  if (core.length !== count) throw new Error(`the writer's core has ${core.length} blocks, not ${count}`);
  await core.download({ start: 0, end: core.length }).done();
  const ms = performance.now() - t0;
  const result = { ms, length: core.length, contiguousLength: core.contiguousLength, byteLength: core.byteLength, wireBytes: wire(), peakRss: peakRss() };
  socket.destroy();
  await core.close();
  done(result);
}

async function kithFollower(home: string, did: Did, address: string): Promise<void> {
  const wire = countTcpBytes();
  const node = KithNode.init(home).node;
  node.follow(did);
  const scope = outboxId(did);
  // The node's network as `kith start` runs it (mDNS and the relay search on), listening on loopback only.
  const net = await Network.start(node, { listenHost: '127.0.0.1' });
  const synced = new Promise<SyncSummary>((resolve) => net.on('synced', (s: SyncSummary) => s.scope === scope && resolve(s)));
  let t0 = performance.now();
  net.on('sync-progress', (p: { received: number; needed: number }) => {
    if (process.env.KITH_COMPARE_PROGRESS) process.stderr.write(`progress ${(performance.now() - t0).toFixed(0)} ms ${p.received}/${p.needed}\n`);
  });
  t0 = performance.now();
  await net.dial(address);
  const summary = await synced;
  const ms = performance.now() - t0;
  // Posts are indexed for search after they are stored (after the whole sync, for a large one): until every one is findable.
  while (node.store.search.pendingCount() > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const searchableMs = performance.now() - t0;
  const r = summary.result;
  const result = {
    ms,
    searchableMs,
    ok: summary.ok,
    error: summary.error,
    // Posts only: the outbox also holds the author's actor document, in as many versions as it has published.
    posts: node.store.db
      .prepare("SELECT COUNT(*) FROM objects o JOIN scopes s ON s.n = o.scope WHERE s.name = ? AND o.type = 'Create'")
      .pluck()
      .get(scope) as number,
    stored: r?.stored,
    rounds: r?.rounds,
    frameBytes: r ? r.bytesIn + r.bytesOut : 0,
    wireBytes: wire(),
    peakRss: peakRss(),
  };
  await net.stop();
  node.close();
  done(result);
}

const [role, ...a] = process.argv.slice(2);
switch (role) {
  case 'sign':
    sign(a[0]!, Number(a[1]), Number(a[2]), Number(a[3]), a[4]!);
    break;
  case 'hypercore-prepare':
    await hypercorePrepare(a[0]!, a.slice(1));
    break;
  case 'hypercore-writer':
    await hypercoreWriter(a[0]!);
    break;
  case 'hypercore-reader':
    await hypercoreReader(a[0]!, a[1]!, Number(a[2]), Number(a[3]));
    break;
  case 'kith-follower':
    await kithFollower(a[0]!, a[1]! as Did, a[2]!);
    break;
  default:
    console.error(`unknown role ${role}; see the top of bench/compare-peers.ts`);
    process.exit(2);
}
