import '../src/cli/polyfills.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { actorId } from '../src/core/apid.js';
import { buildEpochKeyObject, publishedAgreementKey, EPOCH_KEY_TYPE } from '../src/core/follower-keys.js';
import { EPOCH_LIFETIME_MS, KEY_AGREEMENT_GRACE_MS, KEY_AGREEMENT_ROTATION_MS } from '../src/core/constants.js';
import type { Did, JsonObject } from '../src/core/types.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { InboxIntake } from '../src/node/inbox-intake.js';
import { carriedFor } from '../src/node/inbox-carried.js';
import { attachBytes, readContent } from '../src/node/media.js';
import { deliveryBytes, sealDelivery } from '../src/core/inbox-seal.js';
import type { Digest } from '../src/core/types.js';
import type { StoredObject } from '../src/store/objects.js';
import { Views } from '../src/api/owner-views.js';
import { rejectsWith, tempDir, waitFor } from './helpers.js';

/**
 * Follower keys on real stores with no network: deliveries and scope
 * replication are handed over by hand, as the inbox protocol and sync would
 * (a sync takes every object of the scope and the blocks its holder has).
 */

// Every node's clock starts one epoch in the past, so that moving it to now passes an epoch's expiry
// (objects from the future would be refused by ingest).
let clock = Date.now() - EPOCH_LIFETIME_MS - 60_000;
const now = (): number => clock;

function person(): KithService {
  return new KithService(KithNode.init(tempDir('kith-fk-')).node, { now });
}

/** Hands every delivery queued from `from` to `to` over to `to`'s intake, as the network would. */
function deliver(from: KithService, to: KithService): void {
  const rows = from.node.store.outgoing.list().filter((r) => r.recipient === to.node.did);
  const intake = new InboxIntake(to.node);
  for (const r of rows) intake.receive(r.body, { carried: carriedFor(from.node, r.digest as Digest) });
  from.node.store.db.prepare('DELETE FROM outgoing_deliveries WHERE recipient = ?').run(to.node.did);
}

/** What a sync of `from`'s scope leaves on `to`: every object `from`'s owner signed, and every block `from` holds. */
async function replicate(from: KithService, to: KithService): Promise<void> {
  const bodies = [...from.node.store.objects.byOwner(from.node.did)].map((o) => o.body);
  for (const b of bodies) {
    const r = to.node.ingestor.ingestMany([b]);
    if (r[0] instanceof Error && r[0].code !== 'conflict') throw r[0];
  }
  const blocks = from.node.store.db.prepare('SELECT ref, data FROM blocks').all() as { ref: Buffer; data: Buffer }[];
  to.node.store.transaction(() => {
    for (const b of blocks) to.node.store.blocks.put(new Uint8Array(b.ref), new Uint8Array(b.data));
  });
  await to.keys.settled();
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((p) => statSync(p).isFile());
}

function textOf(activity: JsonObject): string {
  return ((activity.object as JsonObject).source as JsonObject).content as string;
}

