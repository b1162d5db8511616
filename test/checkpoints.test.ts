import '../src/cli/polyfills.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { KithNode } from '../src/node/kith-node.js';
import { Network, type SyncSummary } from '../src/node/network.js';
import { Checkpointing } from '../src/node/checkpointing.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { outboxId } from '../src/core/apid.js';
import { KithError } from '../src/core/errors.js';
import { silentLogger } from '../src/core/log.js';
import { buildCheckpoint, buildCheckpointWith, checkpointBytes, checkpointHash } from '../src/core/checkpoint.js';
import { sha256Hex } from '../src/core/bytes.js';
import { canonicalize } from '../src/core/jcs.js';
import { frameStream } from '../src/net/frames.js';
import { SYNC_PROTOCOL, serveSync } from '../src/net/sync.js';
import type { KithHost } from '../src/net/host.js';
import type { Did, JsonObject } from '../src/core/types.js';
import { loopbackHost } from './net-helpers.js';
import { tempDir } from './helpers.js';

/**
 * Issue 15, item 1: a follower that syncs a scope with its author's signed
 * checkpoint checks proofs only for what lies past it, and ends with exactly
 * the author's set; a checkpoint that is forged, states a wrong hash, was
 * signed by a revoked device key, or omits an object the follower holds is
 * refused with its code, and the follower's store does not change.
 *
 * The bad checkpoints are offered by doubles: libp2p hosts running the real
 * sync server over the author's real store, offering one crafted checkpoint
 * each (no Kith node offers a checkpoint that does not hold). Each double
 * serves the scope once, so the follower's retry without a checkpoint (which
 * would then rightly take the objects on their own proofs) finds nothing.
 */

const NET = { listenHost: '127.0.0.1', mdns: false, relayListen: false } as const;
const DAY_MS = 86_400_000;

function syncedOnce(net: Network, scope: string): Promise<SyncSummary> {
  return new Promise((resolve) => net.on('synced', (s: SyncSummary) => s.scope === scope && resolve(s)));
}

function digestsOf(node: KithNode, scope: string): string[] {
  return node.store.db
    .prepare('SELECT lower(hex(o.digest)) FROM objects o JOIN scopes s ON s.n = o.scope WHERE s.name = ? ORDER BY 1')
    .pluck()
    .all(scope) as string[];
}

async function ingestAll(node: KithNode, bodies: string[], scope?: string): Promise<void> {
  const results = await node.ingestMany(bodies, scope === undefined ? {} : { scope });
  const refused = results.find((r) => r instanceof KithError);
  assert.equal(refused, undefined, `every prepared object is accepted: ${(refused as KithError | undefined)?.message}`);
}

test("a follower syncing 20,000 posts with a checkpoint checks proofs only past it, and ends with the author's set", { timeout: 300_000 }, async (t) => {
  const homes = [tempDir('kith-cp-a-'), tempDir('kith-cp-b-')];
  const [a, b] = homes.map((h) => KithNode.init(h).node) as [KithNode, KithNode];
  const nets: Network[] = [];
  try {
    const scope = outboxId(a.did);
    const start = Date.now() - 30 * DAY_MS;
    const post = (i: number, at: number) => JSON.stringify(a.sign(buildCreate(a.did, buildNote(a.did, { text: `post ${i}` }, at), at)));
    // The checkpoint covers the actor document (published at init) and 19,800 posts before it ...
    await ingestAll(
      a,
      Array.from({ length: 19_800 }, (_, i) => post(i, start + i * 60_000)),
    );
    const offered = new Checkpointing(a, silentLogger).offer(scope);
    assert.ok(offered !== undefined, 'the author signs a checkpoint of its scope');
    assert.equal(a.store.checkpoints.latest(scope)?.count, 19_801);
    // ... and 200 posts come after it: too few for a new one, so it is still the one offered.
    const after = Date.now() + 1000;
    await ingestAll(
      a,
      Array.from({ length: 200 }, (_, i) => post(19_800 + i, after + i)),
    );
    assert.equal(a.store.objects.count(scope), 20_001);

    b.follow(a.did);
    const netA = await Network.start(a, NET);
    nets.push(netA);
    const netB = await Network.start(b, NET);
    nets.push(netB);
    const synced = syncedOnce(netB, scope);
    const t0 = performance.now();
    await netB.dial(netA.addresses()[0]!);
    const s = await synced;
    const r = s.result;
    assert.ok(s.ok && r, `the sync succeeded: ${s.error}`);
    t.diagnostic(`${r.received} objects synced in ${Math.round(performance.now() - t0)} ms; ${r.proofsChecked} proofs checked`);
    // The author's node also signed a new version of its actor on start (its addresses): past the checkpoint too.
    const total = a.store.objects.count(scope);
    assert.equal(total, 20_002);
    assert.equal(r.checkpointCount, 19_801, 'the sync used the checkpoint');
    assert.equal(r.received, total);
    assert.equal(r.stored, total);
    assert.equal(r.refused, 0);
    assert.equal(r.proofsChecked, total - 19_801, 'proofs were checked only for the objects past the checkpoint');
    assert.deepEqual(digestsOf(b, scope), digestsOf(a, scope), "the follower holds exactly the author's set");
    assert.equal(b.store.checkpoints.latest(scope)?.count, 19_801, 'the follower keeps the checkpoint to serve on');
  } finally {
    await Promise.all(nets.map((n) => n.stop()));
    a.close();
    b.close();
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  }
});

