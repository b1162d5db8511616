/**
 * npm run bench -- forums [--posts N] [--members M] [--revocations R] [--json]
 *
 * Forum posts taken in per second through the real ingest path (proof,
 * shape, the chain from the forum's root to the member checked at arrival,
 * the forum's ban records), each member certified through a 3-link chain
 * (root → co-owner → moderator → member) with R revocations (default
 * 10,000) on record under the same root; beside, in the same run, plain
 * posts (each signed by its own author, no chain) and raw Ed25519 verifies
 * on one thread, the bound both approach.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { generateKeyPair, type Ed25519KeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { actorId } from '../src/core/apid.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { issueCertificate, type Certificate } from '../src/core/certificate.js';
import { issueRevocation } from '../src/core/revocation.js';
import { buildForumPost, FORUM_POST, MODERATOR_CAPABILITIES, FORUM_OWN } from '../src/core/forum.js';
import { KithError } from '../src/core/errors.js';
import { Store } from '../src/store/store.js';
import { Ingestor } from '../src/store/ingest.js';
import type { JsonObject } from '../src/core/types.js';
import { samples, rawVerifyRate, progressLine, argValue } from './bounds.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const POSTS = argValue(args, '--posts', 10_000);
const MEMBERS = argValue(args, '--members', 100);
const REVOCATIONS = argValue(args, '--revocations', 10_000);
const BATCH = 1000;
const DAY = 24 * 3600_000;
const progress = progressLine(json);

const rate = (n: number, ms: number): number => Math.round((n / ms) * 1000);
const dirs: string[] = [];
function freshStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'kith-bench-forums-'));
  dirs.push(dir);
  return Store.open(join(dir, 'kith.db'));
}

/** Ingests in batches as a sync does; every one must be stored. Returns the time taken. */
function ingestAll(ingest: Ingestor, inputs: readonly string[], what: string): number {
  const t0 = performance.now();
  for (let i = 0; i < inputs.length; i += BATCH) {
    for (const r of ingest.ingestMany(inputs.slice(i, i + BATCH))) {
      if (r instanceof KithError) throw new Error(`a ${what} was refused: ${r.code}: ${r.message}`);
    }
    progress(`${what}: ${Math.min(i + BATCH, inputs.length)}/${inputs.length}`);
  }
  return performance.now() - t0;
}

// The forum's authority: a 3-link chain to every member, and revocations on record under the root.
const root = generateKeyPair();
const forum = didFromPublicKey(root.publicKey);
const resource = actorId(forum);
const now = Date.now();
// Posts are dated over the last POSTS × 10 ms; every link holds from before the first.
const start = now - POSTS * 10;
const notBefore = start - 60_000;
const coOwner = generateKeyPair();
const moderator = generateKeyPair();
const did = (k: Ed25519KeyPair) => didFromPublicKey(k.publicKey);
const link0 = issueCertificate(root, {
  subject: did(coOwner),
  capability: [...MODERATOR_CAPABILITIES, FORUM_OWN],
  resource,
  notBefore,
  expires: now + 30 * DAY,
});
const link1 = issueCertificate(coOwner, {
  subject: did(moderator),
  capability: [...MODERATOR_CAPABILITIES],
  resource,
  notBefore,
  expires: now + 20 * DAY,
  parent: link0,
});
const members = Array.from({ length: MEMBERS }, () => generateKeyPair());
const memberCerts: Certificate[] = members.map((m) =>
  issueCertificate(moderator, { subject: did(m), capability: [FORUM_POST], resource, notBefore, expires: now + 7 * DAY, parent: link1 }),
);
const authority: string[] = [link0, link1, ...memberCerts].map((c) => JSON.stringify(c.doc));
for (let i = 0; i < REVOCATIONS; i++) {
  // Bans of other keys, each by subject under the root: what a long-lived forum piles up.
  authority.push(JSON.stringify(issueRevocation(root, { subject: did(generateKeyPair()), root: forum }).doc));
  if (i % 1000 === 0) progress(`signing revocations: ${i}/${REVOCATIONS}`);
}

const forumPosts: string[] = [];
for (let i = 0; i < POSTS; i++) {
  const key = members[i % MEMBERS]!;
  const text = `Forum post ${i}: ${randomBytes(18).toString('base64')} — a few words, as a thread reply has.`;
  forumPosts.push(JSON.stringify(signDocument(buildForumPost(forum, text, undefined, start + i * 10), key)));
  if (i % 1000 === 0) progress(`signing forum posts: ${i}/${POSTS}`);
}
const authors = Array.from({ length: MEMBERS }, () => generateKeyPair());
const plainPosts: string[] = [];
for (let i = 0; i < POSTS; i++) {
  const key = authors[i % MEMBERS]!;
  const d = did(key);
  const t = start + i * 10;
  const text = `Plain post ${i}: ${randomBytes(18).toString('base64')} — a few words, as a thread reply has.`;
  plainPosts.push(JSON.stringify(signDocument(buildCreate(d, buildNote(d, { text }, t), t) as JsonObject, key)));
  if (i % 1000 === 0) progress(`signing plain posts: ${i}/${POSTS}`);
}

// Measured in the same run, one after another on this thread.
progress('measuring raw Ed25519 verify');
const raw = rawVerifyRate(samples(POSTS, MEMBERS));

const forumStore = freshStore();
const forumIngest = new Ingestor(forumStore);
ingestAll(forumIngest, authority, 'authority');
const forumMs = ingestAll(forumIngest, forumPosts, 'forum posts');

const plainStore = freshStore();
const plainMs = ingestAll(new Ingestor(plainStore), plainPosts, 'plain posts');
forumStore.close();
plainStore.close();
for (const d of dirs) rmSync(d, { recursive: true, force: true });
progress('');

const forumRate = rate(POSTS, forumMs);
const plainRate = rate(POSTS, plainMs);
const result = {
  posts: POSTS,
  members: MEMBERS,
  chainLinks: 3,
  revocationsOnRecord: REVOCATIONS,
  forumPostsPerSecond: forumRate,
  plainPostsPerSecond: plainRate,
  rawVerifiesPerSecond: Math.round(raw),
  forumToPlain: +(forumRate / plainRate).toFixed(2),
  forumToRaw: +(forumRate / raw).toFixed(2),
};
if (json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`forum posts ingested, ${POSTS} posts by ${MEMBERS} members, 3-link chains, ${REVOCATIONS} revocations on record:`);
  console.log(`  forum posts   ${forumRate.toLocaleString('en')} /s   (${result.forumToPlain}× plain posts, ${result.forumToRaw}× raw verifies)`);
  console.log(`  plain posts   ${plainRate.toLocaleString('en')} /s   (same run, same ingest path, no chain)`);
  console.log(`  raw Ed25519   ${Math.round(raw).toLocaleString('en')} verifies/s on one thread (same run: the bound)`);
}
