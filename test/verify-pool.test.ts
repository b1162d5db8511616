import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Store } from '../src/store/store.js';
import { Ingestor } from '../src/store/ingest.js';
import { VerifyPool, ingestParallel } from '../src/node/verify-pool.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { issueCertificate } from '../src/core/certificate.js';
import { KithError } from '../src/core/errors.js';
import { tempDir } from './helpers.js';

test('ingest on worker threads gives the same verdicts and the same store as ingest on one thread', async () => {
  const alice = generateKeyPair();
  const aliceDid = didFromPublicKey(alice.publicKey);
  const phone = generateKeyPair();
  const phoneDid = didFromPublicKey(phone.publicKey);
  const inputs: string[] = [];
  for (let i = 0; i < 2500; i++) {
    const signer = i % 10 === 3 ? phone : alice;
    let s = JSON.stringify(signDocument(buildCreate(aliceDid, buildNote(aliceDid, { text: `post ${i}` })), signer));
    if (i % 97 === 5) s = s.replace(`post ${i}`, `p0st ${i}`); // tampered
    if (i % 211 === 7) s = s.slice(0, 40); // truncated
    inputs.push(s);
  }
  // The certificate comes last: authority documents are admitted first whatever their place.
  inputs.push(
    JSON.stringify(issueCertificate(alice, { subject: phoneDid, capability: 'publish', resource: `ap://${aliceDid}`, expires: Date.now() + 3600_000 }).doc),
  );
  inputs.push(inputs[0]!); // a duplicate

  const verdicts = (rs: (KithError | { status: string })[]) => rs.map((r) => (r instanceof KithError ? r.code : r.status));

  const one = Store.open(join(tempDir(), 'kith.db'));
  const serial = verdicts(new Ingestor(one).ingestMany(inputs));

  const many = Store.open(join(tempDir(), 'kith.db'));
  const pool = new VerifyPool(new Ingestor(many).limits, 2);
  let progressCalls = 0;
  const parallel = verdicts(await ingestParallel(new Ingestor(many), pool, inputs, { onProgress: () => progressCalls++ }));
  await pool.close();

  assert.deepEqual(parallel, serial);
  assert.ok(serial.includes('bad-signature') && serial.includes('malformed') && serial.includes('duplicate'));
  assert.equal(serial.filter((v) => v === 'stored').length, one.objects.count());
  assert.equal(many.objects.count(), one.objects.count());
  assert.ok(progressCalls >= 3, 'progress is reported per batch');
  const digests = (s: Store) => s.db.prepare('SELECT hex(digest) FROM objects ORDER BY digest').pluck().all();
  assert.deepEqual(digests(many), digests(one));
  one.close();
  many.close();
});
