import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { tempDir } from './helpers.js';
import { run, runJson, runRefused } from './cli-run.js';

/**
 * `kith post --cw --attach --alt`, `kith petname`, `kith petnames`, `kith search` and how posts
 * behind a warning are shown. Each run of kith costs a process start: the rules themselves
 * (petnames, queries, sizes) are tested in process in content.test.ts.
 */

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const PNG_1PX = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

test('kith petname, kith search and content warnings on the command line', async () => {
  const home = tempDir('kith-cli-search-');
  made.push(home);
  await runJson(home, ['init', '--name', 'Alice']);
  const friend = didFromPublicKey(generateKeyPair().publicKey);

  // Petnames: given, refused with the reason, listed, taken away.
  assert.deepEqual(await runJson(home, ['petname', friend, 'Mum']), { ok: true, did: friend, name: 'Mum', previous: null });
  assert.deepEqual(
    (await runJson(home, ['petnames'])).petnames.map((p: { name: string; did: string }) => [p.name, p.did]),
    [['Mum', friend]],
  );

  // A post with a warning, a hashtag, a mention by petname, and a described image.
  const picture = join(home, 'garden.png');
  writeFileSync(picture, PNG_1PX);
  const posted = await runJson(home, ['post', 'Roses for @Mum in the #Garden', '--cw', 'flowers', '--attach', picture, '--alt', 'Red roses by a wall']);
  assert.equal(posted.attachment[0].name, 'Red roses by a wall');

  const found = await runJson(home, ['search', '#garden']);
  assert.deepEqual(found.terms, ['#garden']);
  assert.equal(found.posts.length, 1);
  assert.equal(found.posts[0].id, posted.noteId);
  assert.deepEqual(found.posts[0].object.object.tag, [
    { type: 'Mention', href: `ap://${friend}/actor`, name: '@Mum' },
    { type: 'Hashtag', name: '#garden' },
  ]);
  assert.deepEqual((await runJson(home, ['search', 'mum'])).people, [{ did: friend, petname: 'Mum', label: 'Mum' }]);

  // People see the warning, not the post, unless they ask.
  const shown = await run(home, ['search', 'roses']);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /\[CW: flowers\] \(hidden; --show-sensitive shows it\)/);
  assert.doesNotMatch(shown.stdout, /Roses for/);
  const opened = await run(home, ['outbox', '--show-sensitive']);
  assert.match(opened.stdout, /\[CW: flowers\] Roses for @Mum in the #Garden/);

  // A query of no words is refused with what to do (the rules of queries are tested in content.test.ts).
  const empty = await runRefused(home, ['search', '*']);
  assert.equal(empty.code, 'malformed');
  assert.match(empty.message, /search for a word, a #hashtag, a name or a did:key/);
  assert.deepEqual(await runJson(home, ['petname', friend, '--remove']), { ok: true, did: friend, removed: true });
});
