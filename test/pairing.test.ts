import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { normalizePairingCode, pairingCodeFromBytes, formatPairingCode } from '../src/core/pairing.js';
import { htmlToText } from '../src/core/html-text.js';
import { generateKeyPair, sign } from '../src/core/ed25519.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { signDocument } from '../src/core/proof.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { openDatabase, schemaVersion } from '../src/store/database.js';
import { Store } from '../src/store/store.js';
import { KithNode } from '../src/node/kith-node.js';
import { DevicePairing } from '../src/node/devices.js';
import { ClientThrottle } from '../src/node/client-throttle.js';
import { LoginChallenges } from '../src/node/login-challenges.js';
import { LOGIN_CHALLENGE_TTL_MS, MAX_USED_LOGIN_CHALLENGES } from '../src/core/constants.js';
import { loadPreferences, updatePreferences } from '../src/node/preferences.js';
import { pairMessage, sessionMessage } from '../src/core/pairing.js';
import { Ingestor } from '../src/store/ingest.js';
import { refusedWith, tempDir } from './helpers.js';

test('pairing codes: unbiased symbols from the unambiguous alphabet, typed any way', () => {
  assert.equal(pairingCodeFromBytes(new Uint8Array([0, 29, 30, 239, 240, 255, 1, 2, 3, 4, 5])), 'A9A9BCDE');
  assert.equal(pairingCodeFromBytes(new Uint8Array([240, 241, 255])), undefined, 'bytes above the last whole multiple are skipped');
  assert.equal(normalizePairingCode(' abcd-efgh '), 'ABCDEFGH');
  assert.equal(formatPairingCode('ABCDEFGH'), 'ABCD-EFGH');
  refusedWith(() => normalizePairingCode('ABCD-EFG0'), 'malformed', /letters and digits/);
  refusedWith(() => normalizePairingCode('ABC'), 'malformed');
  refusedWith(() => normalizePairingCode(42), 'malformed');
});

test('post text: HTML becomes plain text, scripts dropped, entities decoded', () => {
  assert.equal(htmlToText('<p>Hi &amp; <b>bye</b></p><p>two<br>lines</p>'), 'Hi & bye\n\ntwo\nlines');
  assert.equal(htmlToText('<script>alert(1)</script>ok &#x1F600; &#0;'), 'ok 😀 \ufffd');
  assert.equal(htmlToText('a &lt;img src=x onerror=alert(1)&gt;'), 'a <img src=x onerror=alert(1)>');
});

test('migration 4 indexes replies already stored', () => {
  const dir = tempDir('kith-mig-');
  const path = join(dir, 'kith.db');
  const key = generateKeyPair();
  const did = didFromPublicKey(key.publicKey);
  // Ingest into a store of today's schema, then copy the rows into a store of schema 3, as that one held them.
  const scratch = Store.open(join(dir, 'scratch.db'));
  const ingestor = new Ingestor(scratch);
  const first = buildNote(did, { text: 'first' });
  ingestor.ingest(signDocument(buildCreate(did, first), key));
  ingestor.ingest(signDocument(buildCreate(did, buildNote(did, { text: 'reply', inReplyTo: first.id as string })), key));
  assert.equal(scratch.links.replyCount(first.id as never), 1, 'ingest indexes replies');
  const rows = scratch.db
    .prepare('SELECT o.digest, o.id, o.owner, o.signer, o.type, s.name AS scope, o.created, o.received, o.body FROM objects o JOIN scopes s ON s.n = o.scope')
    .all();
  scratch.close();
  const old = openDatabase(path, MIGRATIONS.slice(0, 3));
  for (const r of rows) {
    old.prepare('INSERT OR IGNORE INTO scopes (name) VALUES (@scope)').run(r);
    old
      .prepare(
        `INSERT INTO objects (digest, id, owner, signer, type, scope, created, received, body)
         VALUES (@digest, @id, @owner, @signer, @type, (SELECT n FROM scopes WHERE name = @scope), @created, @received, @body)`,
      )
      .run(r);
  }
  assert.equal(schemaVersion(old), 3);
  old.close();
  const db = openDatabase(path, MIGRATIONS.slice(0, 4));
  assert.equal(schemaVersion(db), 4);
  db.close();
  const store = Store.open(path);
  assert.equal(store.links.replyCount(first.id as never), 1, 'the migration found the reply stored before it');
  store.close();
});

/** Client addresses, as the owner API names them. */
const HERE = '127.0.0.1';
const ELSEWHERE = '192.0.2.7';