test('followers-only posts: followers read them, a host and a removed follower cannot, epochs rotate and expire', async () => {
  const [a, b, c, r] = [person(), person(), person(), person()];
  const refusals: string[] = [];
  const log = (reason: string): void => void refusals.push(reason);
  try {
    // Every identity publishes a key-agreement key, certified by its actor document's proof.
    const bActor = b.node.actor();
    const bKey = publishedAgreementKey(bActor);
    assert.ok(bKey, 'B publishes an X25519 key-agreement key');
    for (const f of filesUnder(join(b.node.home.root, 'agreement'))) assert.equal(statSync(f).mode & 0o777, 0o600);

    // B and C follow A (unlocked: accepted at once); A knows B's actor (and key), C's only by its did:key.
    await replicate(b, a);
    await b.people.follow(a.node.did);
    await c.people.follow(a.node.did);
    deliver(b, a);
    deliver(c, a);
    await waitFor('A accepted B and C', () => a.node.store.followers.list('accepted').length === 2);
    await a.keys.settled();
    r.node.follow(a.node.did); // R keeps A's scope, but is no follower.

    const epoch1 = a.keys.epochs.current()!;
    assert.deepEqual([...a.keys.epochs.members(epoch1.epoch)].sort(), [b.node.did, c.node.did].sort());

    const secret = 'FOLLOWERS-ONLY: the garden party moved to Sunday';
    const image = Buffer.from('IMAGE-BYTES-MARKER '.repeat(300));
    const attachment = await attachBytes(a.node.store, image, 'image/png', 'garden.png');
    const first = await a.publishing.post({ text: secret, attachment: [attachment], visibility: 'followers' });
    for (const x of [b, c, r]) await replicate(a, x);

    // B (sealed to its published key) and C (to its did:key) read both the text and the image.
    for (const [x, name] of [
      [b, 'B'],
      [c, 'C'],
    ] as const) {
      const posts = await x.keys.epochs.readable(10, log);
      assert.equal(posts.length, 1, `${name} reads the post`);
      assert.equal(textOf(posts[0]!.activity), secret);
      const url = ((posts[0]!.activity.object as JsonObject).attachment as JsonObject[])[0]!.url as string;
      const chunks: Uint8Array[] = [];
      for await (const chunk of readContent(x.node.store, url)) chunks.push(chunk);
      assert.deepEqual(Buffer.concat(chunks), image, `${name} reads the image`);
    }
    const bHeld = join(b.node.home.root, 'epochs', 'held');
    for (const f of filesUnder(bHeld)) assert.equal(statSync(f).mode & 0o777, 0o600, 'a held epoch key is private to its owner');

    // R holds the envelope, the key objects and every block, and shows nothing; its files hold ciphertext only.
    assert.ok(r.node.show(first.id), 'R keeps the envelope');
    assert.deepEqual(await r.keys.epochs.readable(10, log), []);
    assert.deepEqual(
      r.node.feed({ limit: 50 }).map((i) => i.type),
      [],
      'R lists nothing of it: no envelope, no key object, no placeholder',
    );
    r.node.store.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const f of filesUnder(r.node.home.root)) {
      const bytes = readFileSync(f);
      assert.equal(bytes.indexOf('garden party'), -1, `plaintext in ${f}`);
      assert.equal(bytes.indexOf('IMAGE-BYTES-MARKER'), -1, `image bytes in ${f}`);
    }

    // A removes C: a new epoch for B only. B is offline across it.
    await a.follows.remove(c.node.did);
    await a.keys.settled();
    const epoch2 = a.keys.epochs.current()!;
    assert.equal(epoch2.epoch, epoch1.epoch + 1);
    assert.deepEqual([...a.keys.epochs.members(epoch2.epoch)], [b.node.did]);
    const later = 'FOLLOWERS-ONLY: second note after the removal';
    const second = await a.publishing.post({ text: later, visibility: 'followers' });
    assert.equal(second.digest !== first.digest, true);
    await replicate(a, c);
    await replicate(a, r);
    // C holds every block and every key object, and still reads only what it could before.
    assert.deepEqual(
      (await c.keys.epochs.readable(10, log)).map((p) => textOf(p.activity)),
      [secret],
    );
    await rejectsWith(c.keys.epochs.receive(keyObjectFor(a, b.node.did, epoch2.epoch)), 'not-addressed');

    // B comes back and catches up: it reads the new post.
    await replicate(a, b);
    assert.deepEqual(
      (await b.keys.epochs.readable(10, log)).map((p) => textOf(p.activity)),
      [later, secret],
    );

    // An epoch past its expiry is refused for new posts; the node renews it (for B only) first when posting.
    clock = Date.now();
    await rejectsWith(a.keys.epochs.post({ text: 'too late' }), 'expired');
    const renewed = await a.publishing.post({ text: 'after renewal', visibility: 'followers' });
    assert.equal(a.keys.epochs.current()!.epoch, epoch2.epoch + 1);
    assert.deepEqual([...a.keys.epochs.members(epoch2.epoch + 1)], [b.node.did]);
    await replicate(a, b);
    assert.equal(textOf((await b.keys.epochs.readable(1, log))[0]!.activity), 'after renewal');
    assert.ok(renewed.noteId);
  } finally {
    for (const x of [a, b, c, r]) x.close();
  }
});

/** The key object A stored for `recipient` of `epoch`. */
function keyObjectFor(a: KithService, recipient: Did, epoch: number): JsonObject {
  const row = a.node.store.db
    .prepare("SELECT body FROM objects WHERE type = ? AND json_extract(body, '$.to[0]') = ? AND json_extract(body, '$.epoch') = ?")
    .get(EPOCH_KEY_TYPE, actorId(recipient), epoch) as { body: string };
  return JSON.parse(row.body) as JsonObject;
}

