import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tempDir } from './helpers.js';
import { eventually, startNode, type NodeProcess } from './node-process.js';
import { run, runJson, runRefused } from './cli-run.js';
import { keyPairFromSeed } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { outboxId } from '../src/core/apid.js';
import type { Did } from '../src/core/types.js';

/**
 * Following someone nobody holds (a mistyped DID), an address where no node
 * answers, and someone who is there: the command and `kith following` say
 * which, in words and in JSON.
 */

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A port nothing listens on: the system hands it out, and it is closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('follow says when no node holding their posts was found, and kith following shows what arrived of whom', { timeout: 300_000 }, async () => {
  const homes = { a: tempDir('kith-fa-'), b: tempDir('kith-fb-') };
  made.push(homes.a, homes.b);
  const running: NodeProcess[] = [];
  try {
    await runJson(homes.a, ['init', '--name', 'Alice']);
    await runJson(homes.a, ['post', 'hello from A']);
    // A post that tries to drive the reader's terminal: a window title, a screen clear, a bidi override.
    await runJson(homes.a, ['post', 'title \x1b]0;owned\x07 clear \x1b[2J \u009b31m name \u202egnp.exe']);
    const a = await startNode(homes.a);
    running.push(a);
    const b = await startNode(homes.b);
    running.push(b);

    // A DID nobody keeps (a key made here and never used): followed, but nothing found.
    const seed = randomBytes(32);
    console.log(`nobody's key seed: ${seed.toString('hex')}`);
    const nobody = didFromPublicKey(keyPairFromSeed(seed).publicKey);
    const lonely = await runJson(homes.b, ['follow', nobody]);
    assert.equal(lonely.ok, true);
    assert.equal(lonely.did, nobody);
    assert.equal(lonely.added, true);
    assert.equal(lonely.found, false);
    assert.equal(lonely.objects, 0);
    const again = await run(homes.b, ['follow', nobody]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`^Already following ${nobody}, but no node holding their posts was found yet; Kith keeps looking\\.\\n`));

    // A's address with another port: nobody answers there, and nobody is followed.
    const wrongPort = a.info.addresses[0]!.replace(/\/tcp\/\d+\//, `/tcp/${await closedPort()}/`);
    const unreachable = await runRefused(homes.b, ['follow', wrongPort]);
    assert.equal(unreachable.code, 'io');
    assert.match(
      unreachable.message,
      new RegExp(
        `^no Kith node answered at ${wrongPort.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(.+\\); nobody was followed\\. Check the address, its port and its peer id`,
      ),
    );
    assert.deepEqual(
      (await runJson(homes.b, ['following'])).following.map((f: { did: string }) => f.did),
      [nobody],
    );

    // A, at the right address: found, and A's posts are here.
    const found = await runJson(homes.b, ['follow', a.info.addresses[0]!]);
    assert.equal(found.did, a.info.did);
    assert.equal(found.found, true);
    assert.ok(found.objects >= 2, `A's actor and post: ${found.objects}`);
    assert.ok(found.synced.some((s: { ok: boolean; peer: string }) => s.ok && s.peer === a.info.peerId));

    type Listed = { did: string; state: string; found: boolean; objects: number; lastSync: number | null; syncedWith: number };
    // A (not locked) accepts the follow at once: its Accept is one object more in A's scope. The Follow goes out
    // before the first sync, so the Accept may come with that sync or after it; either way B ends with what A holds.
    const heldByA = async (): Promise<number> =>
      (await runJson(homes.a, ['status'])).scopes.find((s: { scope: string }) => s.scope === outboxId(a.info.did as Did)).objects as number;
    let aHolds = 0;
    const list = await eventually(
      'A to accept the follow, and B to hold all A holds',
      async () => {
        aHolds = await heldByA();
        return (await runJson(homes.b, ['following'])).following as Listed[];
      },
      (l) => l.find((f) => f.did === a.info.did)?.state === 'accepted' && l.find((f) => f.did === a.info.did)?.objects === aHolds,
    );
    const ofA = list.find((f) => f.did === a.info.did)!;
    const ofNobody = list.find((f) => f.did === nobody)!;
    assert.equal(ofA.found, true);
    assert.ok(aHolds >= found.objects, `B holds all A holds (${aHolds}), at least what the follow fetched (${found.objects})`);
    assert.equal(typeof ofA.lastSync, 'number');
    assert.ok(ofA.syncedWith >= 1);
    assert.deepEqual({ found: ofNobody.found, objects: ofNobody.objects }, { found: false, objects: 0 });
    const human = await run(homes.b, ['following']);
    assert.match(human.stdout, new RegExp(`${nobody} +since .* +nothing received yet: no node holding their posts found`));
    assert.match(human.stdout, new RegExp(`${a.info.did} +since .* +accepted +${aHolds} objects, last synced .* with \\d+ peer\\(s\\)`));

    // The follower reads it: every control and bidi character shown as a visible escape, none passed to the terminal.
    const feed = await run(homes.b, ['feed']);
    assert.equal(feed.code, 0, feed.stderr);
    assert.ok(feed.stdout.includes('title \\u001b]0;owned\\u0007 clear \\u001b[2J \\u009b31m name \\u202egnp.exe'), feed.stdout);
    const unsafe = [...feed.stdout]
      .filter((c) => /\p{Cc}/u.test(c) && c !== '\n')
      .concat([...feed.stdout].filter((c) => /[\u202a-\u202e\u2066-\u2069]/u.test(c)));
    assert.deepEqual(unsafe, []);
    // Scripts get the text itself, JSON-escaped.
    const items = (await runJson(homes.b, ['feed'])).items as { object: { object: { source: { content: string } } } }[];
    assert.ok(items.some((i) => i.object.object.source?.content.includes('\x1b]0;owned\x07')));
  } finally {
    for (const n of running) await n.stop();
  }
});

test('following by DID without a running node says their posts arrive when it runs, with found: false', async () => {
  const home = tempDir('kith-fc-');
  made.push(home);
  await runJson(home, ['init']);
  const other = didFromPublicKey(keyPairFromSeed(new Uint8Array(32).fill(7)).publicKey);
  const r = await runJson(home, ['follow', other]);
  assert.deepEqual({ added: r.added, found: r.found }, { added: true, found: false });
  const human = await run(home, ['follow', other]);
  assert.match(human.stdout, new RegExp(`^Already following ${other}; their posts arrive when the node runs\\.\\n  start it with: npx kith start --home `));
});
