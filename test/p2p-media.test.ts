import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { tempDir } from './helpers.js';
import { kithJson, startNode, eventually, type NodeProcess } from './node-process.js';
import { Store } from '../src/store/store.js';
import { parseErisUrn } from '../src/core/eris-urn.js';

/**
 * Friends host each other's media, and hold only ciphertext: A attaches a
 * 5 MB file and sets an avatar and a header; B follows A and pins them all;
 * A goes away; C, knowing only the URNs, gets the files from B.
 */
test('three nodes: media pinned by a follower is fetched by URN alone while the author is away', { timeout: 240_000 }, async () => {
  const homes = { a: tempDir('kith-ma-'), b: tempDir('kith-mb-'), c: tempDir('kith-mc-') };
  const files = tempDir('kith-mfiles-');
  const running: NodeProcess[] = [];
  try {
    const a = await kithJson(homes.a, ['init']);
    await kithJson(homes.b, ['init']);
    await kithJson(homes.c, ['init']);
    const marker = Buffer.from('PLAINTEXT-THAT-MUST-NOT-BE-STORED-'.repeat(4));
    const content = Buffer.concat([marker, randomBytes(5 * 1024 * 1024), marker]);
    const original = join(files, 'film.mp4');
    writeFileSync(original, content);

    const nodeA = await startNode(homes.a);
    running.push(nodeA);
    const nodeB = await startNode(homes.b, ['--bootstrap', nodeA.info.addresses[0]!]);
    running.push(nodeB);
    await kithJson(homes.b, ['follow', a.did]);

    const images = { avatar: join(files, 'me.png'), header: join(files, 'wide.png') };
    writeFileSync(images.avatar, randomBytes(3000));
    writeFileSync(images.header, randomBytes(4000));
    const profile = await kithJson(homes.a, ['profile', '--avatar', images.avatar, '--header', images.header]);
    const posted = await kithJson(homes.a, ['post', 'a film', '--attach', original]);
    const urn: string = posted.attachment[0].url;
    // B gets the post and the profile (live or by sync), pins their media and fetches every block.
    const held = async (): Promise<boolean[]> => {
      const store = Store.open(join(homes.b, 'kith.db'));
      try {
        return [urn, profile.icon.url, profile.image.url].map((u: string) => store.blocks.pinStatus(parseErisUrn(u))?.complete === true);
      } finally {
        store.close();
      }
    };
    await eventually('B to hold all of A\u2019s attachment, avatar and header', held, (h) => h.every(Boolean), 120_000);
    assert.equal(await nodeA.stop(), 0);
    running.splice(running.indexOf(nodeA), 1);

    const nodeC = await startNode(homes.c, ['--bootstrap', nodeB.info.addresses[0]!]);
    running.push(nodeC);
    const out = join(files, 'from-b.mp4');
    const fetched = await kithJson(homes.c, ['fetch', urn, '-o', out]);
    assert.equal(fetched.bytes, content.length);
    assert.deepEqual(readFileSync(out), content);
    assert.match(nodeB.log(), /connected to/);
    for (const [image, urn] of [
      [images.avatar, profile.icon.url],
      [images.header, profile.image.url],
    ] as const) {
      const copy = join(files, 'from-b.png');
      await kithJson(homes.c, ['fetch', urn, '-o', copy]);
      assert.deepEqual(readFileSync(copy), readFileSync(image), `${image} came from B`);
    }

    // B (and C) keep ciphertext only: the plaintext is in none of their files.
    for (const home of [homes.b, homes.c]) {
      // Every file, in the key folders (agreement/, epochs/) too.
      for (const f of readdirSync(home, { recursive: true }).map(String)) {
        if (!statSync(join(home, f)).isFile()) continue;
        assert.equal(readFileSync(join(home, f)).indexOf(marker), -1, `plaintext found in ${home}/${f}`);
      }
    }
  } finally {
    await Promise.all(running.map((n) => n.stop()));
    for (const h of [...Object.values(homes), files]) rmSync(h, { recursive: true, force: true });
  }
});
