import { randomUUID } from 'node:crypto';
import { fail } from './errors.js';
import { isDigest, sha256, toHex, fromHex } from './bytes.js';
import { compareBytes } from './digest-set.js';
import { outboxId } from './apid.js';
import { parseDid } from './didkey.js';
import { signDocument, verifyDocument } from './proof.js';
import type { Ed25519KeyPair } from './ed25519.js';
import { canonicalize } from './jcs.js';
import { checkMembers, checkHeader, inField, isoOf, floorSecond, parseIsoSeconds, showDid, snapshotJson, deepFreeze, STATEMENT_CONTEXT } from './statement.js';
import { CHECKPOINT_MAX_BYTES, CHECKPOINT_MAX_COUNT } from './constants.js';
import type { ApId, Did, Digest, JsonObject } from './types.js';

/**
 * A checkpoint: an author's signed statement that their scope, in
 * (created, digest) order, holds `count` items up to and including `last`,
 * and that the SHA-256 over that ordered list is `hash`. A follower that
 * trusts one signature then needs only one SHA-256 per covered object: bytes
 * that hash to a digest the author listed are the author's bytes. Every
 * object keeps its own proof, so it still travels alone.
 *
 * The hash is over 40 bytes an item, back to back: `created` in milliseconds
 * as a big-endian signed 64-bit integer, then the 32-byte digest.
 */

export const CHECKPOINT_TYPE = 'KithCheckpoint';
const CHECKPOINT_MEMBERS = new Set(['@context', 'type', 'id', 'actor', 'scope', 'count', 'last', 'hash', 'published', 'proof']);
const LAST_MEMBERS = new Set(['created', 'digest']);
const ITEM_BYTES = 40;

/** One item of a scope's order. */
export interface ScopeItem {
  readonly created: number;
  /** The 32 raw bytes of the digest. */
  readonly digest: Uint8Array;
}

export interface Checkpoint {
  readonly id: ApId;
  /** Whose scope it is. */
  readonly actor: Did;
  readonly scope: string;
  readonly count: number;
  readonly last: { readonly created: number; readonly digest: Digest };
  readonly hash: Digest;
  readonly published: number;
  /** The key that signed it: the actor's own, or one the actor certified to publish (the caller checks which). */
  readonly signer: Did;
  /** SHA-256 of its JCS bytes. */
  readonly digest: Digest;
  readonly doc: Readonly<JsonObject>;
}

/** The hash a checkpoint states, over items already in scope order. */
export function checkpointHash(count: number, createdAt: (i: number) => number, digestAt: (i: number) => Uint8Array): Digest {
  const buf = new Uint8Array(count * ITEM_BYTES);
  const view = new DataView(buf.buffer);
  for (let i = 0; i < count; i++) {
    // A big-endian signed 64-bit integer, written as two 32-bit halves (a BigInt per item costs more).
    const created = createdAt(i);
    const high = Math.floor(created / 2 ** 32);
    view.setInt32(i * ITEM_BYTES, high);
    view.setUint32(i * ITEM_BYTES + 4, created - high * 2 ** 32);
    buf.set(digestAt(i), i * ITEM_BYTES + 8);
  }
  return toHex(sha256(buf)) as Digest;
}

/** Scope order: by time, then by digest byte by byte. */
export function compareItems(a: ScopeItem, b: ScopeItem): number {
  return a.created - b.created || compareBytes(a.digest, b.digest);
}

/** Is the item at or before the checkpoint's last item, so the checkpoint speaks for it? */
export function coveredBy(cp: Pick<Checkpoint, 'last'>, item: ScopeItem, lastDigest: Uint8Array = fromHex(cp.last.digest)): boolean {
  return item.created < cp.last.created || (item.created === cp.last.created && compareBytes(item.digest, lastDigest) <= 0);
}

export interface CheckpointFields {
  readonly actor: Did;
  readonly count: number;
  readonly last: ScopeItem;
  readonly hash: Digest;
  readonly now?: number;
}

/** Signs a checkpoint of `actor`'s scope with `key` (the actor's own, or a device key certified to publish). */
export function buildCheckpoint(key: Ed25519KeyPair, f: CheckpointFields): Checkpoint {
  return buildCheckpointWith((doc, created) => signDocument(doc, key, { created }), f);
}

/** Builds a checkpoint signed by `sign` (given the document and the proof's time), for a signer whose key stays where it is. */
export function buildCheckpointWith(sign: (doc: JsonObject, created: string) => JsonObject, f: CheckpointFields): Checkpoint {
  const now = floorSecond(f.now ?? Date.now());
  const doc: JsonObject = {
    '@context': [...STATEMENT_CONTEXT],
    type: CHECKPOINT_TYPE,
    id: `ap://${f.actor}/checkpoints/${randomUUID()}`,
    actor: f.actor,
    scope: outboxId(f.actor),
    count: f.count,
    last: { created: f.last.created, digest: toHex(f.last.digest) },
    hash: f.hash,
    published: isoOf(now),
  };
  return parseCheckpoint(sign(doc, isoOf(now)));
}

