import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyPairFromSeed } from '../src/core/ed25519.js';
import { sha256 } from '../src/core/bytes.js';
import { didFromPublicKey, x25519Multikey, x25519PublicFromEd25519 } from '../src/core/didkey.js';
import type { ErrorCode } from '../src/core/errors.js';
import { newObjectId } from '../src/core/as2.js';
import { refusedWith } from './helpers.js';
import {
  MAX_AP_ID_LENGTH,
  actorId,
  apId,
  apIdEquals,
  apIdKey,
  canonicalApId,
  didOf,
  followersId,
  followingId,
  inboxId,
  isApId,
  outboxId,
  parseApId,
} from '../src/core/apid.js';

const key = keyPairFromSeed(sha256('apid test'));
const did = didFromPublicKey(key.publicKey);
const otherDid = didFromPublicKey(keyPairFromSeed(sha256('apid test: other')).publicKey);
const mb = did.slice('did:key:'.length);

function refused(input: unknown, code: ErrorCode, message: RegExp): void {
  refusedWith(() => parseApId(input), code, message, String(input).slice(0, 80));
  assert.equal(isApId(input), false);
  refusedWith(() => canonicalApId(input), code, message, `canonicalApId(${String(input).slice(0, 80)})`);
}

test('parseApId splits an ap:// id into DID, path, query and fragment', () => {
  assert.deepEqual(parseApId(`ap://${did}/objects/abc?gateways=https%3A%2F%2Fgw.example#part`), {
    did,
    path: '/objects/abc',
    query: 'gateways=https%3A%2F%2Fgw.example',
    fragment: 'part',
  });
  assert.deepEqual(parseApId(`ap://${did}`), { did, path: '', query: undefined, fragment: undefined });
  assert.deepEqual(parseApId(`ap://${did}/actor#main-key`), { did, path: '/actor', query: undefined, fragment: 'main-key' });
  // An empty query is still a query; "?" inside the fragment belongs to the fragment.
  assert.deepEqual(parseApId(`ap://${did}/a?#f?x`), { did, path: '/a', query: '', fragment: 'f?x' });
  assert.equal(didOf(`ap://${did}/actor`), did);
});

test('canonical form: scheme case, percent-encoded DID authority and ap+ef61 all canonicalise to ap://did:key:…', () => {
  const canonical = `ap://${did}/actor`;
  const forms = [
    canonical,
    `AP://${did}/actor`,
    `Ap://${did}/actor`,
    `ap://did%3Akey%3A${mb}/actor`,
    `ap://did%3akey%3a${mb}/actor`,
    `AP://did%3Akey%3A${mb}/actor`,
    `ap+ef61://${did}/actor`,
    `AP+EF61://did%3Akey%3A${mb}/actor`,
  ];
  for (const f of forms) {
    assert.equal(canonicalApId(f), canonical, f);
    assert.ok(isApId(f), f);
    assert.ok(apIdEquals(f, canonical), f);
    assert.equal(didOf(f), did, f);
  }
  // Canonicalisation keeps query and fragment, and is idempotent.
  const withAll = `AP://did%3Akey%3A${mb}/objects/1?gateways=https%3A%2F%2Fgw.example#note`;
  const c = canonicalApId(withAll);
  assert.equal(c, `ap://${did}/objects/1?gateways=https%3A%2F%2Fgw.example#note`);
  assert.equal(canonicalApId(c), c);
  // The path, query and fragment are not case-folded or decoded.
  assert.equal(canonicalApId(`AP://${did}/Objects/A%2Fb`), `ap://${did}/Objects/A%2Fb`);
  assert.notEqual(canonicalApId(`ap://${did}/Objects`), canonicalApId(`ap://${did}/objects`));
});

