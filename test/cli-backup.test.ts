import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { tempDir } from './helpers.js';
import { kith, kithJson } from './node-process.js';
import { KithNode } from '../src/node/kith-node.js';
import { attachBytes } from '../src/node/media.js';
import { openSealed, sealObject } from '../src/node/sealed.js';
import { AS_CONTEXT, buildCreate, buildNote } from '../src/core/as2.js';
import { followersId } from '../src/core/apid.js';
import { parseErisUrn } from '../src/core/eris-urn.js';
import type { JsonObject } from '../src/core/types.js';

/**
 * A backup carries the person's own files: the photos they posted, their avatar and their sealed
 * objects, so that `kith init --recover` and `kith import` on a new machine give every one of them
 * back, byte for byte, with no node running and no peer to fetch from. The real `kith` command in
 * child processes; the avatar and the sealed object are made in-process through the node's own
 * operations (the owner API's path), which the command line has no verb for.
 */

const made: string[] = [];
function tmp(prefix = 'kith-backup-'): string {
  const dir = tempDir(prefix);
  made.push(dir);
  return dir;
}
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** Deterministic bytes from a seed (SHA-256 in counter mode), so a failure can be replayed. */
function bytesFrom(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0, at = 0; at < length; i++, at += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(out, at);
  return out;
}

