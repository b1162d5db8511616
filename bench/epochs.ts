/**
 * npm run bench -- epochs [--followers 100,1000,10000] [--posts N] [--json]
 *
 * Follower keys (issue 14), on real stores in this process:
 * - rotating an epoch for 100, 1,000 and 10,000 approved followers: the time
 *   to seal the new key to each (HPKE to the X25519 key their did:key gives),
 *   sign each key object and store it in the author's scope, and the bytes of
 *   those objects (what every holder of the scope replicates);
 * - HPKE seals per second (one 32-byte key each, as a rotation does) beside
 *   raw X25519 agreements per second, both measured in this run: a seal is an
 *   ephemeral key pair plus one agreement (and a key schedule, an AEAD), so
 *   about half the agreement rate is its bound;
 * - followers-only posts opened per second by a follower (decrypt the read
 *   capability, decode the ERIS blocks, check the author's proof) beside
 *   public posts read per second from the same store (a timeline page, parsed)
 *   and public posts read with their proof checked again (the same check an
 *   opening makes), in this run.
 */
import '../src/cli/polyfills.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey, diffieHellman, generateKeyPairSync, randomBytes } from 'node:crypto';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey, publicKeyFromDid, x25519PublicFromEd25519 } from '../src/core/didkey.js';
import { apId } from '../src/core/apid.js';
import { buildEpochKeyObject } from '../src/core/follower-keys.js';
import type { Did, Digest } from '../src/core/types.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { argValue, listArg, progressLine } from './bounds.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const FOLLOWERS = listArg(args, '--followers', [100, 1000, 10_000]);
const POSTS = argValue(args, '--posts', 200);
/** Seals and agreements timed for the rates: enough for a steady figure in well under a second each. */
const RATE_SAMPLES = argValue(args, '--samples', 2000);
const progress = progressLine(json);
const say = (line: string): void => {
  if (!json) {
    progress('');
    console.log(line);
  }
};

const dirs: string[] = [];
function home(): string {
  const d = mkdtempSync(join(tmpdir(), 'kith-bench-epochs-'));
  dirs.push(d);
  return d;
}

function people(n: number): Did[] {
  return Array.from({ length: n }, () => didFromPublicKey(generateKeyPair().publicKey));
}

const rate = (n: number, ms: number): number => Math.round((n / ms) * 1000);

async function rotations(): Promise<{ followers: number; ms: number; bytes: number; perFollowerMs: number }[]> {
  const rows = [];
  for (const n of FOLLOWERS) {
    const author = new KithService(KithNode.init(home()).node);
    try {
      const followers = people(n);
      author.node.store.transaction(() => {
        for (const [i, did] of followers.entries()) author.node.store.followers.put(did, apId(did, `/objects/follow-${i}`), 'accepted');
      });
      progress(`rotating an epoch for ${n} followers…`);
      const t0 = performance.now();
      const r = await author.keys.epochs.startEpoch(followers);
      const ms = performance.now() - t0;
      rows.push({ followers: n, ms: Math.round(ms), bytes: r.bytes, perFollowerMs: ms / n });
    } finally {
      author.close();
    }
  }
  return rows;
}

async function sealRates(): Promise<{ hpkeSealsPerSecond: number; x25519AgreementsPerSecond: number }> {
  const recipient = x25519PublicFromEd25519(publicKeyFromDid(people(1)[0]!));
  const author = people(1)[0]!;
  const key = new Uint8Array(randomBytes(32));
  progress('HPKE seals…');
  let t0 = performance.now();
  for (let i = 0; i < RATE_SAMPLES; i++) {
    await buildEpochKeyObject({ author, recipient: author, epoch: 1, expires: '2030-01-01T00:00:00.000Z', keyId: author }, key, recipient);
  }
  const seals = rate(RATE_SAMPLES, performance.now() - t0);
  progress('X25519 agreements…');
  // Node's own X25519 (OpenSSL), as WebCrypto under @hpke/core uses it: the same machinery, without HPKE around it.
  const { privateKey } = generateKeyPairSync('x25519');
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(recipient).toString('base64url') }, format: 'jwk' });
  t0 = performance.now();
  for (let i = 0; i < RATE_SAMPLES; i++) diffieHellman({ privateKey, publicKey });
  return { hpkeSealsPerSecond: seals, x25519AgreementsPerSecond: rate(RATE_SAMPLES, performance.now() - t0) };
}

