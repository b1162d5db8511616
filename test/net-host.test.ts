import '../src/cli/polyfills.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { SingleKadDHT } from '@libp2p/kad-dht';
import type { Connection, Stream } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { dhtKey, setTopicValidator, KITH_DHT_PROTOCOL, type HostOptions, type KithHost } from '../src/net/host.js';
import { frameStream, type FrameStream } from '../src/net/frames.js';
import { encode as encodeVarint } from 'uint8-varint';
import { disconnectPeer } from '../src/net/peers.js';
import { loadOrCreateNodeKey } from '../src/net/node-key.js';
import { isKithError } from '../src/core/errors.js';
import { linesLogger, loopbackHost } from './net-helpers.js';
import { rejectsWith, tempDir, waitFor } from './helpers.js';

// Real libp2p hosts on loopback only: no mocks, no mDNS, no relay hunting.
async function startHost(hosts: KithHost[], extra: Partial<HostOptions> = {}): Promise<KithHost> {
  const host = await loopbackHost(extra);
  hosts.push(host);
  return host;
}

async function stopAll(hosts: KithHost[]): Promise<void> {
  await Promise.all(hosts.map((h) => h.stop()));
}

function tcpAddr(host: KithHost): string {
  const a = host.getMultiaddrs().find((m) => !m.toString().includes('/ws'));
  assert.ok(a, 'host has a TCP address');
  return a.toString();
}

const ECHO = '/kith/test-echo/1.0.0';
/** The same echo with a deadline for bulk traffic, which may wait on flow control between frames. */
const BULK_ECHO = '/kith/test-echo-bulk/1.0.0';
const MAX_FRAME = 4096;

test('frames: echo round trips, oversize frame bans the sender, silent peer times out', async () => {
  const hosts: KithHost[] = [];
  try {
    const b = await startHost(hosts);
    const a = await startHost(hosts, { bootstrap: [tcpAddr(b)] });
    assert.equal(a.getConnections(b.peerId).length, 1, 'A is connected to B over TCP');

    // B's side of the echo protocol records how each stream ended (and how
    // long its last read had waited), and treats an oversized frame as an
    // attack: reset, ban, hang up.
    const outcomes: Array<{ code: string; bytesRead: number; waitedMs?: number }> = [];
    const logLines: string[] = [];
    const echo = (deadlineMs: number) => async (stream: Stream, connection: Connection) => {
      const fs = frameStream(stream);
      let readStarted = 0;
      try {
        for (;;) {
          readStarted = performance.now();
          const frame = await fs.readFrame(MAX_FRAME, deadlineMs);
          if (frame === null) break;
          await fs.writeFrame(frame);
        }
        await fs.close();
        outcomes.push({ code: 'end', bytesRead: fs.bytesRead });
      } catch (e) {
        const code = isKithError(e) ? e.code : 'other';
        outcomes.push({ code, bytesRead: fs.bytesRead, waitedMs: performance.now() - readStarted });
        fs.reset(`echo: ${code}`);
        if (code === 'too-large') {
          disconnectPeer(b, connection.remotePeer, (e as Error).message, { log: linesLogger(logLines) });
        }
      }
    };
    await b.handle(ECHO, echo(400));
    // A busy machine can hold the window update that lets A send on (in both
    // directions at once) longer than 400 ms; the deadline is tested below.
    await b.handle(BULK_ECHO, echo(5_000));

    // 1. Many frames, sizes from 0 to the limit, all written before any is
    //    read back, so both directions carry data at once.
    const stream = await a.dialProtocol(b.peerId, BULK_ECHO);
    const fs = frameStream(stream);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) sent.push(randomBytes(i === 0 ? 0 : i === 1 ? MAX_FRAME : (i * 37) % MAX_FRAME));
    const writing = (async () => {
      for (const f of sent) await fs.writeFrame(f);
      await fs.close();
    })();
    for (const f of sent) {
      const got = await fs.readFrame(MAX_FRAME, 5_000);
      assert.ok(got !== null);
      assert.deepEqual(Buffer.from(got), Buffer.from(f));
    }
    await writing;
    assert.equal(await fs.readFrame(MAX_FRAME, 5_000), null, 'clean end after B closes');
    const expectedBytes = sent.reduce((n, f) => n + encodeVarint(f.byteLength).byteLength + f.byteLength, 0);
    assert.equal(fs.bytesWritten, expectedBytes);
    assert.equal(fs.bytesRead, expectedBytes);
    await waitFor('B to finish the echo stream', () => outcomes.length === 1);
    assert.deepEqual(outcomes[0], { code: 'end', bytesRead: expectedBytes });

    // 2. A peer that starts a frame and goes quiet hits B's read deadline; B
    //    resets the stream, which A sees as an I/O error.
    //    The deadline is B's read's own: timed on B, from the read's start to
    //    its timeout (less a timer's millisecond-granular slack).
    const slow = frameStream(await a.dialProtocol(b.peerId, ECHO));
    slow.stream.send(Uint8Array.from([...encodeVarint(100), 1, 2, 3]));
    await waitFor('B to time out', () => outcomes.length === 2);
    assert.equal(outcomes[1]!.code, 'timeout');
    assert.ok(outcomes[1]!.waitedMs! >= 390, `not before the deadline (B's read waited ${outcomes[1]!.waitedMs!.toFixed(1)} ms)`);
    await rejectsWith(slow.readFrame(MAX_FRAME, 5_000), 'io');

    // Our own reads time out the same way, and leave the stream usable.
    const quiet = frameStream(await a.dialProtocol(b.peerId, ECHO));
    await quiet.writeFrame(Uint8Array.of(7));
    assert.deepEqual([...((await quiet.readFrame(MAX_FRAME, 5_000)) ?? [])], [7]);
    await rejectsWith(quiet.readFrame(MAX_FRAME, 100), 'timeout');
    await waitFor('B to time out the quiet stream', () => outcomes.length === 3);

    // 3. A frame over the limit is refused from its length prefix alone, and
    //    the sender is cut off and kept out.
    const big = frameStream(await a.dialProtocol(b.peerId, ECHO));
    await big.writeFrame(new Uint8Array(MAX_FRAME + 1));
    await waitFor('B to refuse the frame', () => outcomes.length === 4);
    assert.equal(outcomes[3]!.code, 'too-large');
    await waitFor('A to be disconnected', () => a.getConnections(b.peerId).length === 0 && b.getConnections(a.peerId).length === 0);
    assert.equal(b.services.penalties.isDenied(a.peerId), true);
    assert.match(logLines.join('\n'), new RegExp(`peer ${a.peerId.toString()} penalized .*frame of ${MAX_FRAME + 1} bytes`));
    // A comes back: B's gater refuses it once the handshake shows who it is.
    await assert.rejects(async () => {
      const s = await a.dialProtocol(b.peerId, ECHO, { signal: AbortSignal.timeout(5_000) });
      const again = frameStream(s);
      await again.writeFrame(Uint8Array.of(1));
      await again.readFrame(MAX_FRAME, 2_000);
    });
    assert.equal(b.getConnections(a.peerId).length, 0);
  } finally {
    await stopAll(hosts);
  }
});

