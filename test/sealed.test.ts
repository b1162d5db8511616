import '../src/cli/polyfills.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KithNode } from '../src/node/kith-node.js';
import { Network, type SyncSummary } from '../src/node/network.js';
import { openSealed, sealObject, sealedBlocksOf } from '../src/node/sealed.js';
import { AS_CONTEXT, buildCreate, buildNote } from '../src/core/as2.js';
import { followersId, outboxId } from '../src/core/apid.js';
import { formatErisReference } from '../src/core/eris.js';
import { parseErisUrn } from '../src/core/eris-urn.js';
import { verifyDocument } from '../src/core/proof.js';
import type { JsonObject } from '../src/core/types.js';
import { rejectsWith, tempDir } from './helpers.js';

/**
 * A sealed (non-public) object replicates like any other: a follower keeps
 * and serves its blocks without being able to read them; the read capability
 * opens it, and it still proves itself.
 */
test('sealed objects: followers hold only ciphertext, and the read capability opens a self-proving object', { timeout: 120_000 }, async () => {
  const homes = [tempDir('kith-sa-'), tempDir('kith-sb-')];
  const [a, b] = homes.map((h) => KithNode.init(h).node) as [KithNode, KithNode];
  const nets: Network[] = [];
  try {
    b.follow(a.did);
    const secret = 'FOLLOWERS-ONLY-MARKER: the surprise party is on Friday at eight. '.repeat(40);
    const create = buildCreate(a.did, { ...buildNote(a.did, { text: secret, to: [followersId(a.did)], cc: [] }), '@context': [...AS_CONTEXT] });
    const { urn, envelope } = await sealObject(a, create, [followersId(a.did)]);
    const cap = parseErisUrn(urn);

    // The envelope is public and signed; it names the blocks and never the key.
    const env = a.show(envelope.id)!;
    assert.equal(env.type, 'KithSealed');
    verifyDocument(env);
    const described = sealedBlocksOf(env as JsonObject)!;
    assert.equal(formatErisReference(described.root), formatErisReference(cap.rootReference));
    assert.ok(described.blocks.length > 1);
    assert.equal(JSON.stringify(env).includes(formatErisReference(cap.rootKey)), false, 'the key is not in the envelope');
    assert.equal(JSON.stringify(env).includes('surprise party'), false);
    assert.equal(a.show(create.id as string), undefined, 'the sealed object itself is not in the public store');

    const opts = { listenHost: '127.0.0.1', mdns: false, relayListen: false } as const;
    const netA = await Network.start(a, opts);
    nets.push(netA);
    const netB = await Network.start(b, opts);
    nets.push(netB);
    const synced = new Promise<SyncSummary>((resolve) => netB.on('synced', (s: SyncSummary) => s.scope === outboxId(a.did) && resolve(s)));
    await netB.dial(netA.addresses()[0]!);
    assert.ok((await synced).ok);
    assert.ok(b.show(envelope.id), 'B keeps the envelope');

    // B fetches and pins every block the envelope names.
    const deadline = Date.now() + 30_000;
    while (!b.store.blocks.pinStatus(cap.rootReference)?.complete) {
      assert.ok(Date.now() < deadline, 'B fetched the sealed blocks in time');
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const ref of described.blocks) assert.ok(b.store.blocks.has(ref));
    assert.deepEqual(
      b.store.blocks.pinStatus(cap.rootReference)?.reasons.map((r) => r.reason),
      [`follow:${a.did}`],
    );

    // Nothing B wrote holds the plaintext.
    b.store.db.pragma('wal_checkpoint(TRUNCATE)');
    // Every file, in the key folders (agreement/, epochs/) too.
    for (const f of readdirSync(homes[1]!, { recursive: true }).map(String)) {
      if (!statSync(join(homes[1]!, f)).isFile()) continue;
      assert.equal(readFileSync(join(homes[1]!, f)).indexOf('surprise party'), -1, `plaintext in ${f}`);
    }

    // With the read capability, B opens it: the object A signed, byte for byte, and it verifies.
    const opened = await openSealed(b, urn, a.did);
    assert.equal(verifyDocument(opened).signer, a.did);
    assert.equal((opened.object as JsonObject).source && ((opened.object as JsonObject).source as JsonObject).content, secret);
    // A wrong key opens nothing.
    const wrong = urn.slice(0, -8) + 'AAAAAAAA';
    await rejectsWith(openSealed(b, wrong), 'malformed');
  } finally {
    await Promise.all(nets.map((n) => n.stop()));
    a.close();
    b.close();
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  }
});
