import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256, OpenError } from '@hpke/core';
import { KithError, fail } from './errors.js';
import { actorId, apIdParts, isApId } from './apid.js';
import { AS_CONTEXT, isoNow, newObjectId } from './as2.js';
import { decodeBase58btc, encodeBase58btc } from './multibase.js';
import { parseDateTime } from './time.js';
import { isJsonObject, type ApId, type Did, type JsonObject } from './types.js';

/**
 * Follower keys (issue 14): the objects and the cryptography, without I/O.
 *
 * - A key-agreement key is an X25519 key a person publishes in their actor
 *   document (FEP-521a `keyAgreement`, a Multikey), which the actor's proof
 *   certifies.
 * - An epoch key is a 32-byte symmetric key an author gives each approved
 *   follower in a `KithEpochKey` object of the author's scope: the key sealed
 *   with HPKE (RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 *   AES-128-GCM, as inbox deliveries are) to that follower's key-agreement
 *   key. It replicates like any object; only that follower can open it.
 * - A followers-only post is a sealed object (node/sealed.ts) whose read
 *   capability travels in its envelope encrypted under the epoch key
 *   (AES-256-GCM, bound to the author, the epoch and the envelope's id).
 */

export const EPOCH_KEY_TYPE = 'KithEpochKey';
export const EPOCH_KEY_BYTES = 32;
const X25519_MULTICODEC = Uint8Array.of(0xec, 0x01);
const KEY_INFO = new TextEncoder().encode('kith epoch key v1');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** A read capability (urn:eris:…) is about 110 characters; this leaves room and refuses a bloated one. */
const MAX_CAPABILITY_BYTES = 512;

let suite: CipherSuite | undefined;
/** The HPKE suite every sealed key of Kith uses (epoch keys, conversation keys). */
export function hpke(): CipherSuite {
  return (suite ??= new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() }));
}

export interface AgreementKeyPair {
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function newAgreementKey(): AgreementKeyPair {
  const secret = new Uint8Array(randomBytes(32));
  return { secret, publicKey: x25519.getPublicKey(secret) };
}

export function agreementPublicOf(secret: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secret);
}

/** `z6LS…`: an X25519 public key as a Multikey's publicKeyMultibase. */
export function x25519Multibase(publicKey: Uint8Array): string {
  return encodeBase58btc(Buffer.concat([X25519_MULTICODEC, publicKey]));
}

export function x25519FromMultibase(mb: unknown): Uint8Array {
  if (typeof mb !== 'string') return fail('bad-encoding', 'a key-agreement key is a multibase string');
  const bytes = decodeBase58btc(mb);
  if (bytes.length !== 34 || bytes[0] !== 0xec || bytes[1] !== 0x01) fail('bad-encoding', 'a key-agreement key is an X25519 Multikey (z6LS…)');
  return bytes.slice(2);
}

/** The id of a published key-agreement key: the actor's id with the key as fragment, so the id names the key. */
export function agreementKeyId(did: Did, publicKey: Uint8Array): string {
  return `${actorId(did)}#${x25519Multibase(publicKey)}`;
}

/** The FEP-521a `keyAgreement` entry an actor document carries. */
export function agreementMethod(did: Did, publicKey: Uint8Array): JsonObject {
  return { id: agreementKeyId(did, publicKey), type: 'Multikey', controller: actorId(did), publicKeyMultibase: x25519Multibase(publicKey) };
}

/** The newest published key-agreement key of an actor document (the first listed), or undefined if it lists none (or none that decodes). */
export function publishedAgreementKey(actor: JsonObject): { id: string; publicKey: Uint8Array } | undefined {
  const list = actor.keyAgreement;
  if (!Array.isArray(list) || list.length === 0 || !isJsonObject(list[0])) return undefined;
  const m = list[0];
  if (m.controller !== actor.id || typeof m.id !== 'string' || typeof m.publicKeyMultibase !== 'string') return undefined;
  // A key that does not decode is not a key to seal to: the sender falls back to the did:key's key, which always works.
  if (!/^z[1-9A-HJ-NP-Za-km-z]{40,60}$/.test(m.publicKeyMultibase)) return undefined;
  const bytes = decodeBase58btc(m.publicKeyMultibase);
  if (bytes.length !== 34 || bytes[0] !== 0xec || bytes[1] !== 0x01) return undefined;
  return { id: m.id, publicKey: bytes.slice(2) };
}