test('comparison ignores the query but not the path or the fragment', () => {
  const base = `ap://${did}/objects/1`;
  assert.ok(apIdEquals(base, `${base}?gateways=https%3A%2F%2Fa.example`));
  assert.ok(apIdEquals(`${base}?gateways=https%3A%2F%2Fa.example`, `${base}?gateways=https%3A%2F%2Fb.example`));
  assert.ok(apIdEquals(`${base}?x=1#frag`, `${base}#frag`));
  assert.equal(apIdKey(`AP://${did}/objects/1?x=1#frag`), `${base}#frag`);
  assert.equal(apIdKey(`${base}?x=1`), base);

  assert.equal(apIdEquals(base, `ap://${did}/objects/2`), false, 'path differs');
  assert.equal(apIdEquals(base, `${base}/`), false, 'trailing slash differs');
  assert.equal(apIdEquals(base, `ap://${did}/Objects/1`), false, 'path is case-sensitive');
  assert.equal(apIdEquals(base, `${base}#a`), false, 'fragment differs from none');
  assert.equal(apIdEquals(`${base}#a`, `${base}#b`), false, 'fragments differ');
  assert.equal(apIdEquals(base, `ap://${otherDid}/objects/1`), false, 'DID differs');
  // Comparing an id that is not an ap:// id is a refusal, not a silent false.
  refusedWith(() => apIdEquals(base, 'https://example.com/objects/1'), 'malformed');
});

test('refused: not an ap:// id', () => {
  for (const s of [`https://${did}/actor`, `${did}/actor`, `ap:${did}/actor`, `ap:/${did}/actor`, `ap+ef62://${did}/actor`, ` ap://${did}/actor`, '']) {
    refused(s, 'malformed', /not an ap:\/\/ id/);
  }
  for (const v of [42, null, undefined, {}, [`ap://${did}/actor`]]) refused(v, 'malformed', /string/);
});

test('refused: an authority that is not a did:key', () => {
  for (const s of [
    'ap://did:web:example.com/actor',
    'ap://example.com/actor',
    `ap://did:example:${mb}/actor`,
    'ap:///actor',
    `ap://did%3Aweb%3Aexample.com/actor`,
  ]) {
    refused(s, 'malformed', /did:key/);
  }
  // A percent-escape that is broken.
  refused(`ap://did%3key%3A${mb}/actor`, 'malformed', /percent-escape/);
  refused(`ap://did%E0%A4%A:key:${mb}/actor`, 'malformed', /percent-escape/);
});

test('refused: a bad did:key', () => {
  // Wrong multicodec (one character of the prefix changed), truncated, not base58, no multibase z.
  refused(`ap://did:key:${mb.replace('z6Mk', 'z6Mj')}/actor`, 'bad-encoding', /multicodec/);
  refused(`ap://did:key:${mb.slice(0, -3)}/actor`, 'bad-encoding', /multicodec/);
  refused(`ap://did:key:${mb.slice(0, 10)}0OIl${mb.slice(14)}/actor`, 'bad-encoding', /base58/);
  refused(`ap://did:key:${mb.slice(1)}/actor`, 'bad-encoding', /base58btc/);
  refused('ap://did:key:/actor', 'bad-encoding', /base58btc/);
  // An X25519 key-agreement did:key names no actor that can sign.
  const x = x25519Multikey(x25519PublicFromEd25519(key.publicKey));
  refused(`ap://did:key:${x}/actor`, 'wrong-key', /X25519/);
  // Port or user info in the authority.
  refused(`ap://${did}:443/actor`, 'bad-encoding', /base58/);
  refused(`ap://user@${did}/actor`, 'malformed', /did:key/);
});

test('refused: too long', () => {
  const prefix = `ap://${did}/`;
  const atLimit = prefix + 'a'.repeat(MAX_AP_ID_LENGTH - prefix.length);
  assert.equal(atLimit.length, MAX_AP_ID_LENGTH);
  assert.equal(canonicalApId(atLimit), atLimit);
  refused(atLimit + 'a', 'too-large', /longer than/);
  refused(`ap://${did}/x?${'q'.repeat(MAX_AP_ID_LENGTH)}`, 'too-large', /longer than/);
  // A DID far longer than any did:key.
  refused(`ap://did:key:z${'6'.repeat(200)}/actor`, 'too-large', /too long/);
});

