import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actorId } from '../src/core/apid.js';
import { issueCertificate } from '../src/core/certificate.js';
import { CERTIFICATES_PER_ISSUER_AND_SUBJECT, CHAINS_PER_CHECK } from '../src/core/constants.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { KithError } from '../src/core/errors.js';
import { FORUM_POST } from '../src/core/forum.js';
import { FORUM } from '../src/core/forum-constants.js';
import type { JsonObject } from '../src/core/types.js';
import { ForumKeys } from '../src/node/forum-keys.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { replicate } from './forum-fixtures.js';
import { refusedWith, tempDir } from './helpers.js';

/**
 * A forum member's weekly certificate, renewed by the owner's node for more
 * than a year on a clock the test moves: every renewal is taken in (the cap
 * on certificates counts unexpired ones only), the member posts under each,
 * and a second node takes every post in, as does a third that receives the
 * whole history at once, judging each post by the certificate that held
 * when it was signed, more than CHAINS_PER_CHECK renewals back. A flood of
 * concurrently valid certificates is still refused.
 */

const DAY = 24 * 3600_000;
/** Past both the cap (32) and the chains weighed per check (64). */
const RENEWALS = CHAINS_PER_CHECK + 6;

let clock = Date.now();
const now = (): number => clock;

function person(): KithService {
  return new KithService(KithNode.init(tempDir('kith-forum-renew-'), { ingest: { now } }).node, { now });
}

test('a member renewed week after week for over a year keeps posting, and every node takes each post in', () => {
  assert.ok(RENEWALS > CERTIFICATES_PER_ISSUER_AND_SUBJECT);
  const o = person();
  const x = person();
  const v = person();
  const w = person();
  try {
    const F = o.forums.create('Long-lived', 'open').forum;
    replicate(o, x, F);
    o.moderation.approve(F, x.node.did);
    const step = FORUM.MEMBER_CERT_MS - FORUM.RENEW_BEFORE_MS;
    for (let week = 1; week <= RENEWALS; week++) {
      clock += step;
      assert.equal(o.moderation.renew(), 1, `renewal ${week} is made and taken in`);
      replicate(o, x, F);
      x.forums.post(F, `week ${week}`);
      const refused = replicate(x, v, F).filter((r) => r instanceof KithError);
      assert.deepEqual(refused, [], `V takes in everything of week ${week}`);
    }
    assert.equal(o.node.store.forums.certificatesOf(F, F, x.node.did).length, RENEWALS + 1, 'the owner keeps every certificate it issued');
    const member = o.forums.members(F).find((m) => m.did === x.node.did);
    assert.equal(member?.role, 'member');
    assert.equal(member?.expires, new Date(Math.floor((clock + FORUM.MEMBER_CERT_MS) / 1000) * 1000).toISOString());

    // W receives the whole history at once, as a node that starts keeping the forum now would.
    assert.deepEqual(
      replicate(v, w, F).filter((r) => r instanceof KithError),
      [],
    );
    const weeks = Array.from({ length: RENEWALS }, (_, i) => `week ${i + 1}`).sort();
    for (const s of [v, w])
      assert.deepEqual(
        s.forums
          .read(F, FORUM.MAX_LISTED)
          .map((p) => p.text)
          .sort(),
        weeks,
      );
    // The first post is judged by the certificate X held then, as `kith verify` would judge it, on every node.
    const first = x.node.store.db.prepare("SELECT body FROM objects WHERE type = 'Create' AND body LIKE '%week 1\"%'").pluck().get() as string;
    for (const s of [x, v, w]) assert.equal(s.node.check(JSON.parse(first) as JsonObject).signer, x.node.did);

    // The cap still holds for certificates valid at once: the root gives a key as many as it may, then one more.
    const forumKey = new ForumKeys(o.node.home).key(F);
    const z = didFromPublicKey(generateKeyPair().publicKey);
    const oneDay = () => issueCertificate(forumKey, { subject: z, capability: [FORUM_POST], resource: actorId(F), expires: clock + DAY }, { now: clock });
    for (let i = 0; i < CERTIFICATES_PER_ISSUER_AND_SUBJECT; i++) o.node.ingest(oneDay().doc as JsonObject);
    const before = o.node.store.db.prepare('SELECT COUNT(*) FROM objects').pluck().get();
    refusedWith(() => o.node.ingest(oneDay().doc as JsonObject), 'conflict', /unexpired certificates/, 'one certificate past the cap');
    assert.equal(o.node.store.db.prepare('SELECT COUNT(*) FROM objects').pluck().get(), before, 'nothing stored');
    // Once those have expired, the key may be certified again.
    clock += 2 * DAY;
    assert.equal(o.node.ingest(oneDay().doc as JsonObject).status, 'stored');
  } finally {
    for (const s of [o, x, v, w]) s.close();
  }
});
