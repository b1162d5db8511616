import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256, OpenError } from '@hpke/core';
import { KithError, fail } from './errors.js';
import { sha256Hex } from './bytes.js';
import { parseDid, publicKeyFromDid, x25519PublicFromEd25519 } from './didkey.js';
import { verify } from './ed25519.js';
import { isJsonObject, type Did, type Json, type JsonObject } from './types.js';
import { INBOX_CARRIED } from './constants.js';
import { parseJsonLimited, type Limits } from './limits.js';

/**
 * A delivery left with a holder while its recipient's node is away: the
 * signed activity sealed to the recipient with HPKE (RFC 9180, base mode) to
 * the X25519 key their Ed25519 did:key gives (RFC 7748 §4.1), in an envelope
 * the sender signs. The holder checks the sender's signature (so it knows
 * whom to count against the per-sender cap) and learns only sender,
 * recipient, size and time; only the recipient can open it.
 *
 * Suite: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM. (@hpke/core
 * has no ChaCha20-Poly1305 of its own; AES-128-GCM is the suite RFC 9180's
 * X25519 test vectors are given for first, and what WebCrypto offers everywhere.)
 */

export interface HeldEnvelope {
  readonly v: 1;
  readonly recipient: Did;
  readonly sender: Did;
  /** When the sender sealed it (ms since epoch). */
  readonly created: number;
  /** The HPKE encapsulated key, base64. */
  readonly enc: string;
  /** The sealed activity, base64. */
  readonly ct: string;
  /**
   * The id of the recipient's published key-agreement key it is sealed to
   * (core/follower-keys.ts); absent when sealed to the key their did:key gives.
   */
  readonly key?: string;
  /** The sender's Ed25519 signature over what the holder may know of it (see envelopeMessage), base64. */
  readonly sig: string;
}

const INFO = new TextEncoder().encode('kith inbox delivery v1');
const ENC_BYTES = 32;
const SIG_BYTES = 64;

let suite: CipherSuite | undefined;
function hpke(): CipherSuite {
  return (suite ??= new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() }));
}

/** Binds the ciphertext to its sender, recipient and time: a holder cannot pass it off as someone else's. */
function associatedData(recipient: Did, sender: Did, created: number): Uint8Array {
  return new TextEncoder().encode(`${recipient}\n${sender}\n${created}`);
}

/** What the sender signs: everything in the envelope but the signature, the ciphertext by its hash. */
export function envelopeMessage(e: Omit<HeldEnvelope, 'sig'>): Uint8Array {
  // The key's id is signed when present; an envelope sealed to the did:key's key signs what it always did.
  const key = e.key === undefined ? '' : `\n${e.key}`;
  return new TextEncoder().encode(`kith-inbox-held/1\n${e.recipient}\n${e.sender}\n${e.created}\n${sha256Hex(`${e.enc}.${e.ct}`)}${key}`);
}

/**
 * Seals a signed activity's bytes to `recipient`: to their published
 * key-agreement key `published` when the sender knows one, else to the key
 * their did:key gives. `sign` makes the sender's Ed25519 signature.
 */
export async function sealDelivery(
  activity: Uint8Array,
  to: { recipient: Did; sender: Did; created: number },
  sign: (message: Uint8Array) => Uint8Array,
  published?: { keyId: string; publicKey: Uint8Array },
): Promise<HeldEnvelope> {
  const s = hpke();
  const x25519 = published?.publicKey ?? x25519PublicFromEd25519(publicKeyFromDid(to.recipient));
  const recipientPublicKey = await s.kem.importKey('raw', toArrayBuffer(x25519), true);
  const { enc, ct } = await s.seal({ recipientPublicKey, info: INFO }, activity, associatedData(to.recipient, to.sender, to.created));
  const unsigned = {
    v: 1 as const,
    ...to,
    enc: Buffer.from(enc).toString('base64'),
    ct: Buffer.from(ct).toString('base64'),
    ...(published ? { key: published.keyId } : {}),
  };
  return { ...unsigned, sig: Buffer.from(sign(envelopeMessage(unsigned))).toString('base64') };
}

function base64Field(v: Json | undefined, field: string, maxBytes: number): string {
  if (typeof v !== 'string' || v.length > Math.ceil(maxBytes / 3) * 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
    fail('malformed', `a held delivery's ${field} must be base64 of at most ${maxBytes} bytes`);
  }
  return v;
}

/** A published key's id is an actor id and a Multikey fragment; this leaves room and refuses a bloated one. */
const MAX_KEY_ID_CHARS = 300;