async function openRates(): Promise<{ posts: number; followersOnlyPerSecond: number; publicPerSecond: number; publicCheckedPerSecond: number }> {
  const a = new KithService(KithNode.init(home()).node);
  const b = new KithService(KithNode.init(home()).node);
  try {
    a.node.store.followers.put(b.node.did, apId(b.node.did, '/objects/follow'), 'accepted');
    await a.keys.run(() => a.keys.epochs.reconcile());
    for (let i = 0; i < POSTS; i++) {
      progress(`posting ${i + 1}/${POSTS} of each kind…`);
      await a.publishing.post({ text: `followers-only post ${i} ${'words '.repeat(40)}`, visibility: 'followers' });
      await a.publishing.post({ text: `public post ${i} ${'words '.repeat(40)}` });
    }
    // What a sync brings: every object of A's scope and every block A holds.
    b.node.follow(a.node.did);
    const bodies = [...a.node.store.objects.byOwner(a.node.did)].map((o) => o.body);
    await b.node.ingestMany(bodies);
    const blocks = a.node.store.db.prepare('SELECT ref, data FROM blocks').all() as { ref: Buffer; data: Buffer }[];
    b.node.store.transaction(() => {
      for (const blk of blocks) b.node.store.blocks.put(new Uint8Array(blk.ref), new Uint8Array(blk.data));
    });
    await b.keys.settled();
    await b.keys.run(() => b.keys.epochs.receiveStored(() => undefined));

    progress('opening followers-only posts…');
    let t0 = performance.now();
    const opened = await b.keys.epochs.readable(POSTS, (reason) => {
      throw new Error(reason);
    });
    const fo = rate(opened.length, performance.now() - t0);
    if (opened.length !== POSTS) throw new Error(`opened ${opened.length} of ${POSTS} followers-only posts`);

    progress('reading public posts…');
    t0 = performance.now();
    const page = b.node.store.objects.timelinePage(`ap://${a.node.did}/outbox`, { limit: POSTS * 3 }).filter((o) => o.type === 'Create');
    for (const o of page) JSON.parse(o.body);
    const pub = rate(page.length, performance.now() - t0);
    t0 = performance.now();
    for (const o of page) b.node.check(o.body);
    const checked = rate(page.length, performance.now() - t0);
    void (page[0]?.digest as Digest | undefined);
    return { posts: POSTS, followersOnlyPerSecond: fo, publicPerSecond: pub, publicCheckedPerSecond: checked };
  } finally {
    a.close();
    b.close();
  }
}

try {
  const rot = await rotations();
  const seal = await sealRates();
  const open = await openRates();
  if (json) {
    console.log(JSON.stringify({ rotations: rot, ...seal, opening: open }));
  } else {
    say('Rotating an epoch (seal + sign + store one key object per follower):');
    for (const r of rot) {
      const perSecond = rate(r.followers, r.ms);
      say(
        `  ${String(r.followers).padStart(6)} followers: ${String(r.ms).padStart(6)} ms, ${String(r.bytes).padStart(9)} bytes (${Math.round(r.bytes / r.followers)} per follower), ${perSecond} followers/s`,
      );
    }
    say(
      `HPKE seals: ${seal.hpkeSealsPerSecond}/s beside raw X25519 agreements: ${seal.x25519AgreementsPerSecond}/s (bound for a seal ≈ half: ${Math.round(seal.x25519AgreementsPerSecond / 2)}/s)`,
    );
    say(
      `Opening ${open.posts} followers-only posts: ${open.followersOnlyPerSecond}/s beside public posts read: ${open.publicPerSecond}/s, and read with their proof checked again: ${open.publicCheckedPerSecond}/s`,
    );
  }
} finally {
  progress('');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