test('bad key objects are refused with their codes and change nothing held', async () => {
  const [a, b, c] = [person(), person(), person()];
  try {
    await b.people.follow(a.node.did);
    await c.people.follow(a.node.did);
    deliver(b, a);
    deliver(c, a);
    await waitFor('A accepted B and C', () => a.node.store.followers.list('accepted').length === 2);
    await a.keys.settled();
    await replicate(a, b);
    const epoch = a.keys.epochs.current()!.epoch;
    assert.ok(b.keys.epochs.held(a.node.did, epoch), 'B opened its key');
    const held = join(b.node.home.root, 'epochs', 'held');
    const before = filesUnder(held).map((f) => [f, readFileSync(f, 'utf8')]);
    const objects = b.node.store.objects.count();

    // A key object for someone else.
    await rejectsWith(b.keys.epochs.receive(keyObjectFor(a, c.node.did, epoch)), 'not-addressed');
    // A replayed old epoch: the same epoch again, under another id, with another key.
    const key = b.keys.agreement.recipientKey(b.node.did);
    const replay = a.node.sign(
      await buildEpochKeyObject(
        { author: a.node.did, recipient: b.node.did, epoch, expires: new Date(clock + EPOCH_LIFETIME_MS).toISOString(), keyId: key.keyId },
        new Uint8Array(32).fill(7),
        key.publicKey,
      ),
    );
    await rejectsWith(b.keys.epochs.receive(replay), 'conflict', /already held/);
    // A sealed box with a wrong tag (its author signed it so; no host could have altered it unnoticed).
    const unsigned = await buildEpochKeyObject(
      { author: a.node.did, recipient: b.node.did, epoch: epoch + 5, expires: new Date(clock + EPOCH_LIFETIME_MS).toISOString(), keyId: key.keyId },
      new Uint8Array(32).fill(9),
      key.publicKey,
    );
    const ct = Buffer.from(unsigned.ct as string, 'base64');
    ct[ct.length - 1]! ^= 1;
    await rejectsWith(b.keys.epochs.receive(a.node.sign({ ...unsigned, ct: ct.toString('base64') })), 'bad-signature', /tag/);

    assert.deepEqual(
      filesUnder(held).map((f) => [f, readFileSync(f, 'utf8')]),
      before,
      'no held key changed',
    );
    assert.equal(b.node.store.objects.count(), objects, 'nothing stored changed');
  } finally {
    for (const x of [a, b, c]) x.close();
  }
});

test('key-agreement keys rotate on schedule, and a replaced private half is erased after its grace', () => {
  const saved = clock;
  const a = person();
  try {
    const dir = join(a.node.home.root, 'agreement');
    const first = publishedAgreementKey(a.node.actor())!;
    assert.ok(a.keys.agreement.secretFor(first.id));
    // The first key was made with the identity, at the real time.
    clock = Date.now() + KEY_AGREEMENT_ROTATION_MS;
    assert.equal(a.keys.agreement.rotateIfDue(), true, 'a new key is published');
    const second = publishedAgreementKey(a.node.actor())!;
    assert.notEqual(second.id, first.id);
    assert.equal(readdirSync(dir).length, 2);
    assert.ok(a.keys.agreement.secretFor(first.id), 'the old key still opens during its grace');
    clock += KEY_AGREEMENT_GRACE_MS;
    a.keys.agreement.rotateIfDue();
    assert.equal(a.keys.agreement.secretFor(first.id), undefined, 'the old private half is erased');
    assert.ok(a.keys.agreement.secretFor(a.node.did), 'what was sealed to the did:key still opens');
    for (const f of filesUnder(dir)) assert.equal(statSync(f).mode & 0o777, 0o600);
  } finally {
    clock = saved;
    a.close();
  }
});

test('an inbox delivery is sealed to the published key when the sender holds the actor, and still opens', async () => {
  const [a, b] = [person(), person()];
  try {
    await replicate(b, a); // A holds B's actor, with its published key.
    const note = a.node.post({ text: `hello @${b.node.did}`, mentioned: [b.node.did] });
    const body = a.node.store.objects.byDigest(note.digest)!.body;
    const to = a.keys.agreement.recipientKey(b.node.did);
    assert.equal(to.keyId, publishedAgreementKey(b.node.actor())!.id);
    const envelope = await sealDelivery(
      deliveryBytes(body, []),
      { recipient: b.node.did, sender: a.node.did, created: Date.now() },
      (m) => a.node.signBytes(m),
      to,
    );
    assert.equal(envelope.key, to.keyId);
    const r = await new InboxIntake(b.node).openHeld(envelope as unknown as JsonObject);
    assert.equal(r.digest, note.digest);
    // A holder cannot point it at another key: the key's id is signed.
    await rejectsWith(new InboxIntake(b.node).openHeld({ ...envelope, key: b.node.did } as unknown as JsonObject), 'bad-signature');
  } finally {
    a.close();
    b.close();
  }
});