/** Runs a command that must fail; returns its --json error. */
async function refused(home: string, args: string[]): Promise<{ code: string; message: string }> {
  const r = await kith(home, [...args, '--json']);
  assert.equal(r.code, 1, `kith ${args.join(' ')} should fail\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string } };
  assert.equal(out.ok, false);
  assert.ok(out.error.message.length > 0);
  return out.error;
}

/** A new home restored from a recovery phrase, as on a new machine. */
async function restored(phrase: string): Promise<string> {
  const home = tmp('kith-restored-');
  const phraseFile = join(tmp(), 'phrase.txt');
  writeFileSync(phraseFile, phrase, { mode: 0o600 });
  await kithJson(home, ['init', '--recover', '--phrase-file', phraseFile]);
  return home;
}

/** What a refused import must leave as it was: every object and every block of the store. */
function snapshot(home: string): { objects: number; blocks: number; bytes: number; pinned: number; outbox: string[] } {
  const node = KithNode.open(home);
  try {
    const u = node.store.blocks.usage();
    const outbox = node.outbox({ limit: 500 }).map((i) => i.digest);
    return { objects: node.store.objects.count(), blocks: u.blocks, bytes: u.bytes, pinned: u.pinnedBytes, outbox };
  } finally {
    node.close();
  }
}

interface Person {
  home: string;
  did: string;
  phrase: string;
  /** Every file of theirs, by its urn:eris: read capability. */
  files: Map<string, Buffer>;
  sealedUrn: string;
  sealedText: string;
  avatarUrn: string;
  backup: string;
  exported: any;
}

describe("backups carry the person's own files", { concurrency: 1 }, () => {
  const seed = process.env.KITH_TEST_SEED ?? randomBytes(8).toString('hex');
  let ann: Person;

  before(async () => {
    const home = tmp('kith-ann-');
    const id = await kithJson(home, ['init', '--name', 'Ann Example']);
    const dir = tmp();
    // A photo in 32 KiB blocks, a small one in 1 KiB blocks, and one just past the 16 KiB line between them.
    const sizes = [70_000 + (bytesFrom(seed, 2).readUInt16BE(0) % 1000), 3_000, 16_385];
    const paths = sizes.map((n, i) => {
      const p = join(dir, `photo-${i}.jpg`);
      writeFileSync(p, bytesFrom(`${seed}/photo-${i}`, n));
      return p;
    });
    const post = await kithJson(home, ['post', 'Holiday pictures', '--attach', paths[0]!, paths[1]!]);
    const second = await kithJson(home, ['post', 'One more', '--attach', paths[2]!]);
    const files = new Map<string, Buffer>();
    for (const [i, a] of [...post.attachment, ...second.attachment].entries()) files.set(a.url as string, readFileSync(paths[i]!));

    // The avatar and a sealed (followers-only) note, through the node's operations.
    const node = KithNode.open(home);
    let avatarUrn: string;
    let sealedUrn: string;
    const sealedText = `For followers only (${seed}). `.repeat(60);
    try {
      const avatarBytes = bytesFrom(`${seed}/avatar`, 9_000);
      const icon = await attachBytes(node.store, avatarBytes, 'image/png', 'avatar.png');
      node.updateProfile({ icon });
      avatarUrn = icon.url as string;
      files.set(avatarUrn, avatarBytes);
      const create = buildCreate(node.did, { ...buildNote(node.did, { text: sealedText, to: [followersId(node.did)], cc: [] }), '@context': [...AS_CONTEXT] });
      sealedUrn = (await sealObject(node, create, [followersId(node.did)])).urn;
    } finally {
      node.close();
    }
    const backup = join(tmp(), 'ann.kith');
    const exported = await kithJson(home, ['export', backup]);
    ann = { home, did: id.did, phrase: id.recoveryPhrase, files, sealedUrn, sealedText, avatarUrn, backup, exported };
  });

  test('export, recover on a new home, import: every file of the person fetches byte for byte', async (t) => {
    t.diagnostic(`file contents from seed ${seed} (replay with KITH_TEST_SEED=${seed})`);
    assert.equal(ann.exported.actor, ann.did);
    assert.equal(ann.exported.files, 5, 'three photos, the avatar and the sealed note');
    assert.ok(ann.exported.blocks > 8, `${ann.exported.blocks} blocks`);
    // Actor (two versions: the avatar was added), two posts, the sealed envelope.
    assert.equal(ann.exported.objects, 5);

    const home = await restored(ann.phrase);
    assert.equal((await kithJson(home, ['whoami'])).did, ann.did);
    // Before the import the new home has none of it, and says so.
    const first = [...ann.files.keys()][0]!;
    const missing = await refused(home, ['fetch', first, '-o', join(tmp(), 'nothing')]);
    assert.equal(missing.code, 'not-found');

    const imported = await kithJson(home, ['import', ann.backup]);
    assert.equal(imported.actor, ann.did);
    assert.equal(imported.objects, 5);
    assert.equal(imported.files, 5);
    assert.equal(imported.blocks, ann.exported.blocks);
    assert.equal(imported.blocksStored, ann.exported.blocks);
    assert.deepEqual(imported.profileRestored.sort(), ['icon', 'name']);

    // Every photo and the avatar, by its read capability, with no node running: from the store alone.
    const out = tmp();
    for (const [urn, bytes] of ann.files) {
      const file = join(out, createHash('sha256').update(urn).digest('hex').slice(0, 16));
      const r = await kithJson(home, ['fetch', urn, '-o', file]);
      assert.equal(r.bytes, bytes.length);
      assert.ok(readFileSync(file).equals(bytes), `${urn.slice(0, 30)}… comes back byte for byte`);
    }
    // The profile shows the avatar again.
    const actor = await kithJson(home, ['show', `ap://${ann.did}/actor`]);
    assert.equal(actor.name, 'Ann Example');
    assert.equal(actor.icon.url, ann.avatarUrn);

    const node = KithNode.open(home);
    try {
      // The sealed note opens with its read capability, and proves itself.
      const sealed = await openSealed(node, ann.sealedUrn, node.did);
      assert.equal(((sealed.object as JsonObject).source as JsonObject).content, ann.sealedText);
      // Each file is pinned again for the reason it was pinned at home, so no collection takes it.
      for (const urn of ann.files.keys()) {
        const s = node.store.blocks.pinStatus(parseErisUrn(urn).rootReference);
        assert.ok(s?.complete, `${urn.slice(0, 30)}… is complete`);
        assert.deepEqual(
          s.reasons.map((r) => r.reason),
          ['own'],
        );
      }
      assert.deepEqual(
        node.store.blocks.pinStatus(parseErisUrn(ann.sealedUrn).rootReference)?.reasons.map((r) => r.reason),
        ['sealed'],
      );
      node.store.blocks.graceMs = 0;
      assert.equal(node.store.blocks.gc().blocks, 0, 'every imported block is pinned');
    } finally {
      node.close();
    }

    // Importing it again changes nothing.
    const again = await kithJson(home, ['import', ann.backup]);
    assert.equal(again.stored, 0);
    assert.equal(again.duplicates, 5);
    assert.equal(again.blocksStored, 0);
    assert.deepEqual(again.profileRestored, []);
  });

  test('--no-media writes objects only; after restoring from it the files are missing, and fetch says so', async () => {
    const light = join(tmp(), 'ann-light.kith');
    const exported = await kithJson(ann.home, ['export', '--no-media', light]);
    assert.equal(exported.objects, 5);
    assert.equal(exported.files, 0);
    assert.equal(exported.blocks, 0);
    assert.ok(exported.bytes < ann.exported.bytes / 10, `${exported.bytes} bytes against ${ann.exported.bytes} with the files`);
    const lines = readFileSync(light, 'utf8').split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 1 + 5 + 1, 'header, objects, manifest: no tree or block lines');

    const home = await restored(ann.phrase);
    const imported = await kithJson(home, ['import', light]);
    assert.equal(imported.stored, 5);
    assert.equal(imported.blocksStored, 0);
    for (const urn of ann.files.keys()) {
      const e = await refused(home, ['fetch', urn, '-o', join(tmp(), 'missing')]);
      assert.equal(e.code, 'not-found');
      assert.match(e.message, /does not hold all of urn:eris:/);
    }
    // The posts themselves are back, with their attachments' read capabilities.
    const outbox = await kithJson(home, ['outbox']);
    const notes = outbox.items.filter((i: any) => i.type === 'Create').map((i: any) => i.object.object);
    assert.deepEqual(
      notes.map((n: any) => n.source.content),
      ['One more', 'Holiday pictures'],
    );
    const linked = notes.flatMap((n: any) => n.attachment.map((a: any) => a.url));
    assert.deepEqual(linked.sort(), [...ann.files.keys()].filter((u) => u !== ann.avatarUrn).sort());
  });

  test("someone else's backup is refused with its owner named, and changes nothing", async () => {
    const home = tmp('kith-other-');
    const other = await kithJson(home, ['init', '--name', 'Bo']);
    await kithJson(home, ['post', 'my own post']);
    const before = snapshot(home);
    const e = await refused(home, ['import', ann.backup]);
    assert.equal(e.code, 'wrong-key');
    assert.ok(e.message.includes(ann.did), e.message);
    assert.match(e.message, /belongs to "Ann Example"/);
    assert.ok(e.message.includes(other.did), "it names this node's identity too");
    assert.deepEqual(snapshot(home), before);
    assert.equal(before.blocks, 0, 'no block of the backup was stored');
  });

  test('garbage, truncated, tampered and oversized backups each get their own reason and leave the store unchanged', async (t) => {
    t.diagnostic(`random contents from seed ${seed} (replay with KITH_TEST_SEED=${seed})`);
    const home = await restored(ann.phrase);
    const dir = tmp();
    const bytes = readFileSync(ann.backup);
    const lines = bytes.toString('utf8').split('\n').slice(0, -1);
    const blockLine = lines.findIndex((l) => l.startsWith('{"ref":'));
    const treeLine = lines.findIndex((l) => l.startsWith('{"root":'));
    const offsetOfLine = (i: number): number => lines.slice(0, i).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    assert.ok(treeLine > 5 && blockLine > treeLine, 'objects, then trees, then blocks');
    const before = snapshot(home);
    const file = (name: string, content: string | Buffer): string => {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    };
    const cases: Array<[string, string, string, RegExp]> = [
      ['random bytes', file('garbage.bin', bytesFrom(`${seed}/garbage`, 20_000)), 'malformed', /^not a Kith backup/],
      ['a text file', file('notes.txt', 'shopping: milk, eggs\nbread\n'), 'malformed', /^not a Kith backup/],
      ['JSON lines of something else', file('other.ndjson', '{"type":"Note"}\n{"type":"Note"}\n'), 'malformed', /^not a Kith backup/],
      ['an empty file', file('empty.kith', ''), 'malformed', /is empty: not a Kith backup/],
      [
        'cut at a line end',
        file('cut-line.kith', lines.slice(0, blockLine + 2).join('\n') + '\n'),
        'malformed',
        new RegExp(`^backup is truncated: .*but it ends after line ${blockLine + 2}$`),
      ],
      [
        'cut inside a block',
        file('cut-mid.kith', bytes.subarray(0, Math.floor(bytes.length / 2))),
        'malformed',
        /^backup is truncated: .*in the middle of line \d+$/,
      ],
      ['cut before the manifest', file('no-manifest.kith', lines.slice(0, -1).join('\n') + '\n'), 'malformed', /^backup is truncated: .*signed manifest/],
      [
        'a changed block',
        file('block.kith', changeAt(bytes, offsetOfLine(blockLine) + lines[blockLine]!.indexOf('"block":"') + 20)),
        'bad-signature',
        /does not match its signed manifest/,
      ],
      ['a changed object', file('object.kith', changeAt(bytes, bytes.indexOf('Holiday pictures'))), 'bad-signature', /does not match its signed manifest/],
      [
        'a changed tree line',
        file('tree.kith', changeAt(bytes, offsetOfLine(treeLine) + lines[treeLine]!.indexOf('"level":') + 8)),
        'bad-signature',
        /does not match its signed manifest/,
      ],
      [
        'a block line over its limit',
        file('long.kith', [...lines.slice(0, blockLine), `{"ref":"${'A'.repeat(60_000)}"}`, ...lines.slice(blockLine + 1)].join('\n') + '\n'),
        'too-large',
        /^block 1 of the backup \(line \d+\) is longer than \d+ bytes$/,
      ],
      ['lines after the manifest', file('extra.kith', Buffer.concat([bytes, Buffer.from(lines[1]! + '\n')])), 'malformed', /goes on after its signed manifest/],
    ];
    for (const [what, path, code, message] of cases) {
      const e = await refused(home, ['import', path]);
      assert.equal(e.code, code, `${what}: ${e.message}`);
      assert.match(e.message, message, what);
      assert.deepEqual(snapshot(home), before, `${what} changed the store`);
    }
    assert.equal(existsSync(join(dir, 'nope.kith')), false);
    assert.equal((await refused(home, ['import', join(dir, 'nope.kith')])).code, 'io');
    // The intact backup still imports there: the refusals were the files' doing.
    assert.equal((await kithJson(home, ['import', ann.backup])).blocksStored, ann.exported.blocks);
  });
});

/** The same bytes with the one at `at` changed into another printable character of the same kind. */
function changeAt(bytes: Buffer, at: number): Buffer {
  assert.ok(at > 0 && at < bytes.length, `offset ${at} is inside the file`);
  const out = Buffer.from(bytes);
  const c = out[at]!;
  out[at] = c === 0x41 ? 0x42 : c >= 0x30 && c <= 0x39 ? ((c - 0x30 + 1) % 10) + 0x30 : 0x41;
  assert.notEqual(out[at], c);
  return out;
}
