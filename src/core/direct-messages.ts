import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { OpenError } from '@hpke/core';
import { base64Bytes, hpke, toArrayBuffer } from './follower-keys.js';
import { KithError, fail } from './errors.js';
import { actorId, apIdParts, isApId } from './apid.js';
import { AS_CONTEXT, isoNow, newObjectId } from './as2.js';
import { parseDateTime } from './time.js';
import { isJsonObject, type ApId, type Did, type JsonObject } from './types.js';

/**
 * Direct messages (issue 14, item 4): the objects and the cryptography, without I/O.
 *
 * - A conversation is named by an ap:// id of the person who started it (its
 *   creator); only the creator starts its key generations.
 * - A conversation key is a 32-byte symmetric key of one generation, handed
 *   to each participant in a `KithConversationKey` object the creator signs:
 *   the key sealed with HPKE (RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256),
 *   HKDF-SHA256, AES-128-GCM, as epoch keys are) to that participant's
 *   key-agreement key, bound to the conversation, the generation and its
 *   participants. Removing a participant starts a new generation given to
 *   the rest only.
 * - A message is a `KithDirectMessage` object its author signs: the text (and
 *   what it replies to) encrypted under the generation's key (AES-256-GCM,
 *   bound to the conversation, the generation, the author and the message's
 *   id). Both kinds travel only through the inbox, never in a scope.
 */

export const CONVERSATION_KEY_TYPE = 'KithConversationKey';
export const DIRECT_MESSAGE_TYPE = 'KithDirectMessage';
export const CONVERSATION_KEY_BYTES = 32;
/** People in one conversation, its creator included: every message is one delivery to each of the others. */
export const MAX_PARTICIPANTS = 32;
export const MAX_MESSAGE_CHARS = 5000;
const KEY_INFO = new TextEncoder().encode('kith conversation key v1');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** The encrypted part of a message: its text at the limit (4 bytes a character at most) and a reply's id. */
const MAX_SEALED_MESSAGE_BYTES = MAX_MESSAGE_CHARS * 4 + 600;

export function newConversationId(creator: Did): ApId {
  return newObjectId(creator);
}

/** Who started a conversation: the DID its id belongs to. */
export function creatorOf(conversation: string): Did {
  if (!isApId(conversation)) return fail('malformed', 'a conversation is named by an ap:// id');
  return apIdParts(conversation).did;
}

/** A short, stable tag of a conversation, for file names. */
export function conversationTag(conversation: string): string {
  return createHash('sha256').update(conversation).digest('hex').slice(0, 32);
}

function didOfActor(v: unknown, what: string): Did {
  if (typeof v !== 'string' || !isApId(v)) return fail('malformed', `${what} is an ap:// actor id`);
  const { did, path } = apIdParts(v);
  if (path !== '/actor') fail('malformed', `${what} is an actor id (ap://<did>/actor)`);
  return did;
}

function participantsOf(v: unknown, what: string): Did[] {
  if (!Array.isArray(v) || v.length < 2 || v.length > MAX_PARTICIPANTS) return fail('malformed', `${what} lists 2 to ${MAX_PARTICIPANTS} participants`);
  const dids = v.map((p) => didOfActor(p, `a participant of ${what}`));
  if (new Set(dids).size !== dids.length) fail('malformed', `${what} lists a participant twice`);
  return dids;
}

function generationOf(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) return fail('malformed', "a conversation's generation is a whole number from 1");
  return v;
}

function conversationOf(v: unknown): ApId {
  if (typeof v !== 'string' || !isApId(v) || v.length > 300) return fail('malformed', 'a direct message names its conversation by an ap:// id');
  return v as ApId;
}

/** What binds a sealed conversation key to its conversation, generation, participants and recipient. */
function keyAssociated(conversation: string, generation: number, participants: readonly Did[], recipient: Did): Uint8Array {
  return new TextEncoder().encode(`kith-conversation-key/1\n${conversation}\n${generation}\n${[...participants].sort().join(',')}\n${recipient}`);
}

export interface ConversationGrant {
  readonly conversation: ApId;
  readonly generation: number;
  /** Everyone who holds this generation's key, the creator included. */
  readonly participants: readonly Did[];
  readonly recipient: Did;
  /** Which of the recipient's keys it is sealed to: a published key's id, or their did:key. */
  readonly keyId: string;
}