test('forged, wrong-hash, revoked-device and omitting checkpoints are refused with their codes, and nothing stored changes', { timeout: 90_000 }, async () => {
  const homes = [tempDir('kith-cp-p-'), tempDir('kith-cp-c-')];
  const [p, c] = homes.map((h) => KithNode.init(h).node) as [KithNode, KithNode];
  const hosts: KithHost[] = [];
  let netC: Network | undefined;
  try {
    const scope = outboxId(p.did);
    const start = Date.now() - 30 * DAY_MS;
    const posts = Array.from({ length: 400 }, (_, i) => {
      const at = start + i * 60_000;
      return JSON.stringify(p.sign(buildCreate(p.did, buildNote(p.did, { text: `P's post ${i}` }, at), at)));
    });
    // A device P certified, then revoked: the follower already holds both statements.
    const device = generateKeyPair();
    const deviceDid: Did = didFromPublicKey(device.publicKey);
    const cert = p.certifyDevice(deviceDid, Date.now() + DAY_MS);
    const revocation = p.revokeCertificate(cert.digest);
    await ingestAll(p, posts);
    const index = p.store.scopeIndexes.index(scope);
    const whole = { count: index.size, last: { created: index.createdAt(index.size - 1), digest: index.digestAt(index.size - 1) } };
    const hashOf = (skip: number) => {
      const keep = Array.from({ length: index.size }, (_, i) => i).filter((i) => i !== skip);
      return checkpointHash(
        keep.length,
        (i) => index.createdAt(keep[i]!),
        (i) => index.digestAt(keep[i]!),
      );
    };
    // Signed after the revocation, but claiming any date would not help: the key is revoked by now.
    const byDevice = buildCheckpoint(device, { actor: p.did, ...whole, hash: hashOf(-1) });
    const good = buildCheckpointWith((doc) => p.sign(doc), { actor: p.did, ...whole, hash: hashOf(-1) });
    const forged = JSON.stringify({ ...(good.doc as JsonObject), count: whole.count - 1 });
    const wrongHash = buildCheckpointWith((doc) => p.sign(doc), { actor: p.did, ...whole, hash: sha256Hex('not the list') });
    // Leaves out one post in the middle, which the follower holds.
    const omitted = posts[200]!;
    const omittedIndex = digestsInOrder(index).indexOf(sha256Hex(canonicalize(JSON.parse(omitted) as JsonObject)));
    assert.ok(omittedIndex > 0);
    const omitting = buildCheckpointWith((doc) => p.sign(doc), { actor: p.did, count: whole.count - 1, last: whole.last, hash: hashOf(omittedIndex) });

    c.follow(p.did);
    await ingestAll(c, [canonical(cert.doc), canonical(revocation.doc), omitted]);
    const before = { digests: digestsOf(c, scope), checkpoints: c.store.checkpoints.count() };
    assert.equal(before.digests.length, 3);
    netC = await Network.start(c, NET);

    const cases = [
      { name: 'forged', offer: forged, code: 'bad-signature', reason: /proof does not verify/ },
      { name: 'wrong hash', offer: checkpointBytes(wrongHash), code: 'conflict', reason: /states a hash over its \d+ item\(s\) that does not match/ },
      { name: 'revoked device', offer: checkpointBytes(byDevice), code: 'revoked', reason: /revoked it/ },
      { name: 'omits a held object', offer: checkpointBytes(omitting), code: 'conflict', reason: /omits 1 object\(s\) this node already holds/ },
    ];
    for (const k of cases) {
      const double = await servingDouble(hosts, p, scope, k.offer);
      await netC.dial(double.getMultiaddrs()[0]!.toString());
      // Asked at once, before the sync on contact: that one then shares this one, or finds the double done.
      const [s] = await netC.syncWith(double.peerId, [scope]);
      assert.ok(s);
      assert.equal(s.ok, false, `${k.name}: refused`);
      assert.equal(s.code, k.code, `${k.name}: ${s.error}`);
      assert.match(s.error ?? '', k.reason, k.name);
      assert.deepEqual(digestsOf(c, scope), before.digests, `${k.name}: nothing stored`);
      assert.equal(c.store.checkpoints.count(), before.checkpoints, `${k.name}: no checkpoint kept`);
      const counted = c.store.refusals.list().find((x) => x.code === k.code);
      assert.match(counted?.lastReason ?? '', k.reason, `${k.name}: the refusal is counted with its reason`);
    }
  } finally {
    await netC?.stop();
    await Promise.all(hosts.map((h) => h.stop()));
    p.close();
    c.close();
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  }
});

function canonical(doc: unknown): string {
  return JSON.stringify(doc);
}

function digestsInOrder(index: { size: number; digestAt(i: number): Uint8Array }): string[] {
  return Array.from({ length: index.size }, (_, i) => Buffer.from(index.digestAt(i)).toString('hex'));
}

/** A peer that serves the author's scope from the author's store once, offering `offer` as its checkpoint. */
async function servingDouble(hosts: KithHost[], author: KithNode, scope: string, offer: string): Promise<KithHost> {
  const host = await loopbackHost();
  hosts.push(host);
  let served = false;
  await host.handle(SYNC_PROTOCOL, (stream) => {
    serveSync(frameStream(stream), {
      store: author.store,
      serves: (s) => {
        const first = s === scope && !served;
        if (first) served = true;
        return first;
      },
      checkpoint: () => offer,
    }).catch((e: unknown) => console.log(`# double: a sync stream ended with ${(e as Error).message}`));
  });
  return host;
}
