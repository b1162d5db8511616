import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { createHash } from 'node:crypto';
import { fail, KithError } from '../core/errors.js';
import { verifyDocument } from '../core/proof.js';
import { isoNow } from '../core/as2.js';
import { parseDid } from '../core/didkey.js';
import { isJsonObject, type Did, type JsonObject } from '../core/types.js';
import type { KithNode } from './kith-node.js';

/**
 * A portable backup: newline-delimited JSON. A header line, one line per
 * signed object (its exact JCS bytes), and a last line, a manifest signed by
 * the identity, that states how many objects came before it and the SHA-256
 * of every byte before it. Import checks the manifest first and then ingests
 * everything in one transaction: a backup lands whole or not at all.
 */

export const BACKUP_TYPE = 'KithBackup';
const MANIFEST_TYPE = 'KithBackupManifest';
const BACKUP_VERSION = 1;
/** Bounds memory on import; a personal archive is far smaller. */
export const MAX_BACKUP_BYTES = 1024 * 1024 * 1024;

export interface BackupSummary {
  readonly actor: Did;
  readonly objects: number;
  readonly bytes: number;
}

/**
 * Writes the backup beside its destination and renames it into place, so a
 * failed export never leaves half a file, and never writes into the node's
 * own home (where it could replace the key or the database).
 */
export function exportBackup(node: KithNode, path: string): BackupSummary {
  const target = resolve(path);
  if (target === node.home.root || target.startsWith(node.home.root + sep)) {
    fail('conflict', `will not write a backup inside the node's home (${node.home.root}); choose another place`);
  }
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
  let objects = 0;
  try {
    line(JSON.stringify({ type: BACKUP_TYPE, version: BACKUP_VERSION, actor: node.did, created: isoNow() }));
    for (const o of node.store.objects.byOwner(node.did)) {
      line(o.body);
      objects++;
    }
    const manifest = node.sign({ type: MANIFEST_TYPE, actor: node.did, objects, sha256: hash.digest('hex'), created: isoNow() });
    put(Buffer.from(JSON.stringify(manifest) + '\n', 'utf8'));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(partial, target);
  } catch (e) {
    closeSync(fd);
    rmSync(partial, { force: true });
    if (e instanceof KithError) throw e;
    return fail('io', `cannot write ${path}: ${(e as Error).message}`);
  }
  return { actor: node.did, objects, bytes };
}

export interface ImportSummary extends BackupSummary {
  readonly stored: number;
  readonly duplicates: number;
}

export async function importBackup(node: KithNode, path: string): Promise<ImportSummary> {
  let data: Buffer;
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size > MAX_BACKUP_BYTES) fail('too-large', `backup is ${size} bytes; the limit is ${MAX_BACKUP_BYTES}`);
    } finally {
      closeSync(fd);
    }
    data = readFileSync(path);
  } catch (e) {
    if (e instanceof KithError) throw e;
    return fail('io', `cannot read ${path}: ${(e as Error).message}`);
  }
  if (data.length === 0 || data[data.length - 1] !== 0x0a) fail('malformed', 'backup is truncated (it does not end with a complete line)');
  const lastStart = data.lastIndexOf(0x0a, data.length - 2) + 1;
  if (lastStart === 0) fail('malformed', 'backup has no header or no manifest');
  const body = data.subarray(0, lastStart);
  const manifest = parseLine(data.subarray(lastStart, data.length - 1), 'manifest');
  const lines = body.toString('utf8').split('\n');
  lines.pop();
  const header = parseLine(Buffer.from(lines[0] ?? '', 'utf8'), 'header');
  if (header.type !== BACKUP_TYPE) fail('malformed', 'not a Kith backup (the first line is not a KithBackup header)');
  if (header.version !== BACKUP_VERSION) fail('malformed', `backup version ${JSON.stringify(header.version)} is not supported`);
  const actor = parseDid(header.actor);
  if (manifest.type !== MANIFEST_TYPE) fail('malformed', 'backup is truncated (its last line is not the signed manifest)');
  const signed = verifyDocument(manifest);
  if (signed.signer !== actor || manifest.actor !== actor) fail('wrong-key', `the manifest is not signed by the backup's identity ${actor}`);
  if (manifest.sha256 !== createHash('sha256').update(body).digest('hex')) {
    fail('bad-signature', 'backup content does not match its signed manifest: it was changed or truncated');
  }
  const objects = lines.slice(1);
  if (manifest.objects !== objects.length) fail('malformed', `manifest counts ${String(manifest.objects)} objects, the file has ${objects.length}`);

  let stored = 0;
  let duplicates = 0;
  // Signatures are checked on every core first; then one transaction admits and writes it all, or nothing.
  const examined = objects.length < 64 ? undefined : await node.pool.examine(objects);
  node.store.transaction(() => {
    const results = examined ? node.ingestor.ingestExamined(examined) : node.ingestor.ingestMany(objects);
    results.forEach((r, i) => {
      if (r instanceof KithError) throw new KithError(r.code, `object ${i + 1} of the backup was refused: ${r.message}`);
      if (r.owner !== actor) fail('wrong-key', `object ${i + 1} belongs to ${r.owner}, not to the backup's identity`);
      if (r.status === 'stored') stored++;
      else duplicates++;
    });
  });
  return { actor, objects: objects.length, bytes: data.length, stored, duplicates };
}

function parseLine(line: Buffer, what: string): JsonObject {
  let v: unknown;
  try {
    v = JSON.parse(line.toString('utf8'));
  } catch {
    return fail('malformed', `backup ${what} is not valid JSON`);
  }
  if (!isJsonObject(v)) fail('malformed', `backup ${what} is not a JSON object`);
  return v;
}
