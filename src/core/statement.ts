import { randomUUID } from 'node:crypto';
import { fail, KithError } from './errors.js';
import { canonicalize } from './jcs.js';
import { isoSeconds, verifyDocument } from './proof.js';
import { isJsonObject, type ApId, type Did, type Digest, type JsonObject } from './types.js';

/**
 * What certificates and revocations share: both are small signed JSON
 * statements with strict members, an id under their issuer, times to the
 * second, and a proof that must be the issuer's.
 */

export const STATEMENT_CONTEXT = ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/data-integrity/v1'] as const;
export const DEFAULT_MAX_STATEMENT_BYTES = 8192;

const ISO_SECONDS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const UUID_V4_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PROOF_MEMBERS = new Set(['@context', 'type', 'cryptosuite', 'created', 'verificationMethod', 'proofPurpose', 'proofValue']);

/** A point in time: milliseconds since the epoch, or a Date. */
export type Instant = number | Date;

export interface ParseLimits {
  /** Largest accepted JSON text, in UTF-8 bytes. */
  readonly maxBytes?: number;
}

/** Short form of a DID for messages; the start and end are what people compare by eye. */
export function showDid(did: string): string {
  return did.length > 30 ? `${did.slice(0, 20)}…${did.slice(-6)}` : did;
}

export function showTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

/** Runs a field check, naming the field in any refusal so the reader knows which one to fix. */
export function inField<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof KithError) throw new KithError(e.code, `${field}: ${e.message}`);
    throw e;
  }
}

/**
 * A private, plain-JSON copy of the input, refused if over the size limit.
 * Checking a copy means getters or later mutation cannot make the checked
 * object differ from the one whose digest we report.
 */
export function snapshotJson(input: unknown, limits: ParseLimits | undefined, what: string): JsonObject {
  const max = limits?.maxBytes ?? DEFAULT_MAX_STATEMENT_BYTES;
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    if (!isJsonObject(input)) fail('malformed', `a ${what} must be a JSON object`);
    text = canonicalize(input);
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > max) fail('too-large', `the ${what} is ${bytes} bytes of JSON; at most ${max} are accepted`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('malformed', `the ${what} is not valid JSON`);
  }
  if (!isJsonObject(parsed)) fail('malformed', `a ${what} must be a JSON object`);
  return parsed;
}

export function checkMembers(d: JsonObject, allowed: ReadonlySet<string>, what: string): void {
  for (const key of Object.keys(d)) {
    if (!allowed.has(key)) fail('malformed', `the ${what} has a member Kith does not define: "${key.slice(0, 40)}"`);
  }
}

export function checkHeader(d: JsonObject, type: string, what: string): void {
  if (canonicalize(d['@context'] ?? null) !== canonicalize(STATEMENT_CONTEXT)) {
    fail('malformed', `the ${what}'s @context must be ${JSON.stringify(STATEMENT_CONTEXT)}`);
  }
  if (d.type !== type) fail('malformed', `the ${what}'s type must be "${type}", got ${JSON.stringify(d.type ?? null).slice(0, 40)}`);
}

/** The id names its issuer, so a statement cannot be replayed under another issuer's id. */
export function checkStatementId(id: unknown, issuer: Did, collection: string, what: string): ApId {
  const prefix = `ap://${issuer}/${collection}/`;
  if (typeof id !== 'string' || !id.startsWith(prefix) || !UUID_V4_RE.test(id.slice(prefix.length))) {
    fail('malformed', `the ${what}'s id must be ${prefix}<lower-case UUID v4>`);
  }
  return id as ApId;
}

export function statementId(issuer: Did, collection: string, given: string | undefined, what: string): ApId {
  return checkStatementId(given ?? `ap://${issuer}/${collection}/${randomUUID()}`, issuer, collection, what);
}

/** ISO 8601 UTC to the second; Date.parse alone would roll 2024-02-30 over into March. */
export function parseIsoSeconds(v: unknown, field: string): number {
  if (typeof v !== 'string' || !ISO_SECONDS_RE.test(v)) {
    fail('malformed', `${field} must be a UTC time to the second, like "2025-01-31T12:00:00Z"`);
  }
  const ms = Date.parse(v);
  if (Number.isNaN(ms) || isoSeconds(new Date(ms)) !== v) fail('malformed', `${field} "${v}" is not a real time`);
  return ms;
}

export function toMs(t: Instant, field: string): number {
  const ms = t instanceof Date ? t.getTime() : t;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) fail('malformed', `${field} must be a finite time in ms or a Date`);
  return ms;
}

export const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;
export const ceilSecond = (ms: number): number => Math.ceil(ms / 1000) * 1000;
export const isoOf = (ms: number): string => isoSeconds(new Date(ms));

/** Verifies the proof and that it was made by the key the statement names as its issuer. */
export function verifySignedBy(d: JsonObject, issuer: Did, proofPurpose: string, what: string): Digest {
  const proof = d.proof;
  if (!isJsonObject(proof)) fail('malformed', `the ${what}'s proof must be one proof object`);
  checkMembers(proof, PROOF_MEMBERS, `${what}'s proof`);
  const verified = verifyDocument(d, { proofPurpose });
  if (verified.signer !== issuer) {
    fail('wrong-key', `the ${what} names ${showDid(issuer)} as issuer but is signed by ${showDid(verified.signer)}`);
  }
  return verified.digest;
}

export function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}