test('frames: malformed prefixes and truncated frames', async () => {
  const hosts: KithHost[] = [];
  try {
    const b = await startHost(hosts);
    const a = await startHost(hosts, { bootstrap: [tcpAddr(b)] });
    const results: string[] = [];
    await b.handle(ECHO, async (stream) => {
      const fs = frameStream(stream);
      try {
        while ((await fs.readFrame(MAX_FRAME, 2_000)) !== null);
        results.push('end');
      } catch (e) {
        results.push(isKithError(e) ? e.code : String(e));
        fs.reset('bad framing');
      }
    });
    const send = async (bytes: number[]): Promise<void> => {
      const s: Stream = await a.dialProtocol(b.peerId, ECHO);
      s.send(Uint8Array.from(bytes));
      await s.close();
    };
    await send([0x80, 0x00]); // a zero-padded varint
    await send([5, 1, 2]); // the stream ends two bytes into a five-byte frame
    await send([0xff, 0xff, 0xff]); // a prefix already longer than any allowed length
    await send([]); // nothing at all: a clean end
    await waitFor('four outcomes', () => results.length === 4);
    assert.deepEqual(results, ['malformed', 'malformed', 'too-large', 'end']);
  } finally {
    await stopAll(hosts);
  }
});

test('frames: large frames against a slow reader (back-pressure)', async () => {
  const hosts: KithHost[] = [];
  try {
    const b = await startHost(hosts);
    const a = await startHost(hosts, { bootstrap: [tcpAddr(b)] });
    const FRAME = 1536 * 1024; // above the 1 MiB read-ahead, so reads must grow it
    const COUNT = 8;
    // B reads nothing until told to: A must stall rather than B buffer it all.
    let startReading!: () => void;
    const reading = new Promise<void>((resolve) => (startReading = resolve));
    const sinks: Stream[] = [];
    const got: Array<Promise<string[]>> = [];
    await b.handle('/kith/test-sink/1.0.0', (stream) => {
      const fs = frameStream(stream);
      sinks.push(stream);
      got.push(
        (async () => {
          await reading;
          const digests: string[] = [];
          for (;;) {
            const f = await fs.readFrame(2 * 1024 * 1024, 5_000);
            if (f === null) break;
            digests.push(createHash('sha256').update(f).digest('hex'));
          }
          await fs.close();
          return digests;
        })(),
      );
    });
    const fs = frameStream(await a.dialProtocol(b.peerId, '/kith/test-sink/1.0.0'));
    const frames = Array.from({ length: COUNT }, () => randomBytes(FRAME));
    const expected = frames.map((f) => createHash('sha256').update(f).digest('hex'));
    let written = false;
    const writing = (async () => {
      for (const f of frames) await fs.writeFrame(f);
      await fs.close();
      written = true;
    })();
    await waitFor('B to accept the stream', () => got.length === 1);
    await waitFor('B to pause the stream it is not reading', () => sinks[0]!.readStatus === 'paused');
    // Paused, B grants no more window: A can have handed over at most what B
    // took before pausing and one window (4 MiB), far short of its 12 MiB.
    assert.equal(written, false, 'A is held back while B does not read');
    startReading();
    await writing;
    assert.deepEqual(await got[0], expected);
    assert.equal(await fs.readFrame(16, 5_000), null);
  } finally {
    await stopAll(hosts);
  }
});

