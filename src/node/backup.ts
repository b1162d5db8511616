import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fail, KithError } from '../core/errors.js';
import { verifyDocument } from '../core/proof.js';
import { isoNow } from '../core/as2.js';
import { actorId } from '../core/apid.js';
import { initEris } from '../core/eris.js';
import { isJsonObject, type Did, type JsonObject } from '../core/types.js';
import {
  BACKUP_BLOCK_LINE_MAX_BYTES,
  BACKUP_HEADER_MAX_BYTES,
  BACKUP_MANIFEST_MAX_BYTES,
  BACKUP_MAX_OBJECT_BYTES,
  BACKUP_TREE_LINE_MAX_BYTES,
} from '../core/constants.js';
import { exportTarget } from './export-target.js';
import { blocksOf, countBlocksOf, pinnedTrees } from '../store/pinned-trees.js';
import {
  BACKUP_VERSION,
  CARRIED_REASONS,
  MANIFEST_TYPE,
  blockLine,
  headerLine,
  parseBlockLine,
  parseHeader,
  parseJsonLine,
  parseTreeLine,
  treeLines,
  type Counts,
  type Header,
  type TreeLine,
} from './backup-format.js';
import { LineReader } from './line-reader.js';
import { restoreFollowers } from './backup-followers.js';
import type { KithNode } from './kith-node.js';

/**
 * A portable backup of one person: their signed objects and, unless left out, the blocks of their
 * own files (attachments, avatar) and sealed objects, with the pins that keep them; the last line
 * is a manifest the person signs over the SHA-256 of every byte before it (format: backup-format.ts).
 * Import checks all of it first, then writes it in one transaction: a backup lands whole or not at
 * all, and only on a node of the same person.
 */

export interface ExportOptions {
  /** Carry the person's own blocks (default); false writes objects only. */
  readonly media?: boolean;
  /** Replace a file already at the destination. */
  readonly force?: boolean;
}

export interface BackupSummary {
  readonly actor: Did;
  readonly objects: number;
  /** Pinned files (trees) carried: photos, avatars, sealed objects. */
  readonly files: number;
  readonly blocks: number;
  readonly bytes: number;
}

export interface ImportSummary extends BackupSummary {
  /** Objects new to this node, and those it already held. */
  readonly stored: number;
  readonly duplicates: number;
  /** Posts in the backup deleted since it was made: their tombstones keep them out. */
  readonly deleted: number;
  /** Blocks new to this node. */
  readonly blocksStored: number;
  /** Profile fields (name, summary, avatar) taken back from the backup into a new actor version. */
  readonly profileRestored: string[];
  /** People whose standing as a follower (accepted or turned away) came back from the owner's answers in the backup. */
  readonly followersRestored: number;
}

/**
 * Writes the backup beside its destination and renames it into place, so a
 * failed export never leaves half a file, and never writes into the node's
 * own home (where it could replace the key or the database).
 */
