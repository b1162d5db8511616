import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fail } from '../core/errors.js';
import { reasonOf, type Logger } from '../core/log.js';
import { parseDid } from '../core/didkey.js';
import {
  CONVERSATION_KEY_BYTES,
  CONVERSATION_KEY_TYPE,
  DIRECT_MESSAGE_TYPE,
  MAX_PARTICIPANTS,
  buildConversationKeyObject,
  buildDirectMessage,
  checkMessage,
  conversationTag,
  creatorOf,
  newConversationId,
  openConversationKey,
  openDirectMessage,
  parseConversationKeyObject,
  parseDirectMessage,
  type DirectMessageObject,
} from '../core/direct-messages.js';
import type { ApId, Did, JsonObject } from '../core/types.js';
import type { Ingested } from '../store/ingest.js';
import type { ConversationRow, MessageRow } from '../store/direct-messages.js';
import type { KithNode } from './kith-node.js';
import type { KeyAgreement } from './key-agreement.js';
import type { DeliveryOutcome, Inbox } from './inbox.js';
import { eraseSecretFile, listSecretFiles, readSecretFile, secretDir, writeSecretFile } from './secret-files.js';

/**
 * Direct messages (issue 14, item 4). A conversation's creator makes a key
 * per generation and gives it to each participant sealed to their
 * key-agreement key (core/direct-messages.ts); every participant writes
 * messages encrypted under the newest generation's key. Removing someone
 * starts a new generation given to the rest: what is written after, the
 * removed person's node cannot open.
 *
 * Keys and messages travel only through the inbox, straight to each
 * participant's node or, while it is away, sealed to them with a holder
 * (node/inbox-outgoing.ts), never in a scope: no sync carries them, so
 * followers and hosts do not learn who writes to whom. A message that
 * arrives before its generation's key waits here sealed, and is opened when
 * the key comes. The reader's own node keeps what it opened (the table of
 * migration 16); keys are files of the home, mode 0600: `dm/<tag>-<gen>.json`.
 */

export interface MessageView {
  readonly id: ApId;
  readonly conversation: ApId;
  readonly generation: number;
  readonly author: Did;
  readonly content: string;
  readonly inReplyTo: string | null;
  readonly created: number;
}

export interface ConversationView {
  readonly id: ApId;
  readonly creator: Did;
  readonly generation: number;
  readonly participants: Did[];
  /** Whether this person is still in it (a removed participant keeps what they had). */
  readonly member: boolean;
  readonly updated: number;
  readonly unread: number;
  readonly last: MessageView | undefined;
}

export interface MessageSent {
  readonly message: MessageView;
  readonly deliveries: DeliveryOutcome[];
}

/** Messages of one author held sealed here, waiting for a key: bounded, so nobody fills the store with what cannot be opened. */
const MAX_SEALED_PER_AUTHOR = 200;
const MAX_LISTED = 200;
const MAX_READ = 5000;

type Listener = (m: MessageView) => void;

/** A signed document to deliver, and to whom. */
interface Outgoing {
  readonly doc: JsonObject;
  readonly to: readonly Did[];
}

function b64(b: Uint8Array): string {
  return Buffer.from(b).toString('base64');
}

function view(r: MessageRow): MessageView | undefined {
  if (r.content === null) return undefined;
  return { id: r.id, conversation: r.conversation, generation: r.generation, author: r.author, content: r.content, inReplyTo: r.inReplyTo, created: r.created };
}