test('blocking a follower, and a follower’s unfollow, each start an epoch without them', async () => {
  const [a, b, c, d] = [person(), person(), person(), person()];
  try {
    for (const x of [b, c, d]) {
      await x.people.follow(a.node.did);
      deliver(x, a);
    }
    await waitFor('A accepted B, C and D', () => a.node.store.followers.list('accepted').length === 3);
    await a.keys.settled();
    const first = a.keys.epochs.current()!.epoch;
    assert.equal(a.keys.epochs.members(first).size, 3);

    // A block stores nothing in the scope; the next followers-only post brings the epoch in line first.
    a.people.block(c.node.did);
    const posted = await a.publishing.post({ text: 'after the block', visibility: 'followers' });
    assert.equal(posted.epoch, first + 1);
    assert.deepEqual([...a.keys.epochs.members(first + 1)].sort(), [b.node.did, d.node.did].sort());

    // D unfollows: its Undo reaches A, and A starts an epoch for B alone.
    await d.people.unfollow(a.node.did);
    deliver(d, a);
    await a.keys.settled();
    assert.equal(a.keys.epochs.current()!.epoch, first + 2);
    assert.deepEqual([...a.keys.epochs.members(first + 2)], [b.node.did]);
  } finally {
    for (const x of [a, b, c, d]) x.close();
  }
});

/** The texts of a list of posts as the owner's views show them, with whether each is marked followers-only. */
function shown(x: KithService, items: readonly StoredObject[]): string[] {
  const v = new Views(x.node);
  return items.flatMap((o) => {
    const p = v.post(o);
    return p === undefined ? [] : [`${p.followersOnly ? '[followers] ' : ''}${p.text}`];
  });
}