export function exportBackup(node: KithNode, path: string, options: ExportOptions = {}): BackupSummary {
  const target = exportTarget(node.home.root, path, options.force === true);
  const partial = `${target}.partial-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(partial, 'wx', 0o600);
  } catch (e) {
    return fail('io', `cannot write ${path}: ${(e as Error).message}`);
  }
  const hash = createHash('sha256');
  let bytes = 0;
  const put = (buf: Buffer) => {
    writeSync(fd, buf);
    bytes += buf.length;
  };
  const line = (text: string) => {
    const buf = Buffer.from(text + '\n', 'utf8');
    hash.update(buf);
    put(buf);
  };
  const reasons = options.media === false ? [] : CARRIED_REASONS;
  const db = node.store.db;
  let open = true;
  try {
    // One read transaction: the header's counts and the lines after it are the same moment of the
    // store, even while a running node writes to it.
    const counts = db.transaction((): Counts & { files: number } => {
      let objects = 0;
      for (const _ of node.store.objects.byOwner(node.did)) objects++;
      const trees = pinnedTrees(db, reasons);
      const lines = trees.flatMap(treeLines);
      const counts = { objects, trees: lines.length, blocks: countBlocksOf(db, reasons) };
      line(headerLine(node.did, isoNow(), counts));
      for (const o of node.store.objects.byOwner(node.did)) line(o.body);
      for (const l of lines) line(l);
      for (const b of blocksOf(db, reasons)) line(blockLine(b));
      return { ...counts, files: trees.length };
    })();
    const manifest = node.sign({
      type: MANIFEST_TYPE,
      version: BACKUP_VERSION,
      actor: node.did,
      ...pick(counts),
      sha256: hash.digest('hex'),
      created: isoNow(),
    });
    put(Buffer.from(JSON.stringify(manifest) + '\n', 'utf8'));
    fsyncSync(fd);
    closeSync(fd);
    open = false;
    renameSync(partial, target);
    return { actor: node.did, objects: counts.objects, files: counts.files, blocks: counts.blocks, bytes };
  } catch (e) {
    if (open) closeSync(fd);
    rmSync(partial, { force: true });
    if (e instanceof KithError) throw e;
    return fail('io', `cannot write ${path}: ${(e as Error).message}`);
  }
}

function pick(c: Counts): Counts {
  return { objects: c.objects, trees: c.trees, blocks: c.blocks };
}

/** What the first reading of a backup found, all of it checked against the signed manifest. */
interface Checked {
  readonly header: Header;
  readonly counts: Counts;
  readonly objects: string[];
  readonly trees: TreeLine[];
  /** Hex references of every block the trees name. */
  readonly treeRefs: Set<string>;
  readonly sha256: string;
  readonly bytes: number;
  /** The newest of the person's actor documents in the backup. */
  readonly actor: JsonObject | undefined;
}

export async function importBackup(node: KithNode, path: string): Promise<ImportSummary> {
  const checked = checkBackup(node, path);
  const { header, counts, objects, trees } = checked;
  const actor = header.actor;
  let stored = 0;
  let duplicates = 0;
  let deleted = 0;
  let blocksStored = 0;
  let profileRestored: string[] = [];
  let followersRestored = 0;
  // Signatures are checked on every core first; then one transaction admits and writes it all, or nothing.
  const examined = objects.length < 64 ? undefined : await node.pool.examine(objects);
  await initEris();
  node.store.transaction(() => {
    // The signed manifest vouches that what the backup holds was taken in before its revocations.
    const results = examined
      ? node.ingestor.ingestExamined(examined, { revocationsLast: true })
      : node.ingestor.ingestMany(objects, undefined, { revocationsLast: true });
    results.forEach((r, i) => {
      if (r instanceof KithError && r.code === 'deleted') {
        deleted++;
        return;
      }
      if (r instanceof KithError) throw new KithError(r.code, `object ${i + 1} of the backup was refused: ${r.message}`);
      if (r.owner !== actor) fail('wrong-key', `object ${i + 1} belongs to ${r.owner}, not to the backup's identity`);
      if (r.status === 'stored') stored++;
      else duplicates++;
    });
    if (counts.blocks > 0) blocksStored = storeBlocks(node, path, checked);
    for (const [i, t] of trees.entries()) {
      for (const r of t.references) {
        if (!node.store.blocks.has(r)) fail('malformed', `tree line ${i + 1} of the backup names a block it does not carry`);
      }
      for (const reason of t.reasons) node.store.blocks.pinBlind(t.root, t.blockSize, t.level, t.references, reason);
    }
    profileRestored = restoreProfile(node, checked.actor);
    followersRestored = restoreFollowers(node.store, actor, objects, results);
  });
  const files = new Set(trees.map((t) => Buffer.from(t.root).toString('hex'))).size;
  return {
    actor,
    objects: objects.length,
    files,
    blocks: counts.blocks,
    bytes: checked.bytes,
    stored,
    duplicates,
    deleted,
    blocksStored,
    profileRestored,
    followersRestored,
  };
}

/**
 * Reads the whole backup once: every line within its limit, the header's counts, the manifest's
 * signature and hash, and whose backup it is. Nothing is written. Objects and trees are kept;
 * blocks are only checked for shape here and are read again when they are stored.
 */