/** What binds a sealed epoch key to its author, recipient, epoch and expiry: a holder cannot pass it off as another. */
function keyAssociated(author: Did, recipient: Did, epoch: number, expires: string): Uint8Array {
  return new TextEncoder().encode(`kith-epoch-key/1\n${author}\n${recipient}\n${epoch}\n${expires}`);
}

export interface EpochGrant {
  readonly author: Did;
  readonly recipient: Did;
  readonly epoch: number;
  /** ISO 8601: after this the author posts nothing new under the epoch. */
  readonly expires: string;
  /** Which of the recipient's keys it is sealed to: a published key's id, or the recipient's did:key. */
  readonly keyId: string;
}

/** An unsigned KithEpochKey object: `epochKey` sealed to `recipientPublic` (the key `grant.keyId` names). */
export async function buildEpochKeyObject(grant: EpochGrant, epochKey: Uint8Array, recipientPublic: Uint8Array, now = Date.now()): Promise<JsonObject> {
  const s = hpke();
  const recipientPublicKey = await s.kem.importKey('raw', toArrayBuffer(recipientPublic), true);
  const { enc, ct } = await s.seal({ recipientPublicKey, info: KEY_INFO }, epochKey, keyAssociated(grant.author, grant.recipient, grant.epoch, grant.expires));
  return {
    '@context': [...AS_CONTEXT],
    id: newObjectId(grant.author),
    type: EPOCH_KEY_TYPE,
    attributedTo: actorId(grant.author),
    to: [actorId(grant.recipient)],
    published: isoNow(now),
    epoch: grant.epoch,
    expires: grant.expires,
    keyAgreement: grant.keyId,
    enc: Buffer.from(enc).toString('base64'),
    ct: Buffer.from(ct).toString('base64'),
  };
}

export interface EpochKeyObject extends EpochGrant {
  readonly id: ApId;
  readonly enc: Uint8Array;
  readonly ct: Uint8Array;
}

function didOfActor(v: unknown, what: string): Did {
  if (typeof v !== 'string' || !isApId(v)) return fail('malformed', `${what} is an ap:// actor id`);
  return apIdParts(v).did;
}

/** Reads a KithEpochKey object's fields (its proof is ingest's business); undefined when it is not one. */
export function parseEpochKeyObject(doc: JsonObject): EpochKeyObject | undefined {
  if (doc.type !== EPOCH_KEY_TYPE) return undefined;
  if (typeof doc.id !== 'string' || !isApId(doc.id)) fail('malformed', 'an epoch key object has an ap:// id');
  const author = didOfActor(doc.attributedTo, "an epoch key object's attributedTo");
  if (!Array.isArray(doc.to) || doc.to.length !== 1) fail('malformed', 'an epoch key object is addressed to exactly one follower');
  const recipient = didOfActor(doc.to[0], "an epoch key object's recipient");
  if (typeof doc.epoch !== 'number' || !Number.isSafeInteger(doc.epoch) || doc.epoch < 1)
    fail('malformed', "an epoch key object's epoch is a whole number from 1");
  if (typeof doc.expires !== 'string' || Number.isNaN(parseDateTime(doc.expires))) fail('malformed', 'an epoch key object says when it expires (ISO 8601)');
  if (typeof doc.keyAgreement !== 'string' || doc.keyAgreement.length > 300) fail('malformed', 'an epoch key object names the key it is sealed to');
  const enc = base64Bytes(doc.enc, 'enc', 32);
  if (enc.length !== 32) fail('malformed', "an epoch key object's enc is an X25519 key of 32 bytes");
  const ct = base64Bytes(doc.ct, 'ct', EPOCH_KEY_BYTES + TAG_BYTES);
  return { id: doc.id as ApId, author, recipient, epoch: doc.epoch, expires: doc.expires, keyId: doc.keyAgreement, enc, ct };
}

