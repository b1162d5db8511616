import { KithError, fail } from './errors.js';
import { checkShape, parseJsonLimited, byteLength, type Limits } from './limits.js';
import { verifyDocument } from './proof.js';
import { objectFacts, type ObjectLink } from './as2.js';
import type { ActivityTarget } from './activity-target.js';
import { apIdParts, outboxId } from './apid.js';
import { parseDid, resolveVerificationMethod } from './didkey.js';
import { parseDateTime } from './time.js';
import { isJsonObject, type ApId, type Did, type Digest, type Json, type JsonObject } from './types.js';

/**
 * Everything about an incoming object that needs no store and no clock:
 * size, shape, proof, digest. Pure and self-contained, so it can run on any
 * thread; what needs the store (authority) or the clock is the caller's.
 */

/** An object as it will be stored, once its authority is settled. */
export interface ObjectRecord {
  readonly digest: Digest;
  readonly id: ApId;
  /** The DID the object belongs to. */
  readonly owner: Did;
  /** The DID whose key made the proof: the owner, or a key the owner certified. */
  readonly signer: Did;
  readonly type: string;
  readonly scope: string;
  readonly created: number;
  /** JCS of the whole signed object, exactly the bytes its digest is of. */
  readonly body: string;
  readonly embedded: readonly ApId[];
  readonly links: readonly ObjectLink[];
  /** What a Like, Announce, Undo or Delete is about (absent for everything else). */
  readonly activity?: ActivityTarget | undefined;
}

/** Certificates and revocations are checked against the store's chains, so they are examined where the store is. */
export const AUTHORITY_TYPES: ReadonlySet<string> = new Set(['KithCertificate', 'KithRevocation']);

export type Examined = { readonly kind: 'object'; readonly record: ObjectRecord } | { readonly kind: 'authority'; readonly doc: JsonObject };

export function parseInput(input: string | Uint8Array | Json, limits: Limits): Json {
  if (typeof input === 'string' || input instanceof Uint8Array) return parseJsonLimited(input, limits);
  checkShape(input, limits);
  return input;
}

export function checkCanonicalSize(canonical: string, limits: Limits): void {
  const size = byteLength(canonical);
  if (size > limits.maxObjectBytes) fail('too-large', `object is ${size} bytes; the limit is ${limits.maxObjectBytes}`);
}

/** Shape first (cheap, and the better reason), then the proof. */
export function examineObject(doc: JsonObject, limits: Limits): ObjectRecord {
  const facts = objectFacts(doc);
  const proof = verifyDocument(doc);
  checkCanonicalSize(proof.canonical, limits);
  return {
    digest: proof.digest,
    id: facts.id,
    owner: facts.owner,
    signer: proof.signer,
    type: facts.type,
    scope: outboxId(facts.owner),
    created: facts.created,
    body: proof.canonical,
    embedded: facts.embedded,
    links: facts.links,
    ...(facts.activity ? { activity: facts.activity } : {}),
  };
}

export function examine(input: string | Uint8Array | Json, limits: Limits): Examined {
  const doc = parseInput(input, limits);
  if (!isJsonObject(doc)) fail('malformed', 'an object must be a JSON object');
  if (typeof doc.type === 'string' && AUTHORITY_TYPES.has(doc.type)) return { kind: 'authority', doc };
  return { kind: 'object', record: examineObject(doc, limits) };
}

/** Whose an object is and whose key signed it, as its proof shows. */
export interface Provenance {
  readonly owner: Did;
  readonly signer: Did;
  readonly id: ApId;
  /** Its `published` time, when it has a readable one. */
  readonly created: number | undefined;
}

/**
 * Whose signature an object carries, if its proof holds, whatever else is
 * wrong with it: a peer that passes on what an author signed is not to blame
 * for what the author wrote. Undefined when it does not parse, names no
 * owner, or its proof fails. Not part of ingest: only for judging a refusal.
 */
export function provenanceOf(input: string | Uint8Array, limits: Limits): Provenance | undefined {
  try {
    const doc = parseJsonLimited(input, limits);
    if (!isJsonObject(doc)) return undefined;
    const authority = typeof doc.type === 'string' && AUTHORITY_TYPES.has(doc.type);
    const owner = authority ? parseDid(doc.issuer) : apIdParts(doc.id).did;
    const id = authority ? (doc.id as ApId) : apIdParts(doc.id).key;
    const { signer } = verifyDocument(doc);
    const published = parseDateTime(doc.published);
    return { owner, signer, id, created: Number.isNaN(published) ? undefined : published };
  } catch (e) {
    if (e instanceof KithError) return undefined;
    throw e;
  }
}

/**
 * Examines an object a checkpoint covers: size, shape and facts, but not its
 * proof. Only for bytes whose SHA-256 is `digest` and whose (created, digest)
 * a checked checkpoint lists: those are exactly the bytes the author's node
 * held, proof and all, so checking the proof again proves nothing more, and
 * the bytes are already canonical. The signer is the key the proof names;
 * ingest still checks that key's authority.
 */
export function examineCovered(input: string, digest: Digest, limits: Limits): Examined {
  const doc = parseInput(input, limits);
  if (!isJsonObject(doc)) fail('malformed', 'an object must be a JSON object');
  if (typeof doc.type === 'string' && AUTHORITY_TYPES.has(doc.type)) return { kind: 'authority', doc };
  const facts = objectFacts(doc);
  checkCanonicalSize(input, limits);
  const proof = doc.proof;
  if (!isJsonObject(proof)) fail('malformed', 'a covered object still carries its own proof');
  const { did: signer } = resolveVerificationMethod(proof.verificationMethod);
  return {
    kind: 'object',
    record: {
      digest,
      id: facts.id,
      owner: facts.owner,
      signer,
      type: facts.type,
      scope: outboxId(facts.owner),
      created: facts.created,
      body: input,
      embedded: facts.embedded,
      links: facts.links,
      ...(facts.activity ? { activity: facts.activity } : {}),
    },
  };
}
