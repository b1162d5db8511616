import { registerSearchFunctions } from '../src/store/search-functions.js';
import '../src/cli/polyfills.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { type KithHost } from '../src/net/host.js';
import { frameStream, type FrameStream } from '../src/net/frames.js';
import { encode as encodeVarint } from 'uint8-varint';
import { SYNC_PROTOCOL, serveSync } from '../src/net/sync.js';
import { ItemIndex, DIGEST_BYTES } from '../src/core/reconcile.js';
import { generateKeyPair, type Ed25519KeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { digestOf, signDocument } from '../src/core/proof.js';
import { buildActor, buildCreate, buildNote } from '../src/core/as2.js';
import { outboxId } from '../src/core/apid.js';
import type { ApId, Did, JsonObject } from '../src/core/types.js';
import { isKithError } from '../src/core/errors.js';
import { canonicalize } from '../src/core/jcs.js';
import { KithNode } from '../src/node/kith-node.js';
import Database from 'better-sqlite3';
import { Store } from '../src/store/store.js';
import { ObjectTable } from '../src/store/objects.js';
import { loopbackHost } from './net-helpers.js';
import { rejectsWith, tempDir, waitFor } from './helpers.js';
import { kith, kithJson, startNode, eventually, type NodeProcess } from './node-process.js';

/**
 * Abuse of the sync protocol between real node processes and a test double
 * (a real libp2p host in this process) on 127.0.0.1, and a node killed in the
 * middle of a sync. What bad input gets (DESIGN.md): refused, counted, never
 * stored; the peer that sent it is cut off; nothing already stored changes.
 */

// Frame types of /kith/sync/1.0.0 (src/net/sync.ts) that the hostile client uses.
const HELLO = 1;
const WANT = 3;
const END = 5;

const frame = (type: number, body: Uint8Array = new Uint8Array(0)): Uint8Array => Uint8Array.from([type, ...body]);
const jsonFrame = (type: number, v: unknown): Uint8Array => frame(type, Buffer.from(JSON.stringify(v), 'utf8'));

/** A test double: a real libp2p host with a fresh peer key, on loopback only. */
async function startDouble(hosts: KithHost[]): Promise<KithHost> {
  const host = await loopbackHost();
  hosts.push(host);
  return host;
}

/** The node's loopback TCP address (startNode listens on 127.0.0.1 only). */
function loopbackAddr(n: NodeProcess): string {
  const a = n.info.addresses.find((x) => x.startsWith('/ip4/127.0.0.1/tcp/') && !x.includes('/ws'));
  assert.ok(a, `node listens on loopback: ${n.info.addresses.join(' ')}`);
  return a;
}

function person(): { key: Ed25519KeyPair; did: Did } {
  const key = generateKeyPair();
  return { key, did: didFromPublicKey(key.publicKey) };
}

function signedNote(author: Did, key: Ed25519KeyPair, text: string): JsonObject {
  return signDocument(buildCreate(author, buildNote(author, { text })), key);
}

/** Everything a person can see of a node's store from the command line. */
async function snapshot(home: string): Promise<{ outbox: unknown; feed: unknown; scopes: unknown }> {
  const [outbox, feed, status] = await Promise.all([
    kithJson(home, ['outbox', '--limit', '500']),
    kithJson(home, ['feed', '--limit', '500']),
    kithJson(home, ['status']),
  ]);
  assert.equal(status.running, true);
  return { outbox, feed, scopes: status.scopes };
}

/** N's own connections, as N reports them. */
async function peersOf(home: string): Promise<string[]> {
  return (await kithJson(home, ['peers'])).peers.map((p: { peerId: string }) => p.peerId);
}

/**
 * libp2p accepts at most 5 inbound connections a second from one IP address
 * (a window of one second per address), and every double dials from
 * 127.0.0.1: keep to 3 a second, so a refused dial means what the test says it
 * means, not that limit.
 *
 * A double that N has cut off does not go quiet by itself: its DHT tags the
 * peers closest to it (N among them) keep-alive, and libp2p redials keep-alive
 * peers that drop, several times a second for half a minute. N's gater refuses
 * each redial after the handshake, but each has already counted against that
 * limit, so a dial of the test's own could be reset at connect ("connect
 * ECONNRESET"). So a double is stopped once the test is done with it
 * (`retire`), and the next dial waits out the window in which its redials may
 * have spent N's budget.
 */
const WINDOW_MS = 1100;
const recentDials: number[] = [];
let quietFrom = 0;
async function paced(): Promise<void> {
  for (;;) {
    const now = Date.now();
    while (recentDials.length > 0 && recentDials[0]! < now - WINDOW_MS) recentDials.shift();
    const wait = Math.max(quietFrom - now, recentDials.length < 3 ? 0 : recentDials[0]! + WINDOW_MS - now);
    if (wait <= 0) break;
    await new Promise((r) => setTimeout(r, wait));
  }
  recentDials.push(Date.now());
}

/** Stops a double N has cut off, so its redials stop counting against N's limit on dials from 127.0.0.1. */
async function retire(double: KithHost): Promise<void> {
  await double.stop();
  quietFrom = Date.now() + WINDOW_MS;
}

async function dialNode(double: KithHost, addr: string): Promise<void> {
  await paced();
  await double.dial(multiaddr(addr), { signal: AbortSignal.timeout(5_000) });
}

/** Dials and tries one sync hello; rejects when the node refuses us. */
async function trySync(double: KithHost, addr: string, scope: string): Promise<void> {
  await paced();
  const fs = frameStream(await double.dialProtocol(multiaddr(addr), SYNC_PROTOCOL, { signal: AbortSignal.timeout(5_000) }));
  await fs.writeFrame(jsonFrame(HELLO, { v: 1, scope }));
  await fs.writeFrame(frame(END));
  await fs.readFrame(4096, 5_000);
}

test(
  'hostile client: oversized, malformed and flooding sync streams cost the peer its connection, a stalled one its stream; the store is untouched',
  { timeout: 120_000 },
  async () => {
    const homes = { n: tempDir('kith-abuse-n-'), m: tempDir('kith-abuse-m-') };
    const running: NodeProcess[] = [];
    const hosts: KithHost[] = [];
    try {
      // N: posts of its own, and those of Q, whom it follows (so its feed is not empty either).
      const { node } = KithNode.init(homes.n);
      for (let i = 0; i < 5; i++) node.post({ text: `N says ${i}` });
      const q = person();
      node.ingest(signDocument(buildActor(q.did), q.key));
      for (let i = 0; i < 3; i++) node.ingest(signedNote(q.did, q.key, `Q says ${i}`));
      node.follow(q.did);
      const nDid = node.did;
      node.close();
      // A short read deadline, so the test of a peer that goes quiet does not wait the default 30 s.
      writeFileSync(join(homes.n, 'config.json'), JSON.stringify({ sync: { readTimeoutMs: 2000 } }));

      const n = await startNode(homes.n);
      running.push(n);
      const addrN = loopbackAddr(n);
      const peerN = peerIdFromString(n.info.peerId);
      const scopeN = outboxId(nDid as Did);
      const before = await snapshot(homes.n);
      assert.equal((before.outbox as { items: unknown[] }).items.length, 5);
      assert.equal((before.feed as { items: unknown[] }).items.length, 3);

      /** Opens a sync stream from a double on its connection to N. */
      const openSync = async (d: KithHost): Promise<FrameStream> =>
        frameStream(await d.dialProtocol(peerN, SYNC_PROTOCOL, { signal: AbortSignal.timeout(5_000) }));
      const cutOff = async (d: KithHost, reason: RegExp): Promise<void> => {
        await waitFor(`N to hang up on ${d.peerId}`, () => d.getConnections(peerN).length === 0);
        await n.waitForLog(new RegExp(`peer ${d.peerId.toString()} penalized \\(offence 1\\): ${reason.source}`), 10_000);
      };

      // (a) A length prefix of 100 MB: refused from the prefix alone, the peer is
      //     reset, dropped, and kept out.
      const big = await startDouble(hosts);
      await dialNode(big, addrN);
      const bigStream = await openSync(big);
      bigStream.stream.send(encodeVarint(100 * 1024 * 1024));
      bigStream.stream.send(new Uint8Array(64 * 1024).fill(0x41));
      await cutOff(big, /frame length prefix exceeds the limit/);
      assert.equal(await bigStream.readFrame(4096, 5_000).catch(() => null), null, 'N answered nothing on that stream');
      await assert.rejects(trySync(big, addrN, scopeN), 'a banned peer cannot come back');
      assert.ok(!(await peersOf(homes.n)).includes(big.peerId.toString()), 'N holds no connection to the banned peer');
      await retire(big);

      // (b) Malformed frames, each from a fresh double (a new key: the last one is banned).
      const malformed: Array<{ what: string; frames: Uint8Array[]; reason: RegExp }> = [
        { what: 'a HELLO that is not JSON', frames: [frame(HELLO, Buffer.from('{"v":1,"scope":', 'utf8'))], reason: /hello is not JSON/ },
        {
          what: 'a frame of unknown type',
          frames: [jsonFrame(HELLO, { v: 1, scope: scopeN }), frame(0x42, Uint8Array.of(1, 2, 3))],
          reason: /unexpected sync frame type 66/,
        },
        {
          what: 'a WANT of 33 bytes',
          frames: [jsonFrame(HELLO, { v: 1, scope: scopeN }), frame(WANT, new Uint8Array(DIGEST_BYTES + 1))],
          reason: /a WANT frame must hold whole 32-byte digests/,
        },
      ];
      const malformedDoubles: KithHost[] = [];
      for (const m of malformed) {
        const d = await startDouble(hosts);
        malformedDoubles.push(d);
        await dialNode(d, addrN);
        const fs = await openSync(d);
        for (const f of m.frames) await fs.writeFrame(f);
        await cutOff(d, m.reason);
        await assert.rejects(trySync(d, addrN, scopeN), `${m.what}: the peer is refused when it comes back`);
        await retire(d);
      }

      // (c) A peer that goes quiet in the middle of a sync may just be slow: N does
      //     not ban it, but past its read deadline it drops the stream rather than
      //     keep it (and what it buffers) open for as long as the connection lasts.
      const quiet = await startDouble(hosts);
      await dialNode(quiet, addrN);
      const stalled = await openSync(quiet);
      await stalled.writeFrame(jsonFrame(HELLO, { v: 1, scope: scopeN }));
      const stallStarted = Date.now();
      await rejectsWith(
        async () => {
          while ((await stalled.readFrame(4096, 10_000)) !== null);
        },
        'io',
        /reset/,
        'N resets the stalled stream (not a clean end, not left open)',
      );
      assert.ok(Date.now() - stallStarted >= 1900, 'not before the deadline');
      await n.waitForLog(new RegExp(`sync with ${quiet.peerId.toString()} stopped: no complete frame within 2000 ms`));
      assert.equal(quiet.getConnections(peerN).length, 1, 'a slow peer keeps its connection');
      await trySync(quiet, addrN, scopeN);

      // (d) A flood: well-formed, tiny syncs (HELLO, END), more than 120 a minute.
      //     Eight at a time, below libp2p's cap on concurrent inbound streams, so
      //     every one reaches Kith's handler. 250 fit no split over two calendar
      //     minutes in which neither half exceeds 120.
      const flood = await startDouble(hosts);
      await dialNode(flood, addrN);
      let served = 0;
      let attempted = 0;
      const one = async (): Promise<void> => {
        attempted++;
        const fs = await openSync(flood);
        await fs.writeFrame(jsonFrame(HELLO, { v: 1, scope: scopeN }));
        await fs.writeFrame(frame(END));
        await fs.close();
        // Whatever N answers (it may acknowledge the hello), the stream must end cleanly.
        while ((await fs.readFrame(4096, 5_000)) !== null);
        served++;
      };
      const floodStarted = Date.now();
      // Until a stream is refused: then N is hanging up (which takes a moment to arrive).
      while (attempted < 250) {
        const batch = await Promise.allSettled(Array.from({ length: 8 }, one));
        if (batch.some((r) => r.status === 'rejected')) break;
      }
      await cutOff(flood, /flooding: more than 120 sync requests a minute/);
      assert.ok(served >= 120, `the first 120 syncs of a minute are served (${served} were)`);
      assert.ok(attempted < 250, `the flood was cut off (after ${attempted} streams, ${served} served, ${Date.now() - floodStarted} ms)`);
      await assert.rejects(trySync(flood, addrN, scopeN), 'the flooder is refused when it comes back');
      await retire(flood);

      // N's store is what it was: no object added, lost or changed.
      assert.deepEqual(await snapshot(homes.n), before);

      // And N still serves an honest node: M follows N's person and gets every post.
      await paced(); // M dials N from 127.0.0.1 too
      const m = await startNode(homes.m, ['--bootstrap', addrN]);
      running.push(m);
      const followed = await kithJson(homes.m, ['follow', nDid]);
      assert.ok(
        followed.synced.some((s: { peer: string; ok: boolean }) => s.ok && s.peer === n.info.peerId),
        `M synced from N: ${JSON.stringify(followed.synced)}`,
      );
      const digests = (page: { items: { digest: string }[] }) => page.items.map((i) => i.digest).sort();
      const feedM = await eventually(
        'M to hold N\u2019s posts',
        () => kithJson(homes.m, ['feed', '--limit', '500']),
        (f) => f.items.length >= 5,
      );
      assert.deepEqual(digests(feedM), digests(before.outbox as { items: { digest: string }[] }));

      // Every ban is on record in N's store, with its reason; the slow peer has none.
      const nLog = n.log();
      assert.equal(await n.stop(), 0);
      running.splice(running.indexOf(n), 1);
      const store = Store.open(join(homes.n, 'kith.db'));
      try {
        const banned: Array<[KithHost, RegExp]> = [
          [big, /frame length prefix exceeds the limit/],
          ...malformedDoubles.map((d, i) => [d, malformed[i]!.reason] as [KithHost, RegExp]),
          [flood, /flooding/],
        ];
        for (const [d, reason] of banned) {
          const record = store.peers.get(d.peerId.toString());
          assert.equal(record?.penalties, 1, `${d.peerId} (${reason.source}) has one penalty on record; N logged:\n${nLog}`);
          assert.match(record?.lastReason ?? '', reason);
          assert.ok((record?.bannedUntil ?? 0) > Date.now());
        }
        assert.equal(store.peers.get(quiet.peerId.toString())?.penalties ?? 0, 0);
        // One offence each: streams already in flight when N hung up do not double the ban.
        assert.doesNotMatch(nLog, /penalized \(offence [^1]/);
      } finally {
        store.close();
      }
    } finally {
      await Promise.allSettled(hosts.map((h) => h.stop()));
      await Promise.allSettled(running.map((p) => p.stop()));
      for (const h of Object.values(homes)) rmSync(h, { recursive: true, force: true });
    }
  },
);

/**
 * A test double that serves one scope with the tree's own server code (so its
 * framing is whatever sync.ts speaks today) over a stand-in store:
 * reconciliation answers honestly from the index of what it claims to hold,
 * and for each digest asked for it sends the body of our choosing.
 */
async function hostileServer(hosts: KithHost[], scope: string, served: Map<string, { created: number; send: JsonObject }>) {
  const index = ItemIndex.from([...served].map(([digest, v]) => ({ created: v.created, digest: Buffer.from(digest, 'hex') })));
  const asked: string[] = [];
  const helloScopes: string[] = [];
  const doubleErrors: { code: string; message: string }[] = [];
  const standIn = {
    scopeIndexes: { index: () => index },
    objects: {
      // The double vouches for everything it sends (no re-check on its way out).
      servable: (id: Uint8Array) => {
        const digest = Buffer.from(id).toString('hex');
        asked.push(digest);
        const item = served.get(digest);
        return item && { body: canonicalize(item.send), owner: 'double', signer: 'double', id: 'double', created: 0 };
      },
    },
  } as unknown as Store;
  const double = await startDouble(hosts);
  await double.handle(SYNC_PROTOCOL, (stream) => {
    serveSync(frameStream(stream), {
      store: standIn,
      serves: (s) => {
        helloScopes.push(s);
        return s === scope;
      },
    }).catch((e: unknown) => doubleErrors.push({ code: isKithError(e) ? e.code : 'other', message: (e as Error).message }));
  });
  return { double, asked, helloScopes, doubleErrors };
}

test(
  'hostile server: tampered, wrongly signed and off-scope objects are refused, counted, never stored; the server is cut off',
  { timeout: 120_000 },
  async () => {
    const homeN = tempDir('kith-abuse-n-');
    const running: NodeProcess[] = [];
    const hosts: KithHost[] = [];
    try {
      KithNode.init(homeN).node.close();
      const p = person();
      const other = person(); // signs a note that claims to be P's
      const q = person(); // someone else entirely
      const pScope = outboxId(p.did);

      // What the double claims to hold of P's scope, by digest, and what it sends for each.
      const genuine = signedNote(p.did, p.key, 'P said this');
      const tampered = {
        ...genuine,
        object: { ...(genuine.object as JsonObject), content: '<p>P never said this</p>', source: { content: 'P never said this', mediaType: 'text/plain' } },
      };
      const wrongKey = signDocument(buildCreate(p.did, buildNote(p.did, { text: 'signed by another key' })), other.key);
      const offScope = signedNote(q.did, q.key, 'Q, not P');
      // Each is claimed under the digest of exactly what is sent, so it passes the "was it asked for"
      // check and reaches ingest, where its signature, key and scope are judged.
      const claim = (doc: JsonObject) => [digestOf(doc), { created: Date.parse(doc.published as string), send: doc }] as const;
      const served = new Map<string, { created: number; send: JsonObject }>([
        claim(tampered), // a real note of P's, changed after signing (bad-signature)
        claim(wrongKey), // a note in P's name signed by a key P never certified (wrong-key)
        claim(offScope), // Q's own, well signed, but not of the scope being synced (malformed)
      ]);
      const first = await hostileServer(hosts, pScope, served);
      const { double, asked, helloScopes, doubleErrors } = first;

      const n = await startNode(homeN);
      running.push(n);
      const peerN = peerIdFromString(n.info.peerId);
      await dialNode(double, loopbackAddr(n));
      await n.waitForLog(new RegExp(`connected to ${double.peerId.toString()}`));

      // N follows P; the only peer that claims to hold P's posts is the double.
      const followed = await kithJson(homeN, ['follow', p.did]);
      assert.equal(followed.did, p.did);
      const fromDouble = followed.synced.find((s: { peer: string }) => s.peer === double.peerId.toString());
      assert.ok(fromDouble, `N tried the double: ${JSON.stringify(followed.synced)}`);
      assert.equal(fromDouble.ok, false);
      assert.match(fromDouble.error, /the peer sent 3 object\(s\) that failed their checks/);
      // N reached the object phase: it asked for exactly what the double claimed to hold.
      assert.deepEqual(helloScopes, [pScope]);
      assert.deepEqual(asked.sort(), [...served.keys()].sort());

      // The double is cut off, and N says why.
      await waitFor('N to hang up on the double', () => double.getConnections(peerN).length === 0);
      await n.waitForLog(
        new RegExp(`peer ${double.peerId.toString()} penalized \\(offence 1\\): the peer sent 3 object\\(s\\) that failed their checks`),
        10_000,
      );
      // The double saw nothing wrong with N's side of the protocol; at most N hung up on it.
      assert.deepEqual(
        doubleErrors.filter((e) => e.code !== 'io'),
        [],
        'the double itself ran as intended',
      );
      await retire(double);

      // Nothing of it is kept.
      const status = await kithJson(homeN, ['status']);
      assert.deepEqual(
        status.scopes.find((s: { scope: string }) => s.scope === pScope),
        { scope: pScope, objects: 0 },
      );
      assert.deepEqual((await kithJson(homeN, ['feed', '--limit', '500'])).items, []);

      // A second double claims a genuine note of P's but sends another body for it: cut off before any verifying.
      const second = await hostileServer(hosts, pScope, new Map([[digestOf(genuine), { created: Date.parse(genuine.published as string), send: offScope }]]));
      // N now follows P, so on contact it syncs P's scope with the new peer at once.
      await dialNode(second.double, loopbackAddr(n));
      await n.waitForLog(
        new RegExp(`peer ${second.double.peerId.toString()} penalized \\(offence 1\\): the peer sent an object that was not asked for`),
        20_000,
      );
      assert.deepEqual(second.asked, [digestOf(genuine)]);
      await waitFor('N to hang up on the second double', () => second.double.getConnections(peerN).length === 0);
      assert.deepEqual((await kithJson(homeN, ['feed', '--limit', '500'])).items, []);

      assert.equal(await n.stop(), 0);
      running.splice(running.indexOf(n), 1);
      const store = Store.open(join(homeN, 'kith.db'));
      try {
        assert.equal(store.objects.count(pScope), 0);
        for (const doc of [genuine, tampered, wrongKey, offScope]) assert.equal(store.objects.has(digestOf(doc)), false);
        assert.equal(store.objects.byId(offScope.id as ApId), undefined, 'the off-scope object is not kept under its own scope either');
        // Each refusal is counted under its reason.
        const refusals = Object.fromEntries(store.refusals.list().map((r) => [r.code, r.count]));
        // Each refusal is counted under its reason; the second double's body never reached ingest.
        assert.deepEqual(refusals, { 'bad-signature': 1, malformed: 1, 'wrong-key': 1 });
        assert.equal(store.peers.get(second.double.peerId.toString())?.penalties, 1);
        const record = store.peers.get(double.peerId.toString());
        assert.equal(record?.penalties, 1);
        assert.match(record?.lastReason ?? '', /failed their checks/);
        assert.ok((record?.bannedUntil ?? 0) > Date.now(), 'the ban is still in force');
      } finally {
        store.close();
      }
    } finally {
      await Promise.allSettled(hosts.map((h) => h.stop()));
      await Promise.allSettled(running.map((p) => p.stop()));
      rmSync(homeN, { recursive: true, force: true });
    }
  },
);

test(
  'crash mid-sync: a follower killed while receiving keeps a consistent store and resumes to exactly the author\u2019s set',
  { timeout: 120_000 },
  async () => {
    const POSTS = 3000;
    const homes = { a: tempDir('kith-crash-a-'), b: tempDir('kith-crash-b-') };
    const running: NodeProcess[] = [];
    const scopeDigests = (home: string, scope: string): { digests: string[]; integrity: unknown } => {
      const store = Store.open(join(home, 'kith.db'));
      try {
        const integrity = store.db.pragma('integrity_check', { simple: true });
        const digests = store.objects.page(scope, { limit: 1_000_000 }).map((o) => o.digest);
        return { digests: digests.sort(), integrity };
      } finally {
        store.close();
      }
    };
    try {
      const { node } = KithNode.init(homes.a);
      for (let i = 0; i < POSTS; i++) node.post({ text: `A's post number ${i}` });
      const aDid = node.did;
      node.close();
      KithNode.init(homes.b).node.close();
      const scopeA = outboxId(aDid);

      const a = await startNode(homes.a);
      running.push(a);
      const addrA = loopbackAddr(a);
      let b = await startNode(homes.b, ['--bootstrap', addrA]);
      running.push(b);

      // Follow, and pull the plug on B in the middle of receiving: once it says
      // it is fetching, and its store (read beside it, as the CLI does) shows
      // that batches have started to land. Its first progress line comes when
      // the first batch has arrived but before it is verified and written, so
      // a kill right then would always leave nothing to check.
      const following = kith(homes.b, ['follow', aDid, '--json']);
      await b.waitForLog(/syncing .* from .*: \d+\/3\d{3}/, 60_000);
      let seen = 0;
      const reader = new Database(join(homes.b, 'kith.db'), { readonly: true });
      try {
        // The table's statements include its writes, whose triggers call the search index's functions.
        registerSearchFunctions(reader);
        const objects = new ObjectTable(reader);
        const deadline = Date.now() + 30_000;
        while ((seen = objects.count(scopeA)) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      } finally {
        reader.close();
      }
      await b.kill9();
      assert.ok(seen > 0, 'B had started to write what it fetched');
      running.splice(running.indexOf(b), 1);
      const progress = /syncing .* from .*: (\d+)\/(3\d{3})/.exec(b.log())!;
      const follow = await following;
      assert.notEqual(follow.code, 0, 'the follow command saw its node die');

      const partial = scopeDigests(homes.b, scopeA);
      assert.equal(partial.integrity, 'ok');
      // Committed is kept: what a reader saw before the crash is still there.
      assert.ok(partial.digests.length >= seen, `B kept ${partial.digests.length}, a reader saw ${seen} before the kill`);
      // A posts nothing more: its set is its posts, its actor's versions and, once B's Follow
      // (queued before the sync) reaches it, its Accept, which may come before or after the
      // sync began, or only after B is back.
      const sofar = scopeDigests(homes.a, scopeA);
      assert.equal(sofar.integrity, 'ok');
      assert.ok(sofar.digests.length > POSTS, `A holds its ${POSTS} posts and its actor (${sofar.digests.length})`);
      assert.ok(
        Number(progress[2]) <= sofar.digests.length && Number(progress[2]) >= sofar.digests.length - 2,
        `B was fetching all of A\u2019s scope (${progress[2]} of ${sofar.digests.length}, less the Accept and epoch key if they came later)`,
      );
      const sofarSet = new Set(sofar.digests);
      assert.ok(partial.digests.length <= sofar.digests.length);
      assert.ok(
        partial.digests.every((d) => sofarSet.has(d)),
        'whatever B kept is A\u2019s, byte for byte',
      );
      console.log(`# killed B after it said ${progress[1]}/${progress[2]} received; B kept ${partial.digests.length} of ${sofar.digests.length}`);

      // B comes back: it still follows A, reconciles what is missing, and fetches it; its Follow is delivered and accepted.
      b = await startNode(homes.b, ['--bootstrap', addrA]);
      running.push(b);
      const held = async (home: string): Promise<number> =>
        (await kithJson(home, ['status'])).scopes.find((x: { scope: string }) => x.scope === scopeA)?.objects ?? 0;
      // Accepting B also gives B the key of A's current follower epoch (issue 14): one object more in A's scope.
      const epochKeys = (home: string): number => {
        const db = new Database(join(home, 'kith.db'), { readonly: true });
        try {
          return db.prepare("SELECT COUNT(*) FROM objects WHERE type = 'KithEpochKey'").pluck().get() as number;
        } finally {
          db.close();
        }
      };
      await eventually(
        'A to accept the follow and give B its epoch key, and B to hold all of A\u2019s scope',
        async () => ({
          following: (await kithJson(homes.b, ['following'])).following,
          a: await held(homes.a),
          b: await held(homes.b),
          keys: epochKeys(homes.a),
        }),
        (s) => s.following.some((f: { did: string; state: string }) => f.did === aDid && f.state === 'accepted') && s.keys === 1 && s.a === s.b,
        60_000,
      );
      const feed = await kithJson(homes.b, ['feed', '--limit', '500']);
      assert.equal(feed.items.length, 500);
      assert.ok(feed.next, 'more pages follow');
      assert.equal(await b.stop(), 0);
      running.splice(running.indexOf(b), 1);
      assert.equal(await a.stop(), 0);
      running.splice(running.indexOf(a), 1);

      // Nothing lost, nothing duplicated, nothing extra.
      const after = scopeDigests(homes.b, scopeA);
      const full = scopeDigests(homes.a, scopeA);
      assert.equal(after.integrity, 'ok');
      assert.equal(new Set(after.digests).size, after.digests.length);
      assert.deepEqual(after.digests, full.digests);
      assert.ok(
        sofar.digests.every((d) => full.digests.includes(d)) && full.digests.length - sofar.digests.length <= 2,
        'A\u2019s own set changed by its Accept and B\u2019s epoch key at most',
      );
    } finally {
      await Promise.allSettled(running.map((p) => p.stop()));
      for (const h of Object.values(homes)) rmSync(h, { recursive: true, force: true });
    }
  },
);