test('refused: dot segments in the path', () => {
  for (const p of ['/objects/../actor', '/./actor', '/actor/..', '/actor/.', '/..', '/a/%2e%2e/b', '/a/%2E./b', '/a/.%2E', '/%2e/actor']) {
    refused(`ap://${did}${p}`, 'malformed', /dot segments/);
  }
  // Dots inside a segment are fine.
  for (const p of ['/objects/a.b', '/.well-known', '/objects/...', '/v1.2/..x']) {
    assert.equal(canonicalApId(`ap://${did}${p}`), `ap://${did}${p}`, p);
  }
});

test('refused: spaces and other characters a URI cannot hold', () => {
  for (const p of ['/my actor', '/actor ', '/a\tb', '/a\nb', '/a"b', '/a<b>', '/a\\b', '/a{b}', '/a|b', '/a^b', '/a`b', '/caf\u00e9']) {
    refused(`ap://${did}${p}`, 'malformed', /path has characters/);
  }
  refused(`ap://${did}/actor?q=a b`, 'malformed', /query or fragment/);
  refused(`ap://${did}/actor#a b`, 'malformed', /query or fragment/);
  refused(`ap://${did}/actor#a#b`, 'malformed', /query or fragment/);
  // Broken percent-escapes in the path, query or fragment.
  refused(`ap://${did}/a%2`, 'malformed', /path has characters/);
  refused(`ap://${did}/a%zz`, 'malformed', /path has characters/);
  refused(`ap://${did}/a?b=%G0`, 'malformed', /query or fragment/);
  refused(`ap://${did}/a#%`, 'malformed', /query or fragment/);
  // Percent-encoded space is a URI character.
  assert.equal(canonicalApId(`ap://${did}/my%20actor`), `ap://${did}/my%20actor`);
});

test('actorId, outboxId and the other collection helpers', () => {
  assert.equal(actorId(did), `ap://${did}/actor`);
  assert.equal(outboxId(did), `ap://${did}/actor/outbox`);
  assert.equal(inboxId(did), `ap://${did}/actor/inbox`);
  assert.equal(followersId(did), `ap://${did}/actor/followers`);
  assert.equal(followingId(did), `ap://${did}/actor/following`);
  for (const id of [actorId(did), outboxId(did), inboxId(did), followersId(did), followingId(did)]) {
    assert.ok(isApId(id));
    assert.equal(canonicalApId(id), id);
    assert.equal(didOf(id), did);
  }
  assert.notEqual(actorId(did), actorId(otherDid));
  assert.equal(didOf(outboxId(otherDid)), otherDid);
  // apId adds the leading slash, and refuses what parseApId refuses.
  assert.equal(apId(did, 'objects/1'), `ap://${did}/objects/1`);
  assert.equal(apId(did, '/objects/1'), `ap://${did}/objects/1`);
  refusedWith(() => apId(did, '../etc'), 'malformed');
  refusedWith(() => apId(did, 'a b'), 'malformed');
  refusedWith(() => actorId('did:web:example.com' as never), 'malformed');
});

test('new object ids end in a time-ordered UUID (version 7): later ones sort after, and they stay unguessable', async () => {
  const first = newObjectId(did);
  // A millisecond on, as the next post is.
  const start = Date.now();
  while (Date.now() === start) await new Promise((resolve) => setImmediate(resolve));
  const later = newObjectId(did);
  const uuid = /^ap:\/\/did:key:z[1-9A-HJ-NP-Za-km-z]+\/objects\/([0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$/;
  assert.match(first, uuid);
  assert.match(later, uuid);
  assert.ok(first < later, `${first} sorts before ${later}`);
  const made = Number.parseInt(later.slice(-36).replace(/-/g, '').slice(0, 12), 16);
  assert.ok(made > start && made <= Date.now(), 'the first 48 bits are the milliseconds it was made at');
  const same = new Set(Array.from({ length: 1000 }, () => newObjectId(did)));
  assert.equal(same.size, 1000, 'ids made in the same millisecond still differ');
});