function keyIdField(v: Json): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_KEY_ID_CHARS)
    fail('malformed', `a held delivery's key is the id of a key-agreement key, at most ${MAX_KEY_ID_CHARS} characters`);
  return v;
}

/** Checks an envelope's shape and its sender's signature (what a holder can check); throws malformed, bad-encoding or bad-signature. */
export function checkEnvelope(doc: Json, maxSealedBytes: number): HeldEnvelope {
  if (!isJsonObject(doc) || doc.v !== 1) return fail('malformed', 'a held delivery is an envelope of version 1');
  const recipient = parseDid(doc.recipient);
  const sender = parseDid(doc.sender);
  if (typeof doc.created !== 'number' || !Number.isSafeInteger(doc.created) || doc.created < 0) fail('malformed', "a held delivery's time is ms since 1970");
  const e = {
    v: 1 as const,
    recipient,
    sender,
    created: doc.created,
    enc: base64Field(doc.enc, 'enc', ENC_BYTES),
    ct: base64Field(doc.ct, 'ct', maxSealedBytes),
    sig: base64Field(doc.sig, 'sig', SIG_BYTES),
    ...(doc.key !== undefined ? { key: keyIdField(doc.key) } : {}),
  };
  if (Buffer.from(e.enc, 'base64').length !== ENC_BYTES) fail('malformed', `a held delivery's enc is an X25519 key of ${ENC_BYTES} bytes`);
  if (!verify(publicKeyFromDid(sender), envelopeMessage(e), Buffer.from(e.sig, 'base64'))) {
    fail('bad-signature', `the held delivery is not signed by its sender ${sender}`);
  }
  return e;
}

/** Opens an envelope with the recipient's X25519 secret; one that does not open is refused as malformed. */
export async function openDelivery(e: HeldEnvelope, x25519Secret: Uint8Array): Promise<Uint8Array> {
  const s = hpke();
  const recipientKey = await s.kem.importKey('raw', toArrayBuffer(x25519Secret), false);
  try {
    const pt = await s.open(
      { recipientKey, enc: toArrayBuffer(Buffer.from(e.enc, 'base64')), info: INFO },
      Buffer.from(e.ct, 'base64'),
      associatedData(e.recipient, e.sender, e.created),
    );
    return new Uint8Array(pt);
  } catch (err) {
    if (err instanceof OpenError) {
      throw new KithError(
        'malformed',
        `the delivery held for ${e.recipient} from ${e.sender} does not open with the recipient's key (sealed to another key, or altered)`,
      );
    }
    throw err;
  }
}

/**
 * What a sealed delivery holds: the signed activity alone, or, when it
 * carries documents for the recipient to check it by (core/carried-documents.ts),
 * a KithDelivery wrapping both. Sealed whole, so a holder learns nothing more.
 */
export const DELIVERY_TYPE = 'KithDelivery';

/** The bytes to seal: `activity` is the activity's signed JSON text, kept byte for byte. */
export function deliveryBytes(activity: string, carried: readonly JsonObject[]): Uint8Array {
  const text = carried.length === 0 ? activity : `{"type":"${DELIVERY_TYPE}","activity":${activity},"carried":${JSON.stringify(carried)}}`;
  return new TextEncoder().encode(text);
}

/** The largest sealed delivery: an activity at the object limit, what it carries, their wrapping. */
export function maxDeliveryBytes(limits: Limits): number {
  return limits.maxObjectBytes + INBOX_CARRIED.MAX_BYTES + INBOX_CARRIED.WRAPPING_BYTES;
}

/** Opens what deliveryBytes made (an activity alone, or wrapped with what it carries), within the limits. */
export function unwrapDelivery(bytes: Uint8Array, limits: Limits): { activity: Json; carried: Json | undefined } {
  // Two levels more than an activity may nest: the wrapping and its list.
  const doc = parseJsonLimited(bytes, { ...limits, maxObjectBytes: maxDeliveryBytes(limits), maxDepth: limits.maxDepth + 2 });
  if (!isJsonObject(doc) || doc.type !== DELIVERY_TYPE) return { activity: doc, carried: undefined };
  if (doc.activity === undefined) fail('malformed', `a ${DELIVERY_TYPE} wraps one activity`);
  return { activity: doc.activity, carried: doc.carried ?? [] };
}

/** What a node signs to show a holder it is the recipient's node: the DID, both peers of this connection and the holder's nonce. */
export function claimMessage(did: Did, keeper: string, claimant: string, nonce: string): Uint8Array {
  return new TextEncoder().encode(`kith-inbox-claim/1\n${did}\n${keeper}\n${claimant}\n${nonce}`);
}

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
