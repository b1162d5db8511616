import '../src/cli/polyfills.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { KithNode } from '../src/node/kith-node.js';
import { Network, type SyncSummary } from '../src/node/network.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { outboxId } from '../src/core/apid.js';
import { KithError } from '../src/core/errors.js';
import { tempDir } from './helpers.js';

/**
 * Two real nodes (libp2p on 127.0.0.1, their own SQLite stores) that both
 * keep one author's scope of 20,000 posts, 50 of which differ: reconciliation
 * must find exactly those 50, and cost far less than sending the set.
 */
test('20,000 items each, 50 different: exactly the difference, for a fraction of the bytes', { timeout: 180_000 }, async (t) => {
  const author = generateKeyPair();
  const did = didFromPublicKey(author.publicKey);
  const scope = outboxId(did);
  const start = Date.now() - 30 * 86_400_000;
  const post = (i: number) => JSON.stringify(signDocument(buildCreate(did, buildNote(did, { text: `post ${i}` }, start + i * 60_000)), author));
  const common = Array.from({ length: 19_975 }, (_, i) => post(i * 2));
  // The differences are scattered through the timeline, not bunched at one end.
  const onlyA = Array.from({ length: 25 }, (_, i) => post(i * 1601 + 1));
  const onlyB = Array.from({ length: 25 }, (_, i) => post(i * 1601 + 801));

  const homes = [tempDir('kith-sa-'), tempDir('kith-sb-')];
  const [a, b] = homes.map((h) => KithNode.init(h).node) as [KithNode, KithNode];
  const nets: Network[] = [];
  try {
    for (const [node, extra] of [
      [a, onlyA],
      [b, onlyB],
    ] as const) {
      node.follow(did);
      const results = await node.ingestMany([...common, ...extra], { scope });
      assert.ok(
        results.every((r) => !(r instanceof KithError)),
        'every prepared post is accepted',
      );
      assert.equal(node.store.objects.count(scope), 20_000);
    }

    const opts = { listenHost: '127.0.0.1', mdns: false, relayListen: false } as const;
    const netA = await Network.start(a, opts);
    nets.push(netA);
    const netB = await Network.start(b, opts);
    nets.push(netB);
    // On contact each node pulls the scopes it follows from the other.
    const synced = (net: Network) => new Promise<SyncSummary>((resolve) => net.on('synced', (s: SyncSummary) => s.scope === scope && resolve(s)));
    const [byA, byB] = [synced(netA), synced(netB)];
    await netB.dial(netA.addresses()[0]!);
    const [ra, rb] = await Promise.all([byA, byB]);

    for (const [r, name] of [
      [ra.result!, 'A'],
      [rb.result!, 'B'],
    ] as const) {
      assert.equal(r.needed, 25, `${name} needed exactly the 25 it lacked`);
      assert.equal(r.stored, 25, `${name} stored them`);
      assert.equal(r.refused, 0);
      assert.equal(r.theyLack, 25, `${name} saw the 25 the other lacked`);
      const wholeSet = 20_000 * 32;
      assert.ok(r.reconcileBytes * 10 < wholeSet, `${name}: reconciliation took ${r.reconcileBytes} bytes; the set's digests alone are ${wholeSet}`);
      t.diagnostic(`${name}: ${r.rounds} round(s), ${r.reconcileBytes} bytes to reconcile, ${r.bytesIn + r.bytesOut} bytes in all with the 25 objects`);
    }
    assert.equal(a.store.objects.count(scope), 20_025);
    assert.equal(b.store.objects.count(scope), 20_025);
    const digests = (n: KithNode) =>
      n.store.db.prepare('SELECT hex(digest) FROM objects o JOIN scopes s ON s.n = o.scope WHERE s.name = ? ORDER BY 1').pluck().all(scope);
    assert.deepEqual(digests(a), digests(b));
  } finally {
    await Promise.all(nets.map((n) => n.stop()));
    a.close();
    b.close();
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  }
});