test('gossipsub: subscribers receive, validator rejections are not delivered and cost a strike', async () => {
  const hosts: KithHost[] = [];
  try {
    const a = await startHost(hosts);
    const b = await startHost(hosts, { bootstrap: [tcpAddr(a)] });
    const topic = 'kith/test/scope-1';
    const received: string[] = [];
    setTopicValidator(b, topic, (msg) => {
      assert.equal(msg.from?.toString(), a.peerId.toString(), 'origin is signed and checked');
      return new TextDecoder().decode(msg.data).startsWith('bad') ? 'reject' : 'accept';
    });
    b.services.pubsub.addEventListener('message', (evt) => {
      if (evt.detail.topic === topic) received.push(new TextDecoder().decode(evt.detail.data));
    });
    b.services.pubsub.subscribe(topic);
    await waitFor('A to see B subscribed', () => a.services.pubsub.getSubscribers(topic).some((p) => p.equals(b.peerId)));
    // gossipsub drops what it publishes to a peer before its own outbound
    // stream to that peer is open (hearing B's subscription only proves B's
    // stream to A), so wait for ours.
    await waitFor("A's gossip stream to B", () =>
      a.getConnections(b.peerId).some((c) => c.streams.some((s) => s.direction === 'outbound' && s.protocol.startsWith('/meshsub/'))),
    );

    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    const { recipients } = await a.services.pubsub.publish(topic, enc('good 1'));
    assert.ok(recipients.some((p) => p.equals(b.peerId)));
    await a.services.pubsub.publish(topic, enc('bad 1'));
    await a.services.pubsub.publish(topic, enc('good 2'));
    await waitFor('both good messages', () => received.length >= 2);
    await waitFor('the rejection to be scored', () => b.services.penalties.strikes(a.peerId) > 0.9);
    assert.deepEqual(received, ['good 1', 'good 2']);
    assert.ok(b.services.penalties.gossipScore(a.peerId) < 0, 'A now scores below zero at B');
    // ...and gossipsub itself sees it (getScore is public on the class, not on its interface).
    const router = b.services.pubsub as unknown as { getScore(peer: string): number };
    await waitFor('gossipsub to score A down', () => router.getScore(a.peerId.toString()) < 0);
    assert.equal(b.services.penalties.isDenied(a.peerId), false, 'one strike is not a ban');
  } finally {
    await stopAll(hosts);
  }
});

test('DHT: A provides a key, C finds A through B', async () => {
  const hosts: KithHost[] = [];
  try {
    const b = await startHost(hosts);
    const a = await startHost(hosts, { bootstrap: [tcpAddr(b)] });
    const c = await startHost(hosts, { bootstrap: [tcpAddr(b)] });
    assert.equal(a.services.dht.getMode(), 'server');
    // Peers join the routing table once identify shows they speak our DHT protocol.
    const tableSize = (h: KithHost): number => (h.services.dht as SingleKadDHT).routingTable.size;
    await waitFor('routing tables', () => tableSize(a) > 0 && tableSize(b) >= 2 && tableSize(c) > 0);
    const peerB = await a.peerStore.get(b.peerId);
    assert.ok(peerB.protocols.includes(KITH_DHT_PROTOCOL));
    assert.ok(!peerB.protocols.includes('/ipfs/kad/1.0.0'), 'not the public IPFS DHT');

    const key = await dhtKey('did:key:z6MkTestProvider');
    assert.equal(key.version, 1);
    assert.equal(key.code, 0x55, 'raw codec');
    assert.equal(key.multihash.code, 0x12, 'sha2-256');
    await a.contentRouting.provide(key, { signal: AbortSignal.timeout(10_000) });

    const found: string[] = [];
    for await (const p of c.contentRouting.findProviders(key, { signal: AbortSignal.timeout(10_000) })) {
      found.push(p.id.toString());
      if (p.id.equals(a.peerId)) break;
    }
    assert.ok(found.includes(a.peerId.toString()), `C found A among ${JSON.stringify(found)}`);
  } finally {
    await stopAll(hosts);
  }
});