/** An unsigned KithConversationKey object: `key` sealed to `recipientPublic`. */
export async function buildConversationKeyObject(
  grant: ConversationGrant,
  key: Uint8Array,
  recipientPublic: Uint8Array,
  now = Date.now(),
): Promise<JsonObject> {
  const s = hpke();
  const recipientPublicKey = await s.kem.importKey('raw', toArrayBuffer(recipientPublic), true);
  const aad = keyAssociated(grant.conversation, grant.generation, grant.participants, grant.recipient);
  const { enc, ct } = await s.seal({ recipientPublicKey, info: KEY_INFO }, key, aad);
  const creator = creatorOf(grant.conversation);
  return {
    '@context': [...AS_CONTEXT],
    id: newObjectId(creator),
    type: CONVERSATION_KEY_TYPE,
    attributedTo: actorId(creator),
    to: [actorId(grant.recipient)],
    published: isoNow(now),
    conversation: grant.conversation,
    generation: grant.generation,
    participants: grant.participants.map((d) => actorId(d)),
    keyAgreement: grant.keyId,
    enc: Buffer.from(enc).toString('base64'),
    ct: Buffer.from(ct).toString('base64'),
  };
}

export interface ConversationKeyObject extends ConversationGrant {
  readonly id: ApId;
  readonly published: number;
  readonly enc: Uint8Array;
  readonly ct: Uint8Array;
}

/** Reads a KithConversationKey object's fields (its proof is the caller's business). Refused: one not by the conversation's creator. */
export function parseConversationKeyObject(doc: JsonObject): ConversationKeyObject {
  if (doc.type !== CONVERSATION_KEY_TYPE) return fail('malformed', `a ${CONVERSATION_KEY_TYPE} object was expected`);
  if (typeof doc.id !== 'string' || !isApId(doc.id)) fail('malformed', 'a conversation key object has an ap:// id');
  const author = didOfActor(doc.attributedTo, "a conversation key object's attributedTo");
  const conversation = conversationOf(doc.conversation);
  if (creatorOf(conversation) !== author) fail('wrong-key', `only the creator of ${conversation} hands out its keys, not ${author}`);
  if (!Array.isArray(doc.to) || doc.to.length !== 1) fail('malformed', 'a conversation key object is addressed to exactly one participant');
  const recipient = didOfActor(doc.to[0], "a conversation key object's recipient");
  const participants = participantsOf(doc.participants, 'a conversation key object');
  if (!participants.includes(author) || !participants.includes(recipient))
    fail('malformed', 'a conversation key lists its creator and its recipient among the participants');
  const published = parseDateTime(doc.published);
  if (Number.isNaN(published)) fail('malformed', 'a conversation key object says when it was made');
  if (typeof doc.keyAgreement !== 'string' || doc.keyAgreement.length > 300) fail('malformed', 'a conversation key object names the key it is sealed to');
  const enc = base64Bytes(doc.enc, 'enc', 32);
  if (enc.length !== 32) fail('malformed', "a conversation key object's enc is an X25519 key of 32 bytes");
  const ct = base64Bytes(doc.ct, 'ct', CONVERSATION_KEY_BYTES + TAG_BYTES);
  return { id: doc.id as ApId, conversation, generation: generationOf(doc.generation), participants, recipient, keyId: doc.keyAgreement, published, enc, ct };
}

/** Opens a sealed conversation key with the recipient's X25519 secret; a box that does not open (another's key, altered, wrong tag) is refused. */
export async function openConversationKey(o: ConversationKeyObject, secret: Uint8Array): Promise<Uint8Array> {
  const s = hpke();
  const recipientKey = await s.kem.importKey('raw', toArrayBuffer(secret), false);
  let key: Uint8Array;
  try {
    const aad = keyAssociated(o.conversation, o.generation, o.participants, o.recipient);
    key = new Uint8Array(await s.open({ recipientKey, enc: toArrayBuffer(o.enc), info: KEY_INFO }, o.ct, aad));
  } catch (e) {
    if (e instanceof OpenError) {
      throw new KithError(
        'bad-signature',
        `generation ${o.generation} of ${o.conversation} does not open with this node's key (sealed to another key, or its tag is wrong)`,
      );
    }
    throw e;
  }
  if (key.length !== CONVERSATION_KEY_BYTES) fail('malformed', `a conversation key is ${CONVERSATION_KEY_BYTES} bytes`);
  return key;
}

function messageAssociated(conversation: string, generation: number, author: Did, id: string): Uint8Array {
  return new TextEncoder().encode(`kith-direct-message/1\n${conversation}\n${generation}\n${author}\n${id}`);
}

/** What a message says, once opened. */
export interface MessageContent {
  readonly content: string;
  /** The message it answers, in the same conversation. */
  readonly inReplyTo?: string;
}

export interface MessageAt {
  readonly conversation: ApId;
  readonly generation: number;
  /** Everyone in the conversation's generation: the message is addressed to all but its author. */
  readonly participants: readonly Did[];
}