function checkBackup(node: KithNode, path: string): Checked {
  const reader = new LineReader(path);
  try {
    const hash = createHash('sha256');
    const first = reader.next(BACKUP_HEADER_MAX_BYTES);
    if (first.kind === 'end') fail('malformed', `${path} is empty: not a Kith backup`);
    if (first.kind !== 'line') fail('malformed', 'not a Kith backup: it does not start with a KithBackup header line');
    hash.update(first.bytes).update('\n');
    const header = parseHeader(first.bytes);
    const objectLimit = node.ingestor.limits.maxObjectBytes;
    // Lines are only kept here; what is in them is read once the manifest vouches for them, so a
    // changed file is called changed rather than malformed.
    const objects: string[] = [];
    const treeLineBytes: Buffer[] = [];
    let objectBytes = 0;
    const keepObject = (bytes: Buffer) => {
      objectBytes += bytes.length;
      if (objectBytes > BACKUP_MAX_OBJECT_BYTES) fail('too-large', `the backup's objects come to more than ${BACKUP_MAX_OBJECT_BYTES} bytes`);
      objects.push(bytes.toString('utf8'));
    };
    const counts = header.counts;
    let manifestLine: Buffer;
    if (counts === undefined) {
      // Version 1: objects up to the last line, which is the manifest.
      let previous: Buffer | undefined;
      for (;;) {
        const r = reader.next(Math.max(objectLimit, BACKUP_MANIFEST_MAX_BYTES));
        if (r.kind === 'end') break;
        if (r.kind === 'cut') fail('malformed', `backup is truncated: line ${reader.lineNumber + 1} is cut off (the file ends without a newline)`);
        if (r.kind === 'too-long')
          fail('too-large', `line ${reader.lineNumber + 1} of the backup is longer than ${Math.max(objectLimit, BACKUP_MANIFEST_MAX_BYTES)} bytes`);
        if (previous !== undefined) {
          hash.update(previous).update('\n');
          keepObject(previous);
        }
        previous = r.bytes;
      }
      if (previous === undefined) fail('malformed', 'backup is truncated: it holds a header and nothing after it');
      manifestLine = previous;
    } else {
      const total = 2 + counts.objects + counts.trees + counts.blocks;
      const line = (max: number, what: string): Buffer => {
        const r = reader.next(max);
        if (r.kind === 'line') return r.bytes;
        if (r.kind === 'too-long') fail('too-large', `${what} of the backup (line ${reader.lineNumber + 1}) is longer than ${max} bytes`);
        const after = r.kind === 'end' ? `it ends after line ${reader.lineNumber}` : `it ends in the middle of line ${reader.lineNumber + 1}`;
        return fail(
          'malformed',
          `backup is truncated: its header announces ${counts.objects} objects, ${counts.trees} tree lines and ${counts.blocks} blocks, ` +
            `then the signed manifest (${total} lines), but ${after}`,
        );
      };
      for (let i = 1; i <= counts.objects; i++) {
        const bytes = line(objectLimit, `object ${i}`);
        hash.update(bytes).update('\n');
        keepObject(bytes);
      }
      for (let i = 1; i <= counts.trees; i++) {
        const bytes = line(BACKUP_TREE_LINE_MAX_BYTES, `tree line ${i}`);
        hash.update(bytes).update('\n');
        treeLineBytes.push(Buffer.from(bytes));
      }
      for (let i = 1; i <= counts.blocks; i++) hash.update(line(BACKUP_BLOCK_LINE_MAX_BYTES, `block ${i}`)).update('\n');
      manifestLine = line(BACKUP_MANIFEST_MAX_BYTES, 'the manifest');
      if (reader.next(0).kind !== 'end') fail('malformed', `the backup goes on after its signed manifest (line ${total})`);
    }
    const manifest = parseJsonLine(manifestLine, 'the last line');
    if (manifest.type !== MANIFEST_TYPE) {
      fail(
        'malformed',
        counts === undefined
          ? 'backup is truncated: its last line is not the signed manifest'
          : `line ${reader.lineNumber} should be the signed manifest but is not`,
      );
    }
    let signer: Did;
    try {
      signer = verifyDocument(manifest).signer;
    } catch (e) {
      if (e instanceof KithError) throw new KithError(e.code, `the backup's signed manifest does not verify: ${e.message}`);
      throw e;
    }
    if (signer !== header.actor || manifest.actor !== header.actor) {
      fail('wrong-key', `the backup says it is ${header.actor}'s, but its manifest is signed by ${signer}`);
    }
    const sha256 = hash.digest('hex');
    if (manifest.sha256 !== sha256) fail('bad-signature', 'backup content does not match its signed manifest: it was changed after it was written');
    const found: Counts = counts ?? { objects: objects.length, trees: 0, blocks: 0 };
    for (const k of ['objects', 'trees', 'blocks'] as const) {
      const stated = manifest[k] ?? (counts === undefined && k !== 'objects' ? 0 : undefined);
      if (stated !== found[k]) fail('malformed', `the signed manifest counts ${String(stated)} ${k}, the backup has ${found[k]}`);
    }
    // Objects are in the order they were made, so the last actor document is the newest.
    let person: JsonObject | undefined;
    objects.forEach((text, i) => (person = actorIn(text, header.actor, `object ${i + 1}`) ?? person));
    if (header.actor !== node.did) {
      const name = typeof person?.name === 'string' ? person.name.slice(0, 100) : undefined;
      const whose = name === undefined ? header.actor : `${JSON.stringify(name)} (${header.actor})`;
      fail(
        'wrong-key',
        `this backup belongs to ${whose}, not to this node's identity ${node.did}; ` +
          'import it into a home restored from their recovery phrase ("kith init --recover")',
      );
    }
    const trees = treeLineBytes.map((bytes, i) => parseTreeLine(bytes, `tree line ${i + 1}`));
    const treeRefs = new Set(trees.flatMap((t) => t.references.map((r) => Buffer.from(r).toString('hex'))));
    return { header, counts: found, objects, trees, treeRefs, sha256, bytes: reader.offset, actor: person };
  } finally {
    reader.close();
  }
}

