import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  Certificate,
  capabilityCovers,
  issueCertificate,
  parseCertificate,
  resourceCovers,
  verifyChain,
  DELEGATE,
  type ChainQuery,
} from '../src/core/certificate.js';
import { STATEMENT_CONTEXT } from '../src/core/statement.js';
import { issueRevocation, parseRevocation, type Revocation } from '../src/core/revocation.js';
import { generateKeyPair, type Ed25519KeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import type { ErrorCode } from '../src/core/errors.js';
import { refusedWith } from './helpers.js';
import { digestOf, signDocument } from '../src/core/proof.js';
import type { ApId, Did, JsonObject } from '../src/core/types.js';

const SECOND = 1000;
const DAY = 86_400 * SECOND;
const T0 = Date.UTC(2025, 0, 1);
const T1 = T0 + 365 * DAY;
const MID = T0 + 100 * DAY;

interface Person {
  readonly key: Ed25519KeyPair;
  readonly did: Did;
}
function person(): Person {
  const key = generateKeyPair();
  return { key, did: didFromPublicKey(key.publicKey) };
}
const ap = (p: Person, path = ''): ApId => `ap://${p.did}${path}` as ApId;

const alice = person(); // a person with devices
const laptop = person();
const browser = person();
const owner = person(); // a forum owner
const mod = person();
const submod = person();
const member = person();
const author = person(); // an author and a follower
const follower = person();
const nodeKey = person(); // a node and an account it hosts
const account = person();
const stranger = person();

const forum = ap(owner, '/forums/f1');

function grant(
  issuer: Person,
  subject: Person,
  capability: string[],
  resource: ApId,
  parent?: Certificate,
  window = { notBefore: T0, expires: T1 },
): Certificate {
  return issueCertificate(issuer.key, { subject: subject.did, capability, resource, parent, ...window }, { now: T0 });
}

/** Signs any certificate body, bypassing issueCertificate's refusals, as a hostile or buggy issuer could. */
function craftDoc(issuer: Person, body: JsonObject): JsonObject {
  const doc: JsonObject = {
    '@context': [...STATEMENT_CONTEXT],
    type: 'KithCertificate',
    id: `ap://${issuer.did}/certs/${randomUUID()}`,
    issuer: issuer.did,
    notBefore: '2025-01-01T00:00:00Z',
    expires: '2026-01-01T00:00:00Z',
    ...body,
  };
  return signDocument(doc, issuer.key, { proofPurpose: 'capabilityDelegation' });
}
const craft = (issuer: Person, body: JsonObject): Certificate => parseCertificate(craftDoc(issuer, body));

/** The signed JSON, as it would arrive from a peer, free to be tampered with. */
const copy = (c: Certificate | Revocation): JsonObject => JSON.parse(JSON.stringify(c)) as JsonObject;

// A forum: owner → moderator (may certify) → member.
const modCert = grant(owner, mod, [DELEGATE, 'forum:moderate', 'forum:post'], forum);
const memberCert = grant(mod, member, ['forum:post'], forum, modCert);
const forumQuery = (over: Partial<ChainQuery> = {}): ChainQuery => ({
  root: owner.did,
  chain: [modCert, memberCert],
  actor: member.did,
  capability: 'forum:post',
  resource: `${forum}/threads/t1`,
  at: MID,
  ...over,
});

// ---- Valid chains ----

test('device, depth 1: a person certifies a laptop to post and follow for them', () => {
  const c = grant(alice, laptop, ['post', 'follow'], ap(alice));
  assert.deepEqual(c.capability, ['follow', 'post']);
  const v = verifyChain({
    root: alice.did,
    chain: [c],
    actor: laptop.did,
    capability: 'post:reply',
    resource: `${ap(alice)}/objects/${randomUUID()}?gw=x`,
    at: MID,
  });
  assert.equal(v.root, alice.did);
  assert.equal(v.actor, laptop.did);
  assert.equal(v.capability, 'post:reply');
  assert.ok(!v.resource.includes('?'), 'the query is only a hint and is dropped');
  assert.deepEqual(v.grantedCapabilities, ['follow', 'post']);
  assert.equal(v.grantedResource, ap(alice));
  assert.equal(v.notBefore, T0);
  assert.equal(v.expires, T1);
  assert.deepEqual(v.links, [c]);
});

test('device, depth 2: a laptop allowed to delegate certifies a browser session', () => {
  const laptopCert = grant(alice, laptop, [DELEGATE, 'post'], ap(alice));
  const sessionCert = grant(laptop, browser, ['post'], ap(alice, '/objects'), laptopCert, { notBefore: MID - DAY, expires: MID + DAY });
  const v = verifyChain({
    root: alice.did,
    chain: [laptopCert, sessionCert],
    actor: browser.did,
    capability: 'post',
    resource: `${ap(alice)}/objects/o1`,
    at: MID,
  });
  assert.equal(v.expires, MID + DAY, 'the chain holds only as long as its shortest link');
  assert.equal(v.links.length, 2);
});

test('forum, depth 2: owner → moderator → member may post in a thread', () => {
  const v = verifyChain(forumQuery());
  assert.deepEqual(v.grantedCapabilities, ['forum:post']);
  assert.equal(v.resource, `${forum}/threads/t1`);
});

test('forum, depth 3: owner → moderator → sub-moderator → member', () => {
  const subCert = grant(mod, submod, [DELEGATE, 'forum:post'], forum, modCert);
  const m = grant(submod, member, ['forum:post'], `${forum}/threads` as ApId, subCert);
  const v = verifyChain(forumQuery({ chain: [modCert, subCert, m] }));
  assert.equal(v.links.length, 3);
  refusedWith(() => verifyChain(forumQuery({ chain: [modCert, subCert, m], capability: 'forum:moderate' })), 'unauthorized');
});

test('follower read, depth 1: an author lets a follower read their objects', () => {
  const c = grant(author, follower, ['read'], ap(author, '/objects'));
  const v = verifyChain({ root: author.did, chain: [c], actor: follower.did, capability: 'read', resource: `${ap(author)}/objects/o7#part`, at: MID });
  assert.equal(v.resource, `${ap(author)}/objects/o7`);
  refusedWith(
    () => verifyChain({ root: author.did, chain: [c], actor: follower.did, capability: 'read', resource: `${ap(author)}/actor/inbox`, at: MID }),
    'unauthorized',
    /does not include/,
  );
});

test('node hosting, depth 1: a node certifies an account it hosts', () => {
  const c = grant(nodeKey, account, ['host'], ap(nodeKey, '/accounts'));
  const v = verifyChain({ root: nodeKey.did, chain: [c], actor: account.did, capability: 'host', resource: `${ap(nodeKey)}/accounts/${account.did}`, at: MID });
  assert.equal(v.actor, account.did);
});

test('the root acts for itself with an empty chain, but only on its own ids', () => {
  const v = verifyChain({ root: alice.did, chain: [], actor: alice.did, capability: 'post', resource: `${ap(alice)}/objects/1`, at: MID });
  assert.equal(v.grantedCapabilities, 'all');
  assert.equal(v.expires, Infinity);
  refusedWith(() => verifyChain({ root: alice.did, chain: [], actor: alice.did, capability: 'post', resource: `${ap(owner)}/objects/1` }), 'unauthorized');
  refusedWith(() => verifyChain({ root: alice.did, chain: [], actor: laptop.did, capability: 'post', resource: `${ap(alice)}/objects/1` }), 'wrong-root');
});

test('links given as raw JSON (as stored or received) verify like parsed ones', () => {
  const raw = [JSON.parse(JSON.stringify(modCert)), JSON.parse(JSON.stringify(memberCert))] as JsonObject[];
  const v = verifyChain(forumQuery({ chain: raw }));
  assert.equal(v.links[1]!.digest, memberCert.digest);
});

// ---- Forged ----

test('forged: a link signed by a key other than the one its parent certifies', () => {
  // issueCertificate will not make it…
  refusedWith(() => grant(stranger, member, ['forum:post'], forum, modCert), 'forged');
  // …but a hostile key can sign one by hand.
  const fake = craft(stranger, { subject: member.did, capability: ['forum:post'], resource: forum, parent: modCert.digest });
  refusedWith(() => verifyChain(forumQuery({ chain: [modCert, fake] })), 'forged', /link 1/);
});

test('forged: a field changed after signing', () => {
  const tampered = copy(memberCert);
  tampered.capability = ['forum:moderate', 'forum:post'];
  refusedWith(() => verifyChain(forumQuery({ chain: [modCert, tampered] })), 'forged', /link 1/);
  refusedWith(() => parseCertificate(tampered), 'bad-signature');
  const later = copy(memberCert);
  later.expires = '2030-01-01T00:00:00Z';
  refusedWith(() => parseCertificate(later), 'bad-signature');
});

test('forged: parent digest of another certificate', () => {
  // The moderator holds two certificates; the member's names the second, but the chain shows the first.
  const modCert2 = grant(owner, mod, [DELEGATE, 'forum:post'], forum);
  const m = grant(mod, member, ['forum:post'], forum, modCert2);
  assert.ok(verifyChain(forumQuery({ chain: [modCert2, m] })));
  refusedWith(() => verifyChain(forumQuery({ chain: [modCert, m] })), 'forged', /names parent/);
  // A first link of the moderator's own, presented as if it continued the owner's.
  const orphan = craft(mod, { subject: member.did, capability: ['forum:post'], resource: ap(mod) });
  refusedWith(() => verifyChain(forumQuery({ chain: [modCert, orphan] })), 'forged');
});

test('forged: the first link names a parent', () => {
  const toOwner = grant(alice, owner, [DELEGATE, 'post'], ap(alice));
  const c = grant(owner, laptop, ['post'], ap(alice), toOwner);
  refusedWith(() => verifyChain({ root: owner.did, chain: [c], actor: laptop.did, capability: 'post', resource: ap(alice), at: MID }), 'forged', /link 0/);
});

// ---- Widened ----

test('widened capability', () => {
  refusedWith(() => grant(mod, member, ['forum:post', 'forum:ban'], forum, modCert), 'widened', /forum:ban/);
  const c = craft(mod, { subject: member.did, capability: ['forum:ban', 'forum:post'], resource: forum, parent: modCert.digest });
  refusedWith(() => verifyChain(forumQuery({ chain: [modCert, c] })), 'widened', /link 1.*forum:ban/);
  // "forum:post" covers "forum:post:reply" but not the other way round.
  const narrow = grant(owner, mod, [DELEGATE, 'forum:post:reply'], forum);
  refusedWith(() => grant(mod, member, ['forum:post'], forum, narrow), 'widened');
  assert.ok(grant(mod, member, ['forum:post:reply'], forum, modCert));
});

test('widened resource', () => {
  const other = ap(owner, '/forums/f2');
  refusedWith(() => grant(mod, member, ['forum:post'], other, modCert), 'widened', /outside/);
  const c = craft(mod, { subject: member.did, capability: ['forum:post'], resource: other, parent: modCert.digest });
  refusedWith(() => verifyChain(forumQuery({ chain: [modCert, c], resource: `${other}/t` })), 'widened');
  // Prefixes are by path segment: /forums/f1 does not cover /forums/f10.
  const sibling = craft(mod, { subject: member.did, capability: ['forum:post'], resource: `${forum}0`, parent: modCert.digest });
  refusedWith(() => verifyChain(forumQuery({ chain: [modCert, sibling], resource: `${forum}0` })), 'widened');
});

test('widened time window', () => {
  refusedWith(() => grant(mod, member, ['forum:post'], forum, modCert, { notBefore: T0, expires: T1 + DAY }), 'widened');
  const late = craft(mod, { subject: member.did, capability: ['forum:post'], resource: forum, parent: modCert.digest, expires: '2026-01-02T00:00:00Z' });
  refusedWith(() => verifyChain(forumQuery({ chain: [modCert, late] })), 'widened', /2026-01-02/);
  const early = craft(mod, { subject: member.did, capability: ['forum:post'], resource: forum, parent: modCert.digest, notBefore: '2024-12-31T00:00:00Z' });
  refusedWith(() => verifyChain(forumQuery({ chain: [modCert, early] })), 'widened');
});

test('a link without "delegate" may not certify further keys', () => {
  refusedWith(() => grant(member, stranger, ['forum:post'], forum, memberCert), 'unauthorized', /delegate/);
  const c = craft(member, { subject: stranger.did, capability: ['forum:post'], resource: forum, parent: memberCert.digest });
  refusedWith(() => verifyChain(forumQuery({ chain: [modCert, memberCert, c], actor: stranger.did })), 'unauthorized', /delegate/);
});

test("a first link may only grant over its issuer's own ids", () => {
  refusedWith(() => grant(owner, mod, ['post'], ap(alice)), 'widened');
  refusedWith(() => parseCertificate(craftDoc(owner, { subject: mod.did, capability: ['post'], resource: ap(alice) })), 'widened');
});

// ---- Time ----

test('expired and not yet valid, on the last link and on an ancestor', () => {
  refusedWith(() => verifyChain(forumQuery({ at: T1 })), 'expired', /link 0.*2026-01-01T00:00:00Z/);
  refusedWith(() => verifyChain(forumQuery({ at: T0 - SECOND })), 'not-yet-valid', /link 0/);
  const short = grant(mod, member, ['forum:post'], forum, modCert, { notBefore: MID, expires: MID + DAY });
  assert.ok(verifyChain(forumQuery({ chain: [modCert, short], at: MID })), 'notBefore is inclusive');
  refusedWith(() => verifyChain(forumQuery({ chain: [modCert, short], at: MID + DAY })), 'expired', /link 1/);
  refusedWith(() => verifyChain(forumQuery({ chain: [modCert, short], at: MID - 1 })), 'not-yet-valid', /link 1/);
});

test('issueCertificate refuses a certificate that is already expired, and rounds the window inwards', () => {
  refusedWith(
    () => issueCertificate(owner.key, { subject: mod.did, capability: 'x', resource: forum, notBefore: T0 - DAY, expires: T0 }, { now: T0 + DAY }),
    'expired',
  );
  refusedWith(() => issueCertificate(owner.key, { subject: mod.did, capability: 'x', resource: forum, notBefore: T1, expires: T0 }, { now: T0 }), 'malformed');
  const c = issueCertificate(owner.key, { subject: mod.did, capability: ['b', 'a', 'b'], resource: forum, notBefore: T0 + 1, expires: T1 - 1 }, { now: T0 });
  assert.deepEqual(c.capability, ['a', 'b']);
  assert.equal(c.notBefore, T0 + SECOND);
  assert.equal(c.expires, T1 - SECOND);
  // Without notBefore, a child starts no earlier than its parent.
  const future = grant(owner, mod, [DELEGATE, 'forum:post'], forum, undefined, { notBefore: MID, expires: T1 });
  const child = issueCertificate(mod.key, { subject: member.did, capability: 'forum:post', resource: forum, expires: T1, parent: future }, { now: T0 });
  assert.equal(child.notBefore, MID);
});

// ---- Revocation ----

const revokeCert = (by: Person, c: Certificate, from = T0): Revocation => issueRevocation(by.key, { certificate: c.digest }, { from, now: T0 });

test('revoked link: by its issuer or by a key above it', () => {
  refusedWith(() => verifyChain(forumQuery({ revocations: [revokeCert(mod, memberCert)] })), 'revoked', /link 1/);
  refusedWith(() => verifyChain(forumQuery({ revocations: [revokeCert(owner, memberCert)] })), 'revoked', /link 1/);
});

test("revoked ancestor: revoking the moderator voids the member's certificate too", () => {
  refusedWith(() => verifyChain(forumQuery({ revocations: [revokeCert(owner, modCert)] })), 'revoked', /link 0/);
});

test('a revocation does not apply before its from time', () => {
  const r = revokeCert(owner, memberCert, MID + DAY);
  assert.ok(verifyChain(forumQuery({ revocations: [r], at: MID })));
  refusedWith(() => verifyChain(forumQuery({ revocations: [r], at: MID + DAY })), 'revoked', /2025-04-12T00:00:00Z/);
});

test('revocations by an unrelated key or by a key below the link are ignored', () => {
  const subCert = grant(mod, submod, [DELEGATE, 'forum:post'], forum, modCert);
  const m = grant(submod, member, ['forum:post'], forum, subCert);
  const q = forumQuery({ chain: [modCert, subCert, m] });
  const ignored = [
    revokeCert(stranger, modCert),
    revokeCert(stranger, m),
    revokeCert(mod, modCert), // the link's own subject
    revokeCert(submod, modCert), // a key two levels below
    revokeCert(member, subCert),
    issueRevocation(stranger.key, { subject: member.did, root: owner.did }, { from: T0 }),
    issueRevocation(member.key, { subject: submod.did, root: owner.did }, { from: T0 }),
  ];
  assert.equal(verifyChain({ ...q, revocations: ignored }).actor, member.did);
  refusedWith(() => verifyChain({ ...q, revocations: [...ignored, revokeCert(mod, subCert)] }), 'revoked', /link 1/);
});

test('subject-wide revocation: a ban under one root voids every chain of that subject there', () => {
  const ban = issueRevocation(owner.key, { subject: member.did, root: owner.did }, { from: T0 });
  refusedWith(() => verifyChain(forumQuery({ revocations: [ban] })), 'revoked', /every certificate/);
  // The same subject under another root is untouched.
  const elsewhere = grant(author, member, ['read'], ap(author, '/objects'));
  const authorBansInForum = issueRevocation(author.key, { subject: member.did, root: owner.did }, { from: T0 });
  const readQuery = { root: author.did, chain: [elsewhere], actor: member.did, capability: 'read', resource: ap(author, '/objects/1'), at: MID };
  assert.ok(verifyChain({ ...readQuery, revocations: [ban, authorBansInForum] }));
  const authorBan = issueRevocation(author.key, { subject: member.did, root: author.did }, { from: T0 });
  refusedWith(() => verifyChain({ ...readQuery, revocations: [authorBan] }), 'revoked');
  // A moderator's ban reaches members it certified, not those another moderator certified.
  const mod2 = person();
  const mod2Cert = grant(owner, mod2, [DELEGATE, 'forum:post'], forum);
  const viaMod2 = grant(mod2, member, ['forum:post'], forum, mod2Cert);
  const modBan = issueRevocation(mod.key, { subject: member.did, root: owner.did }, { from: T0 });
  refusedWith(() => verifyChain(forumQuery({ revocations: [modBan] })), 'revoked');
  assert.ok(verifyChain(forumQuery({ chain: [mod2Cert, viaMod2], revocations: [modBan] })));
  // Banning the moderator voids the members it certified.
  const modBanned = issueRevocation(owner.key, { subject: mod.did, root: owner.did }, { from: T0 });
  refusedWith(() => verifyChain(forumQuery({ revocations: [modBanned] })), 'revoked', /link 0/);
});

// ---- Depth, root, authorisation ----

test('too deep: more links than maxDepth (default 8)', () => {
  refusedWith(() => verifyChain(forumQuery({ maxDepth: 1 })), 'too-deep', /2 links/);
  const people = Array.from({ length: 10 }, person);
  const chain: Certificate[] = [];
  for (let i = 0; i < 9; i++) {
    chain.push(grant(people[i]!, people[i + 1]!, [DELEGATE, 'post'], ap(people[0]!), chain[i - 1]));
  }
  const q = (n: number): ChainQuery => ({
    root: people[0]!.did,
    chain: chain.slice(0, n),
    actor: people[n]!.did,
    capability: 'post',
    resource: ap(people[0]!),
    at: MID,
  });
  assert.equal(verifyChain(q(8)).links.length, 8);
  refusedWith(() => verifyChain(q(9)), 'too-deep');
});

test('wrong root', () => {
  refusedWith(() => verifyChain(forumQuery({ root: alice.did })), 'wrong-root', /link 0/);
  refusedWith(() => verifyChain(forumQuery({ chain: [memberCert] })), 'wrong-root');
});

test('unauthorized: capability, resource or actor not covered by the last link', () => {
  refusedWith(() => verifyChain(forumQuery({ capability: 'forum:moderate' })), 'unauthorized', /forum:moderate/);
  refusedWith(() => verifyChain(forumQuery({ capability: 'forum' })), 'unauthorized');
  refusedWith(() => verifyChain(forumQuery({ resource: ap(owner, '/forums/f2') })), 'unauthorized');
  refusedWith(() => verifyChain(forumQuery({ actor: stranger.did })), 'unauthorized', /not at the actor/);
  assert.ok(verifyChain(forumQuery({ chain: [modCert], actor: mod.did, capability: 'forum:moderate' })));
});

test('capability and resource coverage helpers', () => {
  assert.equal(capabilityCovers('post', 'post'), true);
  assert.equal(capabilityCovers('post', 'post:reply'), true);
  assert.equal(capabilityCovers('post', 'posts'), false);
  assert.equal(capabilityCovers('post:reply', 'post'), false);
  assert.equal(resourceCovers(forum, forum), true);
  assert.equal(resourceCovers(forum, `${forum}/t/1` as ApId), true);
  assert.equal(resourceCovers(forum, `${forum}1` as ApId), false);
});

// ---- Parsing ----

test('parseCertificate round-trips, freezes, and cannot be bypassed', () => {
  const again = parseCertificate(JSON.stringify(memberCert));
  assert.equal(again.digest, memberCert.digest);
  assert.equal(again.digest, digestOf(copy(memberCert)));
  assert.equal(again.parent, modCert.digest);
  assert.equal(again.issuer, mod.did);
  assert.equal(typeof again.notBefore, 'number');
  assert.throws(() => {
    (again.doc as JsonObject).subject = stranger.did;
  }, TypeError);
  assert.throws(() => new Certificate(Symbol('Certificate'), { ...again }), TypeError);
});

test('parseCertificate refuses malformed, oversized, wrong-type, bad-date and unknown-suite input', () => {
  const good = copy(memberCert);
  const body = { subject: member.did, capability: ['forum:post'], resource: forum };
  const cases: Array<[string, unknown, ErrorCode]> = [
    ['not an object', [good], 'malformed'],
    ['not JSON text', '{"type":', 'malformed'],
    ['missing subject', craftDoc(owner, { capability: ['x'], resource: forum }), 'malformed'],
    ['unknown member', craftDoc(owner, { ...body, note: 'hi' }), 'malformed'],
    ['wrong type', craftDoc(owner, { ...body, type: 'Note' }), 'malformed'],
    ['issuer is a number', { ...good, issuer: 42 }, 'malformed'],
    ['capability is a string', craftDoc(owner, { ...body, capability: 'forum:post' }), 'malformed'],
    ['capability empty', craftDoc(owner, { ...body, capability: [] }), 'malformed'],
    ['capability unsorted', craftDoc(owner, { ...body, capability: ['b', 'a'] }), 'malformed'],
    ['capability duplicated', craftDoc(owner, { ...body, capability: ['a', 'a'] }), 'malformed'],
    ['capability syntax', craftDoc(owner, { ...body, capability: ['Forum:Post'] }), 'malformed'],
    ['too many capabilities', craftDoc(owner, { ...body, capability: Array.from({ length: 33 }, (_, i) => `c${String(i).padStart(2, '0')}`) }), 'too-large'],
    ['resource with query', craftDoc(owner, { ...body, resource: `${forum}?x=1` }), 'malformed'],
    ['resource ending in /', craftDoc(owner, { ...body, resource: `${forum}/` }), 'malformed'],
    ['resource not canonical', craftDoc(owner, { ...body, resource: forum.replace('ap://', 'AP://') }), 'malformed'],
    ['resource not ap://', craftDoc(owner, { ...body, resource: 'https://example.com/f1' }), 'malformed'],
    ['parent not a digest', craftDoc(owner, { ...body, parent: 'abc' }), 'malformed'],
    ['id of another issuer', craftDoc(owner, { ...body, id: `ap://${stranger.did}/certs/${randomUUID()}` }), 'malformed'],
    ['self-certificate', craftDoc(owner, { ...body, subject: owner.did }), 'malformed'],
    ['date not a real day', craftDoc(owner, { ...body, expires: '2025-02-30T00:00:00Z' }), 'malformed'],
    ['date with milliseconds', craftDoc(owner, { ...body, expires: '2025-06-01T00:00:00.000Z' }), 'malformed'],
    ['date with offset', craftDoc(owner, { ...body, expires: '2025-06-01T00:00:00+02:00' }), 'malformed'],
    ['date only', craftDoc(owner, { ...body, notBefore: '2025-01-01' }), 'malformed'],
    ['expires before notBefore', craftDoc(owner, { ...body, notBefore: '2025-06-01T00:00:00Z', expires: '2025-05-01T00:00:00Z' }), 'malformed'],
    ['proof missing', { ...good, proof: undefined }, 'malformed'],
    ['proof as an array', { ...good, proof: [good.proof!] }, 'malformed'],
    ['oversized text', JSON.stringify({ ...good, pad: 'x'.repeat(9000) }), 'too-large'],
    ['oversized object', { ...good, resource: `${forum}/${'x'.repeat(9000)}` }, 'too-large'],
    ['resource too long', craftDoc(owner, { ...body, resource: `${forum}/${'x'.repeat(1100)}` }), 'too-large'],
    ['a revocation', copy(revokeCert(owner, modCert)), 'malformed'],
  ];
  for (const [name, input, code] of cases) {
    refusedWith(() => parseCertificate(input), code, undefined, name);
  }
  refusedWith(() => parseCertificate(good, { maxBytes: 100 }), 'too-large', /at most 100/);
  refusedWith(() => parseCertificate(craftDoc(owner, { ...body, expires: '2025-02-30T00:00:00Z' })), 'malformed', /expires/);
});

test('parseCertificate refuses unknown cryptosuites, a signer other than the issuer, and the wrong proof purpose', () => {
  const suite = copy(memberCert);
  (suite.proof as JsonObject).cryptosuite = 'eddsa-rdfc-2022';
  refusedWith(() => parseCertificate(suite), 'unknown-cryptosuite');
  // A stranger signs a body that names the moderator as issuer.
  const { proof: _p, ...unsigned } = copy(memberCert);
  refusedWith(() => parseCertificate(signDocument(unsigned, stranger.key, { proofPurpose: 'capabilityDelegation' })), 'wrong-key', /signed by/);
  refusedWith(() => verifyChain(forumQuery({ chain: [modCert, signDocument(unsigned, stranger.key, { proofPurpose: 'capabilityDelegation' })] })), 'forged');
  refusedWith(() => parseCertificate(signDocument(unsigned, mod.key, { proofPurpose: 'assertionMethod' })), 'wrong-key', /purpose/);
  assert.equal(
    parseCertificate(signDocument(unsigned, mod.key, { proofPurpose: 'capabilityDelegation', created: '2025-01-01T00:00:00Z' })).subject,
    member.did,
  );
});

test('parseRevocation: round trip and strict refusals', () => {
  const r = revokeCert(owner, memberCert, MID);
  const again = parseRevocation(JSON.stringify(r));
  assert.equal(again.digest, r.digest);
  assert.deepEqual(again.target, { certificate: memberCert.digest });
  assert.equal(again.from, MID);
  const s = parseRevocation(copy(issueRevocation(owner.key, { subject: member.did, root: owner.did })));
  assert.deepEqual(s.target, { subject: member.did, root: owner.did });

  const doc = copy(r);
  const { proof: _p, ...unsigned } = doc;
  const resign = (over: JsonObject): JsonObject => signDocument({ ...unsigned, ...over }, owner.key);
  refusedWith(() => parseRevocation({ ...doc, from: '2030-01-01T00:00:00Z' }), 'bad-signature');
  refusedWith(() => parseRevocation(resign({ subject: member.did, root: owner.did })), 'malformed', /not both/);
  refusedWith(() => parseRevocation(resign({ certificate: undefined as unknown as string })), 'malformed');
  refusedWith(() => parseRevocation(resign({ from: 'yesterday' })), 'malformed', /from/);
  refusedWith(() => parseRevocation(resign({ certificate: 'ABC' })), 'malformed');
  refusedWith(() => parseRevocation(copy(memberCert)), 'malformed');
  refusedWith(() => parseRevocation(signDocument(unsigned, stranger.key)), 'wrong-key');
  refusedWith(() => parseRevocation(JSON.stringify({ ...doc, pad: 'x'.repeat(9000) })), 'too-large');
  refusedWith(() => issueRevocation(owner.key, { certificate: 'nope' } as never), 'malformed');
});