/** An unsigned KithDirectMessage of `author`: `message` encrypted under the generation's key. */
export function buildDirectMessage(author: Did, at: MessageAt, message: MessageContent, key: Uint8Array, now = Date.now()): JsonObject {
  checkMessage(message);
  const id = newObjectId(author);
  const nonce = randomBytes(NONCE_BYTES);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(messageAssociated(at.conversation, at.generation, author, id));
  const plain = JSON.stringify(message.inReplyTo === undefined ? { content: message.content } : { content: message.content, inReplyTo: message.inReplyTo });
  const ct = Buffer.concat([c.update(plain, 'utf8'), c.final(), c.getAuthTag()]);
  return {
    '@context': [...AS_CONTEXT],
    id,
    type: DIRECT_MESSAGE_TYPE,
    attributedTo: actorId(author),
    to: at.participants.filter((d) => d !== author).map((d) => actorId(d)),
    published: isoNow(now),
    conversation: at.conversation,
    generation: at.generation,
    nonce: nonce.toString('base64'),
    ct: ct.toString('base64'),
  };
}

export interface DirectMessageObject {
  readonly id: ApId;
  readonly author: Did;
  readonly conversation: ApId;
  readonly generation: number;
  readonly recipients: readonly Did[];
  readonly published: number;
  readonly nonce: Uint8Array;
  readonly ct: Uint8Array;
}

export function parseDirectMessage(doc: JsonObject): DirectMessageObject {
  if (doc.type !== DIRECT_MESSAGE_TYPE) return fail('malformed', `a ${DIRECT_MESSAGE_TYPE} object was expected`);
  if (typeof doc.id !== 'string' || !isApId(doc.id)) fail('malformed', 'a direct message has an ap:// id');
  const author = didOfActor(doc.attributedTo, "a direct message's attributedTo");
  if (apIdParts(doc.id).did !== author) fail('wrong-key', `a direct message's id is its author's (${author})`);
  if (!Array.isArray(doc.to) || doc.to.length < 1 || doc.to.length >= MAX_PARTICIPANTS)
    fail('malformed', `a direct message is addressed to 1 to ${MAX_PARTICIPANTS - 1} people`);
  const recipients = doc.to.map((t) => didOfActor(t, "a direct message's recipient"));
  const published = parseDateTime(doc.published);
  if (Number.isNaN(published)) fail('malformed', 'a direct message says when it was written');
  const nonce = base64Bytes(doc.nonce, 'nonce', NONCE_BYTES);
  if (nonce.length !== NONCE_BYTES) fail('malformed', `a direct message's nonce is ${NONCE_BYTES} bytes`);
  const ct = base64Bytes(doc.ct, 'ct', MAX_SEALED_MESSAGE_BYTES + TAG_BYTES);
  if (ct.length <= TAG_BYTES) fail('malformed', 'a direct message is too short to hold anything');
  return {
    id: doc.id as ApId,
    author,
    conversation: conversationOf(doc.conversation),
    generation: generationOf(doc.generation),
    recipients,
    published,
    nonce,
    ct,
  };
}

/** Decrypts a message with its generation's key; a wrong key or tag is refused, and so is what does not read as a message. */
export function openDirectMessage(m: DirectMessageObject, key: Uint8Array): MessageContent {
  const d = createDecipheriv('aes-256-gcm', key, m.nonce);
  d.setAAD(messageAssociated(m.conversation, m.generation, m.author, m.id));
  d.setAuthTag(m.ct.subarray(m.ct.length - TAG_BYTES));
  let text: string;
  try {
    text = Buffer.concat([d.update(m.ct.subarray(0, m.ct.length - TAG_BYTES)), d.final()]).toString('utf8');
  } catch {
    return fail('bad-signature', `direct message ${m.id} does not open with generation ${m.generation}'s key (its tag is wrong)`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return fail('malformed', `direct message ${m.id} does not hold a message`);
  }
  if (!isJsonObject(v as JsonObject)) fail('malformed', `direct message ${m.id} does not hold a message`);
  const o = v as JsonObject;
  const message: MessageContent = typeof o.inReplyTo === 'string' ? { content: o.content as string, inReplyTo: o.inReplyTo } : { content: o.content as string };
  checkMessage(message);
  return message;
}

/** Refuses a message with no text, too long a text, or a reply to something that is not an ap:// id. */
export function checkMessage(m: MessageContent): void {
  if (typeof m.content !== 'string' || m.content.trim() === '') fail('malformed', 'a direct message says something');
  if ([...m.content].length > MAX_MESSAGE_CHARS) fail('too-large', `a direct message is at most ${MAX_MESSAGE_CHARS} characters`);
  if (m.inReplyTo !== undefined && (!isApId(m.inReplyTo) || m.inReplyTo.length > 300))
    fail('malformed', 'a reply names the message it answers by its ap:// id');
}