/**
 * Inside the import transaction: reads the file again and stores its blocks, each checked against
 * its reference by the block store. The file is hashed again on the way, so a file changed since it
 * was checked rolls everything back. Returns how many blocks were new here.
 */
function storeBlocks(node: KithNode, path: string, checked: Checked): number {
  const reader = new LineReader(path);
  try {
    const hash = createHash('sha256');
    const { counts } = checked;
    const next = (max: number): Buffer => {
      const r = reader.next(max);
      if (r.kind !== 'line') fail('conflict', `${path} changed while it was being imported; nothing was imported`);
      hash.update(r.bytes).update('\n');
      return r.bytes;
    };
    next(BACKUP_HEADER_MAX_BYTES);
    for (let i = 0; i < counts.objects; i++) next(node.ingestor.limits.maxObjectBytes);
    for (let i = 0; i < counts.trees; i++) next(BACKUP_TREE_LINE_MAX_BYTES);
    let stored = 0;
    for (let i = 1; i <= counts.blocks; i++) {
      const b = parseBlockLine(next(BACKUP_BLOCK_LINE_MAX_BYTES), `block ${i}`);
      if (!checked.treeRefs.has(Buffer.from(b.reference).toString('hex'))) fail('malformed', `block ${i} of the backup belongs to none of its trees`);
      try {
        if (node.store.blocks.put(b.reference, b.block)) stored++;
      } catch (e) {
        if (e instanceof KithError) throw new KithError(e.code, `block ${i} of the backup was refused: ${e.message}`);
        throw e;
      }
    }
    if (hash.digest('hex') !== checked.sha256) fail('conflict', `${path} changed while it was being imported; nothing was imported`);
    return stored;
  } finally {
    reader.close();
  }
}

/** The line's document, if it is this person's actor document. */
function actorIn(text: string, actor: Did, what: string): JsonObject | undefined {
  if (!text.includes('"Person"')) return undefined;
  const v = parseJsonLine(Buffer.from(text, 'utf8'), what);
  return v.type === 'Person' && v.id === actorId(actor) ? v : undefined;
}

const PROFILE_FIELDS = ['name', 'summary', 'icon', 'image'] as const;

/**
 * `kith init --recover` starts the restored identity with a blank profile, newer than anything in
 * the backup; without this the name and avatar would be lost on restore. The fields the current
 * actor lacks and the backup's newest actor has are signed into a new version; fields the person
 * has set since stay as they are. Returns the fields taken back.
 */
function restoreProfile(node: KithNode, backupActor: JsonObject | undefined): string[] {
  if (backupActor === undefined) return [];
  const current = node.actor();
  const fields: { name?: string; summary?: string; icon?: JsonObject; image?: JsonObject } = {};
  for (const k of PROFILE_FIELDS) {
    if (current[k] !== undefined) continue;
    const v = backupActor[k];
    if (k === 'icon' || k === 'image' ? isJsonObject(v) : typeof v === 'string') Object.assign(fields, { [k]: v });
  }
  const restored = Object.keys(fields);
  if (restored.length > 0) node.updateProfile(fields);
  return restored;
}
