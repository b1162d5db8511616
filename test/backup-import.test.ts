import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { rejectsWith, tempDir } from './helpers.js';
import { KithNode } from '../src/node/kith-node.js';
import { exportBackup, importBackup } from '../src/node/backup.js';
import { readContent, storeContent } from '../src/node/media.js';
import { type ReadCapability } from '../src/core/eris.js';
import { formatErisUrn, parseErisUrn } from '../src/core/eris-urn.js';
import { keyPairFromSeed } from '../src/core/ed25519.js';
import { sha256 } from '../src/core/bytes.js';
import { signDocument } from '../src/core/proof.js';
import { BACKUP_TREE_LINE_MAX_REFS } from '../src/core/constants.js';

/**
 * Import of a backup's blocks and pins, in-process: what a genuine but wrong backup (one its own
 * person signed, say by a faulty exporter) gets, and a file big enough to take several tree lines.
 * The command-line round trip is in cli-backup.test.ts.
 */

const made: string[] = [];
function tmp(): string {
  const dir = tempDir('kith-backup-import-');
  made.push(dir);
  return dir;
}
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const seed = sha256('backup import test');
const key = keyPairFromSeed(seed);

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function readAll(node: KithNode, urn: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of readContent(node.store, urn)) parts.push(p);
  return Buffer.concat(parts);
}

function state(node: KithNode) {
  return { objects: node.store.objects.count(), usage: node.store.blocks.usage(), roots: node.store.blocks.pinnedRoots().length };
}

/** Changes the lines of a backup and signs a new manifest over them (with the header's counts) with the person's own key. */
function resign(file: string, change: (lines: string[]) => string[]): string {
  const lines = readFileSync(file, 'utf8').split('\n').slice(0, -1);
  const manifest = JSON.parse(lines.pop()!);
  const changed = change(lines);
  const body = changed.join('\n') + '\n';
  const { proof: _proof, ...unsigned } = manifest;
  const { objects, trees, blocks } = JSON.parse(changed[0]!);
  const signed = signDocument({ ...unsigned, objects, trees, blocks, sha256: createHash('sha256').update(body).digest('hex') }, key);
  const out = join(tmp(), 'resigned.kith');
  writeFileSync(out, body + JSON.stringify(signed) + '\n');
  return out;
}

test('a file in more blocks than one tree line holds comes back whole, pinned, and survives collection', { timeout: 120_000 }, async () => {
  const home = tmp();
  const a = KithNode.init(home, { seed }).node;
  let cap: ReadCapability;
  // 5 MB in 1 KiB blocks: about 5,500 references, over two tree lines.
  const content = Buffer.alloc(5_000_000);
  for (let i = 0; i < content.length; i += 32) Buffer.from(sha256(`content ${i}`)).copy(content, i);
  const file = join(tmp(), 'a.kith');
  try {
    cap = await storeContent(a.store, once(content), 1);
    assert.equal(cap.blockSize, 1024);
    const s = exportBackup(a, file);
    assert.equal(s.files, 1);
    assert.ok(s.blocks > BACKUP_TREE_LINE_MAX_REFS, `${s.blocks} blocks`);
    const treeLines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"root":'));
    assert.equal(treeLines.length, 2);
  } finally {
    a.close();
  }

  const b = KithNode.init(tmp(), { seed }).node;
  try {
    const r = await importBackup(b, file);
    assert.equal(r.files, 1);
    assert.equal(r.blocksStored, r.blocks);
    const status = b.store.blocks.pinStatus(cap.rootReference);
    assert.ok(status?.complete);
    assert.equal(status.coveredBlocks, r.blocks);
    assert.deepEqual(
      status.reasons.map((x) => x.reason),
      ['own'],
    );
    b.store.blocks.graceMs = 0;
    assert.equal(b.store.blocks.gc().blocks, 0);
    assert.ok((await readAll(b, formatErisUrn(cap))).equals(content));
  } finally {
    b.close();
  }
});

test('a genuinely signed backup with a bad block or a wrong tree is refused, and nothing of it lands', { timeout: 120_000 }, async () => {
  const a = KithNode.init(tmp(), { seed }).node;
  const file = join(tmp(), 'a.kith');
  let urn: string;
  try {
    a.post({ text: 'a note' });
    const cap = await storeContent(a.store, once(Buffer.from('a small photo'.repeat(200))), 2600);
    urn = formatErisUrn(cap);
    exportBackup(a, file);
  } finally {
    a.close();
  }
  const b = KithNode.init(tmp(), { seed }).node;
  try {
    const before = state(b);
    const isBlock = (l: string) => l.startsWith('{"ref":');
    const isTree = (l: string) => l.startsWith('{"root":');

    // A block whose bytes are not what its reference says.
    const swapped = resign(file, (lines) => {
      const blocks = lines.filter(isBlock).map((l) => JSON.parse(l));
      assert.ok(blocks.length >= 2);
      return lines.map((l) => (l === JSON.stringify(blocks[0]) ? JSON.stringify({ ref: blocks[0].ref, block: blocks[1].block }) : l));
    });
    await rejectsWith(importBackup(b, swapped), 'bad-encoding', /^block 1 of the backup was refused: .*does not hash to that reference/);
    assert.deepEqual(state(b), before);

    // A block that none of the backup's trees names.
    const stray = resign(file, (lines) => {
      const header = JSON.parse(lines[0]!);
      const extra = JSON.stringify({ ref: 'A'.repeat(52), block: Buffer.alloc(1024).toString('base64') });
      return [JSON.stringify({ ...header, blocks: header.blocks + 1 }), ...lines.slice(1), extra];
    });
    await rejectsWith(importBackup(b, stray), 'malformed', /^block \d+ of the backup belongs to none of its trees$/);
    assert.deepEqual(state(b), before);

    // A tree that names a block the backup does not carry (and this node does not hold).
    const missing = resign(file, (lines) =>
      lines.map((l) => {
        if (!isTree(l)) return l;
        const t = JSON.parse(l);
        return JSON.stringify({ ...t, blocks: [...t.blocks, 'C'.repeat(51) + 'A'] });
      }),
    );
    await rejectsWith(importBackup(b, missing), 'malformed', /^tree line 1 of the backup names a block it does not carry$/);
    assert.deepEqual(state(b), before);

    // The genuine backup lands.
    const ok = await importBackup(b, file);
    assert.equal(ok.files, 1);
    assert.equal((await readAll(b, urn)).toString(), 'a small photo'.repeat(200));
    assert.ok(b.store.blocks.pinStatus(parseErisUrn(urn).rootReference)?.complete);
  } finally {
    b.close();
  }
});