test('node key: mode 0600, stable peer id, refused when others can read it', async () => {
  const dir = tempDir();
  const path = join(dir, 'node.key');
  const first = await loadOrCreateNodeKey(path);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(first.type, 'Ed25519');
  const second = await loadOrCreateNodeKey(path);
  assert.ok(first.publicKey.equals(second.publicKey));
  assert.ok(first.publicKey.toCID().equals(second.publicKey.toCID()));

  const hosts: KithHost[] = [];
  try {
    const h1 = await startHost(hosts, { privateKey: first });
    const id1 = h1.peerId.toString();
    await stopAll(hosts.splice(0));
    const h2 = await startHost(hosts, { privateKey: await loadOrCreateNodeKey(path) });
    assert.equal(h2.peerId.toString(), id1, 'same peer id after a restart');
  } finally {
    await stopAll(hosts);
  }

  // A port already taken is a plain I/O error, not a libp2p internal one.
  try {
    const h = await startHost(hosts);
    const port = Number(tcpAddr(h).split('/')[4]);
    await rejectsWith(startHost(hosts, { tcpPort: port }), 'io', /EADDRINUSE/);
  } finally {
    await stopAll(hosts);
  }

  chmodSync(path, 0o640);
  await rejectsWith(loadOrCreateNodeKey(path), 'io', /readable by others/);
  const damaged = join(dir, 'damaged.key');
  writeFileSync(damaged, '', { mode: 0o600 });
  await rejectsWith(loadOrCreateNodeKey(damaged), 'bad-encoding');
});

test('circuit relay: a public relay carries a connection to a host that reserved a slot', async () => {
  const hosts: KithHost[] = [];
  try {
    const relay = await startHost(hosts, { publicRelay: true });
    assert.ok(relay.services.relay, 'the relay service runs only on public relays');
    const hidden = await startHost(hosts, { relayListen: true, bootstrap: [tcpAddr(relay)] });
    const plain = await startHost(hosts);
    assert.equal(plain.services.relay, undefined);
    let circuit: string | undefined;
    await waitFor('a reservation on the relay', () => {
      circuit = hidden
        .getMultiaddrs()
        .map(String)
        .find((m) => m.includes('/p2p-circuit/'));
      return circuit !== undefined;
    });
    const conn = await plain.dial(multiaddr(circuit!));
    assert.ok(conn.remotePeer.equals(hidden.peerId));
    assert.match(conn.remoteAddr.toString(), /\/p2p-circuit\//);
    assert.ok(conn.limits !== undefined, 'relayed connections are limited; protocols must opt in to use them');
  } finally {
    await stopAll(hosts);
  }
});

test('WebSockets: a host listening on /ws is dialled over /ws', async () => {
  const hosts: KithHost[] = [];
  try {
    const b = await startHost(hosts, { wsPort: 0 });
    const wsAddr = b.getMultiaddrs().find((m) => m.toString().includes('/ws/'));
    assert.ok(wsAddr, `B listens on ws: ${b.getMultiaddrs().join(' ')}`);
    assert.match(wsAddr.toString(), /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\//);
    const a = await startHost(hosts);
    const conn = await a.dial(wsAddr);
    assert.match(conn.remoteAddr.toString(), /\/ws/);
    assert.ok(conn.remotePeer.equals(b.peerId));
    const rtt = await a.services.ping.ping(b.peerId);
    assert.ok(rtt >= 0);

    // Frames work over ws too, and hanging up on a ws peer really closes
    // its socket (see polyfills.ts: libp2p's reset is close(1006)).
    await b.handle(ECHO, async (stream) => {
      const fs = frameStream(stream);
      const f = await fs.readFrame(MAX_FRAME, 2_000);
      if (f !== null) await fs.writeFrame(f);
      await fs.close();
    });
    const fs: FrameStream = frameStream(await a.dialProtocol(b.peerId, ECHO));
    await fs.writeFrame(new TextEncoder().encode('over ws'));
    assert.equal(new TextDecoder().decode((await fs.readFrame(MAX_FRAME, 5_000)) ?? undefined), 'over ws');
    disconnectPeer(b, a.peerId, 'test hang-up');
    await waitFor('A to notice the hang-up', () => a.getConnections(b.peerId).length === 0);
  } finally {
    await stopAll(hosts);
  }
});
