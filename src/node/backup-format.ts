import { fail, KithError } from '../core/errors.js';
import { parseDid } from '../core/didkey.js';
import { formatErisReference, maxErisLevel, parseErisReference, type ErisBlockSize, type ErisReference } from '../core/eris.js';
import { isJsonObject, type Did, type JsonObject } from '../core/types.js';
import { BACKUP_TREE_LINE_MAX_REFS } from '../core/constants.js';
import type { PinnedTree, StoredBlock } from '../store/pinned-trees.js';

/**
 * The lines of a Kith backup (newline-delimited JSON), what each holds and how each is checked.
 * Version 2, in this order:
 *
 *   header     {"type":"KithBackup","version":2,"actor":<did>,"created":…,"objects":N,"trees":T,"blocks":B}
 *   N objects  the person's signed objects, each its exact stored (JCS) bytes
 *   T trees    {"root","blockSize","level","reasons":["own"|"sealed"],"blocks":[<root>, …]}: a pinned file
 *              (a photo, an avatar, a sealed object) and the references of its blocks; a big file
 *              takes several lines, each starting with the root
 *   B blocks   {"ref":<base32>,"block":<base64>}: ERIS ciphertext, as stored
 *   manifest   signed by the person: the counts and the SHA-256 of every byte before it
 *
 * The header's counts let a reader tell a cut-off file from a damaged one before the manifest.
 * Version 1 (objects only, no counts in the header) is still read.
 */

export const BACKUP_TYPE = 'KithBackup';
export const MANIFEST_TYPE = 'KithBackupManifest';
export const BACKUP_VERSION = 2;
const READABLE_VERSIONS = [1, 2];
/** The pins a backup carries: the person's own files and their sealed objects. */
export const CARRIED_REASONS: readonly string[] = ['own', 'sealed'];

export interface Counts {
  readonly objects: number;
  readonly trees: number;
  readonly blocks: number;
}

export interface Header {
  readonly version: number;
  readonly actor: Did;
  /** Absent in version 1, which names no counts. */
  readonly counts: Counts | undefined;
}

export interface TreeLine {
  readonly root: ErisReference;
  readonly blockSize: ErisBlockSize;
  readonly level: number;
  readonly reasons: string[];
  readonly references: ErisReference[];
}

const NOT_A_BACKUP = 'not a Kith backup: its first line is not a KithBackup header (was it written by "kith export"?)';

export function headerLine(actor: Did, created: string, counts: Counts): string {
  return JSON.stringify({ type: BACKUP_TYPE, version: BACKUP_VERSION, actor, created, ...counts });
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

export function parseHeader(line: Buffer): Header {
  let v: unknown;
  try {
    v = JSON.parse(line.toString('utf8'));
  } catch {
    return fail('malformed', NOT_A_BACKUP);
  }
  if (!isJsonObject(v) || v.type !== BACKUP_TYPE) fail('malformed', NOT_A_BACKUP);
  if (!READABLE_VERSIONS.includes(v.version as number)) {
    fail('malformed', `backup version ${JSON.stringify(v.version)} is not supported; this Kith reads versions ${READABLE_VERSIONS.join(' and ')}`);
  }
  let actor: Did;
  try {
    actor = parseDid(v.actor);
  } catch (e) {
    if (e instanceof KithError) throw new KithError(e.code, `the backup header does not name a valid identity: ${e.message}`);
    throw e;
  }
  if (v.version === 1) return { version: 1, actor, counts: undefined };
  if (!isCount(v.objects) || !isCount(v.trees) || !isCount(v.blocks)) fail('malformed', 'the backup header must count its objects, trees and blocks');
  return { version: v.version as number, actor, counts: { objects: v.objects, trees: v.trees, blocks: v.blocks } };
}

/** A tree as one or more lines, each with at most BACKUP_TREE_LINE_MAX_REFS references, the root first. */
export function treeLines(tree: PinnedTree): string[] {
  const rest = tree.references.slice(1);
  const lines: string[] = [];
  const root = formatErisReference(tree.root);
  for (let at = 0; at === 0 || at < rest.length; at += BACKUP_TREE_LINE_MAX_REFS - 1) {
    const blocks = [root, ...rest.slice(at, at + BACKUP_TREE_LINE_MAX_REFS - 1).map(formatErisReference)];
    lines.push(JSON.stringify({ root, blockSize: tree.blockSize, level: tree.level, reasons: tree.reasons, blocks }));
  }
  return lines;
}

export function parseTreeLine(line: Buffer, what: string): TreeLine {
  const v = parseJsonLine(line, what);
  try {
    const root = parseErisReference(v.root);
    if (v.blockSize !== 1024 && v.blockSize !== 32768) fail('malformed', 'blockSize must be 1024 or 32768');
    if (typeof v.level !== 'number' || !Number.isInteger(v.level) || v.level < 0 || v.level > maxErisLevel(v.blockSize))
      fail('malformed', 'level is out of range');
    if (!Array.isArray(v.reasons) || v.reasons.length === 0 || !v.reasons.every((r) => typeof r === 'string' && CARRIED_REASONS.includes(r))) {
      fail('malformed', `reasons must list some of ${CARRIED_REASONS.join(', ')}`);
    }
    if (!Array.isArray(v.blocks) || v.blocks.length === 0 || v.blocks.length > BACKUP_TREE_LINE_MAX_REFS) {
      fail('malformed', `blocks must list 1 to ${BACKUP_TREE_LINE_MAX_REFS} references`);
    }
    const references = v.blocks.map(parseErisReference);
    if (v.blocks[0] !== v.root) fail('malformed', 'its list of blocks must start with the root');
    return { root, blockSize: v.blockSize, level: v.level, reasons: v.reasons as string[], references };
  } catch (e) {
    if (e instanceof KithError) throw new KithError(e.code, `${what} is not a valid tree line: ${e.message}`);
    throw e;
  }
}

export function blockLine(b: StoredBlock): string {
  return JSON.stringify({
    ref: formatErisReference(b.reference),
    block: Buffer.from(b.block.buffer, b.block.byteOffset, b.block.byteLength).toString('base64'),
  });
}

/** A block line's reference and bytes; that the bytes hash to the reference is the block store's check, on put. */
export function parseBlockLine(line: Buffer, what: string): StoredBlock {
  const v = parseJsonLine(line, what);
  try {
    const reference = parseErisReference(v.ref);
    if (typeof v.block !== 'string') fail('malformed', 'block must be base64 text');
    const block = Buffer.from(v.block, 'base64');
    // Node's decoder skips what is not base64; a block must be exactly the canonical text of its bytes.
    if (block.toString('base64') !== v.block) fail('bad-encoding', 'block is not canonical base64');
    if (block.length !== 1024 && block.length !== 32768) fail('malformed', `a block is 1024 or 32768 bytes, not ${block.length}`);
    return { reference, block };
  } catch (e) {
    if (e instanceof KithError) throw new KithError(e.code, `${what} is not a valid block line: ${e.message}`);
    throw e;
  }
}

export function parseJsonLine(line: Buffer, what: string): JsonObject {
  let v: unknown;
  try {
    v = JSON.parse(line.toString('utf8'));
  } catch {
    return fail('malformed', `${what} of the backup is not valid JSON`);
  }
  if (!isJsonObject(v)) fail('malformed', `${what} of the backup is not a JSON object`);
  return v;
}