/**
 * Checks a checkpoint's shape, sizes and signature, and returns what it
 * states. Whether its signer may speak for the actor is the store's question
 * (a device key needs a publishing certificate that is not revoked).
 */
export function parseCheckpoint(input: unknown): Checkpoint {
  const d = snapshotJson(input, { maxBytes: CHECKPOINT_MAX_BYTES }, 'checkpoint');
  checkMembers(d, CHECKPOINT_MEMBERS, 'checkpoint');
  checkHeader(d, CHECKPOINT_TYPE, 'checkpoint');
  const actor = inField('actor', () => parseDid(d.actor));
  const prefix = `ap://${actor}/checkpoints/`;
  if (typeof d.id !== 'string' || !d.id.startsWith(prefix) || d.id.length > prefix.length + 64) {
    fail('malformed', `the checkpoint's id must be ${prefix}<name>`);
  }
  const scope = outboxId(actor);
  if (d.scope !== scope) fail('malformed', `the checkpoint's scope must be its actor's outbox, ${scope}`);
  const count = d.count;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > CHECKPOINT_MAX_COUNT) {
    fail('malformed', `the checkpoint's count must be a whole number from 1 to ${CHECKPOINT_MAX_COUNT}`);
  }
  const last = d.last;
  if (typeof last !== 'object' || last === null || Array.isArray(last)) return fail('malformed', "the checkpoint's last must be {created, digest}");
  checkMembers(last, LAST_MEMBERS, "checkpoint's last item");
  if (typeof last.created !== 'number' || !Number.isSafeInteger(last.created)) fail('malformed', "the checkpoint's last.created must be a time in whole ms");
  if (!isDigest(last.digest)) fail('malformed', "the checkpoint's last.digest must be a lower-case hex SHA-256 digest");
  if (!isDigest(d.hash)) fail('malformed', "the checkpoint's hash must be a lower-case hex SHA-256 digest");
  const published = parseIsoSeconds(d.published, 'published');
  const verified = verifyDocument(d, { proofPurpose: 'assertionMethod' });
  return Object.freeze({
    id: d.id as ApId,
    actor,
    scope,
    count,
    last: Object.freeze({ created: last.created, digest: last.digest }),
    hash: d.hash,
    published,
    signer: verified.signer,
    digest: verified.digest,
    doc: deepFreeze(d),
  });
}

/** The checkpoint as the bytes that travel. */
export function checkpointBytes(cp: Checkpoint): string {
  return canonicalize(cp.doc as JsonObject);
}

/** What a follower holds of a scope, in scope order (core/reconcile's ItemIndex is one). */
export interface HeldItems {
  readonly size: number;
  createdAt(i: number): number;
  digestAt(i: number): Uint8Array;
}

/**
 * Checks a checkpoint against the items a follower holds and the ones it
 * received, for the range the checkpoint covers: as many as it states, and
 * the same hash. `received` must hold only items the checkpoint covers, none
 * of them held. Throws 'conflict' saying which way it fails.
 */
export function checkAgainst(cp: Checkpoint, held: HeldItems, received: ScopeItem[]): void {
  const lastDigest = fromHex(cp.last.digest);
  let heldCovered = 0;
  while (heldCovered < held.size && coveredBy(cp, { created: held.createdAt(heldCovered), digest: held.digestAt(heldCovered) }, lastDigest)) heldCovered++;
  const counted = heldCovered + received.length;
  if (counted !== cp.count) fail('conflict', mismatchReason(cp, counted));
  // Nearly sorted already (reconciliation finds differences in scope order), which sorting takes in one pass.
  received.sort(compareItems);
  let h = 0;
  let r = 0;
  const heldFirst = () => r >= received.length || (h < heldCovered && compareItems({ created: held.createdAt(h), digest: held.digestAt(h) }, received[r]!) < 0);
  const order: ScopeItem[] = new Array(counted);
  for (let i = 0; i < counted; i++) order[i] = heldFirst() ? { created: held.createdAt(h), digest: held.digestAt(h++) } : received[r++]!;
  if (
    checkpointHash(
      counted,
      (i) => order[i]!.created,
      (i) => order[i]!.digest,
    ) !== cp.hash
  )
    fail('conflict', mismatchReason(cp, counted));
}

/** Why a hash over what a follower holds and received does not match, in words a person can act on. */
export function mismatchReason(cp: Checkpoint, counted: number): string {
  const by = `the checkpoint ${cp.id} signed by ${showDid(cp.signer)}`;
  if (counted > cp.count) {
    return `${by} covers ${cp.count} item(s) up to its last, but this node holds and received ${counted} there: it omits ${counted - cp.count} object(s) this node already holds or was sent, so its hash cannot match`;
  }
  if (counted < cp.count) return `${by} covers ${cp.count} item(s), but the peer sent only enough for ${counted}: its hash cannot match`;
  return `${by} states a hash over its ${cp.count} item(s) that does not match the hash over the items this node holds and received`;
}
