import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actorId, apIdKey, outboxId } from '../src/core/apid.js';
import { isJsonObject, type Digest, type JsonObject } from '../src/core/types.js';
import { MAX_ALT_TEXT_CHARS, MAX_CONTENT_WARNING_CHARS, MAX_PETNAME_CHARS } from '../src/core/constants.js';
import { parseBody } from '../src/store/objects.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { profileView } from '../src/node/profile.js';
import { Views } from '../src/api/owner-views.js';
import { refusedWith, rejectsWith, tempDir } from './helpers.js';

/**
 * What posts carry (content warnings, alt text, hashtags and mentions, a
 * header image), petnames, and search, on real stores with no network:
 * Alice posts; Bob's node takes her signed posts in as a follower's would.
 */

const PNG_1PX = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

function person(name: string): KithService {
  const { node } = KithNode.init(tempDir('kith-content-'), { profile: { name } });
  return new KithService(node);
}

/** What a change must not touch when it is refused: every object and every petname. */
function snapshot(s: KithService): string {
  const db = s.node.store.db;
  return JSON.stringify([db.prepare('SELECT COUNT(*) FROM objects').pluck().get(), db.prepare('SELECT * FROM petnames ORDER BY did').all()]);
}

function noteOf(s: KithService, digest: Digest): JsonObject {
  const note = parseBody(s.node.store.objects.byDigest(digest)!).object;
  assert.ok(isJsonObject(note));
  return note;
}

