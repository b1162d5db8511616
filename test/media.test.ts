import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import { tempDir } from './helpers.js';
import { kith, kithJson } from './node-process.js';
import { decodeBase58btc } from '../src/core/multibase.js';

test('a post with an attachment: stored as ERIS ciphertext, fetched back by its URN alone', { timeout: 120_000 }, async () => {
  const home = tempDir('kith-media-');
  const files = tempDir('kith-media-files-');
  try {
    await kithJson(home, ['init']);
    // A recognisable plaintext: it must never appear in the node's files.
    const marker = Buffer.from('KITH-PLAINTEXT-MARKER-'.repeat(8));
    const content = Buffer.concat([marker, randomBytes(1_200_000), marker]);
    const photo = join(files, 'holiday.jpg');
    writeFileSync(photo, content);

    const posted = await kithJson(home, ['post', 'look at this', '--attach', photo]);
    const [a] = posted.attachment;
    assert.equal(a.type, 'Image');
    assert.equal(a.mediaType, 'image/jpeg');
    assert.equal(a.size, content.length);
    assert.equal(a.name, 'holiday.jpg');
    assert.match(a.url, /^urn:eris:[A-Z2-7]{106}$/);
    // digestMultibase: the sha2-256 multihash of the plaintext.
    const mh = decodeBase58btc(a.digestMultibase);
    assert.deepEqual(Buffer.from(mh.subarray(0, 2)), Buffer.from([0x12, 0x20]));
    assert.deepEqual(Buffer.from(mh.subarray(2)), createHash('sha256').update(content).digest());
    const note = (await kithJson(home, ['outbox'])).items[0].object.object;
    assert.deepEqual(note.attachment, posted.attachment, 'the signed note carries the attachment');

    const out = join(files, 'fetched.jpg');
    const fetched = await kithJson(home, ['fetch', a.url, '-o', out]);
    assert.equal(fetched.bytes, content.length);
    assert.deepEqual(readFileSync(out), content);
    const toStdout = await kith(home, ['fetch', a.url]);
    assert.equal(toStdout.code, 0);
    assert.equal(Buffer.byteLength(toStdout.stdout, 'latin1') > 0, true);

    // Every file, in the key folders (agreement/, epochs/) too.
    for (const f of readdirSync(home, { recursive: true }).map(String)) {
      if (!statSync(join(home, f)).isFile()) continue;
      const bytes = readFileSync(join(home, f));
      assert.equal(bytes.indexOf(marker.subarray(0, 100)), -1, `plaintext found in ${f}`);
    }

    // Wrong or truncated URNs get a clear refusal.
    const truncated = await kith(home, ['fetch', a.url.slice(0, 60), '--json']);
    assert.equal(truncated.code, 1);
    assert.match(JSON.parse(truncated.stdout).error.message, /106 base32 characters/);
    // Another root reference: no such block here.
    const missing = await kith(home, ['fetch', a.url.slice(0, 20) + 'AAAAAAAAAAAA' + a.url.slice(32), '--json']);
    assert.equal(missing.code, 1);
    assert.equal(JSON.parse(missing.stdout).error.code, 'not-found', missing.stdout);
    assert.match(JSON.parse(missing.stdout).error.message, /does not hold all of/);
    // The right root with another key: the root block does not decrypt to a valid node.
    const wrongKey = await kith(home, ['fetch', a.url.slice(0, -8) + 'AAAAAAAA', '--json']);
    assert.equal(wrongKey.code, 1);
    assert.equal(JSON.parse(wrongKey.stdout).error.code, 'malformed', wrongKey.stdout);
    assert.match(JSON.parse(wrongKey.stdout).error.message, /does not match its key/);
    const notAFile = await kith(home, ['post', 'x', '--attach', join(files, 'nope.png'), '--json']);
    assert.equal(notAFile.code, 1);
    assert.equal(JSON.parse(notAFile.stdout).error.code, 'io');
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  }
});