test('devices: a code pairs once, sessions are hashed, a removed device is refused by name, preferences are checked whole', () => {
  const home = tempDir('kith-dev-');
  const { node } = KithNode.init(home);
  let now = Date.now();
  const pairing = new DevicePairing(node, () => now);
  const key = generateKeyPair();
  const publicKey = Buffer.from(key.publicKey).toString('base64url');
  const sig = (text: string) => Buffer.from(sign(key, Buffer.from(text))).toString('base64url');
  const offer = pairing.offer();
  const code = normalizePairingCode(offer.code);
  const { device, token, certificate } = pairing.pair({ code, name: 'Phone', publicKey, signature: sig(pairMessage(code, publicKey)) }, HERE);
  assert.equal(certificate.issuer, node.did);
  assert.equal(certificate.subject, device.did);
  assert.equal(pairing.authenticate(token).id, device.id);
  // Only the token's hash is stored.
  const rows = node.store.db.prepare('SELECT token_hash FROM device_sessions').all() as { token_hash: Buffer }[];
  assert.ok(rows.every((r) => !r.token_hash.toString('base64url').includes(token) && r.token_hash.length === 32));
  // The certificate is in the owner's scope, so followers can check what the device signs.
  assert.ok(node.store.objects.byDigest(certificate.digest));
  refusedWith(
    () => pairing.pair({ code, name: 'Again', publicKey, signature: sig(pairMessage(code, publicKey)) }, HERE),
    'unauthorized',
    /wrong or has expired/,
  );

  // Log in again by signing a nonce; a nonce works once.
  const ch = pairing.challenge(HERE);
  const login = pairing.login({ publicKey, nonce: ch.nonce, signature: sig(sessionMessage(ch.nonce, publicKey)) }, HERE);
  assert.equal(login.device.id, device.id);
  refusedWith(() => pairing.login({ publicKey, nonce: ch.nonce, signature: sig(sessionMessage(ch.nonce, publicKey)) }, HERE), 'unauthenticated');

  const { revocation } = pairing.revoke(device.id);
  assert.ok(node.store.objects.byDigest(revocation.digest), 'the revocation is stored and travels with the scope');
  refusedWith(() => pairing.authenticate(token), 'revoked', /Phone/);
  refusedWith(() => pairing.authenticate(login.token), 'revoked');

  // Expiry: a device past its certificate's end is refused with the date.
  const offer2 = normalizePairingCode(pairing.offer().code);
  const key2 = generateKeyPair();
  const pk2 = Buffer.from(key2.publicKey).toString('base64url');
  const second = pairing.pair(
    {
      code: offer2,
      name: 'Tablet',
      publicKey: pk2,
      signature: Buffer.from(sign(key2, Buffer.from(pairMessage(offer2, pk2)))).toString('base64url'),
    },
    HERE,
  );
  now += 366 * 86_400_000;
  refusedWith(() => pairing.authenticate(second.token), 'unauthenticated', /expired|unknown/);

  // Ten wrong codes hold back the address they came from for a while; the code shown still pairs from elsewhere.
  now = Date.now() + 400 * 86_400_000;
  const live = pairing.offer();
  for (let i = 0; i < 10; i++) {
    refusedWith(() => pairing.pair({ code: 'ABCDEFGH', name: 'x', publicKey, signature: sig('x') }, HERE), 'unauthorized');
  }
  refusedWith(() => pairing.pair({ code: live.code, name: 'x', publicKey, signature: sig('x') }, HERE), 'rate-limited');
  const key3 = generateKeyPair();
  const pk3 = Buffer.from(key3.publicKey).toString('base64url');
  const liveCode = normalizePairingCode(live.code);
  const third = pairing.pair(
    { code: liveCode, name: 'Laptop', publicKey: pk3, signature: Buffer.from(sign(key3, Buffer.from(pairMessage(liveCode, pk3)))).toString('base64url') },
    ELSEWHERE,
  );
  assert.equal(third.device.name, 'Laptop');

  assert.deepEqual(updatePreferences(node.store.settings, { discoverable: false }), {
    keepFollowedMedia: true,
    deviceLifetimeDays: 365,
    discoverable: false,
    apiHosts: [],
    trustedProxies: [],
    filterStrangers: false,
    locked: false,
  });
  refusedWith(() => updatePreferences(node.store.settings, { discoverable: true, deviceLifetimeDays: 9999 }), 'malformed', /1 to 730/);
  assert.equal(loadPreferences(node.store.settings).discoverable, false, 'a refused update changes nothing, not even its good part');
  node.close();
});

test('attempt throttles keep a bounded number of addresses; login challenges hold no state until answered, and log in once', () => {
  const throttle = new ClientThrottle(2, 1000, 3);
  for (const client of ['a', 'b', 'c', 'd', 'e']) assert.equal(throttle.take(client, 0), true);
  assert.equal(throttle.size, 3, 'the least recently seen addresses are forgotten');
  assert.equal(throttle.take('e', 1), true);
  assert.equal(throttle.take('e', 2), false, 'past the limit, nothing is counted and the attempt is refused');
  assert.equal(throttle.take('e', 1000), true, 'the window slides');

  const challenges = new LoginChallenges();
  const now = Date.now();
  const made = Array.from({ length: MAX_USED_LOGIN_CHALLENGES + 1 }, () => challenges.make(now).nonce);
  for (const nonce of made.slice(0, -1)) challenges.spend(challenges.check(nonce, now), now);
  refusedWith(() => challenges.check(made[0], now), 'unauthenticated', /used/);
  const last = challenges.check(made.at(-1), now);
  refusedWith(() => challenges.spend(last, now), 'rate-limited', /too many logins/);
  refusedWith(() => challenges.check(made.at(-1), now + LOGIN_CHALLENGE_TTL_MS), 'unauthenticated', /expired/);
  // Once the answered ones have expired, they are forgotten and logins go on.
  const later = now + LOGIN_CHALLENGE_TTL_MS;
  const fresh = challenges.make(later).nonce;
  challenges.spend(challenges.check(fresh, later), later);
  refusedWith(
    () => new LoginChallenges().check(fresh, later),
    'unauthenticated',
    /unknown/,
    'a challenge made under another secret (another start) is refused',
  );
});