test('posts carry warnings, alt text, hashtags and mentions; petnames name people; search finds posts and people', async () => {
  const alice = person('Alice Liddell');
  const bob = person('Robert Jones');
  const carol = person('Carol Danvers');
  try {
    // Each knows the others' actor documents, as after following.
    for (const [a, b] of [
      [alice, bob],
      [alice, carol],
      [bob, alice],
      [bob, carol],
    ] as const) {
      a.node.ingest(b.node.actor());
    }

    // ---- Petnames: rules, uniqueness, nothing changed by a refusal ----
    const before = snapshot(alice);
    refusedWith(() => alice.petnames.set(bob.node.did, 'Bob\u0007'), 'malformed', /control or invisible/);
    refusedWith(() => alice.petnames.set(bob.node.did, 'Bo\u202eb'), 'malformed', /invisible/, 'a bidi override could make one name read as another');
    refusedWith(() => alice.petnames.set(bob.node.did, 'x'.repeat(MAX_PETNAME_CHARS + 1)), 'malformed', /at most 64/);
    refusedWith(() => alice.petnames.set(bob.node.did, '   '), 'malformed');
    refusedWith(() => alice.petnames.set(bob.node.did, '@bob'), 'malformed', /mention/);
    refusedWith(() => alice.petnames.set(bob.node.did, `did:key:${carol.node.did.slice(8)}`), 'malformed', /look like a DID/);
    refusedWith(() => alice.petnames.set('did:key:zNotAKey', 'Bob'), 'bad-encoding');
    refusedWith(() => alice.petnames.set(alice.node.did, 'Me'), 'conflict');
    assert.equal(snapshot(alice), before, 'no refused petname changed anything');

    assert.deepEqual(alice.petnames.set(bob.node.did, ' Bobby '), { did: bob.node.did, name: 'Bobby', previous: null });
    refusedWith(() => alice.petnames.set(carol.node.did, 'BOBBY'), 'conflict', /already your petname for/, 'a name points at one key, whatever its case');
    alice.petnames.set(carol.node.did, 'Captain');
    assert.equal(alice.petnames.set(carol.node.did, 'Cap').previous, 'Captain');
    assert.deepEqual(
      alice.petnames.list().map((p) => p.name),
      ['Bobby', 'Cap'],
    );

    // ---- Hashtags and mentions, a content warning ----
    const posted = await alice.publishing.post({
      text: `Tea with @bobby and @${carol.node.did} today #Tea #MadHatter.\n\nSee https://example.com/#not-a-tag or mail a@b.example`,
      summary: '  spoilers for Wonderland  ',
    });
    const note = noteOf(alice, posted.digest);
    assert.deepEqual(note.tag, [
      { type: 'Mention', href: actorId(bob.node.did), name: '@bobby' },
      { type: 'Mention', href: actorId(carol.node.did), name: `@${carol.node.did}` },
      { type: 'Hashtag', name: '#tea' },
      { type: 'Hashtag', name: '#madhatter' },
    ]);
    assert.deepEqual(note.cc, [`${actorId(alice.node.did)}/followers`, actorId(bob.node.did), actorId(carol.node.did)], 'mentioned people are copied');
    assert.equal(note.summary, 'spoilers for Wonderland');
    assert.equal(note.sensitive, true);
    const html = String(note.content);
    assert.match(html, new RegExp(`<a href="${actorId(bob.node.did)}" class="u-url mention">@<span>bobby</span></a>`));
    assert.match(html, /<a class="mention hashtag" rel="tag">#<span>MadHatter<\/span><\/a>\./);
    assert.match(html, /https:\/\/example\.com\/#not-a-tag or mail a@b\.example<\/p>$/, 'no tag inside an address or an e-mail');

    // The mention reaches Bob as a notification when his node holds the post, as it does when he follows Alice.
    const activity = parseBody(alice.node.store.objects.byDigest(posted.digest)!);
    bob.node.ingest(activity);
    const bobNotes = bob.reading.notifications({ limit: 10 });
    assert.deepEqual(
      bobNotes.items.map((n) => [n.kind, n.object.digest]),
      [['mention', posted.digest]],
    );

    // A mistyped did:key is refused, not posted as plain text.
    const count = (s: KithService) => s.node.store.objects.count(outboxId(s.node.did));
    const posts = count(alice);
    await rejectsWith(alice.publishing.post({ text: 'hi @did:key:z6MkNotAKey' }), 'malformed', /not valid/);
    await rejectsWith(alice.publishing.post({ text: 'hi', summary: 'x'.repeat(MAX_CONTENT_WARNING_CHARS + 1) }), 'malformed', /content warning is at most 500/);

    // ---- Alt text ----
    const image = await alice.media.upload({ bytes: PNG_1PX, mediaType: 'image/png', name: 'IMG_0001.png' });
    await rejectsWith(
      alice.publishing.post({ text: 'a picture', attachment: [{ ...image, name: 'x'.repeat(MAX_ALT_TEXT_CHARS + 1) }] }),
      'malformed',
      /at most 1500 characters/,
    );
    assert.equal(count(alice), posts, 'no refused post was stored');
    const pictured = await alice.publishing.post({ text: 'a picture #tea', attachment: [{ ...image, name: '  A white rabbit with a pocket watch ' }] });

    // ---- What the web app is shown ----
    const views = new Views(alice.node);
    const shown = views.post(alice.node.store.objects.byDigest(posted.digest)!)!;
    assert.equal(shown.summary, 'spoilers for Wonderland');
    assert.equal(shown.sensitive, true);
    assert.deepEqual(shown.hashtags, ['tea', 'madhatter']);
    assert.deepEqual(
      shown.mentions.map((m) => [m.handle, m.did]),
      [
        ['@bobby', bob.node.did],
        [`@${carol.node.did}`, carol.node.did],
      ],
    );
    assert.equal(shown.author.petname, null);
    assert.equal(views.person(bob.node.did).petname, 'Bobby');
    assert.equal(views.person(bob.node.did).name, 'Robert Jones', 'their own name is kept beside the petname');
    const withImage = views.post(alice.node.store.objects.byDigest(pictured.digest)!)!;
    assert.equal(withImage.attachment[0]?.name, 'A white rabbit with a pocket watch');
    assert.equal(withImage.sensitive, false);
    assert.equal(withImage.summary, null);

    // ---- Search: posts by a word, a word's start, a hashtag; people by petname, name and DID ----
    const ids = (q: string) => alice.search.search(q).posts.map((o) => o.digest);
    assert.deepEqual(ids('today'), [posted.digest]);
    assert.deepEqual(ids('wonderland'), [posted.digest], 'the warning is searchable');
    assert.deepEqual(ids('rabbit'), [pictured.digest], 'so is an image description');
    assert.deepEqual(ids('#TEA'), [pictured.digest, posted.digest], 'a hashtag, any case, newest first');
    assert.deepEqual(ids('#mad'), [], 'a hashtag matches whole');
    assert.deepEqual(ids('mad'), [posted.digest], 'the last word matches the start of a word');
    assert.deepEqual(ids('tea today'), [posted.digest], 'every word must match');
    const people = (q: string) => alice.search.search(q).people;
    assert.deepEqual(people('bobby'), [bob.node.did], 'by petname');
    assert.deepEqual(people('robert'), [bob.node.did], 'by their own name');
    assert.deepEqual(people('capt'), [], 'a petname replaced is not found by its old name');
    assert.deepEqual(people('Cap'), [carol.node.did]);
    assert.deepEqual(people(carol.node.did.slice(8, 20)), [carol.node.did], 'by the start of a DID');
    assert.deepEqual(people(bob.node.did)[0], bob.node.did, 'by the whole DID');

    // FTS5 syntax typed by a person is only words: nothing throws, nothing is read as an operator.
    for (const q of ['tea AND', 'NEAR(tea today)', '"tea', 'tea*', 'tags:tea', '-tea', '^tea', 'tea OR nothing', '(tea', 'text : tea', '{text tags}: tea']) {
      assert.doesNotThrow(() => alice.search.search(q), q);
    }
    assert.deepEqual(ids('tea OR nothing'), [], 'OR is a word to match, not an operator');
    refusedWith(() => alice.search.search('"" ( ) * :'), 'malformed', /search for a word/);
    refusedWith(() => alice.search.search('x'.repeat(201)), 'malformed', /at most 200 characters/);
    refusedWith(() => alice.search.search('tea', { limit: 0 }), 'malformed', /limit/);

    // A blocked person's posts are not found; a removed entry is not found either.
    bob.petnames.set(alice.node.did, 'Alice from the garden');
    assert.deepEqual(bob.search.search('garden').people, [alice.node.did]);
    assert.deepEqual(
      bob.search.search('#madhatter').posts.map((o) => o.digest),
      [posted.digest],
    );
    bob.people.block(alice.node.did);
    assert.deepEqual(bob.search.search('#madhatter').posts, []);
    assert.equal(alice.node.store.search.forget(apIdKey(posted.noteId)), 1, 'forget by the post id finds the activity that carries it');
    assert.deepEqual(ids('today'), []);
    assert.deepEqual(ids('rabbit'), [pictured.digest], 'only that post went');
    // An edit: the row shown for a post is found by its edited words, no longer by the old ones.
    const row = alice.node.store.objects.byDigest(pictured.digest)!;
    const edited = JSON.parse(row.body);
    edited.object.source.content = 'a dormouse asleep';
    alice.node.store.search.index(row.n, JSON.stringify(edited));
    assert.deepEqual(ids('picture'), []);
    assert.deepEqual(ids('dormouse'), [pictured.digest]);

    // A petname taken away is no longer searched, and @name no longer mentions anyone.
    assert.equal(alice.petnames.remove(bob.node.did).removed, true);
    assert.deepEqual(people('bobby'), []);
    const plain = await alice.publishing.post({ text: 'hello @bobby' });
    assert.equal(noteOf(alice, plain.digest).tag, undefined, 'an @word that names nobody stays text');
  } finally {
    for (const s of [alice, bob, carol]) s.close();
  }
});

test('a header image beside the avatar; a store from before the search index is indexed when it opens', async () => {
  const home = tempDir('kith-content-');
  const { node } = KithNode.init(home, { profile: { name: 'Dinah' } });
  let s = new KithService(node);
  try {
    const header = await s.media.upload({ bytes: PNG_1PX, mediaType: 'image/png', name: 'wide.png' });
    await rejectsWith(s.publishing.updateProfile({ image: { ...header, mediaType: 'text/plain' } }), 'malformed', /a header must be an image/);
    const changed = await s.publishing.updateProfile({ image: { ...header, src: '/api/media/x' } });
    assert.equal(changed.profile.image?.url, header.url);
    assert.equal(changed.profile.icon, null);
    assert.deepEqual(s.node.actor().image, {
      type: 'Image',
      mediaType: 'image/png',
      url: header.url,
      size: header.size,
      digestMultibase: header.digestMultibase,
    });
    assert.match(String(new Views(s.node).person(s.node.did).image), /^\/api\/media\/urn%3Aeris%3A/);
    await s.publishing.updateProfile({ image: null });
    assert.equal(profileView(s.node).image, null);

    const posted = await s.publishing.post({ text: 'Curiouser and curiouser #wonder' });
    // As a store written before migration 8: its tables and triggers gone, and not recorded as applied.
    const db = s.node.store.db;
    for (const t of ['post_search_add', 'post_search_change', 'post_search_remove', 'search_people_actor']) db.exec(`DROP TRIGGER ${t}`);
    for (const t of ['post_search', 'people_search', 'search_people', 'petnames']) db.exec(`DROP TABLE ${t}`);
    // Nor had it migrations 9 (follow requests), 10 (checkpoints), 11 (forums), 13 (the search queue) and 19 (certificates by expiry), which came after: undone too, so all run again in order.
    for (const t of ['followers', 'follows_rejected', 'checkpoints', 'forums', 'forum_acts', 'forum_invites', 'forum_requests', 'search_pending'])
      db.exec(`DROP TABLE ${t}`);
    db.exec('DROP INDEX follows_follow_id');
    db.exec('DROP INDEX objects_epoch_keys; DROP INDEX objects_sealed'); // migration 14
    db.exec('DROP TRIGGER opened_search_remove; DROP TABLE opened_search; DROP TABLE opened_links; DROP TABLE opened_posts'); // migration 15
    db.exec('DROP TABLE dm_messages; DROP TABLE dm_generations; DROP TABLE dm_conversations'); // migration 16
    db.exec('DROP INDEX certificates_subject_issuer_expires; CREATE INDEX certificates_subject_issuer ON certificates (subject, issuer)'); // migration 19
    for (const c of ['follow_id', 'state', 'state_at']) db.exec(`ALTER TABLE follows DROP COLUMN ${c}`);
    // And migration 12 (hosted accounts, node-root blocks).
    db.exec('DROP VIEW muted_people');
    for (const t of ['account_follows', 'hosted_accounts', 'account_vouches', 'blocked_roots']) db.exec(`DROP TABLE ${t}`);
    db.exec('ALTER TABLE devices DROP COLUMN account');
    db.exec('DROP TABLE forum_reports'); // migration 17
    db.exec('DELETE FROM schema_migrations WHERE version >= 8');
    s.close();
    s = KithService.open(home);
    assert.deepEqual(
      s.search.search('curiouser').posts.map((o) => o.digest),
      [posted.digest],
    );
    assert.deepEqual(
      s.search.search('#wonder').posts.map((o) => o.digest),
      [posted.digest],
    );
    assert.deepEqual(s.search.search('dinah').people, [s.node.did]);
  } finally {
    s.close();
  }
});
