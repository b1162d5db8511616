import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { repoRoot, tempDir } from './helpers.js';
import { KITH, startNode } from './node-process.js';
import { cleanEnv, run, runJson, runRefused } from './cli-run.js';
import { Store } from '../src/store/store.js';

/** The escape character that starts a terminal's control codes. */
const ESC = String.fromCharCode(0x1b);

/** `kith profile`, `kith post -` and `kith pair`'s output, with and without a running node. */

const made: string[] = [];
function tmp(): string {
  const dir = tempDir('kith-profile-');
  made.push(dir);
  return dir;
}
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function blockCount(home: string): number {
  const store = Store.open(join(home, 'kith.db'));
  try {
    return store.blocks.usage().blocks;
  } finally {
    store.close();
  }
}

/** A small PNG-named file of random bytes (Kith goes by the extension, as for attachments). */
function image(dir: string, name = 'me.png', size = 3000): { path: string; bytes: Buffer } {
  const bytes = randomBytes(size);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

describe('kith profile', { concurrency: 2 }, () => {
  test('without a running node: show, set name, summary and avatar, remove them; refusals change nothing', async () => {
    const home = tmp();
    const id = await runJson(home, ['init']);
    assert.deepEqual(await runJson(home, ['profile']), { did: id.did, actor: id.actor, name: null, summary: null, icon: null, image: null });
    const shown = await run(home, ['profile']);
    assert.match(shown.stdout, /^name +\(none\)\n/);
    assert.match(shown.stdout, /Set a display name with: npx kith profile --name "Your Name" --home /);

    const files = tmp();
    const avatar = image(files);
    const header = image(files, 'header.png');
    const set = await runJson(home, [
      'profile',
      '--name',
      '  Alice Example ',
      '--summary',
      'Gardener.\n\nLikes <b>tags</b> & trains',
      '--avatar',
      avatar.path,
      '--header',
      header.path,
    ]);
    assert.equal(set.ok, true);
    assert.equal(set.pushed, false);
    assert.equal(set.name, 'Alice Example');
    assert.equal(set.summary, 'Gardener.\n\nLikes <b>tags</b> & trains', 'the text comes back as typed');
    assert.equal(set.icon.mediaType, 'image/png');
    assert.equal(set.icon.size, avatar.bytes.length);
    assert.match(set.icon.url, /^urn:eris:[A-Z2-7]{106}$/);
    assert.equal(set.image.mediaType, 'image/png');
    assert.match(set.image.url, /^urn:eris:[A-Z2-7]{106}$/);

    // The signed actor: a name, an HTML summary with the markup escaped, an Image icon without the file's name.
    const actor = await runJson(home, ['show', id.actor]);
    assert.equal(actor.name, 'Alice Example');
    assert.equal(actor.summary, '<p>Gardener.</p><p>Likes &#60;b&#62;tags&#60;/b&#62; &#38; trains</p>');
    assert.equal(actor.icon.type, 'Image');
    assert.equal(actor.icon.url, set.icon.url);
    assert.equal(actor.icon.name, undefined);
    assert.equal(actor.image.type, 'Image');
    assert.equal(actor.image.url, set.image.url);
    assert.equal((await runJson(home, ['verify', '-'], { input: JSON.stringify(actor) })).valid, true);
    // The avatar reads back byte for byte.
    const out = join(files, 'back.png');
    await runJson(home, ['fetch', set.icon.url, '-o', out]);
    assert.deepEqual(readFileSync(out), avatar.bytes);
    // One character changed in the middle names other content, which is nowhere: the message says so.
    const i = 'urn:eris:'.length + 50;
    const changed = set.icon.url.slice(0, i) + (set.icon.url[i] === 'A' ? 'B' : 'A') + set.icon.url.slice(i + 1);
    const missing = await runRefused(home, ['fetch', changed]);
    assert.equal(missing.code, 'not-found');
    assert.match(
      missing.message,
      /the block is not in this store and no node is running to ask peers \(start one with: npx kith start --home .*\)\. If the URN was typed or copied by hand, check it: one changed character names other content\.$/,
    );

    // Refusals: nothing signed, no block stored.
    const blocks = blockCount(home);
    const notImage = join(files, 'notes.txt');
    writeFileSync(notImage, 'not a picture');
    const refusals: [string[], string, RegExp][] = [
      [['--avatar', notImage], 'malformed', /an avatar must be an image/],
      [['--avatar', image(files, 'unused-avatar.png').path, '--header', notImage], 'malformed', /a header must be an image/],
      [['--avatar', join(files, 'missing.png')], 'io', /cannot read/],
      [['--name', 'x'.repeat(101)], 'malformed', /a display name is at most 100 characters; this one has 101/],
      [['--name', 'two\nlines', '--avatar', image(files, 'unused.png').path], 'malformed', /one line/],
      [['--summary', 'y'.repeat(2001)], 'malformed', /a summary is at most 2000 characters; this one has 2001/],
    ];
    for (const [args, code, message] of refusals) {
      const e = await runRefused(home, ['profile', ...args]);
      assert.equal(e.code, code, args.join(' '));
      assert.match(e.message, message);
    }
    assert.deepEqual(await runJson(home, ['show', id.actor]), actor);
    assert.equal(blockCount(home), blocks);

    // "-" reads the summary from standard input; "" removes a field.
    const fromStdin = await runJson(home, ['profile', '--summary', '-'], { input: 'Written in a pipe.\n' });
    assert.equal(fromStdin.summary, 'Written in a pipe.');
    const cleared = await runJson(home, ['profile', '--name', '', '--avatar', '', '--header', '']);
    assert.equal(cleared.name, null);
    assert.equal(cleared.icon, null);
    assert.equal(cleared.image, null);
    assert.equal(cleared.summary, 'Written in a pipe.');
    const after = await runJson(home, ['show', id.actor]);
    assert.equal(after.name, undefined);
    assert.equal(after.icon, undefined);
  });

  test('post - reads the text from standard input', async () => {
    const home = tmp();
    await runJson(home, ['init']);
    const posted = await runJson(home, ['post', '-'], { input: 'Hello from a pipe,\nover two lines.\n\n' });
    const note = await runJson(home, ['show', posted.noteId]);
    assert.equal(note.source.content, 'Hello from a pipe,\nover two lines.');
    const empty = await runRefused(home, ['post', '-'], { input: '  \n' });
    assert.equal(empty.code, 'malformed');
    assert.match(empty.message, /needs some text/);
    assert.equal((await runJson(home, ['outbox'])).items.length, 1);
  });

  test('with a running node: the profile goes through it, and pair prints a QR code only to a terminal', async () => {
    const home = tmp();
    const node = await startNode(home);
    try {
      const files = tmp();
      const avatar = image(files, 'face.webp', 2000);
      const set = await runJson(home, ['profile', '--name', 'Bob', '--avatar', avatar.path]);
      assert.equal(set.pushed, true);
      assert.equal(set.name, 'Bob');
      assert.equal(set.icon.mediaType, 'image/webp');
      const actor = await runJson(home, ['show', set.actor]);
      assert.equal(actor.name, 'Bob');
      assert.deepEqual(actor.endpoints.kithPeers, node.info.addresses, 'the addresses the node listed stay');
      const e = await runRefused(home, ['profile', '--name', 'z'.repeat(101)]);
      assert.equal(e.code, 'malformed');

      const piped = await run(home, ['pair']);
      assert.equal(piped.code, 0, piped.stderr);
      assert.match(piped.stdout, /^Pairing code: +[A-Z0-9]{4}-[A-Z0-9]{4}\n/);
      assert.match(piped.stdout, /open http:\/\/127\.0\.0\.1:\d+\/#pair=[A-Z0-9]{8}\n/);
      assert.ok(!piped.stdout.includes(ESC), 'no terminal escape codes in a pipe');
      const terminal = await new Promise<string>((resolve, reject) => {
        const command = `'${process.execPath}' '${KITH}' pair`;
        const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: repoRoot, env: cleanEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
        let screen = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
        child.once('error', reject);
        child.once('exit', (code) => (code === 0 ? resolve(screen) : reject(new Error(`pair at a terminal exited ${code}: ${screen}`))));
      });
      assert.match(terminal, /or scan this/);
      assert.ok(terminal.includes(`${ESC}[`), 'a QR code drawn with escape codes');
    } finally {
      assert.equal(await node.stop(), 0);
    }
  });
});