test('opened followers-only posts show in the timeline, profile, threads, notifications and search, and nothing of them elsewhere', async () => {
  const [a, b, c, r, d] = [person(), person(), person(), person(), person()];
  try {
    // B and C follow A; A follows B (so A reads B's followers-only reply); R keeps A's scope, as a host does.
    for (const x of [b, c]) {
      await x.people.follow(a.node.did);
      deliver(x, a);
    }
    await a.people.follow(b.node.did);
    deliver(a, b);
    await waitFor(
      'A accepted B and C, B accepted A',
      () => a.node.store.followers.list('accepted').length === 2 && b.node.store.followers.list('accepted').length === 1,
    );
    await Promise.all([a.keys.settled(), b.keys.settled()]);
    r.node.follow(a.node.did);

    const first = 'FOLLOWERS-ONLY: the #garden party is on Sunday';
    const posted = await a.publishing.post({ text: first, visibility: 'followers' });
    const note = posted.noteId!;
    assert.deepEqual(shown(a, a.reading.timeline({ limit: 20 })), [`[followers] ${first}`], 'the author reads their own at once');
    for (const x of [b, c, r]) await replicate(a, x);
    for (const [x, name] of [
      [b, 'B'],
      [c, 'C'],
    ] as const) {
      await waitFor(`${name} to open the post`, () => x.node.store.opened.count() === 1);
      assert.deepEqual(shown(x, x.reading.timeline({ limit: 20 })), [`[followers] ${first}`], `${name}'s timeline`);
      assert.deepEqual(shown(x, x.reading.person(a.node.did, { limit: 20 }).items), [`[followers] ${first}`], `${name}'s view of A's posts`);
      assert.deepEqual(shown(x, x.search.search('#garden').posts), [`[followers] ${first}`], `${name}'s search`);
      assert.deepEqual(shown(x, [x.reading.thread(note).post]), [`[followers] ${first}`], `${name}'s thread`);
    }

    // B answers A for B's own followers (A among them), naming A: A is told of it, decrypted, and its thread shows it.
    const answer = `FOLLOWERS-ONLY: count me in @${a.node.did}`;
    const reply = await b.publishing.post({ text: answer, inReplyTo: note, visibility: 'followers' });
    await replicate(b, a);
    await waitFor('A to open the reply', () => a.node.store.opened.count() === 2);
    const told = a.reading.notifications({ limit: 20 }).items.filter((n) => n.kind !== 'follow');
    assert.deepEqual(
      told.map((n) => [n.kind, n.by.did]),
      [['reply', b.node.did]],
    );
    assert.deepEqual(
      shown(
        a,
        told.map((n) => n.object),
      ),
      [`[followers] ${answer}`],
    );
    const thread = a.reading.thread(note);
    assert.deepEqual(shown(a, thread.replies), [`[followers] ${answer}`]);
    assert.deepEqual(shown(a, a.reading.thread(reply.noteId!).ancestors), [`[followers] ${first}`], 'the reply’s thread shows what it answers');
    assert.equal(new Views(a.node).post(thread.post)!.replies, 1, 'the reply is counted');
    assert.deepEqual(shown(a, a.search.search('count me in').posts), [`[followers] ${answer}`]);
    await rejectsWith(b.interactions.edit(reply.noteId!, 'changed'), 'conflict', /followers-only/);

    // R holds the envelope, keys and blocks of the post, and shows nothing of it anywhere.
    await r.keys.reading.pass();
    assert.equal(r.node.store.opened.count(), 0);
    assert.deepEqual(r.reading.timeline({ limit: 20 }), [], 'no envelope, no placeholder in R’s timeline');
    assert.deepEqual(r.reading.person(a.node.did, { limit: 20 }).items, []);
    assert.deepEqual(r.search.search('garden').posts, []);
    assert.deepEqual(r.reading.notifications({ limit: 20 }).items, []);
    assert.throws(() => r.reading.thread(note), /does not hold/);

    // D's key arrives after the envelope: it shows nothing, then the post once the key is in.
    await d.people.follow(a.node.did);
    deliver(d, a);
    await waitFor('A accepted D', () => a.node.store.followers.get(d.node.did)?.state === 'accepted');
    await a.keys.settled();
    const bodies = [...a.node.store.objects.byOwner(a.node.did)];
    const [keys, rest] = [bodies.filter((o) => o.type === EPOCH_KEY_TYPE), bodies.filter((o) => o.type !== EPOCH_KEY_TYPE)];
    d.node.ingestor.ingestMany(rest.map((o) => o.body));
    await replicate(a, d); // the blocks, and the key objects last of all
    await waitFor('D to open the post under its late key', () => d.node.store.opened.count() === 1);
    assert.ok(keys.length > 0);
    assert.deepEqual(shown(d, d.reading.timeline({ limit: 20 })), [`[followers] ${first}`]);

    // A removes C: C keeps what it opened and opens nothing posted after.
    await a.follows.remove(c.node.did);
    await a.keys.settled();
    const second = 'FOLLOWERS-ONLY: the second note, after C left';
    await a.publishing.post({ text: second, visibility: 'followers' });
    for (const x of [b, c]) await replicate(a, x);
    await waitFor('B to open the second post', () => b.node.store.opened.count() === 3); // with B's own reply
    await c.keys.reading.pass();
    // The removal ended C's follow (A's scope leaves C's timeline), but what C opened stays where it looks for A.
    assert.deepEqual(shown(c, c.reading.person(a.node.did, { limit: 20 }).items), [`[followers] ${first}`], 'C keeps the old post only');
    assert.deepEqual(shown(c, c.search.search('#garden').posts), [`[followers] ${first}`]);
    assert.deepEqual(c.search.search('second note').posts, []);
    assert.equal(c.node.store.opened.count(), 1);
    assert.deepEqual(shown(b, b.reading.timeline({ limit: 20 })), [`[followers] ${second}`, `[followers] ${answer}`, `[followers] ${first}`]);

    // A deletes the first post: it goes from B's views and search with its envelope.
    // Its Delete names the envelope (no post id travels): the post is then held nowhere, as if never had.
    await a.interactions.delete(note);
    assert.throws(() => a.reading.thread(note), /does not hold/);
    await replicate(a, b);
    assert.deepEqual(shown(b, b.reading.timeline({ limit: 20 })), [`[followers] ${second}`, `[followers] ${answer}`]);
    assert.deepEqual(b.search.search('#garden').posts, []);
    assert.throws(() => b.reading.thread(note), /does not hold/);
    assert.deepEqual(shown(a, a.reading.timeline({ limit: 20 })), [`[followers] ${second}`, `[followers] ${answer}`]);
  } finally {
    for (const x of [a, b, c, r, d]) x.close();
  }
});
