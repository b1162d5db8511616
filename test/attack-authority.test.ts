import '../src/cli/polyfills.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import { decode as decodeVarint, encodingLength } from 'uint8-varint';
import { keyPairFromSeed, generateKeyPair, type Ed25519KeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { digestOf, signDocument } from '../src/core/proof.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { CERTIFICATE_PROOF_PURPOSE, issueCertificate } from '../src/core/certificate.js';
import { outboxId } from '../src/core/apid.js';
import { CERTIFICATES_PER_ISSUER_AND_SUBJECT } from '../src/core/constants.js';
import { KithError } from '../src/core/errors.js';
import { canonicalize } from '../src/core/jcs.js';
import type { ApId, Did, Digest, JsonObject } from '../src/core/types.js';
import { KithNode } from '../src/node/kith-node.js';
import { topicOf } from '../src/node/live-push.js';
import { SYNC_PROTOCOL } from '../src/net/sync.js';
import { frameStream } from '../src/net/frames.js';
import type { KithHost } from '../src/net/host.js';
import { loopbackHost } from './net-helpers.js';
import { tempDir, waitFor } from './helpers.js';
import { kith, kithJson, startNode, eventually, type NodeProcess } from './node-process.js';
import { pairDevice, type DeviceClient } from './device-client.js';

/**
 * Two attacks on authority that worked against running nodes (issue 11,
 * findings 1 and 2), played again on loopback with two real node processes
 * and a hostile libp2p peer in this process:
 *  - a followee whose node serves 3,000 certificates for one of its keys: the
 *    follower keeps at most the cap and its owner API keeps answering;
 *  - a device removed with `kith devices revoke --cut-off`: its key signs a
 *    post dated before the removal and gossips it; neither the owner's node
 *    nor its follower takes it in or serves it, while what the device posted
 *    before the cut-off stays and is served.
 */

const FLOOD = 3000;
const CAP = CERTIFICATES_PER_ISSUER_AND_SUBJECT;
const SYNC = { hello: 1, want: 3, objects: 4, end: 5 };
const YEAR_MS = 365 * 86_400_000;

function person(): { key: Ed25519KeyPair; did: Did } {
  const key = generateKeyPair();
  return { key, did: didFromPublicKey(key.publicKey) };
}

/** A Create of a Note in `owner`'s name, signed with `signer`, claiming time `at`. */
function signedPost(owner: Did, signer: Ed25519KeyPair, text: string, at: number): JsonObject {
  return signDocument(buildCreate(owner, buildNote(owner, { text }, at), at), signer, { created: new Date(at) });
}

/** The node's loopback TCP address (startNode listens on 127.0.0.1 only). */
function loopbackAddr(n: NodeProcess): string {
  const addr = n.info.addresses.find((x) => x.startsWith('/ip4/127.0.0.1/tcp/') && !x.includes('/ws'));
  assert.ok(addr, `the node listens on loopback: ${n.info.addresses.join(' ')}`);
  return addr;
}

/** Reads a running node's store beside it, as the CLI does. */
function peek<T>(home: string, read: (db: Database.Database) => T): T {
  const db = new Database(join(home, 'kith.db'), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const refusals = (home: string, code: string): number =>
  peek(home, (db) => (db.prepare('SELECT count FROM refusals WHERE code = ?').pluck().get(code) as number | undefined) ?? 0);

/** What a node hands out over the sync protocol when asked for these digests of a scope, as any peer may ask. */
async function served(host: KithHost, node: NodeProcess, scope: string, digests: readonly Digest[]): Promise<Set<Digest>> {
  const fs = frameStream(await host.dialProtocol(peerIdFromString(node.info.peerId), SYNC_PROTOCOL, { signal: AbortSignal.timeout(10_000) }));
  const frame = (type: number, body: Uint8Array = new Uint8Array(0)) => Uint8Array.from([type, ...body]);
  await fs.writeFrame(frame(SYNC.hello, Buffer.from(JSON.stringify({ v: 1, scope }))));
  assert.equal((await fs.readFrame(4096, 10_000))?.[0], SYNC.hello, 'the node keeps the scope');
  await fs.writeFrame(frame(SYNC.want, Buffer.concat(digests.map((d) => Buffer.from(d, 'hex')))));
  const out = new Set<Digest>();
  for (;;) {
    const f = await fs.readFrame(1024 * 1024, 10_000);
    assert.ok(f !== null, 'the node answers the WANT');
    if (f[0] === SYNC.end) break;
    assert.equal(f[0], SYNC.objects);
    for (let at = 1; at < f.length;) {
      const len = decodeVarint(f, at);
      at += encodingLength(len);
      out.add(digestOf(JSON.parse(Buffer.from(f.subarray(at, at + len)).toString('utf8')) as JsonObject));
      at += len;
    }
  }
  await fs.writeFrame(frame(SYNC.end));
  await fs.close();
  return out;
}

test(
  'authority under attack: a certificate flood is capped, and a removed device key adds nothing new, whatever time it claims',
  { timeout: 240_000 },
  async () => {
    const homes = { a: tempDir('kith-auth-a-'), b: tempDir('kith-auth-b-') };
    const running: NodeProcess[] = [];
    let hostile: KithHost | undefined;
    try {
      // ---- A, the followee: one of its keys gets 3,000 certificates ----
      const seed = randomBytes(32);
      const { node } = KithNode.init(homes.a, { seed });
      const aKey = keyPairFromSeed(seed);
      const aDid = node.did;
      const scope = outboxId(aDid);
      const flooded = person();
      const now = Date.now();
      // One certificate as the issuer makes them, then the same signed again with other ids and expiries.
      const { proof: _proof, ...template } = issueCertificate(aKey, {
        subject: flooded.did,
        capability: ['publish'],
        resource: `ap://${aDid}`,
        notBefore: now - 60_000,
        expires: now + YEAR_MS,
      }).doc as JsonObject;
      const certificates = Array.from({ length: FLOOD }, (_, i) =>
        signDocument(
          {
            ...template,
            id: `ap://${aDid}/certs/${randomUUID()}`,
            expires: new Date(now + YEAR_MS + i * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          } as JsonObject,
          aKey,
          { proofPurpose: CERTIFICATE_PROOF_PURPOSE },
        ),
      );
      // Through A's own ingest, the flood stops at the cap, and each refusal says why.
      const results = node.ingestor.ingestMany(certificates.map((c) => JSON.stringify(c)));
      const refused = results.filter((r): r is KithError => r instanceof KithError);
      assert.equal(results.length - refused.length, CAP, `A keeps ${CAP} certificates for one key from one issuer`);
      assert.equal(refused.length, FLOOD - CAP);
      assert.ok(refused.every((r) => r.code === 'conflict' && /at most \d+ certificates from one issuer/.test(r.message)));
      // A hostile followee runs a node without the cap (or an older one): it holds and serves all 3,000.
      const indexCertificate = node.store.db.prepare(
        'INSERT INTO certificates (object, digest, issuer, subject, not_before, expires, root) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      node.store.transaction(() => {
        for (const c of certificates) {
          const digest = digestOf(c);
          const [notBefore, expires] = [Date.parse(c.notBefore as string), Date.parse(c.expires as string)];
          const record = { digest, id: c.id as ApId, owner: aDid, signer: aDid, type: 'KithCertificate', scope, created: notBefore, body: canonicalize(c) };
          const n = node.store.objects.insert({ ...record, embedded: [], links: [] }, now);
          if (n !== undefined) indexCertificate.run(n, digest, aDid, flooded.did, notBefore, expires, aDid);
        }
      });
      assert.equal(node.store.db.prepare('SELECT COUNT(*) FROM certificates WHERE subject = ?').pluck().get(flooded.did), FLOOD);
      const byFlooded = node.ingest(signedPost(aDid, flooded.key, 'signed by the flooded key', now));
      node.close();
      KithNode.init(homes.b).node.close();

      const [a, b] = await Promise.all([startNode(homes.a), startNode(homes.b)]);
      running.push(a, b);

      // ---- Finding 2: B follows A and syncs the flood ----
      const followed = await kithJson(homes.b, ['follow', loopbackAddr(a)]);
      assert.equal(followed.did, aDid);
      assert.ok(
        followed.synced.some((s: { peer: string; ok: boolean }) => s.ok && s.peer === a.info.peerId),
        `B synced from A, and did not hold A's certificates against it: ${JSON.stringify(followed.synced)}`,
      );
      assert.equal(refusals(homes.b, 'conflict'), FLOOD - CAP, 'B refused every certificate past the cap, and counted each');
      assert.equal(
        peek(homes.b, (db) => db.prepare('SELECT COUNT(*) FROM certificates WHERE subject = ?').pluck().get(flooded.did)),
        CAP,
        'B keeps at most the cap',
      );
      // B's owner API answers, and what the flooded key signed is checked and shown.
      const deviceB = await pairDevice(homes.b, b.info.api, 'Reader');
      const status = await deviceB.call('GET', '/api/status');
      assert.equal(status.status, 200);
      const timelineB = async (): Promise<string[]> => {
        const r = await deviceB.call('GET', '/api/timeline?limit=50');
        assert.equal(r.status, 200);
        return r.body.items.map((p: { digest: string }) => p.digest);
      };
      assert.ok((await timelineB()).includes(byFlooded.digest));

      // ---- Finding 1: a device of A's, removed; its key keeps signing ----
      const phone: DeviceClient = await pairDevice(homes.a, a.info.api, 'Phone');
      const paired = Math.floor(Date.now() / 1000) * 1000; // the certificate's notBefore, or a second before it
      const byPhone = async (text: string, at: number): Promise<JsonObject> => {
        const doc = signedPost(aDid, phone.key, text, at);
        const r = await phone.call('POST', '/api/outbox', doc, { 'content-type': 'application/activity+json' });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return doc;
      };
      const cutOff = paired + 1000;
      const kept = await byPhone('posted on the phone, before it was stolen', paired);
      const voided = await byPhone('posted by the thief, before the owner noticed', cutOff);
      await eventually('B to hold both posts made on the phone', timelineB, (held) => [kept, voided].every((d) => held.includes(digestOf(d))));

      // The owner removes the phone: what it signed from the cut-off on is void.
      await waitFor('the clock to pass the cut-off', () => Date.now() > cutOff, 10_000);
      const removed = await kith(homes.a, ['devices', 'revoke', phone.id, '--cut-off', new Date(cutOff).toISOString(), '--json']);
      assert.equal(removed.code, 0, removed.stdout + removed.stderr);
      await eventually(
        'B to hold the revocation',
        async () => peek(homes.b, (db) => db.prepare('SELECT COUNT(*) FROM revocations').pluck().get() as number),
        (n) => n === 1,
      );

      // Whoever holds the phone's key now signs a post dated before the cut-off (and before the
      // removal), and gossips it on A's topic, where A and B both listen.
      const forged = signedPost(aDid, phone.key, 'backdated by the thief', paired + 500);
      hostile = await loopbackHost();
      for (const n of [a, b]) await hostile.dial(multiaddr(loopbackAddr(n)), { signal: AbortSignal.timeout(10_000) });
      const topic = topicOf(scope);
      await waitFor(
        'the hostile peer to see A and B listen to A\u2019s topic',
        () => {
          const listeners = hostile!.services.pubsub.getSubscribers(topic).map(String);
          return listeners.includes(a.info.peerId) && listeners.includes(b.info.peerId);
        },
        30_000,
      );
      const before = { a: refusals(homes.a, 'revoked'), b: refusals(homes.b, 'revoked') };
      const sent = await hostile.services.pubsub.publish(topic, Buffer.from(JSON.stringify(forged)));
      assert.equal(sent.recipients.length, 2, 'the forged post reached both nodes');
      await eventually(
        'A and B to refuse the forged post',
        async () => ({ a: refusals(homes.a, 'revoked'), b: refusals(homes.b, 'revoked') }),
        (r) => r.a === before.a + 1 && r.b === before.b + 1,
      );

      // Neither holds it; the post made before the cut-off stays.
      const outboxA = (await kithJson(homes.a, ['outbox', '--limit', '50'])).items.map((i: { digest: string }) => i.digest);
      for (const [name, held] of [
        ['A\u2019s outbox', outboxA],
        ['B\u2019s timeline', await timelineB()],
      ] as const) {
        assert.ok(!held.includes(digestOf(forged)), `${name} does not hold the forged post`);
        assert.ok(held.includes(digestOf(kept)), `${name} keeps what the phone posted before the cut-off`);
      }
      // And what each serves to any peer that asks: the post from before the cut-off, nothing after it, nothing forged.
      for (const n of [a, b]) {
        const out = await served(hostile, n, scope, [digestOf(kept), digestOf(voided), digestOf(forged)]);
        assert.deepEqual([...out], [digestOf(kept)], `${n === a ? 'A' : 'B'} serves only the post from before the cut-off`);
      }
    } finally {
      await hostile?.stop();
      await Promise.allSettled(running.map((n) => n.stop()));
      for (const h of Object.values(homes)) rmSync(h, { recursive: true, force: true });
    }
  },
);