export class DirectMessages {
  private readonly dir: string;
  private readonly listeners = new Set<Listener>();
  /** One change at a time: two keys of one conversation are never judged against the same state. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly node: KithNode,
    private readonly agreement: KeyAgreement,
    private readonly inbox: Inbox,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.dir = secretDir(node.home.root, 'dm');
    const take = (doc: JsonObject): Promise<Ingested> => this.receive(doc);
    node.inboxTypes.set(CONVERSATION_KEY_TYPE, take);
    node.inboxTypes.set(DIRECT_MESSAGE_TYPE, take);
  }

  /** Told of each message opened here that someone else wrote (a live event, a notification). Returns what stops it. */
  onMessage(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private get table() {
    return this.node.store.directMessages;
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.chain.then(task);
    this.chain = next.catch(() => undefined);
    return next;
  }

  // ---- keys ----

  private keyPath(conversation: string, generation: number): string {
    return join(this.dir, `${conversationTag(conversation)}-${String(generation).padStart(10, '0')}.json`);
  }

  private key(conversation: string, generation: number): Uint8Array | undefined {
    const path = this.keyPath(conversation, generation);
    if (!listSecretFiles(this.dir).includes(path.slice(this.dir.length + 1))) return undefined;
    const d = readSecretFile(path);
    if (d.conversation !== conversation) fail('conflict', `${path} holds a key of another conversation`);
    return new Uint8Array(Buffer.from(String(d.key), 'base64'));
  }

  /** Starts a generation of a conversation this person created: a new key, recorded, and sealed to each other participant. */
  private async startGeneration(conversation: ApId, generation: number, participants: readonly Did[]): Promise<Outgoing[]> {
    const key = new Uint8Array(randomBytes(CONVERSATION_KEY_BYTES));
    const path = this.keyPath(conversation, generation);
    if (!writeSecretFile(path, { conversation, generation, key: b64(key) }))
      fail('conflict', `generation ${generation} of ${conversation} was started elsewhere at the same time`);
    const objects: JsonObject[] = [];
    try {
      for (const did of participants) {
        if (did === this.node.did) continue;
        const to = this.agreement.recipientKey(did);
        const grant = { conversation, generation, participants, recipient: did, keyId: to.keyId };
        objects.push(this.node.sign(await buildConversationKeyObject(grant, key, to.publicKey, this.now())));
      }
      this.table.addGeneration({ conversation, creator: this.node.did, generation, participants, created: this.now(), keyObject: null });
    } catch (e) {
      eraseSecretFile(path);
      throw e;
    }
    return objects.map((o) => ({ doc: o, to: [parseConversationKeyObject(o).recipient] }));
  }

  /**
   * Delivers what a change made, in order (keys before the message they open), outside the
   * serial section: trying a recipient's node can take seconds, and what arrives meanwhile must not wait.
   */
  private async deliver(out: readonly Outgoing[]): Promise<DeliveryOutcome[]> {
    const keys = out.filter((o) => o.doc.type === CONVERSATION_KEY_TYPE);
    const rest = out.filter((o) => o.doc.type !== CONVERSATION_KEY_TYPE);
    const first = await Promise.all(keys.map((o) => this.inbox.deliverDocument(o.doc, o.to)));
    const then = await Promise.all(rest.map((o) => this.inbox.deliverDocument(o.doc, o.to)));
    // How the message went, when there is one: each recipient's key went the same way just before it.
    return (rest.length > 0 ? then : first).flat();
  }

  // ---- the owner's acts ----

  /** Starts a conversation with `people` and sends its first message. */
  start(people: readonly string[], content: string): Promise<MessageSent> {
    const others = [...new Set(people.map((p) => parseDid(p)))].filter((d) => d !== this.node.did);
    if (others.length === 0) fail('malformed', 'a direct message names at least one other person (their did:key)');
    if (others.length + 1 > MAX_PARTICIPANTS) fail('too-large', `a conversation has at most ${MAX_PARTICIPANTS} people, its creator included`);
    // Checked before the conversation exists: a refused text must not leave an empty one behind.
    checkMessage({ content });
    return this.serial(async () => {
      const conversation = newConversationId(this.node.did);
      const keys = await this.startGeneration(conversation, 1, [this.node.did, ...others]);
      const written = this.write(conversation, content, undefined);
      return { message: written.message, out: [...keys, ...written.out] };
    }).then(async (w) => ({ message: w.message, deliveries: await this.deliver(w.out) }));
  }

  /** Sends a message to a conversation this person is in. */
  send(conversation: string, content: string, inReplyTo?: string): Promise<MessageSent> {
    return this.serial(async () => this.write(conversation, content, inReplyTo)).then(async (w) => ({
      message: w.message,
      deliveries: await this.deliver(w.out),
    }));
  }

  /** Answers a message, in its conversation. */
  async reply(messageId: string, content: string): Promise<MessageSent> {
    const m = this.table.message(messageId);
    if (m === undefined || m.content === null) return fail('not-found', `no message ${messageId} is here to answer`);
    return this.send(m.conversation, content, m.id);
  }

  private write(conversation: string, content: string, inReplyTo: string | undefined): { message: MessageView; out: Outgoing[] } {
    const conv = this.table.conversation(conversation, this.node.did);
    if (conv === undefined) return fail('not-found', `no conversation ${conversation} is here`);
    if (!conv.participants.includes(this.node.did)) fail('unauthorized', `you were removed from ${conversation}; you can read what you had, not write`);
    if (inReplyTo !== undefined && this.table.message(inReplyTo)?.conversation !== conv.id)
      fail('not-found', `no message ${inReplyTo} of this conversation is here to answer`);
    const key = this.key(conv.id, conv.generation);
    if (key === undefined) return fail('not-found', `the key of generation ${conv.generation} of ${conv.id} is not here`);
    const at = { conversation: conv.id, generation: conv.generation, participants: conv.participants };
    const doc = this.node.sign(buildDirectMessage(this.node.did, at, inReplyTo === undefined ? { content } : { content, inReplyTo }, key, this.now()));
    const checked = this.node.check(doc);
    const row = {
      id: checked.id,
      conversation: conv.id,
      generation: conv.generation,
      author: this.node.did,
      created: checked.created,
      received: this.now(),
      body: JSON.stringify(doc),
      content,
      inReplyTo: inReplyTo ?? null,
    };
    this.table.addMessage(row);
    return { message: view({ ...row, n: 0 })!, out: [{ doc, to: conv.participants }] };
  }

  /** Removes a participant from a conversation this person created: a new generation, given to the rest only. */
  remove(conversation: string, person: string): Promise<{ generation: number; participants: Did[]; deliveries: DeliveryOutcome[] }> {
    const did = parseDid(person);
    return this.serial(async () => {
      const conv = this.table.conversation(conversation, this.node.did);
      if (conv === undefined) return fail('not-found', `no conversation ${conversation} is here`);
      if (conv.creator !== this.node.did) fail('unauthorized', `only the creator of a conversation (${conv.creator}) removes people from it`);
      if (did === this.node.did) fail('malformed', 'the creator stays in their conversation');
      if (!conv.participants.includes(did)) fail('not-found', `${did} is not in ${conversation}`);
      const participants = conv.participants.filter((d) => d !== did);
      const out = await this.startGeneration(conv.id, conv.generation + 1, participants);
      return { generation: conv.generation + 1, participants, out };
    }).then(async (r) => ({ generation: r.generation, participants: r.participants, deliveries: await this.deliver(r.out) }));
  }

  /** Conversations, the newest message first. */
  list(limit = 50): ConversationView[] {
    return this.table.list(this.node.did, Math.min(Math.max(1, limit), MAX_LISTED)).map((c) => this.conversationView(c));
  }

  private conversationView(c: ConversationRow): ConversationView {
    const last = this.table.last(c.id);
    return {
      id: c.id,
      creator: c.creator,
      generation: c.generation,
      participants: c.participants,
      member: c.participants.includes(this.node.did),
      updated: c.updated,
      unread: c.unread,
      last: last === undefined ? undefined : view(last),
    };
  }

  /** A conversation and its opened messages, oldest first; marks them read. */
  read(conversation: string, limit = 500): { conversation: ConversationView; messages: MessageView[] } {
    const c = this.table.conversation(conversation, this.node.did);
    if (c === undefined) return fail('not-found', `no conversation ${conversation} is here`);
    const messages = this.table.messages(c.id, Math.min(Math.max(1, limit), MAX_READ)).flatMap((r) => view(r) ?? []);
    const newest = messages.at(-1)?.created;
    if (newest !== undefined) this.table.markRead(c.id, newest);
    return { conversation: { ...this.conversationView(c), unread: 0 }, messages };
  }

  unread(): number {
    return this.table.unread(this.node.did);
  }

  // ---- what arrives ----

  /**
   * Takes in a conversation key or a message delivered to this person.
   * Refused, with nothing stored: a key for someone else (not-addressed), a
   * second key for a generation held (conflict), a generation older than
   * the newest held (expired: a replay), a sealed box or message that does
   * not open (bad-signature), a message by someone not in its generation
   * (unauthorized), and whatever ingest's checks refuse (the proof).
   */
  receive(doc: JsonObject): Promise<Ingested> {
    return this.serial(async () => {
      const checked = this.node.check(doc);
      const ingested = (status: Ingested['status']): Ingested => ({
        status,
        digest: checked.digest,
        id: checked.id,
        type: checked.type,
        owner: checked.owner,
        created: checked.created,
      });
      if (checked.type === CONVERSATION_KEY_TYPE) return ingested(await this.receiveKey(doc));
      if (checked.type === DIRECT_MESSAGE_TYPE) return ingested(this.receiveMessage(doc));
      return fail('malformed', `a ${checked.type} is not a direct message`);
    });
  }

  private async receiveKey(doc: JsonObject): Promise<Ingested['status']> {
    const o = parseConversationKeyObject(doc);
    if (o.recipient !== this.node.did)
      fail('not-addressed', `generation ${o.generation} of ${o.conversation} is for ${o.recipient}, not for this node's ${this.node.did}`);
    const had = this.table.generation(o.conversation, o.generation);
    if (had !== undefined) {
      if (had.keyObject === o.id) return 'duplicate';
      fail('conflict', `generation ${o.generation} of ${o.conversation} is already held; ${o.id} replays it with another key`);
    }
    const newest = this.table.newest(o.conversation);
    if (o.generation < newest)
      fail('expired', `generation ${o.generation} of ${o.conversation} is older than generation ${newest} held here: a replayed old key`);
    const secret = this.agreement.secretFor(o.keyId);
    if (secret === undefined)
      fail('not-found', `generation ${o.generation} of ${o.conversation} is sealed to ${o.keyId}, whose private half this node no longer has`);
    const key = await openConversationKey(o, secret);
    const path = this.keyPath(o.conversation, o.generation);
    if (!writeSecretFile(path, { conversation: o.conversation, generation: o.generation, key: b64(key) })) {
      fail('conflict', `a key of generation ${o.generation} of ${o.conversation} is already held`);
    }
    try {
      this.table.addGeneration({
        conversation: o.conversation,
        creator: creatorOf(o.conversation),
        generation: o.generation,
        participants: o.participants,
        created: o.published,
        keyObject: o.id,
      });
    } catch (e) {
      eraseSecretFile(path);
      throw e;
    }
    this.openWaiting(o.conversation, o.generation, key);
    return 'stored';
  }

  /** Opens the messages that arrived before their generation's key; one that does not open is dropped (and logged). */
  private openWaiting(conversation: ApId, generation: number, key: Uint8Array): void {
    for (const r of this.table.sealed(conversation, generation)) {
      try {
        const m = parseDirectMessage(JSON.parse(r.body) as JsonObject);
        const opened = this.judge(m, key);
        this.table.opened(r, opened.content, opened.inReplyTo ?? null);
        this.told(view({ ...r, content: opened.content, inReplyTo: opened.inReplyTo ?? null })!);
      } catch (e) {
        this.table.drop(r.n);
        this.log.warn(`direct messages: a message of ${r.author} that waited for its key was dropped: ${reasonOf(e)}`);
      }
    }
  }

  /** Opens a message with its generation's key and checks that its author may write there then. */
  private judge(m: DirectMessageObject, key: Uint8Array): ReturnType<typeof openDirectMessage> {
    const opened = openDirectMessage(m, key);
    const gen = this.table.generation(m.conversation, m.generation)!;
    if (!gen.participants.includes(m.author)) fail('unauthorized', `${m.author} is not in generation ${m.generation} of ${m.conversation}`);
    const next = this.table.generation(m.conversation, m.generation + 1);
    if (next !== undefined && m.published >= next.created) {
      fail('expired', `${m.id} was written under generation ${m.generation} after generation ${m.generation + 1} began`);
    }
    return opened;
  }

  private receiveMessage(doc: JsonObject): Ingested['status'] {
    const m = parseDirectMessage(doc);
    if (!m.recipients.includes(this.node.did)) fail('not-addressed', `${m.id} is not addressed to ${this.node.did}`);
    const had = this.table.message(m.id);
    if (had !== undefined) {
      if (had.body === JSON.stringify(doc)) return 'duplicate';
      fail('conflict', `another version of ${m.id} is here already`);
    }
    const row = {
      id: m.id,
      conversation: m.conversation,
      generation: m.generation,
      author: m.author,
      created: m.published,
      received: this.now(),
      body: JSON.stringify(doc),
    };
    const key = this.key(m.conversation, m.generation);
    if (key === undefined) {
      const newest = this.table.newest(m.conversation);
      if (newest > m.generation) fail('expired', `${m.id} was written under generation ${m.generation}, older than the newest held here (${newest})`);
      if (this.table.sealedCountBy(m.author) >= MAX_SEALED_PER_AUTHOR) {
        fail('rate-limited', `${MAX_SEALED_PER_AUTHOR} messages of ${m.author} already wait here for a key`);
      }
      this.table.addMessage({ ...row, content: null, inReplyTo: null });
      return 'stored';
    }
    const opened = this.judge(m, key);
    this.table.addMessage({ ...row, content: opened.content, inReplyTo: opened.inReplyTo ?? null });
    this.told(view({ ...row, n: 0, content: opened.content, inReplyTo: opened.inReplyTo ?? null })!);
    return 'stored';
  }

  private told(m: MessageView): void {
    for (const fn of this.listeners) {
      try {
        fn(m);
      } catch (e) {
        this.log.warn(`direct messages: a listener failed: ${reasonOf(e)}`);
      }
    }
  }
}