/** Opens a sealed epoch key with the recipient's X25519 secret; a box that does not open (wrong key, altered, wrong tag) is refused. */
export async function openEpochKey(o: EpochKeyObject, secret: Uint8Array): Promise<Uint8Array> {
  const s = hpke();
  const recipientKey = await s.kem.importKey('raw', toArrayBuffer(secret), false);
  let key: Uint8Array;
  try {
    key = new Uint8Array(
      await s.open({ recipientKey, enc: toArrayBuffer(o.enc), info: KEY_INFO }, o.ct, keyAssociated(o.author, o.recipient, o.epoch, o.expires)),
    );
  } catch (e) {
    if (e instanceof OpenError) {
      throw new KithError(
        'bad-signature',
        `the epoch key ${o.epoch} of ${o.author} does not open with this node's key (sealed to another key, or its tag is wrong)`,
      );
    }
    throw e;
  }
  if (key.length !== EPOCH_KEY_BYTES) fail('malformed', `an epoch key is ${EPOCH_KEY_BYTES} bytes`);
  return key;
}

function capabilityAssociated(author: Did, epoch: number, envelopeId: string): Uint8Array {
  return new TextEncoder().encode(`kith-followers-capability/1\n${author}\n${epoch}\n${envelopeId}`);
}

/** The `followers` field of a followers-only envelope: the read capability encrypted under the epoch key. */
export function encryptCapability(urn: string, epochKey: Uint8Array, at: { author: Did; epoch: number; envelopeId: string }): JsonObject {
  const nonce = randomBytes(NONCE_BYTES);
  const c = createCipheriv('aes-256-gcm', epochKey, nonce);
  c.setAAD(capabilityAssociated(at.author, at.epoch, at.envelopeId));
  const ct = Buffer.concat([c.update(urn, 'utf8'), c.final(), c.getAuthTag()]);
  return { epoch: at.epoch, nonce: nonce.toString('base64'), ct: ct.toString('base64') };
}

export interface FollowersCapability {
  readonly epoch: number;
  readonly nonce: Uint8Array;
  readonly ct: Uint8Array;
}

/** The `followers` field of an envelope, checked; undefined when the envelope is not followers-only. */
export function followersCapabilityOf(envelope: JsonObject): FollowersCapability | undefined {
  const f = envelope.followers;
  if (f === undefined) return undefined;
  if (!isJsonObject(f)) return fail('malformed', "a followers-only envelope's `followers` is an object");
  if (typeof f.epoch !== 'number' || !Number.isSafeInteger(f.epoch) || f.epoch < 1) fail('malformed', 'a followers-only envelope names its epoch');
  const nonce = base64Bytes(f.nonce, 'nonce', NONCE_BYTES);
  if (nonce.length !== NONCE_BYTES) fail('malformed', `a followers-only envelope's nonce is ${NONCE_BYTES} bytes`);
  return { epoch: f.epoch, nonce, ct: base64Bytes(f.ct, 'ct', MAX_CAPABILITY_BYTES + TAG_BYTES) };
}

/** Decrypts a followers-only envelope's read capability; a wrong key or tag is refused. */
export function decryptCapability(f: FollowersCapability, epochKey: Uint8Array, at: { author: Did; envelopeId: string }): string {
  if (f.ct.length <= TAG_BYTES) fail('malformed', 'a followers-only capability is too short to hold anything');
  const d = createDecipheriv('aes-256-gcm', epochKey, f.nonce);
  d.setAAD(capabilityAssociated(at.author, f.epoch, at.envelopeId));
  d.setAuthTag(f.ct.subarray(f.ct.length - TAG_BYTES));
  try {
    return Buffer.concat([d.update(f.ct.subarray(0, f.ct.length - TAG_BYTES)), d.final()]).toString('utf8');
  } catch {
    return fail('bad-signature', `the read capability of ${at.envelopeId} does not open with epoch ${f.epoch}'s key (its tag is wrong)`);
  }
}

export function base64Bytes(v: unknown, field: string, maxBytes: number): Uint8Array {
  if (typeof v !== 'string' || v.length > Math.ceil(maxBytes / 3) * 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
    return fail('malformed', `${field} must be base64 of at most ${maxBytes} bytes`);
  }
  return new Uint8Array(Buffer.from(v, 'base64'));
}

export function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
